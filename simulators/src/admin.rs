//! Admin routes every simulator has: clock, faults and request log (`/_sim/...`). They are
//! never faulted, logged or authenticated.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::SecondsFormat;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::core::Core;
use crate::faults::FaultSpec;

/// The shared admin routes, bound to `core`.
pub(crate) fn routes(core: Arc<Core>) -> Router {
    Router::new()
        .route("/_sim/clock", get(get_clock).post(set_clock))
        .route(
            "/_sim/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/_sim/requests", get(list_requests).delete(clear_requests))
        .with_state(core)
}

/// A 400 from an admin route: `{"error": "..."}`.
pub(crate) fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.into()})),
    )
        .into_response()
}

/// A 404 from an admin route.
pub(crate) fn not_found(message: impl Into<String>) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": message.into()})),
    )
        .into_response()
}

/// Parses an admin JSON body; an empty body reads as `{}`.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text)
        .map_err(|e| Box::new(bad_request(format!("invalid JSON body: {e}"))))
}

fn clock_json(core: &Core) -> Json<serde_json::Value> {
    Json(json!({
        "now": core.clock.now().to_rfc3339_opts(SecondsFormat::Millis, true),
        "frozen": core.clock.is_frozen(),
    }))
}

async fn get_clock(State(core): State<Arc<Core>>) -> Json<serde_json::Value> {
    clock_json(&core)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    now: Option<String>,
    advance_secs: Option<f64>,
    freeze: Option<bool>,
}

/// Applies, in order: `freeze`, `now`, `advance_secs`.
async fn set_clock(State(core): State<Arc<Core>>, body: Bytes) -> Response {
    let change: ClockChange = match parse_json(&body) {
        Ok(c) => c,
        Err(e) => return *e,
    };
    let now = match change
        .now
        .as_deref()
        .map(chrono::DateTime::parse_from_rfc3339)
    {
        Some(Ok(t)) => Some(t.with_timezone(&chrono::Utc)),
        Some(Err(e)) => return bad_request(format!("`now` is not RFC 3339: {e}")),
        None => None,
    };
    let advance = match change.advance_secs {
        Some(s) if s.is_finite() && s.abs() < 1e10 => {
            Some(chrono::Duration::milliseconds((s * 1000.0).round() as i64))
        }
        Some(_) => return bad_request("`advance_secs` is out of range"),
        None => None,
    };
    if let Some(freeze) = change.freeze {
        core.clock.set_frozen(freeze);
    }
    if let Some(now) = now {
        core.clock.set(now);
    }
    if let Some(by) = advance {
        core.clock.advance(by);
    }
    clock_json(&core).into_response()
}

async fn list_faults(State(core): State<Arc<Core>>) -> Json<Vec<FaultSpec>> {
    Json(core.faults.pending())
}

async fn add_fault(State(core): State<Arc<Core>>, body: Bytes) -> Response {
    let spec: FaultSpec = match parse_json(&body) {
        Ok(s) => s,
        Err(e) => return *e,
    };
    core.faults.push(spec);
    (StatusCode::CREATED, Json(core.faults.pending())).into_response()
}

async fn clear_faults(State(core): State<Arc<Core>>) -> StatusCode {
    core.faults.clear();
    StatusCode::NO_CONTENT
}

async fn list_requests(State(core): State<Arc<Core>>) -> Response {
    Json(core.log.all()).into_response()
}

async fn clear_requests(State(core): State<Arc<Core>>) -> StatusCode {
    core.log.clear();
    StatusCode::NO_CONTENT
}
