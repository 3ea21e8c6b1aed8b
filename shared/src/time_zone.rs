//! Time zones as Java names them (being written).
