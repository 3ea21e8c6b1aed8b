//! Connectors ("elements"): each turns a hub resource URL into calls to one vendor's API.
//!
//! The translation from hub URL to vendor request is pure and always compiled, so the API can
//! refuse an untranslatable filter at registration; the HTTP side sits behind `elements`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::element::ElementKey;

pub mod config;
pub mod http;
pub mod hub_url;
pub mod records;
pub mod retry_after;
pub mod sagecrm;
pub mod sageone;
pub mod vendor_endpoints;

#[cfg(feature = "elements")]
mod transport;

/// A vendor call a hub URL translates to: a path (relative to the element's API base, or an
/// absolute URL for the generic element) and decoded query parameters. Paging is added later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorRequest {
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl VendorRequest {
    /// The value of the first query parameter named `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Checks at registration that a resource URL (expanded at a sample instant) can be turned into
/// a vendor call; the message says what cannot, for the caller to prefix with the field name.
pub fn check_resource(element: ElementKey, resource: &str, url: &str) -> Result<(), String> {
    match element {
        ElementKey::SageCrm => sagecrm::translate::vendor_request(url).map(drop),
        ElementKey::SageOne => sageone::translate::vendor_request(url, &[]).map(drop),
        ElementKey::Http => http::translate::vendor_request(url).map(drop),
    }
    .map_err(|e| {
        tracing::debug!(element = %element, resource, error = %e, "resource URL refused");
        e
    })
}

/// OAuth tokens of one instance, as stored under `oauth.user.*` in its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Configuration keys the tokens live under; every key containing `token` is encrypted at rest.
pub const ACCESS_TOKEN_KEY: &str = "oauth.user.token";
pub const REFRESH_TOKEN_KEY: &str = "oauth.user.refresh_token";
pub const EXPIRES_AT_KEY: &str = "oauth.user.token.expires_at";

/// Where a connector saves rotated tokens: the old refresh token stops working once used,
/// so losing the new one would lock the instance out.
#[async_trait]
pub trait TokenSink: Send + Sync {
    async fn save(&self, tokens: &OAuthTokens) -> Result<(), String>;
}

#[cfg(feature = "elements")]
pub use connect::{authorize_new_instance, connector};

#[cfg(feature = "elements")]
mod connect {
    use std::sync::Arc;

    use super::TokenSink;
    use crate::element::ElementKey;
    use crate::field_error::FieldError;
    use crate::instance::{Instance, InstanceSpec};
    use crate::ports::{Connector, ConnectorError};

    /// The connector for an instance, reading its credentials and overrides from its configuration.
    pub fn connector(
        instance: &Instance,
        client: reqwest::Client,
        tokens: Arc<dyn TokenSink>,
    ) -> Result<Arc<dyn Connector>, ConnectorError> {
        let spec = &instance.spec;
        Ok(match spec.element {
            ElementKey::SageCrm => Arc::new(super::sagecrm::SageCrmConnector::new(spec, client)?),
            ElementKey::SageOne => {
                Arc::new(super::sageone::SageOneConnector::new(spec, client, tokens)?)
            }
            ElementKey::Http => Arc::new(super::http::HttpConnector::new(spec, client)?),
        })
    }

    /// Completes authorization at instance creation: for `sageone`, exchanges
    /// `providerData.code` for tokens and writes them into `spec.configuration`.
    pub async fn authorize_new_instance(
        spec: &mut InstanceSpec,
        client: &reqwest::Client,
    ) -> Result<(), FieldError> {
        match spec.element {
            ElementKey::SageOne => super::sageone::authorize(spec, client).await,
            ElementKey::SageCrm | ElementKey::Http => Ok(()),
        }
    }
}
