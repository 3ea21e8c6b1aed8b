//! Faults between pollhook and a vendor: rate-limit storms, 500s, hung calls, malformed pages
//! and a process killed mid-poll. After each, a later poll catches up: no change lost, none twice.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::credentials::digest;
use pollhook_core::instance::{Instance, InstanceId, InstanceSpec};
use pollhook_core::poll_runner::PollRunner;
use pollhook_core::poller::PollerSettings;
use pollhook_core::ports::{Clock, EventLog, InstanceStore, PollLogEntry};
use pollhook_core::secret_box::SecretBox;
use pollhook_simulators::{sagecrm, spawn, Running};
use serde_json::{json, Value};

use crate::helpers::{account_auth, fixture, sim_admin, TestServer};

/// Our clock for in-process polls: real time, but sleeps are recorded and skipped.
struct SkippingClock {
    offset: Mutex<chrono::Duration>,
    slept: Mutex<Vec<Duration>>,
}

#[async_trait]
impl Clock for SkippingClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().expect("offset")
    }
    async fn sleep(&self, duration: Duration) {
        self.slept.lock().expect("slept").push(duration);
        *self.offset.lock().expect("offset") +=
            chrono::Duration::from_std(duration).unwrap_or_default();
    }
}

struct Harness {
    sim: Running,
    store: Arc<SqliteStore>,
    runner: PollRunner,
    clock: Arc<SkippingClock>,
    instance: Instance,
}

/// A Sage CRM instance (accounts only, 2 records a page) on an in-memory store.
async fn harness(vendor_timeout: Duration) -> Harness {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let clock = Arc::new(SkippingClock {
        offset: Mutex::new(chrono::Duration::zero()),
        slept: Mutex::new(Vec::new()),
    });
    let store =
        Arc::new(SqliteStore::open_in_memory(SecretBox::from_key(&[3; 32])).expect("store"));
    store
        .upsert_account("local", "local", "o", "u")
        .expect("account");
    let mut body: Value = serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed");
    body["configuration"]["base.url"] = json!(sim.base_url());
    let poller = body["configuration"]["event.poller.configuration"]
        .as_object_mut()
        .expect("poller");
    poller.retain(|k, _| k == "accounts");
    poller["accounts"]["pageSize"] = json!(2);
    let spec = InstanceSpec::from_body(&body).expect("valid");
    let created = Utc::now();
    let instance = Instance {
        id: InstanceId(42),
        organization_id: "local".into(),
        spec,
        token_digest: digest("token"),
        created_date: created,
        updated_date: created,
    };
    store.insert(&instance).await.expect("insert");
    let runner = PollRunner {
        instances: store.clone(),
        polls: store.clone(),
        client: reqwest::Client::builder()
            .timeout(vendor_timeout)
            .build()
            .expect("client"),
        // The vendor is a simulator on loopback.
        guard: pollhook_core::callback_guard::CallbackGuard {
            allow_private: true,
        },
        clock: clock.clone(),
        settings: PollerSettings::default(),
        metrics: None,
    };
    Harness {
        sim,
        store,
        runner,
        clock,
        instance,
    }
}

