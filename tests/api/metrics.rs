//! `GET /metrics` of `pollhook serve`: Prometheus text counting what a poll found and delivered.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use pollhook_simulators::{sagecrm, spawn};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{fixture, poll_now, sim_admin, TestServer};
use pollhook_simulators::receiver::Receiver;

/// The whole `/metrics` text, fetched without credentials as a scraper would.
async fn scrape(server: &TestServer) -> String {
    let response = server
        .client
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    response.text().await.expect("metrics text")
}

/// The value of the sample line named exactly `series` (name and labels), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_events_found_polls_and_deliveries() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    let server = TestServer::start();

    let before = scrape(&server).await;
    assert_eq!(
        sample(&before, "pollhook_notifications_delivered_total"),
        Some(0.0),
        "{before}"
    );

    let mut body: Value = serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed");
    body["configuration"]["base.url"] = json!(sim.base_url());
    body["configuration"]["event.notification.callback.url"] = json!(receiver.url);
    body["configuration"]["event.poller.configuration"]
        .as_object_mut()
        .expect("poller")
        .retain(|k, _| k == "accounts");
    let (status, created) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_u64().expect("id");

    let at = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    sim_admin(&sim, Method::POST, "/_sim/clock", json!({"now": at})).await;
    for i in 0..3 {
        sim_admin(
            &sim,
            Method::POST,
            "/_sim/company",
            json!({"Comp_Name": format!("Metrics Co {i}")}),
        )
        .await;
    }
    poll_now(&server, id).await;
    receiver
        .receiver
        .wait_for("1 notification", Duration::from_secs(20), |r| !r.is_empty())
        .await;

    // The attempt is counted once the receiver's answer is read, just after it was received.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = scrape(&server).await;
        if sample(&text, "pollhook_notifications_delivered_total") == Some(1.0) {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no delivery counted:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        sample(
            &text,
            r#"pollhook_events_found_total{element="sagecrm",resource="accounts"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "pollhook_notifications_dead_total"),
        Some(0.0)
    );
    let polls = sample(&text, "pollhook_poll_duration_seconds_count").unwrap_or_default();
    assert!(polls >= 1.0, "{text}");
    assert_eq!(
        sample(&text, r#"pollhook_polls_total{outcome="ok"}"#),
        Some(polls),
        "{text}"
    );
    assert_eq!(
        sample(&text, "pollhook_delivery_latency_seconds_count"),
        Some(1.0),
        "{text}"
    );
    assert!(text.contains("# TYPE pollhook_poll_duration_seconds histogram\n"));
}
