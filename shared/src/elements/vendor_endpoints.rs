//! The vendor addresses an instance's connector calls, each with the configuration field it
//! comes from. A user chooses them (`base.url`, `subdomain`, `oauth.token.url`), so they get
//! the same address guard as callback URLs: otherwise an instance could make pollhook fetch
//! from loopback, the private network or a cloud metadata service and hand back what it read.

use crate::element::ElementKey;
use crate::instance::{InstanceSpec, POLLER_CONFIGURATION};

use super::config::setting;

/// One address a connector will call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorEndpoint {
    /// The field a user fixes it in, e.g. `configuration.base.url`.
    pub field: String,
    pub url: String,
}

fn endpoint(key: &str, url: String) -> VendorEndpoint {
    VendorEndpoint {
        field: format!("configuration.{key}"),
        url,
    }
}

/// The addresses `spec`'s connector calls: its API base, for OAuth elements the token
/// endpoint, and the origin of every resource polled by absolute URL. Defaults (the vendors'
/// public hosts) are included, so every call is covered.
pub fn vendor_endpoints(spec: &InstanceSpec) -> Vec<VendorEndpoint> {
    let mut endpoints = base_endpoints(spec);
    for (name, resource) in &spec.events.resources {
        if let Some(origin) = absolute_origin(resource.url.as_str()) {
            endpoints.push(VendorEndpoint {
                field: format!("configuration.{POLLER_CONFIGURATION}.{name}.url"),
                url: origin,
            });
        }
    }
    endpoints
}

/// `scheme://authority` of an absolute http(s) URL (a resource URL template may be one).
fn absolute_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    Some(format!("{scheme}://{authority}"))
}

fn base_endpoints(spec: &InstanceSpec) -> Vec<VendorEndpoint> {
    let c = &spec.configuration;
    match spec.element {
        ElementKey::SageCrm => {
            let key = if setting(c, "base.url").is_some() {
                "base.url"
            } else {
                "subdomain"
            };
            super::sagecrm::api_base(
                setting(c, "base.url").as_deref(),
                setting(c, "subdomain").as_deref(),
            )
            .map(|url| vec![endpoint(key, url)])
            .unwrap_or_default()
        }
        ElementKey::SageOne => vec![
            endpoint(
                "base.url",
                setting(c, "base.url").unwrap_or_else(|| super::sageone::DEFAULT_API_BASE.into()),
            ),
            endpoint(
                "oauth.token.url",
                setting(c, "oauth.token.url")
                    .unwrap_or_else(|| super::sageone::DEFAULT_TOKEN_URL.into()),
            ),
        ],
        ElementKey::Http => setting(c, "base.url")
            .map(|url| vec![endpoint("base.url", url)])
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(element: &str, configuration: serde_json::Value) -> InstanceSpec {
        let mut configuration = configuration;
        configuration["event.notification.enabled"] = json!(false);
        InstanceSpec::from_body(&json!({
            "element": {"key": element},
            "name": "n",
            "configuration": configuration,
            "providerData": {"code": "c"},
        }))
        .expect("valid body")
    }

    #[test]
    fn each_element_names_the_field_its_address_comes_from() {
        let crm = spec(
            "sagecrm",
            json!({"subdomain": "10.0.0.5", "username": "u", "password": "p"}),
        );
        assert_eq!(
            vendor_endpoints(&crm),
            [VendorEndpoint {
                field: "configuration.subdomain".into(),
                url: "https://10.0.0.5/sdata/crmj/sagecrm2/-".into()
            }]
        );
        let crm = spec(
            "sagecrm",
            json!({"subdomain": "crm.example.com", "base.url": "http://127.0.0.1:9101",
                   "username": "u", "password": "p"}),
        );
        assert_eq!(vendor_endpoints(&crm)[0].field, "configuration.base.url");
        let one = spec(
            "sageone",
            json!({"oauth.api.key": "k", "oauth.api.secret": "s",
                   "oauth.callback.url": "https://app.example.com/cb",
                   "oauth.token.url": "http://169.254.169.254/token"}),
        );
        let found = vendor_endpoints(&one);
        assert_eq!(found[0].url, super::super::sageone::DEFAULT_API_BASE);
        assert_eq!(found[1].field, "configuration.oauth.token.url");
        assert_eq!(found[1].url, "http://169.254.169.254/token");
    }

    #[test]
    fn a_resource_polled_by_absolute_url_adds_its_origin() {
        let http = spec(
            "http",
            json!({"base.url": "https://api.example.com",
            "event.poller.configuration": {
                "meta": {"url": "http://169.254.169.254/latest/meta-data?since=${gmtDate}"},
                "items": {"url": "/items"}
            }}),
        );
        let found = vendor_endpoints(&http);
        assert_eq!(
            found,
            [
                VendorEndpoint {
                    field: "configuration.base.url".into(),
                    url: "https://api.example.com".into()
                },
                VendorEndpoint {
                    field: "configuration.event.poller.configuration.meta.url".into(),
                    url: "http://169.254.169.254".into()
                },
            ]
        );
        assert_eq!(
            absolute_origin("HTTPS://[::1]:8443"),
            Some("HTTPS://[::1]:8443".into())
        );
        assert_eq!(absolute_origin("/hubs/crm/accounts"), None);
        assert_eq!(absolute_origin("ftp://10.0.0.1/x"), None);
    }
}
