//! `GET /metrics`: Prometheus text, without authentication like `/healthz`, since it names no
//! tenant's data (element keys and resource names only).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::request_id::RequestId;
use super::ApiState;
use crate::metrics::CONTENT_TYPE;

pub async fn render(State(state): State<ApiState>, request_id: RequestId) -> Response {
    match &state.metrics {
        Some(metrics) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.render()).into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            &request_id,
            "metrics are not served by this deployment",
        )
        .into_response(),
    }
}
