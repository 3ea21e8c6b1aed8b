//! The Sage Accounting connector over HTTP: bearer tokens refreshed before expiry and once on 401.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tokio::sync::Mutex;

use super::oauth::{refresh, Credentials, TokenError};
use super::translate::vendor_request;
use super::{DEFAULT_API_BASE, DEFAULT_TOKEN_URL, MAX_ITEMS_PER_PAGE, REFRESH_MARGIN_SECS};
use crate::elements::config::{field, setting};
use crate::elements::hub_url::split_query;
use crate::elements::{transport, OAuthTokens, TokenSink, VendorRequest};
use crate::elements::{ACCESS_TOKEN_KEY, EXPIRES_AT_KEY, REFRESH_TOKEN_KEY};
use crate::instance::{InstanceSpec, POLLER_CONFIGURATION};
use crate::ports::{Connector, ConnectorError, Page, PageRequest};

/// Reads one instance's Sage Accounting business.
pub struct SageOneConnector {
    api_base: String,
    token_url: String,
    client_id: String,
    client_secret: String,
    subscription_key: Option<String>,
    business_id: Option<String>,
    /// Held across a refresh, so two pages never spend the same (single-use) refresh token.
    tokens: Mutex<OAuthTokens>,
    sink: Arc<dyn TokenSink>,
    client: reqwest::Client,
    /// Per resource, the date fields the poller reads; always requested as attributes.
    date_fields: HashMap<String, Vec<String>>,
}

impl SageOneConnector {
    pub fn new(
        spec: &InstanceSpec,
        client: reqwest::Client,
        sink: Arc<dyn TokenSink>,
    ) -> Result<Self, ConnectorError> {
        let c = &spec.configuration;
        let required = |key: &str| {
            setting(c, key).ok_or_else(|| ConnectorError::Configuration {
                field: field(key),
                message: "required for element 'sageone'".into(),
            })
        };
        let no_tokens = || {
            ConnectorError::Unauthorized(
                "no OAuth tokens are stored for this instance; send a fresh authorization code with PATCH /instances/{id} {\"providerData\": {\"code\": \"...\"}}".into(),
            )
        };
        let tokens = OAuthTokens {
            access_token: setting(c, ACCESS_TOKEN_KEY).unwrap_or_default(),
            refresh_token: setting(c, REFRESH_TOKEN_KEY).ok_or_else(no_tokens)?,
            // Unknown expiry: refresh before the first call rather than fail it.
            expires_at: setting(c, EXPIRES_AT_KEY)
                .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                .map_or(DateTime::<Utc>::UNIX_EPOCH, |d| d.with_timezone(&Utc)),
        };
        let date_fields = spec
            .events
            .resources
            .iter()
            .map(|(name, poll)| {
                let fields = [&poll.updated, &poll.created]
                    .into_iter()
                    .flatten()
                    .map(|d| d.field.as_str().to_owned())
                    .collect();
                (name.clone(), fields)
            })
            .collect();
        Ok(Self {
            api_base: setting(c, "base.url")
                .unwrap_or_else(|| DEFAULT_API_BASE.to_owned())
                .trim_end_matches('/')
                .to_owned(),
            token_url: setting(c, "oauth.token.url")
                .unwrap_or_else(|| DEFAULT_TOKEN_URL.to_owned()),
            client_id: required("oauth.api.key")?,
            client_secret: required("oauth.api.secret")?,
            subscription_key: setting(c, "apim.subscription.key"),
            business_id: setting(c, "business.id"),
            tokens: Mutex::new(tokens),
            sink,
            client,
            date_fields,
        })
    }

