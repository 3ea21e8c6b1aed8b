//! Delivery to a real receiver over HTTP: signatures, batching, retries, dead letters and
//! replay, a hung receiver, 410 Gone, and a process killed mid-delivery.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use pollhook_core::signature::{verify_open_connectors, verify_standard_webhooks, WebhookSecret};
use pollhook_simulators::{sagecrm, spawn, Running};
use serde_json::{json, Value};

use reqwest::Method;

use crate::helpers::{account_auth, events, fixture, poll_now, sim_admin, TestServer};
use pollhook_simulators::receiver::{Answer, Receiver};

const SIGNATURE_KEY: &str = "oc-signing-key";
const FAST_RETRIES: &[&str] = &[
    "--retry-schedule",
    "100ms,200ms,300ms",
    "--delivery-timeout-secs",
    "1",
];

/// A Sage CRM instance (accounts only) on `sim` delivering to `callback`; returns (id, webhook secret).
async fn register(server: &TestServer, sim: &Running, callback: &str) -> (u64, String) {
    let mut body: Value = serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed");
    body["configuration"]["base.url"] = json!(sim.base_url());
    body["configuration"]["event.notification.callback.url"] = json!(callback);
    body["configuration"]["event.notification.signature.key"] = json!(SIGNATURE_KEY);
    body["configuration"]["event.poller.configuration"]
        .as_object_mut()
        .expect("poller")
        .retain(|k, _| k == "accounts");
    let (status, created) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(
        created["configuration"]["event.notification.signature.key"],
        "********"
    );
    let secret = created["webhookSecret"]
        .as_str()
        .expect("webhookSecret shown at creation")
        .to_owned();
    (created["id"].as_u64().expect("id"), secret)
}

async fn add_companies(sim: &Running, n: usize) {
    let at = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    sim_admin(sim, Method::POST, "/_sim/clock", json!({"now": at})).await;
    for i in 0..n {
        sim_admin(
            sim,
            Method::POST,
            "/_sim/company",
            json!({"Comp_Name": format!("Co {i}")}),
        )
        .await;
    }
}

async fn wait_statuses(server: &TestServer, id: u64, want: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let all = events(server, id).await;
        if all.len() == n && all.iter().all(|e| e["status"] == want) {
            return all;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "events never all {want}: {all:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn notifications_are_signed_both_ways_batched_by_ten_and_marked_notified() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    let server = TestServer::start();
    let (id, secret) = register(&server, &sim, &receiver.url).await;
    add_companies(&sim, 25).await;
    poll_now(&server, id).await;
    let got = receiver
        .receiver
        .wait_for("3 notifications", Duration::from_secs(20), |r| r.len() >= 3)
        .await;
    assert_eq!(got.len(), 3, "25 events go as 10 + 10 + 5");
    let secret = WebhookSecret::parse(&secret).expect("whsec secret");
    let mut counts = Vec::new();
    let mut objects = HashSet::new();
    for r in &got {
        assert_eq!(r.header("content-type"), "application/json");
        assert!(
            r.header("user-agent").starts_with("pollhook/"),
            "{}",
            r.header("user-agent")
        );
        let msg_id = r.header("webhook-id");
        assert_eq!(msg_id, r.header("elements-webhook-id"));
        verify_standard_webhooks(
            &secret,
            msg_id,
            r.header("webhook-timestamp"),
            r.header("webhook-signature"),
            &r.body,
            Utc::now().timestamp(),
            300,
        )
        .expect("Standard Webhooks signature verifies");
        verify_open_connectors(
            SIGNATURE_KEY,
            r.header("elements-webhook-signature"),
            &r.body,
        )
        .expect("Open Connectors signature verifies");
        let body = r.json();
        let message = &body["message"];
        assert_eq!(message["eventId"], msg_id);
        assert_eq!(message["instanceId"], id);
        assert_eq!(message["elementKey"], "sagecrm");
        let events = message["events"].as_array().expect("events");
        counts.push(events.len());
        for e in events {
            assert_eq!(e["eventType"], "CREATED");
            assert_eq!(e["objectType"], "accounts");
            objects.insert(e["objectId"].as_str().unwrap_or_default().to_owned());
        }
        assert_eq!(
            message["raw"]["accounts"].as_array().map(Vec::len),
            Some(events.len())
        );
    }
    counts.sort();
    assert_eq!(counts, vec![5, 10, 10]);
    assert_eq!(objects.len(), 25);
    let all = wait_statuses(&server, id, "NOTIFIED", 25).await;
    let (_, one) = server
        .get(
            &format!(
                "/instances/{id}/events/{}",
                all[0]["id"].as_str().unwrap_or_default()
            ),
            &account_auth(),
        )
        .await;
    let attempts = one["attempts"]
        .as_array()
        .unwrap_or_else(|| panic!("attempts: {one}"));
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["statusCode"], 200);
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_everything_once_it_is_back() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    receiver.receiver.script(
        vec![Answer::Status(503), Answer::Status(500)],
        Answer::Status(200),
    );
    let server = TestServer::start_with_args(&["--retry-schedule", "100ms,200ms,300ms,400ms"]);
    let (id, _) = register(&server, &sim, &receiver.url).await;
    add_companies(&sim, 3).await;
    poll_now(&server, id).await;
    let all = wait_statuses(&server, id, "NOTIFIED", 3).await;
    let got = receiver.receiver.received();
    assert_eq!(got.len(), 3, "two failures, then the delivery");
    let ids: HashSet<_> = got
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "the same notification id on every attempt");
    let (_, one) = server
        .get(
            &format!(
                "/instances/{id}/events/{}",
                all[0]["id"].as_str().unwrap_or_default()
            ),
            &account_auth(),
        )
        .await;
    let codes: Vec<_> = one["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|a| a["statusCode"].clone())
        .collect();
    assert_eq!(codes, vec![json!(503), json!(500), json!(200)]);
}

