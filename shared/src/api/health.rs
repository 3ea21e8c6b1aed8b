//! `GET /healthz`: answers while the process serves requests, for load balancers and probes.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The answer of `/healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Without authentication, like `/metrics`: it names nothing of any tenant.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "getHealth",
    summary = "Health check",
    description = "Answers 200 while the process serves requests. No authentication.",
    tag = "service",
    security(()),
    responses((status = 200, description = "The process serves requests", body = Health)),
)]
pub async fn check() -> Json<Health> {
    Json(Health { status: "ok" })
}
