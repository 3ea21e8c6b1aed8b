//! The poll cycle against a scripted vendor, on the real SQLite poll store.

mod poller_support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use poller_support::{instance_body, FakeClock, FakeVendor};
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::credentials::digest;
use pollhook_core::instance::{Instance, InstanceId, InstanceSpec};
use pollhook_core::poller::{poll_instance, PollContext, PollError, PollerSettings};
use pollhook_core::ports::{ConnectorError, EventLog, PollStore};
use pollhook_core::secret_box::SecretBox;
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0)
        .single()
        .expect("instant")
}

fn instance(created: DateTime<Utc>) -> Instance {
    let spec = InstanceSpec::from_body(&instance_body(0)).expect("valid body");
    Instance {
        id: InstanceId(7),
        organization_id: "local".into(),
        spec,
        token_digest: digest("t"),
        created_date: created,
        updated_date: created,
    }
}

fn store() -> SqliteStore {
    SqliteStore::open_in_memory(SecretBox::from_key(&[1; 32])).expect("store")
}

/// (object id, event type, date) of every queued event of instance 7, in queue order.
async fn queued(store: &SqliteStore) -> Vec<(String, String, String)> {
    store
        .list_events(InstanceId(7), None, 100_000)
        .await
        .expect("events")
        .into_iter()
        .map(|r| {
            (
                r.event.object_id,
                r.event.event_type.as_str().to_owned(),
                r.event.date.to_rfc3339(),
            )
        })
        .collect()
}

async fn poll(
    inst: &Instance,
    vendor: &FakeVendor,
    store: &SqliteStore,
    clock: &FakeClock,
) -> Vec<pollhook_core::ports::PollLogEntry> {
    let settings = PollerSettings::default();
    let ctx = PollContext {
        connector: vendor,
        store,
        clock,
        settings: &settings,
    };
    poll_instance(inst, &ctx).await.expect("poll runs")
}

#[tokio::test]
async fn creates_and_updates_become_one_event_each_and_nothing_before_registration() {
    let (vendor, store, clock) = (FakeVendor::new(), store(), FakeClock::at(t0()));
    vendor.upsert(1, t0() - chrono::Duration::minutes(10));
    let inst = instance(t0());
    vendor.upsert(2, t0() + chrono::Duration::seconds(30));
    clock.set(t0() + chrono::Duration::minutes(1));
    let log = poll(&inst, &vendor, &store, &clock).await;
    assert_eq!(log[0].events, 1, "{log:?}");
    assert_eq!(
        queued(&store).await,
        vec![(
            "2".into(),
            "CREATED".into(),
            (t0() + chrono::Duration::seconds(30)).to_rfc3339()
        )]
    );

    vendor.upsert(2, t0() + chrono::Duration::seconds(90));
    vendor.upsert(1, t0() + chrono::Duration::seconds(95));
    clock.set(t0() + chrono::Duration::minutes(2));
    poll(&inst, &vendor, &store, &clock).await;
    // Polling again with nothing new (inside the lookback overlap) adds nothing.
    clock.set(t0() + chrono::Duration::minutes(2) + chrono::Duration::seconds(10));
    let log = poll(&inst, &vendor, &store, &clock).await;
    assert_eq!(log[0].events, 0);
    let q = queued(&store).await;
    assert_eq!(q.len(), 3, "{q:?}");
    assert_eq!((q[1].0.as_str(), q[1].1.as_str()), ("2", "UPDATED"));
    assert_eq!((q[2].0.as_str(), q[2].1.as_str()), ("1", "UPDATED"));
}

#[tokio::test]
async fn a_change_in_the_second_of_registration_is_an_event() {
    let (vendor, store, clock) = (FakeVendor::new(), store(), FakeClock::at(t0()));
    // Registered at 12:00:00.600; the vendor writes whole seconds, so a change at
    // 12:00:00.900 reads as 12:00:00.
    let inst = instance(t0() + chrono::Duration::milliseconds(600));
    vendor.upsert(1, t0());
    clock.set(t0() + chrono::Duration::minutes(1));
    let log = poll(&inst, &vendor, &store, &clock).await;
    assert_eq!(log[0].events, 1, "{log:?}");
    // A change a second earlier is still before registration.
    vendor.upsert(2, t0() - chrono::Duration::seconds(1));
    clock.set(t0() + chrono::Duration::minutes(2));
    let log = poll(&inst, &vendor, &store, &clock).await;
    assert_eq!(log[0].events, 0, "{log:?}");
}

