//! Sage Accounting admin routes: contacts (create, change, delete, list), OAuth codes and
//! tokens for scripts, and reset.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::contacts::WriteError;
use super::OneState;
use crate::admin::{bad_request, not_found, parse_json};

pub(super) fn routes(state: Arc<OneState>) -> Router {
    Router::new()
        .route("/_sim/reset", post(reset))
        .route("/_sim/oauth/codes", post(issue_code))
        .route("/_sim/oauth/tokens", post(issue_tokens))
        .route("/_sim/contacts", get(list).post(create))
        .route("/_sim/contacts/{id}", get(read).patch(patch).delete(delete))
        .with_state(state)
}

fn write_error(e: WriteError) -> Response {
    match e {
        WriteError::Invalid(m) => bad_request(m),
        WriteError::NotFound(_) => not_found(e.to_string()),
        WriteError::Exists(_) => {
            (StatusCode::CONFLICT, Json(json!({"error": e.to_string()}))).into_response()
        }
    }
}

/// Clears contacts, pending faults and the request log (clock and tokens are kept, so a
/// connected client stays connected).
async fn reset(State(state): State<Arc<OneState>>) -> StatusCode {
    state.contacts().clear();
    state.core.faults.clear();
    state.core.log.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeRequest {
    redirect_uri: Option<String>,
}

/// `POST /_sim/oauth/codes` → `{"code": ...}`: what the consent screen would have issued.
async fn issue_code(State(state): State<Arc<OneState>>, body: Bytes) -> Response {
    let request: CodeRequest = match parse_json(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let now = state.core.clock.now();
    let code = state.oauth().issue_code(request.redirect_uri, now);
    Json(json!({"code": code})).into_response()
}

/// `POST /_sim/oauth/tokens`: a fresh token pair without the code dance (test shortcut).
async fn issue_tokens(State(state): State<Arc<OneState>>) -> Response {
    let now = state.core.clock.now();
    let tokens = state.oauth().issue_tokens(now);
    Json(tokens).into_response()
}

async fn list(State(state): State<Arc<OneState>>) -> Response {
    let contacts = state.contacts();
    Json(contacts.all()).into_response()
}

/// Creates one contact from a JSON object, or several from an array of objects.
async fn create(State(state): State<Arc<OneState>>, body: Bytes) -> Response {
    let body: Value = match parse_json(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let (objects, many): (Vec<Map<String, Value>>, bool) = match body {
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
    let mut contacts = state.contacts();
    let mut created = Vec::with_capacity(objects.len());
    for object in objects {
        match contacts.create(object, now) {
            Ok(record) => created.push(Value::Object(record)),
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

async fn read(State(state): State<Arc<OneState>>, Path(id): Path<String>) -> Response {
    match state.contacts().get(&id) {
        Some(record) => Json(record.clone()).into_response(),
        None => not_found(format!("no contact with id {id}")),
    }
}

async fn patch(
    State(state): State<Arc<OneState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let changes: Map<String, Value> = match parse_json(&body) {
        Ok(c) => c,
        Err(r) => return *r,
    };
    let now = state.core.clock.now();
    let result = state.contacts().patch(&id, changes, now);
    match result {
        Ok(record) => Json(record).into_response(),
        Err(e) => write_error(e),
    }
}

async fn delete(State(state): State<Arc<OneState>>, Path(id): Path<String>) -> Response {
    let now = state.core.clock.now();
    let result = state.contacts().delete(&id, now);
    match result {
        Ok(record) => Json(record).into_response(),
        Err(e) => write_error(e),
    }
}
