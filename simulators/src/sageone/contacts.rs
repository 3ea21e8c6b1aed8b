//! Sage Accounting contacts: the in-memory store (insertion order, so paging stays stable
//! while records change) and `GET /contacts` with its documented parameters and envelope.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::{OneState, DEFAULT_ITEMS_PER_PAGE, MAX_ITEMS_PER_PAGE};
use crate::core::random_hex;
use crate::dates::{format_instant, parse_instant};

/// Why an admin write was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    #[error("{0}")]
    Invalid(String),
    #[error("no contact with id {0}")]
    NotFound(String),
    #[error("a contact with id {0} already exists")]
    Exists(String),
}

/// Contacts in creation order, with an index by id and their dates parsed once (lists
/// filter every contact on every page, so parsing there would dominate).
#[derive(Debug, Default)]
pub(crate) struct Contacts {
    records: Vec<Map<String, Value>>,
    dates: Vec<Dates>,
    by_id: HashMap<String, usize>,
}

/// The parsed `created_at`, `updated_at` and `deleted_at` of one contact.
#[derive(Debug, Clone, Copy)]
struct Dates {
    created: Option<DateTime<Utc>>,
    updated: Option<DateTime<Utc>>,
    deleted: Option<DateTime<Utc>>,
}

impl Dates {
    fn of(record: &Map<String, Value>) -> Self {
        Self {
            created: date_of(record, "created_at"),
            updated: date_of(record, "updated_at"),
            deleted: date_of(record, "deleted_at"),
        }
    }
}

fn contact_type(id: &str) -> Value {
    let id = id.to_ascii_uppercase();
    let displayed = match id.as_str() {
        "CUSTOMER" => "Customer".to_owned(),
        "VENDOR" => "Supplier".to_owned(),
        other => other.to_owned(),
    };
    json!({"id": id, "displayed_as": displayed, "$path": format!("/contact_types/{id}")})
}

/// `contact_types` from strings or `{id}` objects, or `contact_type_ids` (Sage's POST shape).
fn normalise_types(record: &mut Map<String, Value>) -> Result<(), WriteError> {
    let given = record
        .remove("contact_type_ids")
        .or_else(|| record.remove("contact_types"));
    let Some(given) = given else { return Ok(()) };
    let Value::Array(items) = given else {
        return Err(WriteError::Invalid(
            "contact_types: expected an array".into(),
        ));
    };
    let mut types = Vec::with_capacity(items.len());
    for item in items {
        let id = match &item {
            Value::String(s) => s.as_str(),
            Value::Object(o) => o.get("id").and_then(Value::as_str).unwrap_or_default(),
            _ => "",
        };
        if id.is_empty() {
            return Err(WriteError::Invalid(
                "contact_types: each entry needs an id".into(),
            ));
        }
        types.push(contact_type(id));
    }
    record.insert("contact_types".into(), Value::Array(types));
    Ok(())
}

fn normalise_date(record: &mut Map<String, Value>, field: &str) -> Result<(), WriteError> {
    if let Some(Value::String(s)) = record.get(field) {
        let t = parse_instant(s).ok_or_else(|| {
            WriteError::Invalid(format!("{field}: '{s}' is not an RFC 3339 date"))
        })?;
        record.insert(field.into(), Value::String(format_instant(t)));
    } else if let Some(v) = record.get(field).filter(|v| !v.is_null()) {
        return Err(WriteError::Invalid(format!(
            "{field}: expected an RFC 3339 string, got {v}"
        )));
    }
    Ok(())
}

/// `Name (REFERENCE)` as Sage displays contacts.
fn displayed_as(record: &Map<String, Value>) -> Value {
    let name = record
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match record
        .get("reference")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
    {
        Some(reference) => Value::String(format!("{name} ({reference})")),
        None => Value::String(name.to_owned()),
    }
}

fn date_of(record: &Map<String, Value>, field: &str) -> Option<DateTime<Utc>> {
    record
        .get(field)
        .and_then(Value::as_str)
        .and_then(parse_instant)
}

impl Contacts {
    pub fn get(&self, id: &str) -> Option<&Map<String, Value>> {
        self.by_id.get(id).and_then(|&i| self.records.get(i))
    }

    /// Every contact in creation order, deleted ones included.
    pub fn all(&self) -> &[Map<String, Value>] {
        &self.records
    }

    fn with_dates(&self) -> impl Iterator<Item = (&Map<String, Value>, &Dates)> {
        self.records.iter().zip(&self.dates)
    }

    pub fn clear(&mut self) {
        self.records.clear();
        self.dates.clear();
        self.by_id.clear();
    }

