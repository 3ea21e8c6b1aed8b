//! Vendor API simulators: real HTTP servers that speak the Sage CRM (`sagecrm2` REST) and
//! Sage Business Cloud Accounting v3.1 APIs from in-memory data, with an admin API under
//! `/_sim/` to script them (records, clock, faults, request log). Used by tests, benches and
//! `pollhook simulate`.

pub mod clock;
pub mod faults;
pub mod request_log;
pub mod sagecrm;
pub mod sageone;

mod admin;
mod core;
mod dates;
mod server;

pub use server::{serve, spawn, Running};
