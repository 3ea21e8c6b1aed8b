//! The page frame every console page shares, and the headers every console answer carries.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::session::Session;

/// Scripts and styles only from the console itself: no inline script can run, even if some
/// text escaped escaping.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Who is looking at a page: enough for the header's sign-out form.
pub struct Viewer<'a> {
    pub session: &'a Session,
    pub csrf: &'a str,
}

/// A whole page: header with navigation (when signed in), the title as `h1`, then `body`.
pub fn page(title: &str, viewer: Option<&Viewer<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · pollhook" }
                link rel="icon" href="/console/assets/icon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                header class="top" {
                    a class="brand" href="/console" { "pollhook" }
                    @if let Some(viewer) = viewer {
                        nav aria-label="Console" {
                            ul {
                                li { a href="/console" { "Instances" } }
                                li { a href="/console/instances/new" { "Create instance" } }
                            }
                        }
                        form class="sign-out" method="post" action="/console/sign-out" {
                            (csrf_input(viewer.csrf))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// The hidden synchronizer token every console form carries.
pub fn csrf_input(token: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(token); }
}

/// An HTML answer with the console's headers: never cached (pages may show a secret once),
/// never framed, no inline script.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    secure_headers(headers);
    response
}

/// Headers every console answer carries, pages and redirects alike.
pub fn secure_headers(headers: &mut axum::http::HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
}

/// `303 See Other` to a console path (after a POST, or to the sign-in page).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(LOCATION, value);
    }
    secure_headers(headers);
    response
}

/// A page that only says what went wrong (403, 404, 503), with a way back.
pub fn problem(status: StatusCode, title: &str, message: &str) -> Response {
    respond(
        status,
        page(
            title,
            None,
            html! {
                p role="alert" { (message) }
                p { a href="/console" { "Back to the instances" } }
            },
        ),
    )
}

/// A date as the console shows it: UTC, to the second.
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
