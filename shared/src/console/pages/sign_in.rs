//! Sign in with the organization and user secrets, checked exactly as the API checks its
//! `Authorization` header; the session then holds the ids, never the secrets.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use crate::api::auth::verify_account;
use crate::api::{ApiState, RequestId};
use crate::console::csrf::CsrfForm;
use crate::console::html::{csrf_input, page, problem, respond, see_other};
use crate::console::session::{self, Session, SignedInAccount};

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Where to go after signing in: only a console path of this site, never another origin.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if (n == "/console" || n.starts_with("/console/") || n.starts_with("/console?"))
                && !n.contains('\\') =>
        {
            n
        }
        _ => "/console",
    }
}

fn sign_in_form(csrf: &str, next: &str, failed: bool) -> Markup {
    html! {
        p { "Sign in with your account's secrets: the same ones the API's "
            code { "Authorization: User …, Organization …" } " header carries." }
        @if failed {
            p id="sign-in-error" class="error" role="alert" {
                "The organization or user secret is wrong."
            }
        }
        form method="post" action="/console/sign-in" class="stacked" {
            (csrf_input(csrf))
            input type="hidden" name="next" value=(next);
            div class="field" {
                label for="organization_secret" { "Organization secret" }
                input type="password" id="organization_secret" name="organization_secret"
                    autocomplete="off" required
                    aria-describedby=[failed.then_some("sign-in-error")];
            }
            div class="field" {
                label for="user_secret" { "User secret" }
                input type="password" id="user_secret" name="user_secret"
                    autocomplete="off" required
                    aria-describedby=[failed.then_some("sign-in-error")];
            }
            button type="submit" { "Sign in" }
        }
    }
}

/// `GET /console/sign-in`: the form, with a pre-sign-in session for its CSRF token.
pub async fn show(
    State(state): State<ApiState>,
    headers: HeaderMap,
    Query(next): Query<Next>,
) -> Response {
    let settings = &state.console;
    let now = chrono::Utc::now();
    let next = safe_next(next.next.as_deref());
    let existing = session::from_headers(&headers, &settings.session_key, now);
    if existing.as_ref().is_some_and(|s| s.account.is_some()) {
        return see_other(next);
    }
    let fresh = existing.is_none();
    let session = existing.unwrap_or_else(|| Session::anonymous(now));
    let csrf = session.csrf_token(&settings.session_key);
    let mut response = respond(
        StatusCode::OK,
        page("Sign in", None, sign_in_form(&csrf, next, false)),
    );
    if fresh {
        let secure = session::is_secure(&headers, settings);
        session::append_cookie(
            response.headers_mut(),
            session::set_cookie(&session, &settings.session_key, secure, now),
        );
    }
    response
}

/// `POST /console/sign-in`: checks the secrets; a new session on success.
pub async fn submit(State(state): State<ApiState>, form: CsrfForm) -> Response {
    let RequestId(request_id) = &form.request_id;
    let settings = &state.console;
    let next = safe_next(form.fields.get("next")).to_owned();
    let organization = form.fields.get("organization_secret").unwrap_or_default();
    let user = form.fields.get("user_secret").unwrap_or_default();
    let matched = if organization.is_empty() || user.is_empty() {
        Ok(None)
    } else {
        verify_account(&state, organization, user).await
    };
    let account = match matched {
        Ok(Some(account)) => account,
        Ok(None) => {
            tracing::info!(request_id = %request_id, "console sign-in refused");
            let csrf = form.session.csrf_token(&settings.session_key);
            return respond(
                StatusCode::UNAUTHORIZED,
                page("Sign in", None, sign_in_form(&csrf, &next, true)),
            );
        }
        Err(e) => {
            tracing::error!(request_id = %request_id, error = %e, "store error at console sign-in");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "The store could not check the secrets just now; try again in a moment.",
            );
        }
    };
    let now = chrono::Utc::now();
    let session = Session::signed_in(
        SignedInAccount {
            organization_id: account.organization_id,
            user_id: account.user_id,
        },
        now,
    );
    tracing::info!(request_id = %request_id, "console sign-in");
    let mut response = see_other(&next);
    session::append_cookie(
        response.headers_mut(),
        session::set_cookie(&session, &settings.session_key, form.secure, now),
    );
    response
}

/// `POST /console/sign-out`: forgets the session cookie.
pub async fn sign_out(form: CsrfForm) -> Response {
    let mut response = see_other("/console/sign-in");
    session::append_cookie(response.headers_mut(), session::clear_cookie(form.secure));
    response
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_console_paths_are_followed_after_sign_in() {
        assert_eq!(
            safe_next(Some("/console/instances/1")),
            "/console/instances/1"
        );
        assert_eq!(safe_next(Some("/console")), "/console");
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/consolex",
            "/console\\..\\x",
            "/instances",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console", "{bad}");
        }
        assert_eq!(safe_next(None), "/console");
    }
}
