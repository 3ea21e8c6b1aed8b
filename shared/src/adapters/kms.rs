//! KMS envelope encryption of stored secrets: one data key per table, wrapped by a KMS key.
