//! Sage Business Cloud Accounting v3.1 simulator: `GET /contacts` (also under `/v3.1`) with
//! Bearer tokens it issued itself, `$items`/`$next` paging and `updated_or_created_since`,
//! plus its OAuth server (`POST /token`, `GET /oauth2/auth/central`) and the admin API.
//!
//! Defaults: `items_per_page` 20, capped at 200; a `page` past the end answers the last page.
//! Faults apply to `/contacts` calls unless posted with `"target": "token"`, then to `/token`
//! only; both are logged.

mod admin;
mod contacts;
mod oauth;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;

use crate::core::{log_and_fault, log_and_fault_token, Core, ErrorStyle};
use contacts::Contacts;
use oauth::OAuth;

/// Default `items_per_page`.
pub const DEFAULT_ITEMS_PER_PAGE: usize = 20;
/// Largest `items_per_page`; larger values are clamped to it.
pub const MAX_ITEMS_PER_PAGE: usize = 200;

/// How to start the Sage Accounting simulator.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// When set, the token endpoint only accepts these client credentials.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// State of one Sage Accounting simulator.
#[derive(Debug)]
pub(crate) struct OneState {
    core: Arc<Core>,
    options: Options,
    contacts: Mutex<Contacts>,
    oauth: Mutex<OAuth>,
}

impl OneState {
    fn contacts(&self) -> MutexGuard<'_, Contacts> {
        self.contacts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn oauth(&self) -> MutexGuard<'_, OAuth> {
        self.oauth.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Sage Accounting simulator's routes: API, OAuth server, admin API.
pub fn router(options: Options) -> Router {
    let core = Core::new(ErrorStyle::SageAccounting);
    let state = Arc::new(OneState {
        core: core.clone(),
        options,
        contacts: Mutex::new(Contacts::default()),
        oauth: Mutex::new(OAuth::default()),
    });
    let api = Router::new()
        .route("/contacts", get(contacts::list))
        .route("/v3.1/contacts", get(contacts::list))
        .route("/contacts/{id}", get(contacts::read))
        .route("/v3.1/contacts/{id}", get(contacts::read))
        .route_layer(from_fn_with_state(state.clone(), oauth::bearer_auth))
        .route_layer(from_fn_with_state(core.clone(), log_and_fault))
        .with_state(state.clone());
    let token = Router::new()
        .route("/token", post(oauth::token))
        .route_layer(from_fn_with_state(core.clone(), log_and_fault_token))
        .route("/oauth2/auth/central", get(oauth::authorize))
        .with_state(state.clone());
    api.merge(token)
        .merge(admin::routes(state))
        .merge(crate::admin::routes(core.clone()))
        .fallback(move || {
            let core = core.clone();
            async move { core.error(StatusCode::NOT_FOUND, "RecordNotFound", "No such resource") }
        })
}