#[tokio::test]
async fn transient_faults_are_retried_with_retry_after_and_a_failed_resource_keeps_its_watermark() {
    let (vendor, store, clock) = (FakeVendor::new(), store(), FakeClock::at(t0()));
    let inst = instance(t0());
    vendor.upsert(1, t0() + chrono::Duration::seconds(5));
    *vendor.faults.lock().expect("faults") = vec![
        ConnectorError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        },
        ConnectorError::Server {
            status: 503,
            message: "busy".into(),
        },
    ];
    clock.set(t0() + chrono::Duration::minutes(1));
    let log = poll(&inst, &vendor, &store, &clock).await;
    assert_eq!(log[0].error, None);
    assert_eq!(log[0].events, 1);
    assert_eq!(
        clock.slept.lock().expect("slept")[0],
        Duration::from_secs(7),
        "Retry-After honoured"
    );

    // A resource that keeps failing: no watermark move, then the next poll catches up.
    vendor.upsert(2, t0() + chrono::Duration::seconds(70));
    *vendor.faults.lock().expect("faults") = vec![
        ConnectorError::Server {
            status: 500,
            message: "down".into()
        };
        5
    ];
    let before = store.watermark(inst.id, "items").await.expect("wm");
    clock.set(t0() + chrono::Duration::minutes(2));
    let log = poll(&inst, &vendor, &store, &clock).await;
    assert!(
        log[0].error.as_deref().is_some_and(|e| e.contains("500")),
        "{log:?}"
    );
    assert_eq!(store.watermark(inst.id, "items").await.expect("wm"), before);
    clock.set(t0() + chrono::Duration::minutes(30));
    let log = poll(&inst, &vendor, &store, &clock).await;
    assert_eq!(log[0].events, 1, "{log:?}");
    assert_eq!(queued(&store).await.len(), 2);
}

#[tokio::test]
async fn a_malformed_page_midway_leaves_the_watermark_and_the_repeat_is_absorbed() {
    let (vendor, store, clock) = (FakeVendor::new(), store(), FakeClock::at(t0()));
    let inst = instance(t0());
    for id in 0..10 {
        vendor.upsert(id, t0() + chrono::Duration::seconds(i64::from(id) + 1));
    }
    *vendor.page_size_override.lock().expect("size") = Some(3);
    clock.set(t0() + chrono::Duration::minutes(1));
    // First page fine, then a malformed page: 3 events stored, watermark untouched.
    let settings = PollerSettings::default();
    {
        struct FailSecond<'a>(&'a FakeVendor, std::sync::Mutex<u32>);
        #[async_trait::async_trait]
        impl pollhook_core::ports::Connector for FailSecond<'_> {
            async fn fetch_page(
                &self,
                r: &pollhook_core::ports::PageRequest<'_>,
            ) -> Result<pollhook_core::ports::Page, ConnectorError> {
                let call = {
                    let mut n = self.1.lock().expect("n");
                    *n += 1;
                    *n
                };
                if call == 2 {
                    return Err(ConnectorError::MalformedPage("truncated JSON".into()));
                }
                self.0.fetch_page(r).await
            }
        }
        let failing = FailSecond(&vendor, std::sync::Mutex::new(0));
        let ctx = PollContext {
            connector: &failing,
            store: &store,
            clock: &clock,
            settings: &settings,
        };
        let log = poll_instance(&inst, &ctx).await.expect("poll");
        assert!(log[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("truncated")));
        assert_eq!(log[0].events, 3);
    }
    assert_eq!(store.watermark(inst.id, "items").await.expect("wm"), None);
    clock.set(t0() + chrono::Duration::minutes(2));
    let log = poll(&inst, &vendor, &store, &clock).await;
    assert_eq!(
        log[0].events, 7,
        "the 3 already queued are absorbed: {log:?}"
    );
    let q = queued(&store).await;
    assert_eq!(q.len(), 10);
    assert_eq!(q.iter().map(|e| &e.0).collect::<HashSet<_>>().len(), 10);
}

