//! Hub URL → generic request: the path as written and the query as given (`where` unchanged),
//! minus the page parameters the connector sets itself. Pure.

use crate::elements::hub_url::split_query;
use crate::elements::VendorRequest;

/// Translates a resource URL; `path` stays relative (joined to `base.url`) unless absolute.
pub fn vendor_request(url: &str) -> Result<VendorRequest, String> {
    vendor_request_with(url, &["page", "pageSize"])
}

/// As [`vendor_request`], dropping the named paging parameters.
pub fn vendor_request_with(url: &str, paging: &[&str]) -> Result<VendorRequest, String> {
    if !(url.starts_with('/') || url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!(
            "'{url}' must be a path starting with '/' or an http(s) URL"
        ));
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    Ok(VendorRequest {
        path: path.to_owned(),
        query: split_query(query)
            .into_iter()
            .filter(|(k, _)| !paging.contains(&k.as_str()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_the_path_and_where_through() {
        let req =
            vendor_request("/api/items?where=updated > '2024-05-01T10:20:30Z'&page=3&limit=5")
                .unwrap();
        assert_eq!(req.path, "/api/items");
        assert_eq!(req.param("where"), Some("updated > '2024-05-01T10:20:30Z'"));
        assert_eq!(req.param("page"), None);
        assert_eq!(req.param("limit"), Some("5"));
        assert!(vendor_request("api/items").is_err());
        assert_eq!(
            vendor_request("https://x.test/a").unwrap().path,
            "https://x.test/a"
        );
    }
}