    /// Creates a contact; id (32 hex), dates, `$path`, `displayed_as` and `contact_types`
    /// (CUSTOMER) are filled in unless given. A body with only `created_at` gets the same
    /// `updated_at`.
    pub fn create(
        &mut self,
        mut body: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Map<String, Value>, WriteError> {
        let id = match body.remove("id") {
            Some(Value::String(s))
                if !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                s
            }
            Some(Value::Null) | None => random_hex(16),
            Some(other) => {
                return Err(WriteError::Invalid(format!(
                    "id: expected a hex string, got {other}"
                )))
            }
        };
        if self.by_id.contains_key(&id) {
            return Err(WriteError::Exists(id));
        }
        normalise_types(&mut body)?;
        for field in ["created_at", "updated_at", "deleted_at"] {
            normalise_date(&mut body, field)?;
        }
        let now_text = Value::String(format_instant(now));
        let created = body
            .get("created_at")
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or(now_text);
        let updated = body
            .get("updated_at")
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or_else(|| created.clone());
        let count = self.records.len() + 1;
        let mut record = Map::new();
        record.insert("id".into(), Value::String(id.clone()));
        record.insert("$path".into(), Value::String(format!("/contacts/{id}")));
        record.insert("name".into(), Value::String(format!("Contact {count}")));
        record.insert("reference".into(), Value::Null);
        record.insert("email".into(), Value::Null);
        record.insert(
            "contact_types".into(),
            Value::Array(vec![contact_type("CUSTOMER")]),
        );
        record.insert("deleted_at".into(), Value::Null);
        record.extend(body);
        record.insert("created_at".into(), created);
        record.insert("updated_at".into(), updated);
        if !record.get("displayed_as").is_some_and(Value::is_string) {
            let displayed = displayed_as(&record);
            record.insert("displayed_as".into(), displayed);
        }
        self.by_id.insert(id, self.records.len());
        self.dates.push(Dates::of(&record));
        self.records.push(record.clone());
        Ok(record)
    }

    /// Merges `changes` and bumps `updated_at` to `now` unless `changes` sets it.
    pub fn patch(
        &mut self,
        id: &str,
        mut changes: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Map<String, Value>, WriteError> {
        if let Some(v) = changes.remove("id") {
            if v.as_str() != Some(id) {
                return Err(WriteError::Invalid("id cannot be changed".into()));
            }
        }
        normalise_types(&mut changes)?;
        for field in ["created_at", "updated_at", "deleted_at"] {
            normalise_date(&mut changes, field)?;
        }
        let index = *self
            .by_id
            .get(id)
            .ok_or_else(|| WriteError::NotFound(id.to_owned()))?;
        let record = self
            .records
            .get_mut(index)
            .ok_or_else(|| WriteError::NotFound(id.to_owned()))?;
        let renames = changes.contains_key("name") || changes.contains_key("reference");
        let sets_display = changes.contains_key("displayed_as");
        if !changes.contains_key("updated_at") {
            changes.insert("updated_at".into(), Value::String(format_instant(now)));
        }
        record.extend(changes);
        if renames && !sets_display {
            let displayed = displayed_as(record);
            record.insert("displayed_as".into(), displayed);
        }
        let record = record.clone();
        self.dates[index] = Dates::of(&record);
        Ok(record)
    }

    /// Sets `deleted_at` (the contact disappears from lists; `deleted_since` finds it).
    pub fn delete(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Map<String, Value>, WriteError> {
        let index = *self
            .by_id
            .get(id)
            .ok_or_else(|| WriteError::NotFound(id.to_owned()))?;
        let record = self
            .records
            .get_mut(index)
            .ok_or_else(|| WriteError::NotFound(id.to_owned()))?;
        record.insert("deleted_at".into(), Value::String(format_instant(now)));
        let record = record.clone();
        self.dates[index] = Dates::of(&record);
        Ok(record)
    }
}

/// Which fields the caller asked for with `attributes`.
enum Attributes {
    Basic,
    All,
    Some(Vec<String>),
}

impl Attributes {
    fn parse(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            None | Some("") => Attributes::Basic,
            Some(v) if v.eq_ignore_ascii_case("all") => Attributes::All,
            Some(v) => Attributes::Some(
                v.split(',')
                    .map(|a| a.trim().to_owned())
                    .filter(|a| !a.is_empty())
                    .collect(),
            ),
        }
    }

    /// `id`, `displayed_as` and `$path` always; further fields as asked (unknown ones ignored).
    fn project(&self, record: &Map<String, Value>) -> Value {
        if let Attributes::All = self {
            return Value::Object(record.clone());
        }
        let mut out = Map::new();
        for field in ["id", "displayed_as", "$path"] {
            if let Some(v) = record.get(field) {
                out.insert(field.into(), v.clone());
            }
        }
        if let Attributes::Some(fields) = self {
            for field in fields {
                if let Some(v) = record.get(field) {
                    out.insert(field.clone(), v.clone());
                }
            }
        }
        Value::Object(out)
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn since(params: &[(String, String)], name: &str) -> Result<Option<DateTime<Utc>>, String> {
    match param(params, name).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| format!("{name} must be an RFC 3339 date-time, got '{v}'")),
    }
}

fn positive(params: &[(String, String)], name: &str, default: usize) -> Result<usize, String> {
    match param(params, name).map(|v| v.trim().parse::<usize>()) {
        None => Ok(default),
        Some(Ok(n)) if n >= 1 => Ok(n),
        Some(_) => Err(format!("{name} must be a positive integer")),
    }
}

/// A relative link to `page` keeping every other parameter.
fn page_link(params: &[(String, String)], page: usize, per_page: usize) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("page", &page.to_string());
    query.append_pair("items_per_page", &per_page.to_string());
    for (k, v) in params
        .iter()
        .filter(|(k, _)| k != "page" && k != "items_per_page")
    {
        query.append_pair(k, v);
    }
    format!("/contacts?{}", query.finish())
}

