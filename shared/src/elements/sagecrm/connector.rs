//! The Sage CRM connector over HTTP: one `GET {base}/{entity}?where=&startIndex=&count=` per page.

use async_trait::async_trait;
use serde_json::Value;

use super::translate::{hub_record, vendor_request};
use crate::elements::config::{field, setting};
use crate::elements::transport;
use crate::instance::{InstanceSpec, POLLER_CONFIGURATION};
use crate::ports::{Connector, ConnectorError, Page, PageRequest};

/// Reads one instance's Sage CRM.
pub struct SageCrmConnector {
    base: String,
    username: String,
    password: String,
    client: reqwest::Client,
}

impl SageCrmConnector {
    pub fn new(spec: &InstanceSpec, client: reqwest::Client) -> Result<Self, ConnectorError> {
        let c = &spec.configuration;
        let missing = |key: &str| ConnectorError::Configuration {
            field: field(key),
            message: "required for element 'sagecrm'".into(),
        };
        let base = super::api_base(
            setting(c, "base.url").as_deref(),
            setting(c, "subdomain").as_deref(),
        )
        .ok_or_else(|| missing("subdomain"))?;
        Ok(Self {
            base,
            username: setting(c, "username").ok_or_else(|| missing("username"))?,
            password: setting(c, "password").ok_or_else(|| missing("password"))?,
            client,
        })
    }
}

#[async_trait]
impl Connector for SageCrmConnector {
    async fn fetch_page(&self, request: &PageRequest<'_>) -> Result<Page, ConnectorError> {
        let vendor =
            vendor_request(request.url).map_err(|message| ConnectorError::Configuration {
                field: format!(
                    "configuration.{POLLER_CONFIGURATION}.{}.url",
                    request.resource
                ),
                message,
            })?;
        let start = match request.cursor {
            None => 1,
            Some(c) => c
                .parse::<u64>()
                .map_err(|_| ConnectorError::MalformedPage(format!("bad Sage CRM cursor '{c}'")))?,
        };
        let count = request.page_size.max(1);
        let url = format!("{}/{}", self.base, vendor.path);
        let response = transport::send(
            self.client
                .get(url)
                .basic_auth(&self.username, Some(&self.password))
                .query(&vendor.query)
                .query(&[
                    ("startIndex", start.to_string()),
                    ("count", count.to_string()),
                ]),
        )
        .await?;
        let mut body = transport::json(response).await?;
        let total = body.get("$totalResults").and_then(Value::as_u64);
        let records = match body.get_mut("$resources").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(ConnectorError::MalformedPage(format!(
                    "a Sage CRM feed has a $resources array; got {}",
                    transport::snippet(body.to_string().as_bytes())
                )))
            }
        };
        let read = records.len() as u64;
        let more = match total {
            Some(total) => read > 0 && start + read - 1 < total,
            None => read >= u64::from(count),
        };
        Ok(Page {
            records: records.into_iter().map(hub_record).collect(),
            next: more.then(|| (start + read).to_string()),
        })
    }
}
