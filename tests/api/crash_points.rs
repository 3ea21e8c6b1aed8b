//! Crash points: `pollhook serve` killed with SIGKILL at each named step of a poll and of a
//! delivery (`pollhook_core::crash_point`), restarted on the same database, and checked:
//! every change reaches the receiver at least once, no change is known by two event ids (or sent
//! in two notifications), and no watermark passed a change that was not queued.
//!
//! The cases come from `CrashPoint::ALL`, each step at its first and second hit (a poll reads
//! several pages of several resources, and delivers several notifications, so the second hit
//! leaves other state than the first): a step named in the code is a case here without further
//! work, and a step the scenario never reaches fails its case.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pollhook_core::crash_point::{CrashPoint, Stage, ENV};
use pollhook_simulators::receiver::{Answer, Receiver, RunningReceiver};
use pollhook_simulators::{sagecrm, spawn, Running};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{account_auth, events, fixture, poll_now, sim_admin, TestServer};

/// Short retries, and a lookback of one second (the vendor's date precision) instead of 60, so
/// a watermark moves past this test's changes within the test.
const SERVE_FLAGS: &[&str] = &[
    "--retry-schedule",
    "100ms,200ms",
    "--delivery-timeout-secs",
    "2",
    "--lookback-secs",
    "1",
];
const LOOKBACK: Duration = Duration::from_secs(1);
/// Each step is crashed at these hits.
const HITS: [u32; 2] = [1, 2];
const SIGKILL: i32 = 9;

/// One vendor change: a record's version as the simulator wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Change {
    resource: &'static str,
    object_id: String,
    updated: DateTime<Utc>,
}

/// The hub resources polled, the simulator entity behind each, and its fields.
struct Entity {
    resource: &'static str,
    sim: &'static str,
    name_field: &'static str,
    updated_field: &'static str,
}

const ACCOUNTS: Entity = Entity {
    resource: "accounts",
    sim: "company",
    name_field: "Comp_Name",
    updated_field: "Comp_UpdatedDate",
};
const CONTACTS: Entity = Entity {
    resource: "contacts",
    sim: "person",
    name_field: "Pers_FirstName",
    updated_field: "Pers_UpdatedDate",
};

fn parse_date(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("date {text:?}: {e}"))
        .with_timezone(&Utc)
}

/// Every change the test made in the simulator, in order.
#[derive(Default)]
struct Changes {
    all: Vec<Change>,
    /// Records created so far, per entity, to update some later.
    keys: HashMap<&'static str, Vec<String>>,
}

impl Changes {
    fn record(&mut self, entity: &Entity, view: &Value) -> String {
        let key = view["$key"].as_str().expect("$key").to_owned();
        let updated = parse_date(view[entity.updated_field].as_str().expect("updated date"));
        self.all.push(Change {
            resource: entity.resource,
            object_id: key.clone(),
            updated,
        });
        key
    }

    async fn create(&mut self, sim: &Running, entity: &Entity, n: usize) {
        for i in 0..n {
            let view = sim_admin(
                sim,
                Method::POST,
                &format!("/_sim/{}", entity.sim),
                json!({ entity.name_field: format!("{} {i}", entity.resource) }),
            )
            .await;
            let key = self.record(entity, &view);
            self.keys.entry(entity.resource).or_default().push(key);
        }
    }

    /// Changes the first `n` records created of `entity` again: a new version of each.
    async fn update(&mut self, sim: &Running, entity: &Entity, n: usize) {
        let keys: Vec<String> = self.keys[entity.resource].iter().take(n).cloned().collect();
        for key in keys {
            let view = sim_admin(
                sim,
                Method::PATCH,
                &format!("/_sim/{}/{key}", entity.sim),
                json!({ entity.name_field: "renamed" }),
            )
            .await;
            self.record(entity, &view);
        }
    }

    fn set(&self) -> BTreeSet<Change> {
        self.all.iter().cloned().collect()
    }
}

/// A Sage CRM instance polling accounts and contacts two records a page (so a resource takes
/// several pages and an instance several resources), delivering to `callback`.
async fn register(server: &TestServer, sim: &Running, callback: &str) -> u64 {
    let mut body: Value = serde_json::from_str(&fixture("sagecrm-seed.json")).expect("seed");
    body["configuration"]["base.url"] = json!(sim.base_url());
    body["configuration"]["event.notification.callback.url"] = json!(callback);
    let poller = body["configuration"]["event.poller.configuration"]
        .as_object_mut()
        .expect("poller");
    poller.retain(|k, _| k == ACCOUNTS.resource || k == CONTACTS.resource);
    for resource in poller.values_mut() {
        resource["pageSize"] = json!(2);
    }
    let (status, created) = server.post_raw("/instances", &body.to_string()).await;
    assert_eq!(status, 200, "{created}");
    created["id"].as_u64().expect("id")
}

