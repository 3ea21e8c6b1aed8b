//! The vendor-facing `sagecrm2` read API: collections with paging, filters and ordering, and
//! single records addressed as `company('43')`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Offset, Utc};
use serde_json::{json, Map, Value};

use super::date_style::DateStyle;
use super::entities::{self, parse_id, Entity};
use super::where_clause::{self, lookup, order_values, Expr, Literal, Op};
use super::{CrmState, DEFAULT_COUNT, MAX_COUNT};
use crate::dates::parse_instant;

/// `GET /sdata/{install}j/sagecrm2/-/{entity}` or `.../{entity}('{id}')`.
pub(super) async fn get_resource(
    State(state): State<Arc<CrmState>>,
    Path((install, resource)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let core = &state.core;
    if install.len() < 2 || !install.ends_with('j') {
        return core.error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!("Unknown install '{install}'"),
        );
    }
    let (name, selector) = match resource.split_once('(') {
        None => (resource.as_str(), None),
        Some((name, rest)) => match rest.strip_suffix(')') {
            Some(inner) => (name, Some(inner)),
            None => {
                return core.error(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    &format!("Malformed resource selector '{resource}'"),
                )
            }
        },
    };
    let Some(entity) = entities::find(name) else {
        return core.error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!("Unknown entity '{name}'"),
        );
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let base = format!("http://{host}/sdata/{install}/sagecrm2/-/{}", entity.name);
    match selector {
        Some(selector) => single(&state, entity, selector, &base),
        None => collection(&state, entity, query.as_deref().unwrap_or(""), &base),
    }
}

/// `$key`, `$title`, `$url`, then the record's fields, its dates written in `style`.
fn entry(
    entity: &Entity,
    id: i64,
    record: &Map<String, Value>,
    base: &str,
    style: DateStyle,
) -> Value {
    let mut out = Map::with_capacity(record.len() + 3);
    out.insert("$key".into(), Value::String(id.to_string()));
    out.insert("$title".into(), Value::String(entity.title(record, id)));
    out.insert("$url".into(), Value::String(format!("{base}('{id}')")));
    let restyle = style != DateStyle::default();
    for (k, v) in record {
        let value = match v {
            Value::String(text)
                if restyle && (k == entity.created_field || k == entity.updated_field) =>
            {
                parse_instant(text).map_or_else(|| v.clone(), |t| Value::String(style.format(t)))
            }
            _ => v.clone(),
        };
        out.insert(k.clone(), value);
    }
    Value::Object(out)
}

/// Reads the id out of `'43'`, `43` or `comp_companyid eq '43'`.
fn selector_id(entity: &Entity, selector: &str) -> Option<i64> {
    let selector = selector.trim();
    if let Some(quoted) = selector
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
    {
        return quoted.trim().parse().ok();
    }
    if let Ok(id) = selector.parse() {
        return Some(id);
    }
    match where_clause::parse(selector).ok()? {
        Expr::Compare {
            field,
            op: Op::Eq,
            value,
        } if field.eq_ignore_ascii_case(entity.id_field) => match value {
            Literal::Text { number, .. } => number.map(|n| n as i64),
            Literal::Number(n) => Some(n as i64),
            _ => None,
        },
        _ => None,
    }
}

fn single(state: &CrmState, entity: &Entity, selector: &str, base: &str) -> Response {
    let core = &state.core;
    let Some(id) = selector_id(entity, selector) else {
        return core.error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("Invalid key selector '({selector})'"),
        );
    };
    let mut store = state.store();
    match store.table(entity).records.get(&id) {
        Some(record) if !entity.is_deleted(record) => {
            Json(entry(entity, id, record, base, state.date_style())).into_response()
        }
        _ => core.error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!("No {} with key '{id}'", entity.name),
        ),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn collection(state: &CrmState, entity: &Entity, query: &str, base: &str) -> Response {
    let core = &state.core;
    let bad = |message: String| core.error(StatusCode::BAD_REQUEST, "BadRequest", &message);
    let style = state.date_style();
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let start_index = match param(&params, "startIndex").map(|s| s.trim().parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return bad("startIndex must be an integer of at least 1".into()),
    };
    let count = match param(&params, "count").map(|s| s.trim().parse::<usize>()) {
        None => DEFAULT_COUNT,
        Some(Ok(n)) => n.min(MAX_COUNT),
        Some(Err(_)) => return bad("count must be a non-negative integer".into()),
    };
    let filter = match param(&params, "where").filter(|w| !w.trim().is_empty()) {
        None => None,
        Some(w) => match where_clause::parse_in(w, style.zone().unwrap_or(Utc.fix())) {
            Ok(expr) => Some(expr),
            Err(e) => return bad(format!("Invalid where clause '{w}': {e}")),
        },
    };
    let order = match param(&params, "orderBy").filter(|o| !o.trim().is_empty()) {
        None => Vec::new(),
        Some(o) => match where_clause::parse_order_by(o) {
            Ok(keys) => keys,
            Err(e) => return bad(format!("Invalid orderBy '{o}': {e}")),
        },
    };

    let mut store = state.store();
    let table = store.table(entity);
    let named = filter
        .iter()
        .flat_map(Expr::fields)
        .chain(order.iter().map(|k| k.field.as_str()));
    for field in named {
        if !entity.knows_field(field, table) {
            return bad(format!(
                "Unknown field '{field}' for entity {}",
                entity.name
            ));
        }
    }
    let mut filter = filter;
    if let (Some(f), Some(sample)) = (filter.as_mut(), table.records.values().next()) {
        f.canonicalize_fields(&|name| {
            sample
                .keys()
                .find(|k| k.eq_ignore_ascii_case(name))
                .cloned()
        });
    }
    let mut matched: Vec<(&i64, &Map<String, Value>)> = table
        .records
        .iter()
        .filter(|(_, r)| !entity.is_deleted(r) && filter.as_ref().is_none_or(|f| f.matches(r)))
        .collect();
    if !order.is_empty() {
        matched.sort_by(|(_, a), (_, b)| {
            order
                .iter()
                .map(|key| {
                    let o = order_values(lookup(a, &key.field), lookup(b, &key.field));
                    if key.descending {
                        o.reverse()
                    } else {
                        o
                    }
                })
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    let total = matched.len();
    let resources: Vec<Value> = matched
        .iter()
        .skip(start_index - 1)
        .take(count)
        .map(|(id, r)| entry(entity, **id, r, base, style))
        .collect();
    Json(json!({
        "$totalResults": total,
        "$startIndex": start_index,
        "$itemsPerPage": count,
        "$resources": resources,
    }))
    .into_response()
}

/// Used by the admin routes to answer records in the same shape (without `$url`).
pub(super) fn admin_view(id: i64, record: &Map<String, Value>) -> Value {
    let mut out = Map::with_capacity(record.len() + 1);
    out.insert("$key".into(), Value::String(id.to_string()));
    for (k, v) in record {
        out.insert(k.clone(), v.clone());
    }
    Value::Object(out)
}

/// An id from an admin path segment.
pub(super) fn path_id(text: &str) -> Option<i64> {
    parse_id(&Value::String(text.to_owned()))
}