    /// A usable access token, refreshed first when it expires within the margin.
    async fn access_token(&self) -> Result<String, ConnectorError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.access_token.is_empty()
            || tokens.expires_at - Duration::seconds(REFRESH_MARGIN_SECS) <= Utc::now()
        {
            self.refresh_locked(&mut tokens).await?;
        }
        Ok(tokens.access_token.clone())
    }

    /// After a 401 with `used`: refresh, unless another page already did.
    async fn token_after_401(&self, used: &str) -> Result<String, ConnectorError> {
        let mut tokens = self.tokens.lock().await;
        if tokens.access_token == used {
            self.refresh_locked(&mut tokens).await?;
        }
        Ok(tokens.access_token.clone())
    }

    async fn refresh_locked(&self, tokens: &mut OAuthTokens) -> Result<(), ConnectorError> {
        let credentials = Credentials {
            token_url: &self.token_url,
            client_id: &self.client_id,
            client_secret: &self.client_secret,
        };
        let fresh = refresh(&self.client, &credentials, &tokens.refresh_token)
            .await
            .map_err(|e| match e {
                TokenError::Refused { .. } => ConnectorError::Unauthorized(format!(
                    "the refresh token was refused by {}: {e}; authorize the instance again",
                    self.token_url
                )),
                TokenError::Unreachable(m) => {
                    ConnectorError::Network(format!("token endpoint {}: {m}", self.token_url))
                }
                TokenError::Server { status, body } => ConnectorError::Server {
                    status,
                    message: format!("token endpoint: {body}"),
                },
                TokenError::Malformed(m) => ConnectorError::Server {
                    status: 502,
                    message: format!("token endpoint answered no tokens: {m}"),
                },
            })?;
        // The old refresh token is now dead: keep the new one even if saving it failed.
        if let Err(e) = self.sink.save(&fresh).await {
            tracing::error!(error = %e, "rotated Sage Accounting tokens could not be saved");
        }
        *tokens = fresh;
        Ok(())
    }

    async fn get(
        &self,
        vendor: &VendorRequest,
        page: u32,
        per_page: u32,
        token: &str,
    ) -> Result<Value, ConnectorError> {
        let mut request = self
            .client
            .get(format!("{}/{}", self.api_base, vendor.path))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/json")
            .query(&vendor.query)
            .query(&[("page", page), ("items_per_page", per_page)]);
        if let Some(key) = &self.subscription_key {
            request = request.header("Ocp-Apim-Subscription-Key", key);
        }
        if let Some(business) = &self.business_id {
            request = request.header("X-Business", business);
        }
        transport::json(transport::send(request).await?).await
    }
}

#[async_trait]
impl Connector for SageOneConnector {
    async fn fetch_page(&self, request: &PageRequest<'_>) -> Result<Page, ConnectorError> {
        let extra: Vec<&str> = self
            .date_fields
            .get(request.resource)
            .map(|f| f.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let vendor = vendor_request(request.url, &extra).map_err(|message| {
            ConnectorError::Configuration {
                field: format!(
                    "configuration.{POLLER_CONFIGURATION}.{}.url",
                    request.resource
                ),
                message,
            }
        })?;
        let page = match request.cursor {
            None => 1,
            Some(c) => c.parse::<u32>().map_err(|_| {
                ConnectorError::MalformedPage(format!("bad Sage Accounting cursor '{c}'"))
            })?,
        };
        let per_page = request.page_size.clamp(1, MAX_ITEMS_PER_PAGE);
        let token = self.access_token().await?;
        let mut body = match self.get(&vendor, page, per_page, &token).await {
            Err(ConnectorError::Unauthorized(_)) => {
                let token = self.token_after_401(&token).await?;
                self.get(&vendor, page, per_page, &token).await?
            }
            other => other?,
        };
        let records = match body.get_mut("$items").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(ConnectorError::MalformedPage(format!(
                    "a Sage Accounting list has an $items array; got {}",
                    transport::snippet(body.to_string().as_bytes())
                )))
            }
        };
        let next = match body.get("$next") {
            Some(Value::String(link)) if !link.is_empty() && !records.is_empty() => {
                Some(next_page(link, page))
            }
            _ => None,
        };
        Ok(Page {
            records,
            next: next.map(|p| p.to_string()),
        })
    }
}

/// The page number `$next` points at; the request is rebuilt from it rather than followed as
/// given, so filters and attributes are never lost if Sage's link omits them.
fn next_page(link: &str, current: u32) -> u32 {
    let query = link.split_once('?').map_or("", |(_, q)| q);
    split_query(query)
        .into_iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .filter(|p| *p > current)
        .unwrap_or(current + 1)
}

#[cfg(test)]
mod tests {
    use super::next_page;

    #[test]
    fn next_page_from_the_link() {
        assert_eq!(next_page("/contacts?page=3&items_per_page=25", 2), 3);
        assert_eq!(next_page("/contacts?items_per_page=25", 2), 3);
        assert_eq!(next_page("/contacts?page=1", 2), 3);
    }
}
