//! Connectors over real HTTP (being written).
