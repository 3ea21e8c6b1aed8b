//! Pages that need a signed-in session: without one the browser is sent to sign in, and
//! comes back to where it was going.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::html::{see_other, Viewer};
use super::session::{self, Session, SignedInAccount};
use crate::api::{ApiState, RequestId};

/// A request with a valid signed-in session, and the CSRF token of its forms.
pub struct SignedIn {
    pub session: Session,
    pub account: SignedInAccount,
    pub csrf: String,
    pub request_id: RequestId,
}

impl SignedIn {
    pub fn viewer(&self) -> Viewer<'_> {
        Viewer {
            session: &self.session,
            csrf: &self.csrf,
        }
    }

    /// The API's view of this caller, so console actions go through the API's own checks.
    pub fn caller(&self) -> crate::api::auth::Caller {
        crate::api::auth::Caller {
            organization_id: self.account.organization_id.clone(),
            instance: None,
        }
    }

    /// Checks a session read from a request and builds the signed-in view of it.
    pub fn from_session(session: Session, state: &ApiState, request_id: RequestId) -> Option<Self> {
        let account = session.account.clone()?;
        let csrf = session.csrf_token(&state.console.session_key);
        Some(Self {
            session,
            account,
            csrf,
            request_id,
        })
    }
}

/// `303` to the sign-in page, remembering `path` to return to after.
pub fn to_sign_in(path_and_query: &str) -> Response {
    if path_and_query == "/console" || !path_and_query.starts_with("/console") {
        return see_other("/console/sign-in");
    }
    let next = utf8_percent_encode(path_and_query, NON_ALPHANUMERIC);
    see_other(&format!("/console/sign-in?next={next}"))
}

impl FromRequestParts<ApiState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let request_id = parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(String::new()));
        let now = chrono::Utc::now();
        session::from_headers(&parts.headers, &state.console.session_key, now)
            .and_then(|s| Self::from_session(s, state, request_id))
            .ok_or_else(|| {
                let target = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/console");
                to_sign_in(target)
            })
    }
}
