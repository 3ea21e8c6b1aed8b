//! The local scheduler polls instances with events on at their refresh interval, counted from
//! their creation, and leaves the others alone.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::credentials::digest;
use pollhook_core::instance::{Instance, InstanceId, InstanceSpec};
use pollhook_core::poll_runner::PollRunner;
use pollhook_core::poller::PollerSettings;
use pollhook_core::ports::{Clock, EventLog, InstanceStore};
use pollhook_core::scheduler::{self, next_due, SchedulerSettings};
use pollhook_core::secret_box::SecretBox;
use serde_json::{json, Value};

struct ManualClock(Mutex<DateTime<Utc>>);

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock")
    }
    async fn sleep(&self, _: Duration) {}
}

fn instance(id: u64, base: &str, enabled: bool, minutes: u32, created: DateTime<Utc>) -> Instance {
    let mut body: Value =
        serde_json::from_str(include_str!("../../tests/fixtures/sagecrm-seed.json")).expect("seed");
    body["configuration"]["base.url"] = json!(base);
    body["configuration"]["event.notification.enabled"] = json!(enabled);
    body["configuration"]["event.poller.refresh_interval"] = json!(minutes);
    body["configuration"]["event.poller.configuration"]
        .as_object_mut()
        .expect("poller")
        .retain(|k, _| k == "accounts");
    Instance {
        id: InstanceId(id),
        organization_id: "local".into(),
        spec: InstanceSpec::from_body(&body).expect("valid"),
        token_digest: digest(&id.to_string()),
        created_date: created,
        updated_date: created,
    }
}

#[tokio::test]
async fn instances_are_polled_at_their_interval_from_creation() {
    let sim = pollhook_simulators::spawn(pollhook_simulators::sagecrm::router(Default::default()))
        .await
        .expect("sim");
    let created = Utc::now();
    let clock = Arc::new(ManualClock(Mutex::new(created)));
    let store =
        Arc::new(SqliteStore::open_in_memory(SecretBox::from_key(&[5; 32])).expect("store"));
    store
        .upsert_account("local", "local", "o", "u")
        .expect("account");
    let every_minute = instance(1, sim.base_url(), true, 1, created);
    let every_hour = instance(2, sim.base_url(), true, 60, created);
    let disabled = instance(3, sim.base_url(), false, 1, created);
    for i in [&every_minute, &every_hour, &disabled] {
        store.insert(i).await.expect("insert");
    }
    let runner = Arc::new(PollRunner {
        instances: store.clone(),
        polls: store.clone(),
        client: reqwest::Client::new(),
        // The vendor is a simulator on loopback.
        guard: pollhook_core::callback_guard::CallbackGuard {
            allow_private: true,
        },
        clock: clock.clone(),
        settings: PollerSettings::default(),
        metrics: None,
    });
    let settings = SchedulerSettings {
        tick: Duration::from_millis(10),
        refresh: Duration::from_millis(10),
        ..SchedulerSettings::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(scheduler::run(
        runner,
        store.clone(),
        settings.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let polls = |id: u64| {
        let store = store.clone();
        async move {
            store
                .list_polls(InstanceId(id), 100)
                .await
                .expect("polls")
                .len()
        }
    };
    let settle = || tokio::time::sleep(Duration::from_millis(300));

    settle().await;
    assert_eq!(
        polls(1).await,
        0,
        "nothing is due before the interval has passed"
    );
    let due = next_due(&every_minute, created, &settings);
    assert!(due >= created + chrono::Duration::minutes(1));
    assert!(
        due < created + chrono::Duration::minutes(1) + chrono::Duration::seconds(6),
        "spread within a tenth of the interval"
    );
    *clock.0.lock().expect("clock") = due + chrono::Duration::seconds(1);
    settle().await;
    assert_eq!(polls(1).await, 1, "due instance polled once");
    assert_eq!(
        (polls(2).await, polls(3).await),
        (0, 0),
        "the hourly one waits; the disabled one never polls"
    );
    settle().await;
    assert_eq!(polls(1).await, 1, "not again until its next interval");
    let second = next_due(&every_minute, due + chrono::Duration::seconds(1), &settings);
    *clock.0.lock().expect("clock") = second - chrono::Duration::seconds(1);
    settle().await;
    assert_eq!(polls(1).await, 1, "one second before its next slot");
    *clock.0.lock().expect("clock") = second;
    settle().await;
    assert_eq!(polls(1).await, 2);
    let _ = stop.send(());
    task.await.expect("scheduler stops on shutdown");
}
