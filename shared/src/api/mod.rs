//! The public HTTP API (Open Connectors compatible), as one axum Router that local mode
//! serves directly and the Lambda function serves behind API Gateway.

mod auth;
mod body;
mod error;
mod instances;
mod request_id;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

use crate::ports::{InstanceStore, TenantStore};

pub use error::ApiError;
pub use request_id::RequestId;

/// Largest request body accepted; larger ones get 413 before they are read further.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the handlers need: the stores, behind their ports.
#[derive(Clone)]
pub struct ApiState {
    pub instances: Arc<dyn InstanceStore>,
    pub tenants: Arc<dyn TenantStore>,
}

/// The whole public API.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }))
        .route("/instances", get(instances::list).post(instances::create))
        .route(
            "/instances/{id}",
            get(instances::get)
                .patch(instances::patch)
                .delete(instances::delete),
        )
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}
