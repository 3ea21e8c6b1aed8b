//! Sage CRM (REST `sagecrm2`): Basic auth, `where=` filters, `startIndex`/`count` paging.

pub mod translate;

#[cfg(feature = "elements")]
mod connector;

#[cfg(feature = "elements")]
pub use connector::SageCrmConnector;

/// The REST prefix after the host; the install name is fixed at `crm`, as in Open Connectors.
pub const REST_PREFIX: &str = "/sdata/crmj/sagecrm2/-";

/// The API base for a `base.url` override or a `subdomain`: an override that already holds
/// `/sdata/` is used as given, a bare `http://host:port` gets the REST prefix appended.
pub fn api_base(base_url: Option<&str>, subdomain: Option<&str>) -> Option<String> {
    match (base_url, subdomain) {
        (Some(base), _) => {
            let base = base.trim_end_matches('/');
            Some(if base.contains("/sdata/") {
                base.to_owned()
            } else {
                format!("{base}{REST_PREFIX}")
            })
        }
        (None, Some(host)) => Some(format!(
            "https://{}{REST_PREFIX}",
            host.trim_end_matches('/')
        )),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            api_base(None, Some("crm.example.com")).unwrap(),
            "https://crm.example.com/sdata/crmj/sagecrm2/-"
        );
        assert_eq!(
            api_base(Some("http://127.0.0.1:8080/"), Some("ignored")).unwrap(),
            "http://127.0.0.1:8080/sdata/crmj/sagecrm2/-"
        );
        assert_eq!(
            api_base(Some("http://127.0.0.1:8080/sdata/acmej/sagecrm2/-/"), None).unwrap(),
            "http://127.0.0.1:8080/sdata/acmej/sagecrm2/-"
        );
        assert_eq!(api_base(None, None), None);
    }
}
