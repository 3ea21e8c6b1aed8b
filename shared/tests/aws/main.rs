//! The AWS adapters and the AWS delivery path against the local AWS emulator: one test binary,
//! so the AWS SDKs are linked once rather than once per file.
#![cfg(feature = "aws")]

mod emulator;
mod fresh_store;
#[cfg(feature = "api")]
#[path = "../router_call/mod.rs"]
mod router_call;
#[path = "../store_suite/mod.rs"]
mod store_suite;

mod api_on_aws;
mod delivery_on_aws;
mod kms_envelope;
mod schedules_aws;
mod store_dynamodb;
