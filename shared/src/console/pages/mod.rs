//! The console's pages, one module each.

pub mod create;
pub mod instance;
pub mod instances;
pub mod sign_in;
