//! The generic connector over HTTP: page-number paging, or a next link when the body has one.

use async_trait::async_trait;
use serde_json::Value;

use super::translate::vendor_request_with;
use super::{DEFAULT_NEXT_PATHS, NEXT_PATH_KEY, PAGE_PARAM_KEY, RECORDS_PATH_KEY, SIZE_PARAM_KEY};
use crate::elements::config::{field, setting};
use crate::elements::records::{take_records, RecordsPath};
use crate::elements::transport;
use crate::id_field::IdField;
use crate::instance::{InstanceSpec, POLLER_CONFIGURATION};
use crate::ports::{Connector, ConnectorError, Page, PageRequest};

const PAGE_CURSOR: &str = "page:";
const LINK_CURSOR: &str = "link:";

/// Reads one instance's JSON REST API.
pub struct HttpConnector {
    base: url::Url,
    authorization: Option<String>,
    records: Option<RecordsPath>,
    /// `records.path.<resource>` overrides.
    resource_records: Vec<(String, RecordsPath)>,
    next_path: Option<IdField>,
    page_param: String,
    size_param: String,
    client: reqwest::Client,
}

impl HttpConnector {
    pub fn new(spec: &InstanceSpec, client: reqwest::Client) -> Result<Self, ConnectorError> {
        let c = &spec.configuration;
        let bad = |key: &str, message: String| ConnectorError::Configuration {
            field: field(key),
            message,
        };
        let raw_base = setting(c, "base.url")
            .ok_or_else(|| bad("base.url", "required for element 'http'".into()))?;
        let base = url::Url::parse(&raw_base)
            .map_err(|e| bad("base.url", format!("'{raw_base}' is not a URL: {e}")))?;
        let records = setting(c, RECORDS_PATH_KEY)
            .map(|p| RecordsPath::parse(&p).map_err(|e| bad(RECORDS_PATH_KEY, e)))
            .transpose()?;
        let mut resource_records = Vec::new();
        for name in spec.events.resources.keys() {
            let key = format!("{RECORDS_PATH_KEY}.{name}");
            if let Some(p) = setting(c, &key) {
                resource_records.push((
                    name.clone(),
                    RecordsPath::parse(&p).map_err(|e| bad(&key, e))?,
                ));
            }
        }
        let next_path = setting(c, NEXT_PATH_KEY)
            .map(|p| IdField::parse(&p).map_err(|e| bad(NEXT_PATH_KEY, e)))
            .transpose()?;
        Ok(Self {
            base,
            authorization: setting(c, "authorization.header"),
            records,
            resource_records,
            next_path,
            page_param: setting(c, PAGE_PARAM_KEY).unwrap_or_else(|| "page".into()),
            size_param: setting(c, SIZE_PARAM_KEY).unwrap_or_else(|| "pageSize".into()),
            client,
        })
    }

    fn records_path(&self, resource: &str) -> Option<&RecordsPath> {
        self.resource_records
            .iter()
            .find(|(name, _)| name == resource)
            .map(|(_, p)| p)
            .or(self.records.as_ref())
    }

    /// The link to the next page in `body`, if it names one.
    fn next_link(&self, body: &Value) -> Option<String> {
        let found = match &self.next_path {
            Some(path) => path.lookup(body),
            None => DEFAULT_NEXT_PATHS
                .iter()
                .filter_map(|p| IdField::parse(p).ok())
                .find_map(|p| p.lookup(body).filter(|v| v.is_string())),
        };
        found
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
    }

    /// Joins a resource path to `base.url` (keeping the base's own path prefix).
    fn resolve(&self, path: &str) -> Result<url::Url, String> {
        if path.starts_with("http://") || path.starts_with("https://") {
            return url::Url::parse(path).map_err(|e| e.to_string());
        }
        let joined = format!("{}{}", self.base.as_str().trim_end_matches('/'), path);
        url::Url::parse(&joined).map_err(|e| e.to_string())
    }
}

#[async_trait]
impl Connector for HttpConnector {
    async fn fetch_page(&self, request: &PageRequest<'_>) -> Result<Page, ConnectorError> {
        let config_error = |message: String| ConnectorError::Configuration {
            field: format!(
                "configuration.{POLLER_CONFIGURATION}.{}.url",
                request.resource
            ),
            message,
        };
        let (builder, page) = match request.cursor {
            Some(link) if link.starts_with(LINK_CURSOR) => {
                (self.client.get(&link[LINK_CURSOR.len()..]), None)
            }
            cursor => {
                let page = match cursor {
                    None => 1,
                    Some(c) => c
                        .strip_prefix(PAGE_CURSOR)
                        .and_then(|n| n.parse::<u64>().ok())
                        .ok_or_else(|| {
                            ConnectorError::MalformedPage(format!("bad cursor '{c}'"))
                        })?,
                };
                let vendor = vendor_request_with(
                    request.url,
                    &[self.page_param.as_str(), self.size_param.as_str()],
                )
                .map_err(config_error)?;
                let url = self.resolve(&vendor.path).map_err(config_error)?;
                let builder = self.client.get(url).query(&vendor.query).query(&[
                    (self.page_param.as_str(), page),
                    (self.size_param.as_str(), u64::from(request.page_size)),
                ]);
                (builder, Some(page))
            }
        };
        let builder = builder.header(reqwest::header::ACCEPT, "application/json");
        let builder = match &self.authorization {
            Some(value) => builder.header(reqwest::header::AUTHORIZATION, value),
            None => builder,
        };
        let response = transport::send(builder).await?;
        let current = response.url().clone();
        let mut body = transport::json(response).await?;
        let link = self.next_link(&body);
        let records = take_records(&mut body, self.records_path(request.resource))
            .map_err(ConnectorError::MalformedPage)?;
        let next = match link {
            Some(link) => {
                let target = current.join(&link).map_err(|e| {
                    ConnectorError::MalformedPage(format!("next link '{link}': {e}"))
                })?;
                if target.origin() != self.base.origin() && target.origin() != current.origin() {
                    return Err(ConnectorError::MalformedPage(format!(
                        "next link '{link}' leaves {}; refusing to send credentials there",
                        self.base.origin().ascii_serialization()
                    )));
                }
                (target != current && !records.is_empty()).then(|| format!("{LINK_CURSOR}{target}"))
            }
            None => page
                .filter(|_| records.len() as u64 >= u64::from(request.page_size.max(1)))
                .map(|p| format!("{PAGE_CURSOR}{}", p + 1)),
        };
        Ok(Page { records, next })
    }
}
