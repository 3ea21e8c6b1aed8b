//! Sage CRM `sagecrm2` REST simulator: `GET /sdata/{install}j/sagecrm2/-/{entity}` with Basic
//! auth, SData paging (`startIndex`, `count`), `where=` and `orderBy=`, plus the admin API.
//!
//! Defaults: `count` 10 when absent, capped at 1000 (Sage's own client script asks for 1000);
//! `$itemsPerPage` reports the page size used. Dates are written `yyyy-MM-ddTHH:mm:ssZ` (UTC)
//! unless `POST /_sim/config` sets a server zone and suffix (see [`date_style`]).

mod admin;
mod api;
pub mod date_style;
pub mod entities;
pub mod where_clause;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::Engine;

use crate::core::{log_and_fault, Core, ErrorStyle};
use date_style::DateStyle;
use entities::Store;

/// Page size when `count` is absent.
pub const DEFAULT_COUNT: usize = 10;
/// Largest page size served; larger `count` values are clamped to it.
pub const MAX_COUNT: usize = 1000;

/// How to start the Sage CRM simulator.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// When both are set, only these Basic credentials are accepted; otherwise any are.
    pub username: Option<String>,
    pub password: Option<String>,
}

/// State of one Sage CRM simulator.
#[derive(Debug)]
pub(crate) struct CrmState {
    core: Arc<Core>,
    options: Options,
    store: Mutex<Store>,
    dates: Mutex<DateStyle>,
}

impl CrmState {
    fn date_style(&self) -> DateStyle {
        *self.dates.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_date_style(&self, style: DateStyle) {
        *self.dates.lock().unwrap_or_else(|e| e.into_inner()) = style;
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The Sage CRM simulator's routes: vendor API, its admin API and the shared admin routes.
pub fn router(options: Options) -> Router {
    let core = Core::new(ErrorStyle::SData);
    let state = Arc::new(CrmState {
        core: core.clone(),
        options,
        store: Mutex::new(Store::default()),
        dates: Mutex::new(DateStyle::default()),
    });
    let api = Router::new()
        .route(
            "/sdata/{install}/sagecrm2/-/{resource}",
            get(api::get_resource),
        )
        .route_layer(from_fn_with_state(state.clone(), basic_auth))
        .route_layer(from_fn_with_state(core.clone(), log_and_fault))
        .with_state(state.clone());
    api.merge(admin::routes(state))
        .merge(crate::admin::routes(core.clone()))
        .fallback(move || {
            let core = core.clone();
            async move {
                core.error(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFound",
                    "No such resource",
                )
            }
        })
}

/// Refuses calls without valid Basic credentials (any are valid unless configured).
async fn basic_auth(State(state): State<Arc<CrmState>>, request: Request, next: Next) -> Response {
    match check_basic(request.headers(), &state.options) {
        Ok(()) => next.run(request).await,
        Err(message) => {
            let mut response =
                state
                    .core
                    .error(StatusCode::UNAUTHORIZED, "AuthenticationFailed", message);
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"SData\""),
            );
            response
        }
    }
}

fn check_basic(headers: &HeaderMap, options: &Options) -> Result<(), &'static str> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or("Authentication required")?;
    let value = value
        .to_str()
        .map_err(|_| "Malformed Authorization header")?;
    let (scheme, encoded) = value
        .trim()
        .split_once(' ')
        .ok_or("Malformed Authorization header")?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err("Basic authentication required");
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| "Malformed Basic credentials")?;
    let decoded = String::from_utf8(decoded).map_err(|_| "Malformed Basic credentials")?;
    let (user, password) = decoded
        .split_once(':')
        .ok_or("Malformed Basic credentials")?;
    match (&options.username, &options.password) {
        (Some(u), Some(p)) if u != user || p != password => Err("Invalid username or password"),
        (Some(u), None) if u != user => Err("Invalid username or password"),
        _ => Ok(()),
    }
}
