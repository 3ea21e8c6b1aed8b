//! State every simulator shares (clock, faults, request log) and the middleware that logs
//! vendor API calls and applies scripted faults before the vendor handler runs.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::SecondsFormat;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::faults::{FaultKind, FaultTarget, Faults, MalformedStyle};
use crate::request_log::{LoggedRequest, RequestLog};

/// Which vendor's error body shape to answer with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ErrorStyle {
    /// SData: `{"$diagnoses":[{"$severity":"error","$message":...}]}`.
    SData,
    /// Sage Accounting v3.1: `[{"$severity":"error","$dataCode":...,"$message":...,"$source":""}]`.
    SageAccounting,
}

/// Shared simulator state.
#[derive(Debug)]
pub(crate) struct Core {
    pub clock: Clock,
    pub faults: Faults,
    pub log: RequestLog,
    pub style: ErrorStyle,
}

impl Core {
    pub fn new(style: ErrorStyle) -> Arc<Self> {
        Arc::new(Self {
            clock: Clock::default(),
            faults: Faults::default(),
            log: RequestLog::default(),
            style,
        })
    }

    /// A vendor-style error response.
    pub fn error(&self, status: StatusCode, data_code: &str, message: &str) -> Response {
        vendor_error(self.style, status, data_code, message)
    }
}

/// A vendor-style error response for `style`.
pub(crate) fn vendor_error(
    style: ErrorStyle,
    status: StatusCode,
    data_code: &str,
    message: &str,
) -> Response {
    let body = match style {
        ErrorStyle::SData => {
            json!({"$diagnoses": [{"$severity": "error", "$sdataCode": data_code, "$message": message}]})
        }
        ErrorStyle::SageAccounting => {
            json!([{"$severity": "error", "$dataCode": data_code, "$message": message, "$source": ""}])
        }
    };
    (status, Json(body)).into_response()
}

/// Logs the call, then applies the next pending API fault (if any) around the vendor handler.
pub(crate) async fn log_and_fault(
    State(core): State<Arc<Core>>,
    request: Request,
    next: Next,
) -> Response {
    log_request(&core, &request);
    apply_fault(&core, FaultTarget::Api, request, next).await
}

/// Logs a token-endpoint call and applies the next pending fault with `"target": "token"`.
pub(crate) async fn log_and_fault_token(
    State(core): State<Arc<Core>>,
    request: Request,
    next: Next,
) -> Response {
    log_request(&core, &request);
    apply_fault(&core, FaultTarget::Token, request, next).await
}

async fn apply_fault(core: &Core, target: FaultTarget, request: Request, next: Next) -> Response {
    let Some(fault) = core.faults.take(target) else {
        return next.run(request).await;
    };
    match fault.kind {
        FaultKind::RateLimit => {
            let mut response = core.error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too Many Requests (simulated throttling)",
            );
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(fault.retry_after_secs),
            );
            response
        }
        FaultKind::ServerError => core.error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UnexpectedError",
            "An unexpected error occurred (simulated)",
        ),
        FaultKind::Hang => {
            let secs = if fault.hang_secs.is_finite() {
                fault.hang_secs.clamp(0.0, 3600.0)
            } else {
                0.0
            };
            tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            next.run(request).await
        }
        FaultKind::Malformed => malformed(next.run(request).await, fault.style).await,
    }
}

fn log_request(core: &Core, request: &Request) {
    let mut headers = std::collections::BTreeMap::new();
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v: &mut String| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| request.uri().path().to_owned());
    core.log.push(LoggedRequest {
        method: request.method().as_str().to_owned(),
        path,
        time: core
            .clock
            .now()
            .to_rfc3339_opts(SecondsFormat::Millis, true),
        headers,
    });
}

/// Breaks a real answer the way `style` says, keeping its status.
async fn malformed(response: Response, style: MalformedStyle) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024 * 1024)
        .await
        .unwrap_or_default();
    let broken: Bytes = match style {
        MalformedStyle::Truncated => bytes.slice(..bytes.len() / 2),
        MalformedStyle::MissingItems => match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(mut map)) => {
                map.remove("$resources");
                map.remove("$items");
                Bytes::from(Value::Object(map).to_string())
            }
            _ => bytes.slice(..bytes.len() / 2),
        },
        MalformedStyle::Html => {
            parts.status = StatusCode::OK;
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Bytes::from_static(b"<html><body><h1>Service Unavailable</h1></body></html>")
        }
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(broken))
}

/// A random lower-case hex string of `bytes` random bytes (ids, codes and tokens).
pub(crate) fn random_hex(bytes: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes * 2);
    for _ in 0..bytes {
        let _ = write!(out, "{:02x}", rand::random::<u8>());
    }
    out
}
