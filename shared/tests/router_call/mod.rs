//! Calls the API Router in-process (no socket), for tests of the API over a given store.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// Sends one request with `auth` as the Authorization header and a JSON body if given;
/// returns the status and the body as JSON (Null when it is not JSON).
pub async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    auth: &str,
    body: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("Authorization", auth);
    if body.is_some() {
        request = request.header("Content-Type", "application/json");
    }
    let request = request
        .body(
            body.map(|b| Body::from(b.to_owned()))
                .unwrap_or_else(Body::empty),
        )
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}
