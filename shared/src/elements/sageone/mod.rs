//! Sage Business Cloud Accounting (API v3.1): OAuth 2.0 with rotating refresh tokens,
//! `updated_or_created_since` filters, `$items`/`$next` paging.
//!
//! `country` is not sent to the API: v3.1 is one global API whose business follows from the
//! token (and `X-Business`, from the optional `business.id` setting). `apim.subscription.key`
//! is sent as `Ocp-Apim-Subscription-Key`, which v3.1 ignores and APIM-fronted hosts require.

pub mod oauth;
pub mod translate;

#[cfg(feature = "elements")]
mod authorize;
#[cfg(feature = "elements")]
mod connector;

#[cfg(feature = "elements")]
pub(crate) use authorize::authorize;
#[cfg(feature = "elements")]
pub use connector::SageOneConnector;

/// The v3.1 API, unless `base.url` overrides it.
pub const DEFAULT_API_BASE: &str = "https://api.accounting.sage.com/v3.1";
/// Sage's token endpoint, unless `oauth.token.url` overrides it.
pub const DEFAULT_TOKEN_URL: &str = "https://oauth.accounting.sage.com/token";
/// Refresh this long before the access token expires, so a page never starts with a dying token.
pub const REFRESH_MARGIN_SECS: i64 = 60;
/// The most records v3.1 returns per page.
pub const MAX_ITEMS_PER_PAGE: u32 = 200;
