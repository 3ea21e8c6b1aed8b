//! The web console: server-rendered pages over the same stores and code paths as the API,
//! served by the same Router in local mode and behind API Gateway.
//!
//! It keeps no state of its own: the session is a signed, expiring cookie
//! ([`session`]), every form carries a CSRF token bound to it ([`csrf`]), and pages read the
//! store ports of [`ApiState`](crate::api::ApiState).

pub mod activity;
pub mod assets;
pub mod chart;
pub mod create_form;
pub mod csrf;
pub mod html;
pub mod pages;
pub mod preview;
pub mod session;
pub mod signed_in;

use axum::routing::{get, post};
use axum::Router;

use crate::api::ApiState;
pub use session::{ConsoleSettings, SessionKey};

/// The console's routes, all under `/console`, merged into the API's Router.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/console", get(pages::instances::list))
        .route("/console/", get(|| async { html::see_other("/console") }))
        .route(
            "/console/sign-in",
            get(pages::sign_in::show).post(pages::sign_in::submit),
        )
        .route("/console/sign-out", post(pages::sign_in::sign_out))
        .route(
            "/console/instances/new",
            get(pages::create::show).post(pages::create::submit),
        )
        .route("/console/instances/{id}", get(pages::instance::show))
        .route(
            "/console/instances/{id}/poll",
            post(pages::instance::poll_now),
        )
        .route(
            "/console/instances/{id}/events/retry",
            post(pages::instance::retry_all),
        )
        .route(
            "/console/instances/{id}/events/{event_id}/retry",
            post(pages::instance::retry_one),
        )
        .route(
            "/console/instances/{id}/webhook-secret/rotate",
            post(pages::instance::rotate),
        )
        .route("/console/preview-url", get(preview::preview))
        .route("/console/assets/console.css", get(assets::css))
        .route("/console/assets/console.js", get(assets::js))
        .route("/console/assets/icon.svg", get(assets::icon))
}
