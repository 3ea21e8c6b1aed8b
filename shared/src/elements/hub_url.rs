//! Splits an expanded hub URL (`/hubs/crm/accounts?where=...&x=y`) into hub, resource and query.
//!
//! Query values are percent-decoded but `+` is kept as written: an expanded date such as
//! `2024-05-01T10:20:30+02:00` often reaches us unencoded, and reading `+` as a space would
//! corrupt it.

use percent_encoding::percent_decode_str;

use crate::ceql::{self, Expr};

/// Hub paging parameters: the poller drives paging, so these are never forwarded to vendors.
pub const HUB_PAGING_PARAMS: &[&str] = &["page", "pageSize", "nextPage"];

/// A hub URL taken apart.
#[derive(Debug, Clone, PartialEq)]
pub struct HubUrl {
    /// The hub name (`crm`, `finance`), as written.
    pub hub: String,
    /// The resource path after the hub (`accounts`), without slashes at either end.
    pub resource: String,
    /// Decoded query parameters except `where`, in their order.
    pub params: Vec<(String, String)>,
    /// The decoded `where=` value, if any.
    pub where_clause: Option<String>,
}

impl HubUrl {
    /// Parses `/hubs/<hub>/<resource>[?query]`.
    pub fn parse(url: &str) -> Result<Self, String> {
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let path = decode(path);
        let rest = path.strip_prefix("/hubs/").ok_or_else(|| {
            format!("'{path}' must start with /hubs/<hub>/<resource>, e.g. /hubs/crm/accounts")
        })?;
        let (hub, resource) = rest.split_once('/').ok_or_else(|| {
            format!("'{path}' names no resource after the hub, e.g. /hubs/crm/accounts")
        })?;
        let resource = resource.trim_matches('/');
        if hub.is_empty() || resource.is_empty() {
            return Err(format!(
                "'{path}' must be /hubs/<hub>/<resource>, e.g. /hubs/crm/accounts"
            ));
        }
        let mut params = Vec::new();
        let mut where_clause = None;
        for (key, value) in split_query(query) {
            if key == "where" {
                where_clause = Some(value);
            } else {
                params.push((key, value));
            }
        }
        Ok(Self {
            hub: hub.to_owned(),
            resource: resource.to_owned(),
            params,
            where_clause,
        })
    }

    /// The `where=` clause parsed as CEQL; None without one (or an empty one).
    pub fn filter(&self) -> Result<Option<Expr>, String> {
        match self.where_clause.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(clause) => ceql::parse(clause)
                .map(Some)
                .map_err(|e| format!("where={clause}: {e}")),
        }
    }

    /// The parameters to forward to a vendor: all but the hub's own paging ones.
    pub fn forwarded_params(&self) -> impl Iterator<Item = &(String, String)> {
        self.params
            .iter()
            .filter(|(k, _)| !HUB_PAGING_PARAMS.contains(&k.as_str()))
    }
}

/// Percent-decodes, keeping `+` and invalid UTF-8 sequences (replaced) rather than failing.
pub fn decode(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

/// Splits a query on `&`, except inside a quoted `where` value (`name='A&B'`); a quote that is
/// never closed runs to the end, as CEQL reads it.
pub fn split_query(query: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut pending: Option<String> = None;
    for piece in query.split('&') {
        let raw = match pending.take() {
            Some(mut open) => {
                open.push('&');
                open.push_str(piece);
                open
            }
            None => piece.to_owned(),
        };
        let (key, value) = raw.split_once('=').unwrap_or((raw.as_str(), ""));
        let key = decode(key);
        if key == "where" && decode(value).matches('\'').count() % 2 == 1 {
            pending = Some(raw);
            continue;
        }
        if !key.is_empty() {
            pairs.push((key, decode(value)));
        }
    }
    if let Some(raw) = pending {
        let (key, value) = raw.split_once('=').unwrap_or((raw.as_str(), ""));
        pairs.push((decode(key), decode(value)));
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_seed_urls() {
        let u = HubUrl::parse("/hubs/crm/accounts?where=Comp_UpdatedDate>'2024-05-01T10:20:30Z'")
            .unwrap();
        assert_eq!((u.hub.as_str(), u.resource.as_str()), ("crm", "accounts"));
        assert_eq!(
            u.where_clause.as_deref(),
            Some("Comp_UpdatedDate>'2024-05-01T10:20:30Z'")
        );
        assert!(u.params.is_empty());

        let u = HubUrl::parse(
            "/hubs/finance/customers?where=lastModifiedDate>='2024-05-01T10:20:30Z' and attributes='created_at,updated_at",
        )
        .unwrap();
        assert_eq!(u.resource, "customers");
        assert!(u.filter().unwrap().is_some());
    }

    #[test]
    fn decodes_percent_but_keeps_plus() {
        let u = HubUrl::parse(
            "/hubs/crm/accounts?where=a%20%3E%20'2024-05-01T10:20:30+02:00'&orderBy=x",
        )
        .unwrap();
        assert_eq!(
            u.where_clause.as_deref(),
            Some("a > '2024-05-01T10:20:30+02:00'")
        );
        assert_eq!(u.params, vec![("orderBy".to_owned(), "x".to_owned())]);
    }

    #[test]
    fn ampersand_inside_a_quoted_where_value() {
        let u = HubUrl::parse("/hubs/crm/accounts?where=name='A&B'&pageSize=5").unwrap();
        assert_eq!(u.where_clause.as_deref(), Some("name='A&B'"));
        assert_eq!(u.forwarded_params().count(), 0);
    }

    #[test]
    fn refuses_non_hub_paths() {
        assert!(HubUrl::parse("/accounts")
            .unwrap_err()
            .contains("must start with /hubs/"));
        assert!(HubUrl::parse("/hubs/crm")
            .unwrap_err()
            .contains("names no resource"));
        assert!(HubUrl::parse("/hubs/crm/").is_err());
    }
}
