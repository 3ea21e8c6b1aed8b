//! Registration refuses callbacks on private, loopback, link-local and metadata addresses
//! unless the operator allows them; nothing is stored for a refused one.

mod router_call;

use std::sync::Arc;

use axum::http::StatusCode;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;
use serde_json::{json, Value};

const SEED: &str = include_str!("../../tests/fixtures/sagecrm-seed.json");
const AUTH: &str = "User u, Organization o";

async fn post(app: &axum::Router, path: &str, body: &Value) -> (StatusCode, Value) {
    router_call::call(app, "POST", path, AUTH, Some(&body.to_string())).await
}

fn app(allow_private: bool) -> axum::Router {
    let store = SqliteStore::open_in_memory(SecretBox::from_key(&[4; 32])).expect("store");
    store
        .upsert_account("local", "local", "o", "u")
        .expect("account");
    router(ApiState::on_store(Arc::new(store)).allow_private_callbacks(allow_private))
}

fn with_callback(url: &str) -> Value {
    let mut body: Value = serde_json::from_str(SEED).expect("seed");
    body["configuration"]["event.notification.callback.url"] = json!(url);
    body
}

#[tokio::test]
async fn private_callbacks_are_refused_by_default_and_allowed_on_request() {
    let strict = app(false);
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ] {
        let (status, body) = post(&strict, "/instances", &with_callback(url)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("configuration.event.notification.callback.url: "),
            "{url}: {message}"
        );
        assert!(
            message.contains("--allow-private-callbacks"),
            "{url}: {message}"
        );
    }
    let (_, listed) = router_call::call(&strict, "GET", "/instances", AUTH, None).await;
    assert_eq!(listed, json!([]), "nothing stored");

    // A public name that does not resolve here is accepted: it is checked at each delivery.
    let (status, body) = post(
        &strict,
        "/instances",
        &with_callback("https://hooks.example.invalid/in"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let lenient = app(true);
    let (status, body) = post(
        &lenient,
        "/instances",
        &with_callback("http://127.0.0.1:9000/hook"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
