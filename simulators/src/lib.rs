//! Vendor API simulators: real HTTP servers that speak the Sage CRM (`sagecrm2` REST) and
//! Sage Business Cloud Accounting v3.1 APIs from in-memory data, with an admin API under
//! `/_sim/` to script them (records, clock, faults, request log). Used by tests, benches and
//! `pollhook simulate`.
//!
//! Vendor routes (faulted, logged, authenticated):
//! - Sage CRM: `GET /sdata/{install}j/sagecrm2/-/{entity}` (`company`, `person`, `lead`,
//!   `opportunity`, `user`, any case) with `where`, `orderBy`, `startIndex`, `count`
//!   (default 10, max 1000), and `GET .../{entity}('{id}')`. Basic auth.
//! - Sage Accounting: `GET /contacts` and `GET /contacts/{id}` (also under `/v3.1`) with
//!   `updated_or_created_since`, `deleted_since`, `items_per_page` (default 20, max 200),
//!   `page`, `attributes`, `contact_type_id`, `search`, `email`. Bearer tokens from its own
//!   `POST /token` (faulted only by faults with `"target": "token"`);
//!   `GET /oauth2/auth/central` redirects with a code.
//!
//! Admin routes (never faulted, logged or authenticated):
//! - `POST /_sim/{entity}` (object, or array of objects) → 201; `GET /_sim/{entity}`;
//!   `GET|PATCH|DELETE /_sim/{entity}/{id}`; `POST /_sim/reset` (records, faults, log).
//! - `GET|POST /_sim/clock` with `{"now"?, "advance_secs"?, "freeze"?}`.
//! - `GET|POST|DELETE /_sim/faults` with `{"kind", "count"?, "retry_after_secs"?,
//!   "hang_secs"?, "style"?: "truncated"|"missing_items"|"html", "target"?: "api"|"token"}`.
//! - `GET|DELETE /_sim/requests`: `[{"method","path","time","headers"}]`.
//! - Sage Accounting only: `POST /_sim/oauth/codes` (`{"redirect_uri"?}` → `{"code"}`),
//!   `POST /_sim/oauth/tokens` (a token pair without the code dance).

pub mod clock;
pub mod faults;
pub mod receiver;
pub mod request_log;
pub mod sagecrm;
pub mod sageone;

mod admin;
mod core;
mod dates;
mod server;

pub use server::{serve, spawn, Running};
