//! Two organizations on one store never see each other's instances.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;
use serde_json::Value;
use tower::ServiceExt;

const SEED: &str = include_str!("../../tests/fixtures/sagecrm-seed.json");

async fn call(
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

#[tokio::test]
async fn another_tenants_instance_is_404_and_absent_from_lists() {
    let store = SqliteStore::open_in_memory(SecretBox::from_key(&[7; 32])).expect("store");
    store
        .upsert_account("acme", "alice", "acme-org", "alice-user")
        .expect("acme");
    store
        .upsert_account("globex", "bob", "globex-org", "bob-user")
        .expect("globex");
    let store = Arc::new(store);
    let app = router(ApiState::on_store(store));
    let acme = "User alice-user, Organization acme-org";
    let globex = "User bob-user, Organization globex-org";
    let (status, created) = call(&app, "POST", "/instances", acme, Some(SEED)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let path = format!("/instances/{}", created["id"]);

    for method in ["GET", "DELETE"] {
        let (status, _) = call(&app, method, &path, globex, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} by another tenant");
    }
    let (status, _) = call(&app, "PATCH", &path, globex, Some(r#"{"name":"stolen"}"#)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = call(&app, "GET", "/instances", globex, None).await;
    assert_eq!(list, serde_json::json!([]));
    let (status, mine) = call(&app, "GET", &path, acme, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        mine["name"], "SageCRMPolling",
        "untouched by the other tenant"
    );
    // A user of one organization cannot borrow another organization's secret.
    let (status, _) = call(
        &app,
        "GET",
        "/instances",
        "User alice-user, Organization globex-org",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
