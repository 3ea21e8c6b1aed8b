//! Every console form is posted with the synchronizer token of its session; a POST without
//! the right one is refused (403) before its handler runs.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;

use super::html::{problem, see_other};
use super::session::{self, Session};
use super::signed_in::SignedIn;
use crate::api::{ApiState, RequestId};

/// The form field that carries the token.
pub const FIELD: &str = "csrf";

/// A posted `application/x-www-form-urlencoded` form, in the order sent.
#[derive(Debug, Clone, Default)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn parse(body: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// True when a checkbox named `name` was ticked (sent at all).
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }
}

/// A form posted with a valid session (signed in or not yet) and its matching CSRF token.
pub struct CsrfForm {
    pub session: Session,
    pub fields: FormFields,
    pub request_id: RequestId,
    /// The request came over TLS: cookies set in the answer get `Secure`.
    pub secure: bool,
}

impl FromRequest<ApiState> for CsrfForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &ApiState) -> Result<Self, Self::Rejection> {
        let settings = &state.console;
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(String::new()));
        let secure = session::is_secure(request.headers(), settings);
        let found =
            session::from_headers(request.headers(), &settings.session_key, chrono::Utc::now());
        let Some(session) = found else {
            // No session (expired, or cookies refused): nothing to check a token against.
            return Err(see_other("/console/sign-in"));
        };
        let body = Bytes::from_request(request, state).await.map_err(|e| {
            problem(
                e.status(),
                "Form not accepted",
                "The form could not be read; it may be too large.",
            )
        })?;
        let fields = FormFields::parse(&body);
        let token_ok = fields
            .get(FIELD)
            .is_some_and(|t| session.csrf_matches(&settings.session_key, t));
        if !token_ok {
            tracing::warn!(request_id = %request_id.0, "console form refused: CSRF token missing or wrong");
            return Err(problem(
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form's security token is missing or does not belong to your session. \
                 Reload the page and send it again.",
            ));
        }
        Ok(Self {
            session,
            fields,
            request_id,
            secure,
        })
    }
}

/// A form posted by a signed-in session with its CSRF token.
pub struct SignedInForm {
    pub signed_in: SignedIn,
    pub fields: FormFields,
}

impl FromRequest<ApiState> for SignedInForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &ApiState) -> Result<Self, Self::Rejection> {
        let form = CsrfForm::from_request(request, state).await?;
        let signed_in = SignedIn::from_session(form.session, state, form.request_id)
            .ok_or_else(|| see_other("/console/sign-in"))?;
        Ok(Self {
            signed_in,
            fields: form.fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_repeated_and_encoded_fields() {
        let f = FormFields::parse(b"a=1&b=x%20y&a=2&box=on&plus=a+b");
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.get("b"), Some("x y"));
        assert_eq!(f.get("plus"), Some("a b"));
        assert!(f.has("box") && !f.has("missing"));
    }
}
