//! Hub URL → Sage Business Cloud Accounting v3.1 request. Pure.
//!
//! The API filters only by a few query parameters, so a filter is accepted only when it is a
//! conjunction of what those can say; everything else is refused with the field at fault.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};

use crate::ceql::{CompareOp, Expr, Literal};
use crate::elements::hub_url::HubUrl;
use crate::elements::VendorRequest;

/// A hub resource and the v3.1 list endpoint it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceMapping {
    pub hub: &'static str,
    pub path: &'static str,
    /// `contact_type_id` the hub resource implies (customers and vendors are both contacts).
    pub contact_type: Option<&'static str>,
}

const fn map(
    hub: &'static str,
    path: &'static str,
    contact_type: Option<&'static str>,
) -> ResourceMapping {
    ResourceMapping {
        hub,
        path,
        contact_type,
    }
}

/// Hub resource → v3.1 endpoint. Hub names are matched ignoring case, `-` and `_`, so
/// `purchase-invoices`, `purchaseInvoices` and `purchase_invoices` are one resource.
pub const RESOURCES: &[ResourceMapping] = &[
    map("customers", "contacts", Some("CUSTOMER")),
    map("vendors", "contacts", Some("VENDOR")),
    map("suppliers", "contacts", Some("VENDOR")),
    map("contacts", "contacts", None),
    map("invoices", "sales_invoices", None),
    map("sales-invoices", "sales_invoices", None),
    map("credit-notes", "sales_credit_notes", None),
    map("sales-credit-notes", "sales_credit_notes", None),
    map("sales-quotes", "sales_quotes", None),
    map("quotes", "sales_quotes", None),
    map("payments", "contact_payments", None),
    map("contact-payments", "contact_payments", None),
    map("contact-allocations", "contact_allocations", None),
    map("products", "products", None),
    map("services", "services", None),
    map("purchase-invoices", "purchase_invoices", None),
    map("purchase-credit-notes", "purchase_credit_notes", None),
    map("sales-quick-entries", "sales_quick_entries", None),
    map("purchase-quick-entries", "purchase_quick_entries", None),
    map("ledger-accounts", "ledger_accounts", None),
    map("bank-accounts", "bank_accounts", None),
];

/// Fields whose lower bound becomes `updated_or_created_since` (compared ignoring case).
pub const UPDATED_SINCE_FIELDS: &[&str] = &[
    "lastModifiedDate",
    "updated_at",
    "updatedDate",
    "modifiedDate",
    "updated_or_created_since",
];

/// Fields an equality passes straight through as a query parameter of the same name.
pub const EQUALITY_PARAMS: &[&str] = &[
    "search",
    "email",
    "contact_type_id",
    "status_id",
    "from_date",
    "to_date",
];

/// Attributes the poller always needs to classify records.
pub const REQUIRED_ATTRIBUTES: &[&str] = &["created_at", "updated_at"];

/// The endpoint of a hub resource, if known. A hub name wins over an endpoint name, so
/// `contacts` reads every contact rather than the first resource on `/contacts` (`customers`).
pub fn resource(hub_resource: &str) -> Option<ResourceMapping> {
    let wanted = normalise(hub_resource);
    let find = |name: fn(&ResourceMapping) -> &'static str| {
        RESOURCES
            .iter()
            .copied()
            .find(|r| normalise(name(r)) == wanted)
    };
    find(|r| r.hub).or_else(|| find(|r| r.path))
}

fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Translates an expanded hub URL. `extra_attributes` are the resource's configured date fields,
/// requested along with [`REQUIRED_ATTRIBUTES`]; paging is added per page.
pub fn vendor_request(url: &str, extra_attributes: &[&str]) -> Result<VendorRequest, String> {
    let hub = HubUrl::parse(url)?;
    let mapping = resource(&hub.resource).ok_or_else(|| {
        let known: Vec<&str> = RESOURCES.iter().map(|r| r.hub).collect();
        format!(
            "Sage Accounting has no resource '{}' (known: {})",
            hub.resource,
            known.join(", ")
        )
    })?;
    let mut filters = Filters::default();
    if let Some(contact_type) = mapping.contact_type {
        filters
            .params
            .push(("contact_type_id".into(), contact_type.into()));
    }
    if let Some(expr) = hub.filter()? {
        for conjunct in expr.conjuncts() {
            filters.add(conjunct, mapping)?;
        }
    }
    let mut query = Vec::new();
    if let Some(since) = filters.since {
        query.push((
            "updated_or_created_since".to_owned(),
            since.to_rfc3339_opts(SecondsFormat::Secs, true),
        ));
    }
    query.append(&mut filters.params);
    for (key, value) in hub.forwarded_params() {
        if key == "attributes" {
            filters.attributes.extend(split_list(value));
        } else if key != "items_per_page" {
            query.push((key.clone(), value.clone()));
        }
    }
    query.push((
        "attributes".to_owned(),
        attributes(filters.attributes, extra_attributes),
    ));
    Ok(VendorRequest {
        path: mapping.path.to_owned(),
        query,
    })
}

#[derive(Default)]
struct Filters {
    since: Option<DateTime<Utc>>,
    attributes: Vec<String>,
    params: Vec<(String, String)>,
}

impl Filters {
    fn add(&mut self, expr: &Expr, mapping: ResourceMapping) -> Result<(), String> {
        let Some(field) = expr.field() else {
            return Err(format!(
                "'{expr}': Sage Accounting's API cannot express 'or'; only conditions joined by 'and'"
            ));
        };
        let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(field));
        match expr {
            Expr::Compare {
                op: CompareOp::Gt | CompareOp::Ge,
                value,
                ..
            } if is(UPDATED_SINCE_FIELDS) => {
                let since = date(field, value)?;
                self.since = Some(self.since.map_or(since, |s| s.max(since)));
                Ok(())
            }
            Expr::Compare { op, .. } if is(UPDATED_SINCE_FIELDS) => Err(format!(
                "'{field} {op}': Sage Accounting can only filter '{field}' from a lower bound (> or >=), via updated_or_created_since"
            )),
            Expr::Compare {
                op: CompareOp::Eq,
                value: Literal::Str(list),
                ..
            } if field.eq_ignore_ascii_case("attributes") => {
                self.attributes.extend(split_list(list));
                Ok(())
            }
            Expr::Compare {
                op: CompareOp::Eq,
                value,
                ..
            } if is(EQUALITY_PARAMS) => {
                let text = match value {
                    Literal::Str(s) | Literal::Number(s) => s.clone(),
                    Literal::Bool(b) => b.to_string(),
                    Literal::Null => return Err(format!("'{field} = null': Sage Accounting cannot filter on null")),
                };
                let key = field.to_ascii_lowercase();
                if key == "contact_type_id" && mapping.contact_type.is_some_and(|t| !t.eq_ignore_ascii_case(&text)) {
                    return Err(format!(
                        "'{field} = {text}' contradicts resource '{}', which reads contact_type_id={}",
                        mapping.hub,
                        mapping.contact_type.unwrap_or_default()
                    ));
                }
                self.params.retain(|(k, _)| *k != key);
                self.params.push((key, text));
                Ok(())
            }
            other => Err(format!(
                "'{other}': Sage Accounting's API cannot filter on '{field}' this way; it accepts lastModifiedDate >= '<date>', attributes = 'a,b' and equality on {}",
                EQUALITY_PARAMS.join(", ")
            )),
        }
    }
}

/// The instant of a date literal: RFC 3339, or a bare date-time / date read as UTC.
fn date(field: &str, value: &Literal) -> Result<DateTime<Utc>, String> {
    let Literal::Str(text) = value else {
        return Err(format!(
            "'{field}' must be compared with a quoted date such as '2024-05-01T10:20:30Z'"
        ));
    };
    let text = text.trim();
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|d| d.and_utc())
        })
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        })
        .map_err(|_| {
            format!("'{field}': '{text}' is not an RFC 3339 date such as 2024-05-01T10:20:30Z")
        })
}

