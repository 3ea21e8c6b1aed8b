//! Hub URL → Sage CRM REST (`sagecrm2`) request, and vendor record → hub record. Pure.

use serde_json::Value;

use crate::ceql::{CompareOp, Expr, Literal};
use crate::elements::hub_url::HubUrl;
use crate::elements::VendorRequest;

/// Hub resource → Sage CRM entity (the seed page's five resources).
pub const RESOURCES: &[(&str, &str)] = &[
    ("accounts", "company"),
    ("contacts", "person"),
    ("leads", "lead"),
    ("opportunities", "opportunity"),
    ("users", "user"),
];

/// The entity a hub resource reads; the entity names themselves are accepted too.
pub fn entity_for(resource: &str) -> Option<&'static str> {
    RESOURCES
        .iter()
        .find(|(hub, entity)| {
            hub.eq_ignore_ascii_case(resource) || entity.eq_ignore_ascii_case(resource)
        })
        .map(|(_, entity)| *entity)
}

/// Translates an expanded hub URL; paging (`startIndex`, `count`) is added per page.
pub fn vendor_request(url: &str) -> Result<VendorRequest, String> {
    let hub = HubUrl::parse(url)?;
    let entity = entity_for(&hub.resource).ok_or_else(|| {
        let known: Vec<&str> = RESOURCES.iter().map(|(h, _)| *h).collect();
        format!(
            "Sage CRM has no resource '{}' (known: {})",
            hub.resource,
            known.join(", ")
        )
    })?;
    let mut query = Vec::new();
    if let Some(filter) = hub.filter()? {
        query.push(("where".to_owned(), where_clause(&filter)?));
    }
    query.extend(
        hub.forwarded_params()
            .filter(|(k, _)| {
                !k.eq_ignore_ascii_case("startIndex") && !k.eq_ignore_ascii_case("count")
            })
            .cloned(),
    );
    Ok(VendorRequest {
        path: entity.to_owned(),
        query,
    })
}

/// CEQL → Sage CRM `where` (`Comp_UpdatedDate > 'X'` → `comp_updateddate gt 'X'`).
/// Field names go lower case, as Sage's own examples write them (CRM ignores their case).
pub fn where_clause(expr: &Expr) -> Result<String, String> {
    Ok(match expr {
        Expr::And(items) => join(items, "and")?,
        Expr::Or(items) => join(items, "or")?,
        Expr::Compare { field, op, value } => {
            format!(
                "{} {} {}",
                field.to_ascii_lowercase(),
                operator(*op),
                literal(field, value)?
            )
        }
        Expr::Like {
            field,
            pattern,
            negated: false,
        } => format!("{} like {}", field.to_ascii_lowercase(), quote(pattern)),
        Expr::Like {
            field,
            negated: true,
            ..
        } => {
            return Err(format!(
                "'{field} not like': Sage CRM's where has no negated like"
            ))
        }
        Expr::In {
            field,
            values,
            negated: false,
        } => {
            let list: Result<Vec<String>, String> =
                values.iter().map(|v| literal(field, v)).collect();
            format!("{} in ({})", field.to_ascii_lowercase(), list?.join(","))
        }
        Expr::In {
            field,
            values,
            negated: true,
        } => {
            // Sage CRM has no `not in`; the same test as a chain of `ne`.
            let parts: Result<Vec<String>, String> = values
                .iter()
                .map(|v| {
                    Ok(format!(
                        "{} ne {}",
                        field.to_ascii_lowercase(),
                        literal(field, v)?
                    ))
                })
                .collect();
            format!("({})", parts?.join(" and "))
        }
        Expr::IsNull { field, .. } => {
            return Err(format!(
                "'{field} is null': Sage CRM's where cannot test for null"
            ))
        }
    })
}

fn join(items: &[Expr], word: &str) -> Result<String, String> {
    let parts: Result<Vec<String>, String> = items
        .iter()
        .map(|item| {
            let text = where_clause(item)?;
            Ok(if matches!(item, Expr::And(_) | Expr::Or(_)) {
                format!("({text})")
            } else {
                text
            })
        })
        .collect();
    Ok(parts?.join(&format!(" {word} ")))
}

fn operator(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "eq",
        CompareOp::Ne => "ne",
        CompareOp::Gt => "gt",
        CompareOp::Ge => "ge",
        CompareOp::Lt => "lt",
        CompareOp::Le => "le",
    }
}

fn literal(field: &str, value: &Literal) -> Result<String, String> {
    match value {
        Literal::Str(s) => Ok(quote(s)),
        Literal::Number(n) => Ok(n.clone()),
        Literal::Bool(b) => Ok(b.to_string()),
        Literal::Null => Err(format!(
            "'{field}' compared with null: Sage CRM's where cannot test for null"
        )),
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A Sage CRM entry as hub consumers see it: every vendor field, plus `key` (from `$key`, what the
/// seed's `idField: key` reads) and `id` when the entry has none.
pub fn hub_record(mut record: Value) -> Value {
    if let Value::Object(map) = &mut record {
        if let Some(key) = map.get("$key").cloned() {
            if !map.contains_key("key") {
                map.insert("key".to_owned(), key.clone());
            }
            if !map.contains_key("id") {
                map.insert("id".to_owned(), key);
            }
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_five_seed_resources() {
        for (resource, field, entity) in [
            ("accounts", "Comp_UpdatedDate", "company"),
            ("contacts", "Pers_UpdatedDate", "person"),
            ("leads", "Lead_UpdatedDate", "lead"),
            ("opportunities", "Oppo_UpdatedDate", "opportunity"),
            ("users", "User_UpdatedDate", "user"),
        ] {
            let url = format!("/hubs/crm/{resource}?where={field}>'2024-05-01T10:20:30Z'");
            let req = vendor_request(&url).unwrap();
            assert_eq!(req.path, entity);
            assert_eq!(
                req.param("where").unwrap(),
                format!("{} gt '2024-05-01T10:20:30Z'", field.to_ascii_lowercase())
            );
        }
    }

    #[test]
    fn operators_and_grouping() {
        let req = vendor_request(
            "/hubs/crm/accounts?where=(a>=1 or b<='x') and c!='O''B' and d like 'A%' and e in ('1','2') and f not in (3)&orderBy=comp_name desc&pageSize=50",
        )
        .unwrap();
        assert_eq!(
            req.param("where").unwrap(),
            "(a ge 1 or b le 'x') and c ne 'O''B' and d like 'A%' and e in ('1','2') and (f ne 3)"
        );
        assert_eq!(req.param("orderBy"), Some("comp_name desc"));
        assert_eq!(req.param("pageSize"), None);
    }

    #[test]
    fn untranslatable_filters_say_why() {
        assert!(vendor_request("/hubs/crm/accounts?where=a is null")
            .unwrap_err()
            .contains("null"));
        assert!(vendor_request("/hubs/crm/accounts?where=a not like 'x'")
            .unwrap_err()
            .contains("negated like"));
        assert!(vendor_request("/hubs/crm/widgets")
            .unwrap_err()
            .contains("no resource 'widgets'"));
        assert!(vendor_request("/hubs/crm/accounts?where=a>")
            .unwrap_err()
            .contains("position"));
    }

    #[test]
    fn records_gain_key_and_id() {
        let r = hub_record(json!({"$key": "43", "comp_name": "Acme"}));
        assert_eq!(
            r,
            json!({"$key": "43", "key": "43", "id": "43", "comp_name": "Acme"})
        );
        let r = hub_record(json!({"$key": "43", "id": 7}));
        assert_eq!(r["id"], json!(7));
    }
}
