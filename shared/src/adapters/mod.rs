//! Implementations of the ports for real backends, each behind its feature.

#[cfg(feature = "aws")]
pub mod aws_env;
#[cfg(feature = "aws")]
pub mod dynamodb;
#[cfg(feature = "aws")]
pub mod kms;
#[cfg(feature = "aws")]
pub mod scheduler;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "aws")]
pub mod sqs;
#[cfg(any(feature = "sqlite", feature = "aws"))]
mod stored_time;
