//! CEQL, the `where=` filter language of hub URLs (being written).