#[tokio::test]
async fn a_receiver_that_always_fails_ends_in_dead_letters_that_replay() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    receiver.receiver.script(vec![], Answer::Status(500));
    let server = TestServer::start_with_args(FAST_RETRIES);
    let (id, _) = register(&server, &sim, &receiver.url).await;
    add_companies(&sim, 2).await;
    poll_now(&server, id).await;
    let dead = wait_statuses(&server, id, "DEAD", 2).await;
    assert_eq!(
        receiver.receiver.received().len(),
        4,
        "first attempt + 3 retries"
    );

    receiver.receiver.script(vec![], Answer::Status(204));
    let one = dead[0]["id"].as_str().unwrap_or_default();
    let request = server
        .client
        .post(server.url(&format!("/instances/{id}/events/{one}/retry")))
        .header("Authorization", account_auth());
    let (status, body) = server.send(request).await;
    assert_eq!(status, 200, "{body}");
    wait_statuses(&server, id, "NOTIFIED", 2).await;
    // Nothing dead is left to replay.
    let request = server
        .client
        .post(server.url(&format!("/instances/{id}/events/retry")))
        .header("Authorization", account_auth());
    let (_, body) = server.send(request).await;
    assert_eq!(body["requeued"], 0);
}

#[tokio::test]
async fn a_hung_receiver_times_out_and_does_not_block_other_instances() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let slow = Receiver::start().await;
    slow.receiver
        .script(vec![], Answer::Hang(Duration::from_secs(30)));
    let fast = Receiver::start().await;
    let server =
        TestServer::start_with_args(&["--retry-schedule", "10s", "--delivery-timeout-secs", "1"]);
    let (slow_id, _) = register(&server, &sim, &slow.url).await;
    let (fast_id, _) = register(&server, &sim, &fast.url).await;
    add_companies(&sim, 2).await;
    poll_now(&server, slow_id).await;
    poll_now(&server, fast_id).await;
    let started = std::time::Instant::now();
    fast.receiver
        .wait_for(
            "the healthy receiver's notification",
            Duration::from_secs(10),
            |r| !r.is_empty(),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the healthy receiver waited {:?}",
        started.elapsed()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let slow_events = events(&server, slow_id).await;
        if slow_events.iter().all(|e| e["status"] == "FAILED") {
            let (_, one) = server
                .get(
                    &format!(
                        "/instances/{slow_id}/events/{}",
                        slow_events[0]["id"].as_str().unwrap_or_default()
                    ),
                    &account_auth(),
                )
                .await;
            let error = one["attempts"][0]["error"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert!(error.contains("did not answer"), "{error}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the hung attempt never timed out: {slow_events:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_410_gone_disables_the_instances_notifications() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    receiver.receiver.script(vec![], Answer::Status(410));
    let server = TestServer::start_with_args(FAST_RETRIES);
    let (id, _) = register(&server, &sim, &receiver.url).await;
    add_companies(&sim, 1).await;
    poll_now(&server, id).await;
    wait_statuses(&server, id, "DEAD", 1).await;
    assert_eq!(receiver.receiver.received().len(), 1, "no retry after 410");
    let (_, instance) = server
        .get(&format!("/instances/{id}"), &account_auth())
        .await;
    assert_eq!(instance["eventsEnabled"], false);
    assert!(
        instance["configuration"]["event.notification.disabled.reason"]
            .as_str()
            .is_some_and(|r| r.contains("410")),
        "{instance}"
    );
}

#[tokio::test]
async fn a_process_killed_during_delivery_loses_nothing_and_keeps_ids() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    // The first notification hangs the receiver, and the process is killed while it waits.
    receiver.receiver.script(
        vec![Answer::Hang(Duration::from_secs(3))],
        Answer::Status(200),
    );
    let mut server = TestServer::start_with_args(&[
        "--retry-schedule",
        "100ms",
        "--delivery-timeout-secs",
        "10",
    ]);
    let (id, _) = register(&server, &sim, &receiver.url).await;
    add_companies(&sim, 12).await;
    poll_now(&server, id).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill();
    let server = server.restart_after_kill();
    wait_statuses(&server, id, "NOTIFIED", 12).await;
    let got = receiver
        .receiver
        .wait_for("the hung request to finish", Duration::from_secs(10), |r| {
            r.len() >= 3
        })
        .await;
    let mut per_id: HashMap<String, Vec<Value>> = HashMap::new();
    for r in &got {
        per_id
            .entry(r.header("webhook-id").to_owned())
            .or_default()
            .push(r.json());
    }
    assert_eq!(
        per_id.len(),
        2,
        "12 events in two notifications: {per_id:#?}"
    );
    for (msg_id, bodies) in &per_id {
        assert!(
            bodies.windows(2).all(|w| w[0] == w[1]),
            "{msg_id} changed between attempts"
        );
    }
    let delivered: HashSet<_> = got
        .iter()
        .flat_map(|r| {
            r.json()["message"]["events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|e| e["objectId"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(delivered.len(), 12, "every change delivered at least once");
}

#[tokio::test]
async fn a_rotated_secret_keeps_the_old_one_signing_alongside_the_new() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    let server = TestServer::start();
    let (id, old) = register(&server, &sim, &receiver.url).await;
    let request = server
        .client
        .post(server.url(&format!("/instances/{id}/webhook-secret/rotate")))
        .header("Authorization", account_auth());
    let (status, rotated) = server.send(request).await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["webhookSecret"]
        .as_str()
        .expect("new secret")
        .to_owned();
    assert_ne!(new, old);
    let (_, instance) = server
        .get(&format!("/instances/{id}"), &account_auth())
        .await;
    assert!(
        !instance.to_string().contains(&new),
        "the secret is shown only when issued"
    );
    add_companies(&sim, 1).await;
    poll_now(&server, id).await;
    let got = receiver
        .receiver
        .wait_for("a notification", Duration::from_secs(20), |r| !r.is_empty())
        .await;
    let r = &got[0];
    assert_eq!(
        r.header("webhook-signature").split(' ').count(),
        2,
        "both secrets sign"
    );
    for secret in [&old, &new] {
        let secret = WebhookSecret::parse(secret).expect("secret");
        verify_standard_webhooks(
            &secret,
            r.header("webhook-id"),
            r.header("webhook-timestamp"),
            r.header("webhook-signature"),
            &r.body,
            Utc::now().timestamp(),
            300,
        )
        .expect("verifies with the old and the new secret");
    }
}

#[tokio::test]
async fn a_resources_notifications_arrive_in_order_even_across_a_retry() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    receiver
        .receiver
        .script(vec![Answer::Status(503)], Answer::Status(200));
    let server = TestServer::start_with_args(&["--retry-schedule", "300ms"]);
    let (id, _) = register(&server, &sim, &receiver.url).await;
    add_companies(&sim, 35).await;
    poll_now(&server, id).await;
    let all = wait_statuses(&server, id, "NOTIFIED", 35).await;
    let mut queued: Vec<String> = Vec::new();
    for e in &all {
        let n = e["notificationId"].as_str().unwrap_or_default().to_owned();
        if queued.last() != Some(&n) {
            queued.push(n);
        }
    }
    assert_eq!(queued.len(), 4, "35 events in 4 notifications");
    let arrivals: Vec<String> = receiver
        .receiver
        .received()
        .iter()
        .map(|r| r.header("webhook-id").to_owned())
        .collect();
    assert_eq!(
        arrivals.len(),
        5,
        "the first notification twice (503, then 200), the rest once"
    );
    assert_eq!(
        arrivals[0], arrivals[1],
        "the failed notification is retried before the next goes"
    );
    assert_eq!(&arrivals[1..], &queued[..], "delivered in queue order");
}

#[tokio::test]
async fn all_events_of_an_organization_are_listed_and_element_tokens_see_their_own() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    let server = TestServer::start();
    let (a, _) = register(&server, &sim, &receiver.url).await;
    let (b, _) = register(&server, &sim, &receiver.url).await;
    add_companies(&sim, 2).await;
    poll_now(&server, a).await;
    poll_now(&server, b).await;
    let (status, all) = server.get("/instances/events", &account_auth()).await;
    assert_eq!(status, 200, "{all}");
    let instances: HashSet<u64> = all
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["instanceId"].as_u64())
        .collect();
    assert_eq!(instances, HashSet::from([a, b]));
    let (status, page) = server
        .get("/instances/events?limit=1", &account_auth())
        .await;
    assert_eq!(status, 200);
    assert_eq!(page.as_array().map(Vec::len), Some(1));
    let (status, bad) = server
        .get("/instances/events?limit=0", &account_auth())
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["message"]
        .as_str()
        .is_some_and(|m| m.starts_with("limit:")));
}
