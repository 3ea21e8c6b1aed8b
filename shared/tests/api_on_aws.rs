//! The public API on the AWS adapters (DynamoDB + EventBridge Scheduler, on the local emulator):
//! registering, changing and deleting an instance keeps its poll schedule in step.
#![cfg(feature = "aws")]

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pollhook_core::adapters::dynamodb::DynamoStore;
use pollhook_core::adapters::scheduler::EventBridgeSchedules;
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;
use serde_json::{json, Value};
use tower::ServiceExt;

const SEED: &str = include_str!("../../tests/fixtures/sagecrm-seed.json");
const AUTH: &str = "User u, Organization o";

async fn sdk_config() -> aws_config::SdkConfig {
    let endpoint = std::env::var("POLLHOOK_AWS_ENDPOINT").unwrap_or_default();
    assert!(
        !endpoint.is_empty(),
        "POLLHOOK_AWS_ENDPOINT is not set: run the tests through tests/run.sh, which starts the local AWS emulator"
    );
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(aws_sdk_scheduler::config::Credentials::new(
            "test",
            "test",
            None,
            None,
            "pollhook-tests",
        ))
        .load()
        .await
}

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("Authorization", AUTH);
    if body.is_some() {
        request = request.header("Content-Type", "application/json");
    }
    let request = request
        .body(
            body.map(|b| Body::from(b.to_string()))
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
async fn instances_on_dynamodb_keep_their_eventbridge_schedule_in_step() {
    let config = sdk_config().await;
    let run = format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let store = DynamoStore::connect(
        &config,
        &format!("pollhook-api-{run}"),
        SecretBox::from_key(&[2; 32]),
    )
    .await
    .expect("store");
    store.create_table_if_missing().await.expect("table");
    store.check_key().await.expect("key");
    store
        .upsert_account("acme", "alice", "o", "u")
        .await
        .expect("account");
    let group = format!("pollhook-api-{run}");
    let schedules = EventBridgeSchedules::new(
        &config,
        &group,
        "arn:aws:lambda:us-east-1:123456789012:function:pollhook-poll",
        "arn:aws:iam::123456789012:role/pollhook-scheduler",
    );
    schedules.create_group_if_missing().await.expect("group");
    let app = router(ApiState::on_store(Arc::new(store)).with_schedules(Arc::new(schedules)));
    let raw = aws_sdk_scheduler::Client::new(&config);
    let schedule = |id: u64| {
        let raw = raw.clone();
        let group = group.clone();
        async move {
            raw.get_schedule()
                .group_name(group)
                .name(format!("pollhook-{id}"))
                .send()
                .await
                .ok()
                .and_then(|s| s.schedule_expression().map(str::to_owned))
        }
    };

    let seed: Value = serde_json::from_str(SEED).expect("seed");
    let (status, created) = call(&app, "POST", "/instances", Some(seed)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["id"].as_u64().expect("id");
    assert_eq!(schedule(id).await.as_deref(), Some("rate(15 minutes)"));
    let (status, read) = call(&app, "GET", &format!("/instances/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["configuration"]["password"], "********");

    let (status, body) = call(
        &app,
        "PATCH",
        &format!("/instances/{id}"),
        Some(json!({"configuration": {"event.poller.refresh_interval": 5}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(schedule(id).await.as_deref(), Some("rate(5 minutes)"));

    let (status, body) = call(
        &app,
        "PATCH",
        &format!("/instances/{id}"),
        Some(json!({"configuration": {"event.notification.enabled": false}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(schedule(id).await, None, "events off: no schedule");

    let (status, body) = call(
        &app,
        "PATCH",
        &format!("/instances/{id}"),
        Some(json!({"configuration": {"event.notification.enabled": true}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(schedule(id).await.as_deref(), Some("rate(5 minutes)"));

    let (status, _) = call(&app, "DELETE", &format!("/instances/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schedule(id).await, None, "deleted with the instance");
}
