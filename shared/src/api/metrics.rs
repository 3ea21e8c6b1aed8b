//! `GET /metrics`: Prometheus text, without authentication like `/healthz`, since it names no
//! tenant's data (element keys and resource names only).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ErrorBody};
use super::request_id::RequestId;
use super::ApiState;
use crate::metrics::CONTENT_TYPE;

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "getMetrics",
    summary = "Prometheus metrics",
    description = "Polls, events and deliveries counted per element and resource. No authentication: it names element keys and resource names only, nothing of a tenant.",
    tag = "service",
    security(()),
    responses(
        (status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String),
        (status = 404, description = "This deployment serves no metrics (on AWS they go to CloudWatch)", body = ErrorBody),
    ),
)]
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
