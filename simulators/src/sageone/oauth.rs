//! The simulator's own OAuth 2.0 server, as Sage documents theirs: one-time authorization
//! codes valid 60 s, access tokens valid 300 s, rotating refresh tokens valid 31 days, all
//! measured on the simulator clock.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::OneState;
use crate::core::random_hex;

/// Seconds an authorization code stays exchangeable.
pub const CODE_TTL_SECS: i64 = 60;
/// `expires_in` of access tokens.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 300;
/// `refresh_token_expires_in` (31 days).
pub const REFRESH_TOKEN_TTL_SECS: i64 = 2_678_400;

#[derive(Debug)]
struct Code {
    redirect_uri: Option<String>,
    expires: DateTime<Utc>,
}

/// Issued codes and tokens.
#[derive(Debug)]
pub(crate) struct OAuth {
    codes: HashMap<String, Code>,
    access: HashMap<String, DateTime<Utc>>,
    refresh: HashMap<String, DateTime<Utc>>,
    /// `requested_by_id`: the one simulated user.
    user_id: String,
}

impl Default for OAuth {
    fn default() -> Self {
        Self {
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            user_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

impl OAuth {
    /// Issues a one-time code, bound to `redirect_uri` when given.
    pub fn issue_code(&mut self, redirect_uri: Option<String>, now: DateTime<Utc>) -> String {
        self.codes.retain(|_, c| c.expires > now);
        let code = random_hex(16);
        self.codes.insert(
            code.clone(),
            Code {
                redirect_uri,
                expires: now + Duration::seconds(CODE_TTL_SECS),
            },
        );
        code
    }

    /// Issues an access and refresh token pair; the token response body.
    pub fn issue_tokens(&mut self, now: DateTime<Utc>) -> Value {
        self.access.retain(|_, expires| *expires > now);
        self.refresh.retain(|_, expires| *expires > now);
        let access = random_hex(32);
        let refresh = random_hex(32);
        self.access.insert(
            access.clone(),
            now + Duration::seconds(ACCESS_TOKEN_TTL_SECS),
        );
        self.refresh.insert(
            refresh.clone(),
            now + Duration::seconds(REFRESH_TOKEN_TTL_SECS),
        );
        json!({
            "access_token": access,
            "scope": "full_access",
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_TTL_SECS,
            "refresh_token": refresh,
            "refresh_token_expires_in": REFRESH_TOKEN_TTL_SECS,
            "requested_by_id": self.user_id,
        })
    }

    /// Whether `token` is a live access token at `now`.
    pub fn access_valid(&self, token: &str, now: DateTime<Utc>) -> bool {
        self.access.get(token).is_some_and(|expires| *expires > now)
    }

    /// Consumes a code (it can be used once, even if the exchange then fails on redirect_uri).
    fn take_code(&mut self, code: &str, redirect_uri: Option<&str>, now: DateTime<Utc>) -> bool {
        match self.codes.remove(code) {
            Some(c) if c.expires > now => bound_matches(c.redirect_uri.as_deref(), redirect_uri),
            _ => false,
        }
    }

    /// Consumes a refresh token (rotation: it never works again).
    fn take_refresh(&mut self, token: &str, now: DateTime<Utc>) -> bool {
        self.refresh
            .remove(token)
            .is_some_and(|expires| expires > now)
    }
}

/// An unset `bound` (not configured, or a code without redirect URI) matches anything;
/// otherwise `given` must match exactly.
fn bound_matches(bound: Option<&str>, given: Option<&str>) -> bool {
    bound.is_none() || bound == given
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Client credentials from the form or from a Basic header.
fn client_credentials(
    form: &HashMap<String, String>,
    headers: &HeaderMap,
) -> (Option<String>, Option<String>) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())));
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (
            form.get("client_id").cloned(),
            form.get("client_secret").cloned(),
        ),
    }
}

/// `POST /token`: `authorization_code` and `refresh_token` grants, form-encoded.
pub(super) async fn token(
    State(state): State<Arc<OneState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let (client_id, client_secret) = client_credentials(&form, &headers);
    let options = &state.options;
    let id_ok = bound_matches(options.client_id.as_deref(), client_id.as_deref());
    let secret_ok = bound_matches(options.client_secret.as_deref(), client_secret.as_deref());
    if !(id_ok && secret_ok) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let now = state.core.clock.now();
    let mut oauth = state.oauth();
    let granted = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => match form.get("code") {
            Some(code) => oauth.take_code(code, form.get("redirect_uri").map(String::as_str), now),
            None => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "code is required",
                )
            }
        },
        Some("refresh_token") => match form.get("refresh_token") {
            Some(token) => oauth.take_refresh(token, now),
            None => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "refresh_token is required",
                )
            }
        },
        Some(_) => false,
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            )
        }
    };
    if !granted {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The grant is invalid, expired or already used",
        );
    }
    let tokens = oauth.issue_tokens(now);
    ([(header::CACHE_CONTROL, "no-store")], Json(tokens)).into_response()
}

/// `GET /oauth2/auth/central?client_id=..&redirect_uri=..&state=..`: the user "consents" at
/// once and is redirected to `redirect_uri?code=..&country=gb&state=..` (for demos).
pub(super) async fn authorize(
    State(state): State<Arc<OneState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let params: HashMap<String, String> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let Some(redirect_uri) = params.get("redirect_uri").filter(|r| !r.is_empty()) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is required",
        );
    };
    if !bound_matches(
        state.options.client_id.as_deref(),
        params.get("client_id").map(String::as_str),
    ) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unknown client_id",
        );
    }
    let now = state.core.clock.now();
    let code = state.oauth().issue_code(Some(redirect_uri.clone()), now);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("code", &code);
    query.append_pair(
        "country",
        params.get("country").map_or("gb", String::as_str),
    );
    if let Some(s) = params.get("state") {
        query.append_pair("state", s);
    }
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{}", query.finish());
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is not a valid URL",
        ),
    }
}

/// Refuses API calls without a live access token issued by this simulator.
pub(super) async fn bearer_auth(
    State(state): State<Arc<OneState>>,
    request: Request,
    next: Next,
) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    let message = match token {
        None => "Missing or malformed Authorization header (Bearer token required)",
        Some(token) if state.oauth().access_valid(&token, state.core.clock.now()) => {
            return next.run(request).await
        }
        Some(_) => "Invalid or expired access token",
    };
    let mut response = state
        .core
        .error(StatusCode::UNAUTHORIZED, "AuthorizationFailure", message);
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}
