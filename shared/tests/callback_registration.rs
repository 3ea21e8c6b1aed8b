//! Registration refuses callbacks and vendor addresses on private, loopback, link-local and
//! metadata addresses unless the operator allows them; nothing is stored for a refused one, and
//! a poll refuses a vendor address the operator no longer allows.

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

/// The seed body with one configuration key set (or a whole other body for `sageone`).
fn with_config(seed: &str, key: &str, value: &str) -> Value {
    let mut body: Value = serde_json::from_str(seed).expect("seed");
    body["configuration"][key] = json!(value);
    body
}

#[tokio::test]
async fn private_vendor_addresses_are_refused_by_default_and_allowed_on_request() {
    const SAGEONE: &str = include_str!("../../tests/fixtures/sageone-seed.json");
    let strict = app(false);
    let cases = [
        (SEED, "base.url", "http://169.254.169.254", "base.url"),
        (SEED, "base.url", "http://127.0.0.1:8080", "base.url"),
        (SEED, "subdomain", "10.0.0.5", "subdomain"),
        (SEED, "base.url", "http://localhost:9101", "base.url"),
        (
            SAGEONE,
            "oauth.token.url",
            "http://[::1]/token",
            "oauth.token.url",
        ),
        (SAGEONE, "base.url", "http://192.168.1.1/v3.1", "base.url"),
    ];
    for (seed, key, value, field) in cases {
        let (status, body) = post(&strict, "/instances", &with_config(seed, key, value)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{key}={value}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!("configuration.{field}: ")),
            "{key}={value}: {message}"
        );
        assert!(
            message.contains("--allow-private-callbacks"),
            "{key}={value}: {message}"
        );
    }
    // A resource polled by absolute URL is a vendor address too.
    let absolute = json!({
        "element": {"key": "http"},
        "name": "absolute",
        "configuration": {
            "base.url": "https://api.example.com",
            "event.notification.enabled": true,
            "event.notification.callback.url": "https://hooks.example.com/in",
            "event.poller.configuration": {
                "meta": {"url": "http://169.254.169.254/latest/meta-data", "idField": "id"}
            }
        }
    });
    let (status, body) = post(&strict, "/instances", &absolute).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["errors"][0]["field"], "configuration.event.poller.configuration.meta.url",
        "{body}"
    );
    let (_, listed) = router_call::call(&strict, "GET", "/instances", AUTH, None).await;
    assert_eq!(listed, json!([]), "nothing stored");

    // A PATCH that moves a registered instance's vendor to a private address is refused too,
    // and leaves the instance as it was.
    let (status, created) = post(
        &strict,
        "/instances",
        &serde_json::from_str(SEED).expect("seed"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let path = format!("/instances/{}", created["id"]);
    let patch = json!({"configuration": {"base.url": "http://127.0.0.1:9101"}}).to_string();
    let (status, body) = router_call::call(&strict, "PATCH", &path, AUTH, Some(&patch)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, read) = router_call::call(&strict, "GET", &path, AUTH, None).await;
    assert_eq!(
        read,
        created_view(&created),
        "the refused PATCH changed nothing"
    );

    let lenient = app(true);
    let (status, body) = post(
        &lenient,
        "/instances",
        &with_config(SEED, "base.url", "http://127.0.0.1:9101"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// What `GET` shows of an instance `POST` answered with: the same minus what is shown once.
fn created_view(created: &Value) -> Value {
    let mut view = created.clone();
    if let Some(fields) = view.as_object_mut() {
        fields.remove("token");
        fields.remove("webhookSecret");
    }
    view
}

#[tokio::test]
async fn a_poll_refuses_a_private_vendor_address_the_operator_no_longer_allows() {
    use pollhook_core::callback_guard::{guarded_client, CallbackGuard};
    use pollhook_core::poll_runner::PollRunner;
    use pollhook_core::poller::PollerSettings;
    use pollhook_core::ports::{InstanceStore, PollNowError, SystemClock};

    let store =
        Arc::new(SqliteStore::open_in_memory(SecretBox::from_key(&[4; 32])).expect("store"));
    store
        .upsert_account("local", "local", "o", "u")
        .expect("account");
    // Registered while private addresses were allowed (e.g. against a simulator)...
    let lenient = router(ApiState::on_store(store.clone()).allow_private_callbacks(true));
    let guard = CallbackGuard {
        allow_private: false,
    };
    let runner = PollRunner {
        instances: store.clone(),
        polls: store.clone(),
        client: guarded_client(
            guard.clone(),
            std::time::Duration::from_secs(5),
            "pollhook-test",
        ),
        guard,
        clock: Arc::new(SystemClock),
        settings: PollerSettings::default(),
        metrics: None,
    };
    // ...then polled by a runner that refuses them: an address literal before any request,
    // a name where the client resolves it.
    for (base, expected) in [
        ("http://127.0.0.1:9", "configuration.base.url: "),
        ("http://localhost:9", "localhost"),
    ] {
        let body = with_config(SEED, "base.url", base);
        let (status, created) = post(&lenient, "/instances", &body).await;
        assert_eq!(status, StatusCode::OK, "{created}");
        let id = pollhook_core::instance::InstanceId(created["id"].as_u64().expect("id"));
        let instance = store.get("local", id).await.expect("read").expect("stored");
        match runner.run(&instance).await {
            Err(PollNowError::Connector(message)) => {
                assert!(message.contains(expected), "{base}: {message}");
                assert!(
                    message.contains("--allow-private-callbacks"),
                    "{base}: {message}"
                );
            }
            Ok(log) => {
                let errors: Vec<_> = log.iter().filter_map(|e| e.error.clone()).collect();
                assert!(
                    errors
                        .iter()
                        .any(|e| e.contains(expected) || e.contains("loopback")),
                    "{base}: the poll should fail on the guard: {log:?}"
                );
            }
            Err(other) => panic!("{base}: {other}"),
        }
    }
}