/// `pollhook serve` on `db`, armed to crash at `crash_at` if given; stderr goes to `log`.
async fn serve(db: &Path, crash_at: Option<String>, log: &Path) -> TestServer {
    let (db, log) = (db.to_owned(), log.to_owned());
    tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = crash_at.iter().map(|c| (ENV, c.as_str())).collect();
        TestServer::start_logged(&db, &env, SERVE_FLAGS, &log)
    })
    .await
    .expect("server start")
}

/// `POST /instances/{id}/poll`, whatever comes of it: the process may die while it runs.
async fn poll_maybe_dying(server: &TestServer, id: u64) {
    let _ = server
        .client
        .post(server.url(&format!("/instances/{id}/poll")))
        .header("Authorization", account_auth())
        .send()
        .await;
}

fn change_of(event: &Value) -> Change {
    let resource = match event["objectType"].as_str() {
        Some(r) if r == ACCOUNTS.resource => ACCOUNTS.resource,
        Some(r) if r == CONTACTS.resource => CONTACTS.resource,
        other => panic!("event of an unexpected resource {other:?}: {event}"),
    };
    Change {
        resource,
        object_id: event["objectId"].as_str().expect("objectId").to_owned(),
        updated: parse_date(event["date"].as_str().expect("date")),
    }
}

/// No watermark ahead of an unqueued change: the first poll after the restart reads each
/// resource from `since` (its watermark less the lookback), so every change older than that
/// must already be in the durable queue, or it would never be read again.
fn check_watermarks(case: &str, poll: &Value, changes: &Changes, queued: &[Value]) {
    let queued: HashSet<Change> = queued.iter().map(change_of).collect();
    for entry in poll["resources"].as_array().expect("resources") {
        let resource = entry["resource"].as_str().expect("resource");
        let since = parse_date(entry["since"].as_str().expect("since"));
        for change in changes.all.iter().filter(|c| c.resource == resource) {
            assert!(
                change.updated >= since || queued.contains(change),
                "{case}: the {resource} watermark (read from {since}) passed {change:?}, which \
                 was never queued: it is lost"
            );
        }
    }
}

