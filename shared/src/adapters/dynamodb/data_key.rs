//! The table's data key, wrapped by KMS and kept in the table (envelope encryption).