/// `GET /contacts`.
pub(super) async fn list(
    State(state): State<Arc<OneState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let core = &state.core;
    let params: Vec<(String, String)> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let parsed = (|| -> Result<_, String> {
        Ok((
            since(&params, "updated_or_created_since")?,
            since(&params, "deleted_since")?,
            positive(&params, "items_per_page", DEFAULT_ITEMS_PER_PAGE)?.min(MAX_ITEMS_PER_PAGE),
            positive(&params, "page", 1)?,
        ))
    })();
    let (changed_since, deleted_since, per_page, page) = match parsed {
        Ok(p) => p,
        Err(message) => return core.error(StatusCode::BAD_REQUEST, "InvalidParameter", &message),
    };
    let attributes = Attributes::parse(param(&params, "attributes"));
    let contact_type = param(&params, "contact_type_id")
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let search = param(&params, "search")
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let email = param(&params, "email")
        .map(str::trim)
        .filter(|e| !e.is_empty());

    let contacts = state.contacts();
    let matches = |(r, dates): &(&Map<String, Value>, &Dates)| -> bool {
        let state_ok = match deleted_since {
            Some(d) => dates.deleted.is_some_and(|t| t > d),
            None => dates.deleted.is_none(),
        };
        // Inclusive, on either date.
        let changed_ok = changed_since.is_none_or(|since| {
            dates.updated.is_some_and(|t| t >= since) || dates.created.is_some_and(|t| t >= since)
        });
        let type_ok = contact_type.is_none_or(|want| {
            r.get("contact_types")
                .and_then(Value::as_array)
                .is_some_and(|types| {
                    types.iter().any(|t| {
                        t.get("id")
                            .and_then(Value::as_str)
                            .is_some_and(|id| id.eq_ignore_ascii_case(want))
                    })
                })
        });
        let text = |f: &str| {
            r.get(f)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase()
        };
        let search_ok = search.as_ref().is_none_or(|s| {
            ["name", "reference", "email", "displayed_as"]
                .iter()
                .any(|f| text(f).contains(s.as_str()))
        });
        let email_ok = email.is_none_or(|e| text("email") == e.to_lowercase());
        state_ok && changed_ok && type_ok && search_ok && email_ok
    };
    let matched: Vec<&Map<String, Value>> = contacts
        .with_dates()
        .filter(matches)
        .map(|(r, _)| r)
        .collect();
    let total = matched.len();
    let pages = total.div_ceil(per_page).max(1);
    let page = page.min(pages);
    let items: Vec<Value> = matched
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|r| attributes.project(r))
        .collect();
    let next = (page < pages).then(|| page_link(&params, page + 1, per_page));
    let back = (page > 1).then(|| page_link(&params, page - 1, per_page));
    Json(json!({
        "$total": total,
        "$page": page,
        "$next": next,
        "$back": back,
        "$itemsPerPage": per_page,
        "$items": items,
    }))
    .into_response()
}

/// `GET /contacts/{id}`: every attribute; deleted or unknown contacts are 404.
pub(super) async fn read(State(state): State<Arc<OneState>>, Path(id): Path<String>) -> Response {
    let contacts = state.contacts();
    match contacts.get(&id) {
        Some(record) if record.get("deleted_at").is_none_or(Value::is_null) => {
            Json(Value::Object(record.clone())).into_response()
        }
        _ => state.core.error(
            StatusCode::NOT_FOUND,
            "RecordNotFound",
            &format!("Contact '{id}' not found"),
        ),
    }
}
