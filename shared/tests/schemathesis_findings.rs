//! Regressions for what `tests/schemathesis.sh` found, called in-process: errors that left the
//! API's JSON error body, and requests the server accepts that the document said were invalid.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::openapi::document;
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;
use serde_json::{json, Value};
use tower::ServiceExt;

const AUTH: &str = "User user-secret, Organization org-secret";
const SEED: &str = include_str!("../../tests/fixtures/sagecrm-seed.json");

fn app() -> axum::Router {
    let store = SqliteStore::open_in_memory(SecretBox::from_key(&[7; 32])).expect("store");
    store
        .upsert_account("local", "local", "org-secret", "user-secret")
        .expect("account");
    router(ApiState::on_store(Arc::new(store)).allow_private_callbacks(true))
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, String, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, AUTH);
    let body = match body {
        Some(b) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let response = app
        .clone()
        .oneshot(request.body(body).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, content_type, json)
}

async fn register(app: &axum::Router, body: Value) -> Value {
    let (status, _, created) = call(app, "POST", "/instances", Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    created
}

fn assert_error_body(status: StatusCode, content_type: &str, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(content_type, "application/json", "{body}");
    assert!(body["requestId"].is_string(), "{body}");
    assert_eq!(body["errors"][0]["field"], field, "{body}");
}

/// Found: `?limit=1&limit=2` was answered by axum's Query as text/plain.
#[tokio::test]
async fn a_query_parameter_given_twice_is_a_json_400() {
    let app = app();
    let id = register(&app, serde_json::from_str(SEED).expect("seed")).await["id"].clone();
    for (uri, field) in [
        ("/instances/events?limit=1&limit=2".to_owned(), "limit"),
        (format!("/instances/{id}/events?after=1&after=2"), "after"),
        (
            format!("/instances/{id}/polls?limit=null&limit=null"),
            "limit",
        ),
    ] {
        let (status, content_type, body) = call(&app, "GET", &uri, None).await;
        assert_error_body(status, &content_type, &body, field);
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("given more than once")),
            "{uri}: {body}"
        );
    }
}

/// Found: a path segment that is not UTF-8 once percent-decoded was answered by axum's Path
/// as text/plain.
#[tokio::test]
async fn a_path_segment_that_is_not_utf8_is_a_json_400() {
    let app = app();
    for (method, uri) in [
        ("GET", "/instances/%FF"),
        ("PATCH", "/instances/%FF"),
        ("DELETE", "/instances/%FF"),
        ("GET", "/instances/1/events/%FF"),
        ("POST", "/instances/1/events/%C3/retry"),
        ("POST", "/instances/%FF/poll"),
        ("GET", "/elements/%FF"),
    ] {
        let body = (method == "PATCH").then(|| json!({"name": "x"}));
        let (status, content_type, body) = call(&app, method, uri, body).await;
        assert_error_body(status, &content_type, &body, "path");
    }
}

/// Found: registration takes `"tags": null` and `"providerData": null` (as none), which the
/// document said were invalid; it now says null is allowed.
#[tokio::test]
async fn null_tags_and_provider_data_are_accepted_and_documented() {
    let app = app();
    let mut body: Value = serde_json::from_str(SEED).expect("seed");
    body["tags"] = Value::Null;
    body["providerData"] = Value::Null;
    let created = register(&app, body).await;
    assert_eq!(created["tags"], json!([]));
    let doc = document();
    for field in ["tags", "providerData"] {
        let schema = &doc["components"]["schemas"]["InstanceBody"]["properties"][field];
        assert!(
            schema.to_string().contains("\"null\""),
            "InstanceBody.{field} does not allow null: {schema}"
        );
    }
}

/// Found: `providerData` values have no length limit (configuration values do: 16 KiB), which
/// the document said they had.
#[tokio::test]
async fn long_provider_data_values_are_accepted_and_documented() {
    let app = app();
    let id = register(&app, serde_json::from_str(SEED).expect("seed")).await["id"].clone();
    let long = "x".repeat(20 * 1024);
    let (status, _, patched) = call(
        &app,
        "PATCH",
        &format!("/instances/{id}"),
        Some(json!({"providerData": {"note": long}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    let schema = &document()["components"]["schemas"]["ProviderValue"];
    assert!(
        !schema.to_string().contains("maxLength"),
        "ProviderValue is documented with a length limit: {schema}"
    );
}