/// Waits until every event is NOTIFIED and the receiver has every change; returns the events.
async fn wait_delivered(
    case: &str,
    server: &TestServer,
    id: u64,
    receiver: &RunningReceiver,
    changes: &Changes,
) -> Vec<Value> {
    let want = changes.set();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = events(server, id).await;
        let received: BTreeSet<Change> = received_changes(receiver)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
        let notified = all.iter().all(|e| e["status"] == "NOTIFIED");
        if notified && want.is_subset(&received) {
            return all;
        }
        assert!(
            Instant::now() < deadline,
            "{case}: not every change was delivered within 30 s after the restart; \
             missing {:#?}; statuses {:?}",
            want.difference(&received).collect::<Vec<_>>(),
            all.iter().map(|e| e["status"].clone()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every change the receiver got, with (event id, notification id) for each time it came.
fn received_changes(receiver: &RunningReceiver) -> Vec<(Change, (String, String))> {
    let mut out = Vec::new();
    for request in receiver.receiver.received() {
        let body = request.json();
        let message = &body["message"];
        let notification = message["eventId"].as_str().expect("eventId").to_owned();
        assert_eq!(request.header("webhook-id"), notification);
        for event in message["events"].as_array().expect("events") {
            let event_id = event["eventId"].as_str().expect("event eventId").to_owned();
            out.push((change_of(event), (event_id, notification.clone())));
        }
    }
    out
}

/// No change under two event ids, in the queue or at the receiver, nor in two notifications.
fn check_no_doubles(case: &str, queued: &[Value], receiver: &RunningReceiver) {
    let mut ids: HashMap<Change, HashSet<String>> = HashMap::new();
    for event in queued {
        let id = event["id"].as_str().expect("id").to_owned();
        ids.entry(change_of(event)).or_default().insert(id);
    }
    let mut sent: HashMap<Change, HashSet<(String, String)>> = HashMap::new();
    for (change, ids) in received_changes(receiver) {
        sent.entry(change).or_default().insert(ids);
    }
    for (change, ids) in &ids {
        assert_eq!(ids.len(), 1, "{case}: {change:?} queued as {ids:?}");
    }
    for (change, sends) in &sent {
        assert_eq!(
            sends.len(),
            1,
            "{case}: {change:?} reached the receiver under different ids (event, notification): {sends:?}"
        );
        let (event_id, _) = sends.iter().next().expect("one");
        assert!(
            ids.get(change).is_some_and(|q| q.contains(event_id)),
            "{case}: {change:?} was sent as {event_id}, which the events API does not list"
        );
    }
}

/// One case: run 1 armed at the `hit`-th time `point` is reached, until it dies there; run 2
/// on the same database; then the checks.
async fn crash_and_recover(point: CrashPoint, hit: u32) -> Duration {
    let started = Instant::now();
    let case = format!("{point}:{hit}");
    let sim = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .expect("sim");
    let receiver = Receiver::start().await;
    // The first attempt fails, so a retry may be pending when the process dies.
    receiver
        .receiver
        .script(vec![Answer::Status(503)], Answer::Status(200));
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("pollhook.db");
    let log = dir.path().join("serve.log");

    // Run 1: changes in two rounds, each polled; the process dies at the armed step.
    let mut server = serve(&db, Some(format!("{point}:{hit}")), &log).await;
    let id = register(&server, &sim, &receiver.url).await;
    let mut changes = Changes::default();
    changes.create(&sim, &ACCOUNTS, 5).await;
    changes.create(&sim, &CONTACTS, 3).await;
    // Older than the lookback when polled: a watermark moved by this poll passes them.
    tokio::time::sleep(LOOKBACK + Duration::from_millis(200)).await;
    poll_maybe_dying(&server, id).await;
    changes.create(&sim, &ACCOUNTS, 2).await;
    changes.create(&sim, &CONTACTS, 2).await;
    poll_maybe_dying(&server, id).await;
    let Some(status) = server.wait_exit(Duration::from_secs(15)).await else {
        panic!("{case}: the process is still running: the scenario never reaches this step");
    };
    assert_eq!(
        status.signal(),
        Some(SIGKILL),
        "{case}: the process ended with {status}, not by SIGKILL"
    );
    let text = std::fs::read_to_string(&log).expect("serve log");
    assert!(
        text.contains(&format!("crash point {point} reached (hit {hit})")),
        "{case}: the log does not name the step it died at:\n{text}"
    );
    drop(server);

    // Run 2: more changes, a poll (whose lower bounds show the watermarks the crash left),
    // updates to earlier records, another poll, then everything must be delivered.
    let server = serve(&db, None, &log).await;
    changes.create(&sim, &ACCOUNTS, 3).await;
    changes.create(&sim, &CONTACTS, 2).await;
    let first = poll_now(&server, id).await;
    check_watermarks(&case, &first, &changes, &events(&server, id).await);
    changes.update(&sim, &ACCOUNTS, 2).await;
    changes.update(&sim, &CONTACTS, 1).await;
    poll_now(&server, id).await;
    let queued = wait_delivered(&case, &server, id, &receiver, &changes).await;
    let queued_changes: BTreeSet<Change> = queued.iter().map(change_of).collect();
    assert_eq!(
        queued_changes,
        changes.set(),
        "{case}: the queue holds exactly the changes made"
    );
    check_no_doubles(&case, &queued, &receiver);
    started.elapsed()
}

/// Runs every step of `stage` at each of [`HITS`] as its own case, all at once, and reports
/// each failing case.
async fn every_step_of(stage: Stage) {
    let cases: Vec<_> = CrashPoint::ALL
        .into_iter()
        .filter(|p| p.stage() == stage)
        .flat_map(|p| HITS.map(|hit| (p, hit)))
        .map(|(p, hit)| (p, hit, tokio::spawn(crash_and_recover(p, hit))))
        .collect();
    assert!(!cases.is_empty(), "no crash point of {stage:?}");
    let mut failures = Vec::new();
    for (point, hit, case) in cases {
        match case.await {
            Ok(took) => eprintln!("crash point {point}:{hit}: recovered, checked in {took:?}"),
            Err(e) => {
                let message = match e.try_into_panic() {
                    Ok(panic) => panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "panicked".into()),
                    Err(e) => e.to_string(),
                };
                failures.push(format!("{point}:{hit}: {message}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_at_any_step_of_a_poll_loses_no_change_and_doubles_none() {
    every_step_of(Stage::Poll).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_at_any_step_of_a_delivery_loses_no_change_and_doubles_none() {
    every_step_of(Stage::Delivery).await;
}
