//! The public API on the AWS adapters (DynamoDB + EventBridge Scheduler, on the local emulator):
//! registering, changing and deleting an instance keeps its poll schedule in step.
#![cfg(feature = "api")]

use std::sync::Arc;

use crate::emulator::{config, unique};
use crate::fresh_store::store_with_account;
use crate::router_call;
use axum::http::StatusCode;
use pollhook_core::adapters::scheduler::EventBridgeSchedules;
use pollhook_core::api::{router, ApiState};
use serde_json::{json, Value};

const SEED: &str = include_str!("../../../tests/fixtures/sagecrm-seed.json");
const AUTH: &str = "User u, Organization o";

#[tokio::test]
async fn instances_on_dynamodb_keep_their_eventbridge_schedule_in_step() {
    let config = config().await;
    let run = unique("run");
    let store = store_with_account(&config, &format!("pollhook-api-{run}"), [2; 32]).await;
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
    let (status, created) =
        router_call::call(&app, "POST", "/instances", AUTH, Some(&seed.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["id"].as_u64().expect("id");
    assert_eq!(schedule(id).await.as_deref(), Some("rate(15 minutes)"));
    let (status, read) =
        router_call::call(&app, "GET", &format!("/instances/{id}"), AUTH, None).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["configuration"]["password"], "********");

    let (status, body) = router_call::call(
        &app,
        "PATCH",
        &format!("/instances/{id}"),
        AUTH,
        Some(&json!({"configuration": {"event.poller.refresh_interval": 5}}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(schedule(id).await.as_deref(), Some("rate(5 minutes)"));

    let (status, body) = router_call::call(
        &app,
        "PATCH",
        &format!("/instances/{id}"),
        AUTH,
        Some(&json!({"configuration": {"event.notification.enabled": false}}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(schedule(id).await, None, "events off: no schedule");

    let (status, body) = router_call::call(
        &app,
        "PATCH",
        &format!("/instances/{id}"),
        AUTH,
        Some(&json!({"configuration": {"event.notification.enabled": true}}).to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(schedule(id).await.as_deref(), Some("rate(5 minutes)"));

    let (status, _) =
        router_call::call(&app, "DELETE", &format!("/instances/{id}"), AUTH, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schedule(id).await, None, "deleted with the instance");
}
