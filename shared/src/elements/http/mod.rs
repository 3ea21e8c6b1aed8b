//! The generic element: any JSON REST API at `base.url`.
//!
//! Settings (instance configuration): `base.url` (required), `authorization.header` (sent as
//! `Authorization`), `records.path` or `records.path.<resource>` (where the records array is;
//! default: the body if it is an array, else the first of `items`, `data`, `records`, `results`,
//! `$items`, `$resources`), `next.path` (a next-page link in the body; default `next`, `$next`,
//! `links.next`), `pagination.page.param` / `pagination.size.param` (default `page` / `pageSize`).

pub mod translate;

#[cfg(feature = "elements")]
mod connector;

#[cfg(feature = "elements")]
pub use connector::HttpConnector;

pub const RECORDS_PATH_KEY: &str = "records.path";
pub const NEXT_PATH_KEY: &str = "next.path";
pub const PAGE_PARAM_KEY: &str = "pagination.page.param";
pub const SIZE_PARAM_KEY: &str = "pagination.size.param";
/// Where a next-page link is looked for when `next.path` is not set.
pub const DEFAULT_NEXT_PATHS: &[&str] = &["next", "$next", "links.next"];