fn split_list(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The `attributes` value: what was asked for plus what the poller needs, each once, or `all`.
fn attributes(mut asked: Vec<String>, extra: &[&str]) -> String {
    if asked.iter().any(|a| a.eq_ignore_ascii_case("all")) {
        return "all".to_owned();
    }
    let needed = REQUIRED_ATTRIBUTES
        .iter()
        .chain(extra)
        .map(|a| top_level(a));
    for attribute in needed {
        if !attribute.is_empty() && !asked.iter().any(|a| a == attribute) {
            asked.push(attribute.to_owned());
        }
    }
    asked.join(",")
}

/// The top-level attribute a date-field path reads (`updated_at` of `updated_at`, `a` of `a.b`).
fn top_level(path: &str) -> &str {
    let path = path.strip_prefix("$.").unwrap_or(path);
    path.split(['.', '[']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "/hubs/finance/customers?where=lastModifiedDate>='2024-05-01T10:20:30Z' and attributes='created_at,updated_at";

    #[test]
    fn the_seed_customers_url() {
        let req = vendor_request(SEED, &["updated_at", "created_at"]).unwrap();
        assert_eq!(req.path, "contacts");
        assert_eq!(
            req.query,
            vec![
                (
                    "updated_or_created_since".to_owned(),
                    "2024-05-01T10:20:30Z".to_owned()
                ),
                ("contact_type_id".to_owned(), "CUSTOMER".to_owned()),
                ("attributes".to_owned(), "created_at,updated_at".to_owned()),
            ]
        );
    }

    #[test]
    fn resources_map_to_endpoints() {
        for (hub, path, kind) in [
            ("vendors", "contacts", Some("VENDOR")),
            ("invoices", "sales_invoices", None),
            ("payments", "contact_payments", None),
            ("products", "products", None),
            ("purchase-invoices", "purchase_invoices", None),
            ("purchaseInvoices", "purchase_invoices", None),
            ("contacts", "contacts", None),
            ("customers", "contacts", Some("CUSTOMER")),
            ("sales_invoices", "sales_invoices", None),
        ] {
            let req = vendor_request(&format!("/hubs/finance/{hub}"), &[]).unwrap();
            assert_eq!(req.path, path, "{hub}");
            assert_eq!(req.param("contact_type_id"), kind, "{hub}");
            assert_eq!(
                req.param("attributes"),
                Some("created_at,updated_at"),
                "{hub}"
            );
        }
    }

    #[test]
    fn attributes_always_hold_the_date_fields() {
        let req = vendor_request(
            "/hubs/finance/customers?where=attributes='name'",
            &["modified_on"],
        )
        .unwrap();
        assert_eq!(
            req.param("attributes"),
            Some("name,created_at,updated_at,modified_on")
        );
        let req = vendor_request("/hubs/finance/customers?attributes=all", &[]).unwrap();
        assert_eq!(req.param("attributes"), Some("all"));
    }

    #[test]
    fn dates_are_normalised_to_utc() {
        let req = vendor_request(
            "/hubs/finance/invoices?where=updated_at > '2024-05-01T12:20:30+02:00'",
            &[],
        )
        .unwrap();
        assert_eq!(
            req.param("updated_or_created_since"),
            Some("2024-05-01T10:20:30Z")
        );
        let req = vendor_request(
            "/hubs/finance/invoices?where=lastModifiedDate >= '2024-05-01'",
            &[],
        )
        .unwrap();
        assert_eq!(
            req.param("updated_or_created_since"),
            Some("2024-05-01T00:00:00Z")
        );
    }

    #[test]
    fn untranslatable_filters_name_the_field() {
        for (where_, want) in [
            ("name = 'Acme'", "cannot filter on 'name'"),
            (
                "lastModifiedDate < '2024-05-01T00:00:00Z'",
                "only filter 'lastModifiedDate' from a lower bound",
            ),
            ("a = 1 or b = 2", "cannot express 'or'"),
            ("lastModifiedDate >= 'yesterday'", "not an RFC 3339 date"),
            (
                "contact_type_id = 'VENDOR'",
                "contradicts resource 'customers'",
            ),
        ] {
            let err = vendor_request(&format!("/hubs/finance/customers?where={where_}"), &[])
                .expect_err(where_);
            assert!(err.contains(want), "{where_}: {err}");
        }
        assert!(vendor_request("/hubs/finance/widgets", &[])
            .unwrap_err()
            .contains("no resource 'widgets'"));
    }
}
