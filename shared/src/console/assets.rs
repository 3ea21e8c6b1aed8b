//! The console's stylesheet and its one small script, compiled into the binary: no CDN, the
//! console works offline and behind API Gateway alike.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("assets/console.css");
/// Live poll URL previews and "copy to another resource" on the create form; every page
/// works without it.
const JS: &str = include_str!("assets/console.js");
/// The tab icon, so browsers do not ask for a /favicon.ico outside the console.
const ICON: &str = include_str!("assets/icon.svg");

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    headers.insert(
        axum::http::HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    response
}

pub async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

pub async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

pub async fn icon() -> Response {
    asset(ICON, "image/svg+xml")
}