#[tokio::test]
async fn two_polls_of_one_instance_never_overlap() {
    let (vendor, store, clock) = (FakeVendor::new(), store(), FakeClock::at(t0()));
    let inst = instance(t0());
    assert!(store
        .acquire_lease(inst.id, "other", t0(), Duration::from_secs(600))
        .await
        .expect("lease"));
    let settings = PollerSettings::default();
    let ctx = PollContext {
        connector: &vendor,
        store: &store,
        clock: &clock,
        settings: &settings,
    };
    assert!(matches!(
        poll_instance(&inst, &ctx).await,
        Err(PollError::Busy(_))
    ));
    assert_eq!(*vendor.calls.lock().expect("calls"), 0);
    // An expired lease is taken over.
    clock.set(t0() + chrono::Duration::minutes(11));
    assert!(poll_instance(&inst, &ctx).await.is_ok());
}

#[derive(Debug, Clone)]
enum Step {
    Change { id: u32, after_ms: i64 },
    Poll { after_ms: i64, page_size: usize },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u32..12, 1i64..600_000).prop_map(|(id, after_ms)| Step::Change { id, after_ms }),
        1 => (1i64..1_800_000, 1usize..6).prop_map(|(after_ms, page_size)| Step::Poll { after_ms, page_size }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Every version of a record that a poll could see yields exactly one event; the last
    /// version of every record changed after registration is delivered; nothing from before.
    #[test]
    fn random_histories_yield_each_visible_change_exactly_once(
        skew_ms in -60_000i64..=60_000,
        history in proptest::collection::vec(step(), 1..60),
        before in proptest::collection::vec(0u32..12, 0..5),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let (vendor, store, clock) = (FakeVendor::new(), store(), FakeClock::at(t0()));
            let vendor_time = |ours: DateTime<Utc>| ours + chrono::Duration::milliseconds(skew_ms);
            for (i, id) in before.iter().enumerate() {
                vendor.upsert(*id, vendor_time(t0() - chrono::Duration::seconds(600 - i as i64)));
            }
            let inst = instance(t0());
            // Changes start once a vendor clock behind ours has passed the registration too.
            let mut now = t0() + chrono::Duration::milliseconds(skew_ms.abs() + 1);
            let mut current: HashMap<u32, String> = HashMap::new();
            let mut must_see: HashSet<(u32, String)> = HashSet::new();
            let settings = PollerSettings::default();
            for s in &history {
                match s {
                    Step::Change { id, after_ms } => {
                        now += chrono::Duration::milliseconds(*after_ms);
                        vendor.upsert(*id, vendor_time(now));
                        current.insert(*id, poller_support::stamp(vendor_time(now)));
                    }
                    Step::Poll { after_ms, page_size } => {
                        now += chrono::Duration::milliseconds(*after_ms);
                        clock.set(now);
                        *vendor.page_size_override.lock().expect("size") = Some(*page_size);
                        must_see.extend(current.iter().map(|(k, v)| (*k, v.clone())));
                        let ctx = PollContext { connector: &vendor, store: &store, clock: &clock, settings: &settings };
                        poll_instance(&inst, &ctx).await.expect("poll");
                        now += chrono::Duration::milliseconds(1);
                    }
                }
            }
            now += chrono::Duration::hours(1);
            clock.set(now);
            must_see.extend(current.iter().map(|(k, v)| (*k, v.clone())));
            let ctx = PollContext { connector: &vendor, store: &store, clock: &clock, settings: &settings };
            poll_instance(&inst, &ctx).await.expect("final poll");

            let events: Vec<_> = store.list_events(InstanceId(7), None, 100_000).await.expect("events").into_iter().map(|r| r.event).collect();
            let mut seen = HashSet::new();
            for e in &events {
                let key = (e.object_id.clone(), e.raw["updated"].as_str().unwrap_or_default().to_owned());
                prop_assert!(seen.insert(key.clone()), "change {key:?} emitted twice");
            }
            for (id, updated) in &must_see {
                prop_assert!(seen.contains(&(id.to_string(), updated.clone())), "change {id}@{updated} never emitted");
            }
            prop_assert_eq!(seen.len(), must_see.len(), "events for changes no poll could see");
            Ok(())
        })?;
    }
}
