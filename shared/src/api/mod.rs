//! The public HTTP API (Open Connectors compatible), as one axum Router that local mode
//! serves directly and the Lambda function serves behind API Gateway.

pub(crate) mod auth;
mod body;
mod docs;
mod elements;
mod error;
mod event_view;
pub(crate) mod events;
mod health;
pub mod instance_body;
mod instance_view;
pub(crate) mod instances;
mod metrics;
pub mod openapi;
mod paging;
mod params;
mod request_id;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

use crate::callback_guard::CallbackGuard;
use crate::console::{ConsoleSettings, SessionKey};
use crate::metrics::Metrics;
use crate::ports::{
    DeliveryQueue, EventLog, InstanceAuthorizer, InstanceStore, PollTrigger, TenantStore,
};
use crate::schedule::PollSchedules;

pub use error::{ApiError, ErrorBody};
pub use request_id::RequestId;

/// Largest request body accepted; larger ones get 413 before they are read further.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the handlers need: the stores, behind their ports.
#[derive(Clone)]
pub struct ApiState {
    pub instances: Arc<dyn InstanceStore>,
    pub tenants: Arc<dyn TenantStore>,
    pub events: Arc<dyn EventLog>,
    pub delivery: Arc<dyn DeliveryQueue>,
    /// Refuses callbacks on private, loopback, link-local and metadata addresses unless allowed.
    pub guard: CallbackGuard,
    /// Runs `POST /instances/{id}/poll`; None where this deployment polls elsewhere.
    pub poller: Option<Arc<dyn PollTrigger>>,
    /// Element work at registration (OAuth code exchange); None skips it.
    pub authorizer: Option<Arc<dyn InstanceAuthorizer>>,
    /// Rendered on `GET /metrics`; None where metrics go elsewhere (CloudWatch EMF on AWS).
    pub metrics: Option<Arc<Metrics>>,
    /// One poll schedule per instance, kept in step with it (AWS); None where the process
    /// schedules polls itself (local mode).
    pub schedules: Option<Arc<dyn PollSchedules>>,
    /// The web console's session key and cookie policy.
    pub console: ConsoleSettings,
}

impl ApiState {
    /// State over one store that holds tenants, instances and events (SQLite, DynamoDB).
    pub fn on_store<S>(store: Arc<S>) -> Self
    where
        S: InstanceStore + TenantStore + EventLog + DeliveryQueue + 'static,
    {
        Self {
            instances: store.clone(),
            tenants: store.clone(),
            events: store.clone(),
            delivery: store,
            guard: CallbackGuard {
                allow_private: false,
            },
            poller: None,
            authorizer: None,
            schedules: None,
            metrics: None,
            console: ConsoleSettings::default(),
        }
    }

    /// Lets callbacks reach private and loopback addresses (`--allow-private-callbacks`).
    pub fn allow_private_callbacks(mut self, allow: bool) -> Self {
        self.guard = CallbackGuard {
            allow_private: allow,
        };
        self
    }

    pub fn with_poller(mut self, poller: Arc<dyn PollTrigger>) -> Self {
        self.poller = Some(poller);
        self
    }

    pub fn with_schedules(mut self, schedules: Arc<dyn PollSchedules>) -> Self {
        self.schedules = Some(schedules);
        self
    }

    pub fn with_authorizer(mut self, authorizer: Arc<dyn InstanceAuthorizer>) -> Self {
        self.authorizer = Some(authorizer);
        self
    }

    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Console sessions signed with `key`: give every process of a deployment the same one.
    pub fn with_console_key(mut self, key: SessionKey) -> Self {
        self.console.session_key = key;
        self
    }

    /// Marks console cookies `Secure` even when no proxy says the request came over TLS.
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.console.secure_cookies = secure;
        self
    }
}

/// The whole public API.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/healthz", get(health::check))
        .route("/metrics", get(metrics::render))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(docs::page))
        .route(docs::REDOC_JS_PATH, get(docs::redoc_js))
        .route("/elements", get(elements::list))
        .route("/elements/{key}", get(elements::get_one))
        .route("/instances", get(instances::list).post(instances::create))
        .route("/instances/events", get(events::list_all))
        .route(
            "/instances/{id}",
            get(instances::get)
                .patch(instances::patch)
                .delete(instances::delete),
        )
        .route("/instances/{id}/events", get(events::list))
        .route(
            "/instances/{id}/events/retry",
            axum::routing::post(events::retry_dead),
        )
        .route("/instances/{id}/events/{eventId}", get(events::get_one))
        .route(
            "/instances/{id}/events/{eventId}/retry",
            axum::routing::post(events::retry_one),
        )
        .route(
            "/instances/{id}/webhook-secret/rotate",
            axum::routing::post(instances::rotate_webhook_secret),
        )
        .route("/instances/{id}/polls", get(events::polls))
        .route(
            "/instances/{id}/poll",
            axum::routing::post(events::poll_now),
        )
        .merge(crate::console::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(request_id::assign))
        .with_state(state)
}