impl Harness {
    async fn add_companies(&self, n: usize) {
        let at =
            (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
        sim_admin(
            &self.sim,
            reqwest::Method::POST,
            "/_sim/clock",
            json!({"now": at}),
        )
        .await;
        for i in 0..n {
            sim_admin(
                &self.sim,
                reqwest::Method::POST,
                "/_sim/company",
                json!({"Comp_Name": format!("Co {i}")}),
            )
            .await;
        }
    }

    async fn fault(&self, spec: Value) {
        sim_admin(&self.sim, reqwest::Method::POST, "/_sim/faults", spec).await;
    }

    async fn poll(&self) -> PollLogEntry {
        let mut entries = self.runner.run(&self.instance).await.expect("poll ran");
        entries.remove(0)
    }

    /// Queued events as (object id, type); asserts no change is there twice.
    async fn queued(&self) -> Vec<(String, String)> {
        let records = self
            .store
            .list_events(self.instance.id, None, 10_000)
            .await
            .expect("events");
        let mut seen = std::collections::HashSet::new();
        for r in &records {
            assert!(
                seen.insert(r.event.id.clone()),
                "event {} queued twice",
                r.event.id
            );
        }
        records
            .into_iter()
            .map(|r| (r.event.object_id, r.event.event_type.as_str().to_owned()))
            .collect()
    }
}

#[tokio::test]
async fn a_rate_limit_storm_is_waited_out_honouring_retry_after() {
    let h = harness(Duration::from_secs(10)).await;
    h.add_companies(5).await;
    h.fault(json!({"kind": "rate_limit", "count": 3, "retry_after_secs": 7}))
        .await;
    let entry = h.poll().await;
    assert_eq!(entry.error, None, "{entry:?}");
    assert_eq!(entry.events, 5);
    assert_eq!(entry.pages, 3);
    assert_eq!(
        *h.clock.slept.lock().expect("slept"),
        vec![Duration::from_secs(7); 3]
    );
}

#[tokio::test]
async fn server_errors_are_retried_and_a_resource_that_keeps_failing_catches_up_later() {
    let h = harness(Duration::from_secs(10)).await;
    h.add_companies(3).await;
    h.fault(json!({"kind": "server_error", "count": 2})).await;
    let entry = h.poll().await;
    assert_eq!(
        (entry.error.as_deref(), entry.events),
        (None, 3),
        "{entry:?}"
    );

    h.add_companies(3).await;
    h.fault(json!({"kind": "server_error", "count": 50})).await;
    let failed = h.poll().await;
    assert!(
        failed.error.as_deref().is_some_and(|e| e.contains("500")),
        "{failed:?}"
    );
    assert_eq!(failed.events, 0);
    sim_admin(&h.sim, reqwest::Method::DELETE, "/_sim/faults", json!({})).await;
    let caught_up = h.poll().await;
    assert_eq!(
        (caught_up.error.as_deref(), caught_up.events),
        (None, 3),
        "{caught_up:?}"
    );
    assert_eq!(h.queued().await.len(), 6);
}

#[tokio::test]
async fn a_hung_call_times_out_and_is_retried() {
    let h = harness(Duration::from_millis(300)).await;
    h.add_companies(3).await;
    h.fault(json!({"kind": "hang", "count": 1, "hang_secs": 2.0}))
        .await;
    let entry = h.poll().await;
    assert_eq!(
        (entry.error.as_deref(), entry.events),
        (None, 3),
        "{entry:?}"
    );
    assert!(
        !h.clock.slept.lock().expect("slept").is_empty(),
        "the timeout was retried after a backoff"
    );
}

#[tokio::test]
async fn malformed_pages_fail_the_resource_and_the_next_poll_repeats_nothing() {
    for style in ["truncated", "missing_items", "html"] {
        let h = harness(Duration::from_secs(10)).await;
        h.add_companies(5).await;
        h.fault(json!({"kind": "malformed", "count": 1, "style": style}))
            .await;
        let failed = h.poll().await;
        assert!(failed.error.is_some(), "{style}: {failed:?}");
        let again = h.poll().await;
        assert_eq!(again.error, None, "{style}: {again:?}");
        assert_eq!(h.queued().await.len(), 5, "{style}");
    }
}

#[tokio::test]
async fn a_process_killed_mid_poll_loses_and_repeats_nothing() {
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let mut server = TestServer::start();
    let mut body: Value = serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed");
    body["configuration"]["base.url"] = json!(sim.base_url());
    body["configuration"]["event.poller.configuration"]["accounts"]["pageSize"] = json!(2);
    let (status, created) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_u64().expect("id");
    let at = (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
    sim_admin(
        &sim,
        reqwest::Method::POST,
        "/_sim/clock",
        json!({"now": at}),
    )
    .await;
    for i in 0..5 {
        sim_admin(
            &sim,
            reqwest::Method::POST,
            "/_sim/company",
            json!({"Comp_Name": format!("Co {i}")}),
        )
        .await;
        sim_admin(
            &sim,
            reqwest::Method::POST,
            "/_sim/person",
            json!({"Pers_FirstName": format!("P {i}")}),
        )
        .await;
    }
    // Accounts' first two pages go through; the third call hangs, and the process is killed
    // while the poll is inside it.
    sim_admin(
        &sim,
        reqwest::Method::POST,
        "/_sim/faults",
        json!({"kind": "hang", "count": 1, "hang_secs": 30.0, "after": 2}),
    )
    .await;
    let client = server.client.clone();
    let url = server.url(&format!("/instances/{id}/poll"));
    let pending = tokio::spawn(async move {
        client
            .post(url)
            .header("Authorization", account_auth())
            .send()
            .await
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log: Value = reqwest::get(sim.url("/_sim/requests"))
            .await
            .expect("log")
            .json()
            .await
            .expect("json");
        if log.as_array().is_some_and(|a| a.len() >= 3) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the poll never reached its third call"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill();
    let _ = pending.await;
    sim_admin(&sim, reqwest::Method::DELETE, "/_sim/faults", json!({})).await;

    let server = server.restart_after_kill();
    let request = server
        .client
        .post(server.url(&format!("/instances/{id}/poll")))
        .header("Authorization", account_auth());
    let (status, body) = server.send(request).await;
    assert_eq!(status, 200, "{body}");
    let (_, events) = server
        .get(
            &format!("/instances/{id}/events?limit=1000"),
            &account_auth(),
        )
        .await;
    let events = events.as_array().expect("events");
    let mut per_change = std::collections::HashMap::new();
    for e in events {
        *per_change
            .entry((e["objectType"].to_string(), e["objectId"].to_string()))
            .or_insert(0) += 1;
    }
    assert_eq!(per_change.len(), 10, "every change delivered: {events:#?}");
    assert!(
        per_change.values().all(|n| *n == 1),
        "a change queued twice: {per_change:?}"
    );
}
