//! `/docs`: a reference page for the API, rendered in the browser by Redoc (2.5.4, MIT; see
//! `redoc/README.md`) from `/openapi.json`. The bundle is part of the binary, so the page works
//! offline, and its Content-Security-Policy keeps it from loading anything from elsewhere.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// Redoc's standalone bundle, unchanged from the npm package.
const REDOC_JS: &str = include_str!("redoc/redoc.standalone.js");

/// Where the page loads the bundle from: a sibling path, so the page also works behind a
/// path prefix (an API Gateway stage).
pub const REDOC_JS_PATH: &str = "/docs/redoc.standalone.js";

/// Same origin only: the bundle, the document, inline styles (Redoc's styled-components), a
/// worker from a blob (its search) and `eval` (its schema validator). The Redocly logo it links
/// from a CDN is not loaded.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'unsafe-eval'; \
style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; \
frame-ancestors 'none'";

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pollhook API reference</title>
<style>body { margin: 0; padding: 0; }</style>
</head>
<body>
<redoc spec-url="openapi.json"></redoc>
<script src="docs/redoc.standalone.js"></script>
</body>
</html>
"#;

/// `GET /docs`: the API reference page.
#[utoipa::path(
    get,
    path = "/docs",
    operation_id = "getApiReference",
    summary = "API reference page",
    description = "This document rendered as a reference page (Redoc, served by pollhook itself, so it works offline). No authentication.",
    tag = "service",
    security(()),
    responses((status = 200, description = "The API reference, rendered from /openapi.json", content_type = "text/html")),
)]
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        PAGE,
    )
        .into_response()
}

/// `GET /docs/redoc.standalone.js`: the bundle the page runs. An asset of `/docs`, not part
/// of the API, so it is not in the OpenAPI document.
pub async fn redoc_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        REDOC_JS,
    )
        .into_response()
}
