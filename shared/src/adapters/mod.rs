//! Implementations of the ports for real backends, each behind its feature.

#[cfg(feature = "sqlite")]
pub mod sqlite;
