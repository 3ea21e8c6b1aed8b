//! Sage CRM admin routes: create, change, delete and list records of an entity, and reset.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value};

use super::api::{admin_view, path_id};
use super::date_style::DateStyle;
use super::entities::{self, Entity, WriteError};
use super::CrmState;
use crate::admin::{bad_request, not_found, parse_json};

pub(super) fn routes(state: Arc<CrmState>) -> Router {
    Router::new()
        .route("/_sim/reset", post(reset))
        .route("/_sim/config", get(get_config).post(set_config))
        .route("/_sim/{entity}", get(list).post(create))
        .route("/_sim/{entity}/{id}", get(read).patch(patch).delete(delete))
        .with_state(state)
}

fn entity_or_404(name: &str) -> Result<&'static Entity, Box<Response>> {
    entities::find(name).ok_or_else(|| {
        Box::new(not_found(format!(
            "unknown entity '{name}' (company, person, lead, opportunity, user)"
        )))
    })
}

fn write_error(e: WriteError) -> Response {
    match e {
        WriteError::Invalid(m) => bad_request(m),
        WriteError::NotFound(..) => not_found(e.to_string()),
        WriteError::Exists(..) => (
            StatusCode::CONFLICT,
            Json(serde_json::json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

/// Clears all records, pending faults and the request log (the clock is kept).
async fn reset(State(state): State<Arc<CrmState>>) -> StatusCode {
    state.store().clear();
    state.core.faults.clear();
    state.core.log.clear();
    StatusCode::NO_CONTENT
}

async fn get_config(State(state): State<Arc<CrmState>>) -> Json<DateStyle> {
    Json(state.date_style())
}

/// Sets how dates are written and how zone-less filter dates are read, e.g.
/// `{"utc_offset_minutes": 120, "date_suffix": "offset"}`; `{}` restores UTC with `Z`.
async fn set_config(State(state): State<Arc<CrmState>>, body: Bytes) -> Response {
    let style: DateStyle = match parse_json(&body) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if style.zone().is_none() {
        return bad_request("utc_offset_minutes must be between -840 and 840");
    }
    state.set_date_style(style);
    Json(style).into_response()
}

/// Every record of the entity, deleted ones included, in id order.
async fn list(State(state): State<Arc<CrmState>>, Path(entity): Path<String>) -> Response {
    let entity = match entity_or_404(&entity) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let mut store = state.store();
    let records: Vec<Value> = store
        .table(entity)
        .records
        .iter()
        .map(|(id, r)| admin_view(*id, r))
        .collect();
    Json(records).into_response()
}

/// Creates one record from a JSON object, or several from an array of objects (for benches).
async fn create(
    State(state): State<Arc<CrmState>>,
    Path(entity): Path<String>,
    body: Bytes,
) -> Response {
    let entity = match entity_or_404(&entity) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let body: Value = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let (objects, many) = match body {
        Value::Object(map) => (vec![map], false),
        Value::Array(items) => {
            let mut maps = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Value::Object(map) => maps.push(map),
                    _ => return bad_request("every array element must be a JSON object"),
                }
            }
            (maps, true)
        }
        _ => return bad_request("expected a JSON object (or an array of objects)"),
    };
    let now = state.core.clock.now();
    let mut store = state.store();
    let table = store.table(entity);
    let mut created = Vec::with_capacity(objects.len());
    for object in objects {
        match table.create(entity, object, now) {
            Ok((id, record)) => created.push(admin_view(id, &record)),
            Err(e) => return write_error(e),
        }
    }
    let body = if many {
        Value::Array(created)
    } else {
        created.pop().unwrap_or(Value::Null)
    };
    (StatusCode::CREATED, Json(body)).into_response()
}

fn target(entity: &str, id: &str) -> Result<(&'static Entity, i64), Box<Response>> {
    let entity = entity_or_404(entity)?;
    let id =
        path_id(id).ok_or_else(|| Box::new(bad_request(format!("'{id}' is not a record id"))))?;
    Ok((entity, id))
}

async fn read(
    State(state): State<Arc<CrmState>>,
    Path((entity, id)): Path<(String, String)>,
) -> Response {
    let (entity, id) = match target(&entity, &id) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let mut store = state.store();
    match store.table(entity).records.get(&id) {
        Some(record) => Json(admin_view(id, record)).into_response(),
        None => not_found(format!("no {} with id {id}", entity.name)),
    }
}

async fn patch(
    State(state): State<Arc<CrmState>>,
    Path((entity, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (entity, id) = match target(&entity, &id) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let changes: Map<String, Value> = match parse_json(&body) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let now = state.core.clock.now();
    let result = state.store().table(entity).patch(entity, id, changes, now);
    match result {
        Ok(record) => Json(admin_view(id, &record)).into_response(),
        Err(e) => write_error(e),
    }
}

async fn delete(
    State(state): State<Arc<CrmState>>,
    Path((entity, id)): Path<(String, String)>,
) -> Response {
    let (entity, id) = match target(&entity, &id) {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let now = state.core.clock.now();
    let result = state.store().table(entity).delete(entity, id, now);
    match result {
        Ok(record) => Json(admin_view(id, &record)).into_response(),
        Err(e) => write_error(e),
    }
}
