//! Two organizations on one store never see each other's instances.

mod router_call;

use router_call::call;

use std::sync::Arc;

use axum::http::StatusCode;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;

const SEED: &str = include_str!("../../tests/fixtures/sagecrm-seed.json");

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
