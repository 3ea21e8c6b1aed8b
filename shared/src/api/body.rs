//! The JSON request body, read with errors that say what was wrong (size, type, syntax).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde_json::Value;

use super::error::ApiError;
use super::request_id::RequestId;
use super::MAX_BODY_BYTES;

/// A request body that is a JSON document; parsed into a `Value` so validation can name fields.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(String::new()));
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::field(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &request_id,
                "Content-Type",
                format!(
                    "expected application/json, got '{}'",
                    if content_type.is_empty() {
                        "nothing"
                    } else {
                        content_type
                    }
                ),
            ));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::field(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &request_id,
                    "body",
                    format!("larger than the limit of {MAX_BODY_BYTES} bytes"),
                )
            } else {
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    &request_id,
                    "body",
                    format!("could not be read: {e}"),
                )
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::field(
                StatusCode::BAD_REQUEST,
                &request_id,
                "body",
                "required, a JSON object",
            ));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                &request_id,
                "body",
                format!(
                    "malformed JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })
    }
}
