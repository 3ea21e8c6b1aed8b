//! One suite of port tests that every store backend must pass (SQLite now, DynamoDB next):
//! instances, leases, watermarks and the seen-ledger, the queue and delivery.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use pollhook_core::credentials::digest;
use pollhook_core::event::{Event, EventType};
use pollhook_core::instance::{Instance, InstanceId, InstanceSpec};
use pollhook_core::ports::{
    AttemptOutcome, AttemptRecord, DeliveryQueue, EventLog, InstanceStore, PollStore,
};
use serde_json::json;

/// What a backend must implement to run the suite.
pub trait Backend: InstanceStore + EventLog + PollStore + DeliveryQueue {}
impl<T: InstanceStore + EventLog + PollStore + DeliveryQueue> Backend for T {}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0)
        .single()
        .expect("instant")
}

pub fn instance(id: u64, organization: &str) -> Instance {
    let body = json!({
        "element": {"key": "sagecrm"},
        "name": format!("instance {id}"),
        "configuration": {
            "subdomain": "crm.example.com", "username": "u", "password": "hunter2",
            "event.notification.enabled": true,
            "event.notification.callback.url": "https://hooks.example.com/in",
            "event.poller.configuration": {"accounts": {"url": "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate}'", "idField": "key"}}
        },
        "tags": ["suite"]
    });
    Instance {
        id: InstanceId(id),
        organization_id: organization.into(),
        spec: InstanceSpec::from_body(&body).expect("valid body"),
        token_digest: digest(&format!("token-{id}")),
        created_date: t0(),
        updated_date: t0(),
    }
}

pub fn event(instance: u64, resource: &str, n: u32) -> Event {
    Event {
        id: format!("evt-{instance}-{resource}-{n}"),
        instance_id: InstanceId(instance),
        element_key: "sagecrm".into(),
        object_type: resource.into(),
        object_id: n.to_string(),
        event_type: EventType::Updated,
        date: t0(),
        raw: json!({"key": n.to_string()}),
    }
}

pub async fn instances_round_trip_and_stay_in_their_organization(store: &impl Backend) {
    let a = instance(1, "acme");
    let b = instance(2, "globex");
    store.insert(&a).await.expect("insert a");
    store.insert(&b).await.expect("insert b");
    assert!(store.insert(&a).await.is_err(), "an id is unique");
    let got = store.get("acme", a.id).await.expect("get").expect("found");
    assert_eq!(got.spec.name, "instance 1");
    assert_eq!(
        got.spec.configuration["password"], "hunter2",
        "secrets come back decrypted"
    );
    assert_eq!(got.created_date, t0());
    assert!(
        store.get("globex", a.id).await.expect("get").is_none(),
        "other tenants see nothing"
    );
    assert_eq!(
        store
            .get_by_token(&digest("token-2"))
            .await
            .expect("token")
            .map(|i| i.id),
        Some(b.id)
    );
    assert_eq!(store.list("acme").await.expect("list").len(), 1);
    assert_eq!(store.list_all().await.expect("all").len(), 2);
    assert_eq!(
        store
            .find(b.id)
            .await
            .expect("find")
            .map(|i| i.organization_id),
        Some("globex".into())
    );

    let mut renamed = got.clone();
    renamed.spec.name = "renamed".into();
    assert!(store.update(&renamed).await.expect("update"));
    assert_eq!(
        store
            .get("acme", a.id)
            .await
            .expect("get")
            .map(|i| i.spec.name),
        Some("renamed".into())
    );
    assert!(
        !store.delete("globex", a.id).await.expect("delete"),
        "not another tenant's"
    );
    assert!(store.delete("acme", a.id).await.expect("delete"));
    assert!(!store.delete("acme", a.id).await.expect("delete twice"));
    assert!(
        !store.update(&renamed).await.expect("update deleted"),
        "a deleted instance stays deleted"
    );
}

pub async fn a_lease_excludes_other_holders_until_it_expires(store: &impl Backend) {
    let id = InstanceId(10);
    let ttl = Duration::from_secs(60);
    assert!(store
        .acquire_lease(id, "a", t0(), ttl)
        .await
        .expect("lease"));
    assert!(!store
        .acquire_lease(id, "b", t0() + chrono::Duration::seconds(59), ttl)
        .await
        .expect("lease"));
    assert!(store
        .acquire_lease(id, "a", t0() + chrono::Duration::seconds(30), ttl)
        .await
        .expect("renew"));
    assert!(store
        .acquire_lease(id, "b", t0() + chrono::Duration::seconds(91), ttl)
        .await
        .expect("expired"));
    store
        .release_lease(id, "a")
        .await
        .expect("release by a non-holder is a no-op");
    assert!(!store
        .acquire_lease(id, "c", t0() + chrono::Duration::seconds(92), ttl)
        .await
        .expect("still b's"));
    store.release_lease(id, "b").await.expect("release");
    assert!(store
        .acquire_lease(id, "c", t0() + chrono::Duration::seconds(93), ttl)
        .await
        .expect("free"));
}

pub async fn pages_commit_once_and_the_watermark_moves_only_when_asked(store: &impl Backend) {
    let id = InstanceId(20);
    store.insert(&instance(20, "acme")).await.expect("insert");
    assert_eq!(store.watermark(id, "accounts").await.expect("wm"), None);
    let page: Vec<Event> = (0..12).map(|n| event(20, "accounts", n)).collect();
    assert_eq!(
        store
            .commit_page(id, "accounts", page.clone(), None, t0())
            .await
            .expect("commit"),
        12
    );
    assert_eq!(
        store.watermark(id, "accounts").await.expect("wm"),
        None,
        "not the last page"
    );
    let at = t0() + chrono::Duration::minutes(15);
    assert_eq!(
        store
            .commit_page(id, "accounts", page, Some(at), t0())
            .await
            .expect("repeat"),
        0,
        "a repeat is absorbed"
    );
    assert_eq!(store.watermark(id, "accounts").await.expect("wm"), Some(at));
    let queued = store.list_events(id, None, 100).await.expect("events");
    assert_eq!(queued.len(), 12);
    assert!(
        queued.windows(2).all(|w| w[0].seq < w[1].seq),
        "queue order"
    );
    assert!(queued.iter().all(|r| r.status == "NEW"));
    let notifications: HashSet<_> = queued
        .iter()
        .filter_map(|r| r.notification_id.clone())
        .collect();
    assert_eq!(
        notifications.len(),
        2,
        "12 events make notifications of 10 and 2"
    );
    let after = store
        .list_events(id, Some(queued[9].seq), 100)
        .await
        .expect("page 2");
    assert_eq!(after.len(), 2);
    let one = store
        .get_event(id, &queued[0].event.id)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(one.event, queued[0].event);
}

pub async fn delivery_claims_in_order_retries_and_replays_dead_letters(store: &impl Backend) {
    let id = InstanceId(30);
    store.insert(&instance(30, "acme")).await.expect("insert");
    for n in 0..3 {
        let events: Vec<Event> = (n * 10..n * 10 + 10)
            .map(|k| event(30, "accounts", k))
            .collect();
        store
            .commit_page(id, "accounts", events, None, t0())
            .await
            .expect("enqueue");
    }
    store
        .commit_page(id, "contacts", vec![event(30, "contacts", 0)], None, t0())
        .await
        .expect("enqueue");
    let lease = Duration::from_secs(60);
    let claimed = store.claim_due(t0(), 10, lease).await.expect("claim");
    let resources: HashSet<_> = claimed.iter().map(|c| c.resource.as_str()).collect();
    assert_eq!(claimed.len(), 2, "one head per resource: {claimed:?}");
    assert_eq!(resources, HashSet::from(["accounts", "contacts"]));
    let head = claimed
        .iter()
        .find(|c| c.resource == "accounts")
        .expect("accounts head");
    assert_eq!(head.events.len(), 10);
    assert_eq!(
        head.events[0].object_id, "0",
        "the oldest notification first"
    );
    assert!(
        store
            .claim_due(t0(), 10, lease)
            .await
            .expect("claim")
            .is_empty(),
        "claimed ones are leased"
    );

    let attempt = |code| AttemptRecord {
        attempted_at: t0(),
        status_code: Some(code),
        latency_ms: 3,
        error: None,
    };
    let retry_at = t0() + chrono::Duration::seconds(5);
    store
        .finish_attempt(&head.id, &attempt(500), &AttemptOutcome::RetryAt(retry_at))
        .await
        .expect("failed");
    assert!(
        store
            .claim_due(t0() + chrono::Duration::seconds(1), 10, lease)
            .await
            .expect("claim")
            .is_empty(),
        "the next waits behind the failed head"
    );
    let again = store.claim_due(retry_at, 10, lease).await.expect("claim");
    assert_eq!(
        again.iter().map(|c| &c.id).collect::<Vec<_>>(),
        vec![&head.id]
    );
    assert_eq!(again[0].attempts, 1);
    store
        .finish_attempt(&head.id, &attempt(500), &AttemptOutcome::Dead)
        .await
        .expect("dead");
    let next = store.claim_due(retry_at, 10, lease).await.expect("claim");
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0].events[0].object_id, "10",
        "a dead head no longer blocks"
    );
    store
        .finish_attempt(&next[0].id, &attempt(200), &AttemptOutcome::Delivered)
        .await
        .expect("ok");
    let attempts = store.attempts(&head.id).await.expect("attempts");
    assert_eq!(
        attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(),
        vec![Some(500), Some(500)]
    );
    let statuses: Vec<String> = store
        .list_events(id, None, 100)
        .await
        .expect("events")
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(&statuses[..10], &vec!["DEAD".to_owned(); 10][..]);
    assert_eq!(&statuses[10..20], &vec!["NOTIFIED".to_owned(); 10][..]);

    // An expired claim (a crashed deliverer) is claimed again.
    let contacts = claimed
        .iter()
        .find(|c| c.resource == "contacts")
        .expect("contacts");
    let later = t0() + chrono::Duration::seconds(61);
    let reclaimed = store.claim_due(later, 10, lease).await.expect("claim");
    assert!(
        reclaimed.iter().any(|c| c.id == contacts.id),
        "expired claims return"
    );

    assert_eq!(
        store.replay(id, None, later).await.expect("replay"),
        1,
        "the one dead letter"
    );
    let replayed = store.claim_due(later, 10, lease).await.expect("claim");
    assert!(replayed.iter().any(|c| c.id == head.id && c.attempts == 0));
    assert_eq!(store.bury_pending(id, "410 Gone").await.expect("bury"), 3);
    assert!(store
        .claim_due(later + chrono::Duration::hours(1), 10, lease)
        .await
        .expect("claim")
        .is_empty());
}

pub async fn deleting_an_instance_removes_its_queue(store: &impl Backend) {
    let id = InstanceId(40);
    store.insert(&instance(40, "acme")).await.expect("insert");
    store
        .commit_page(
            id,
            "accounts",
            vec![event(40, "accounts", 1)],
            Some(t0()),
            t0(),
        )
        .await
        .expect("enqueue");
    assert!(store.delete("acme", id).await.expect("delete"));
    assert!(store
        .list_events(id, None, 10)
        .await
        .expect("events")
        .is_empty());
    assert_eq!(store.watermark(id, "accounts").await.expect("wm"), None);
    assert!(store
        .claim_due(t0(), 10, Duration::from_secs(60))
        .await
        .expect("claim")
        .iter()
        .all(|c| c.instance_id != id));
}

/// `count` instances (more than a page of the store's listing, where it pages), one in three
/// with events off and one in three polled every 5 minutes: the poll schedules list exactly
/// the polled ones, with their intervals and creation dates.
pub async fn poll_schedules_list_the_polled_instances(store: &impl Backend, count: u64) {
    use pollhook_core::refresh_interval::RefreshInterval;
    let mut expected = Vec::new();
    for n in 1..=count {
        let mut i = instance(1000 + n, "acme");
        i.created_date = t0() + chrono::Duration::seconds(n as i64);
        let patch = match n % 3 {
            0 => json!({"configuration": {"event.notification.enabled": false}}),
            1 => json!({"configuration": {"event.poller.refresh_interval": "5"}}),
            _ => json!({}),
        };
        i.spec = i.spec.apply_patch(&patch).expect("valid patch");
        if let Some(every) = i.spec.events.poll_interval() {
            expected.push((i.id, i.created_date, every.minutes()));
        }
        store.insert(&i).await.expect("insert");
    }
    let mut listed: Vec<_> = store
        .list_poll_schedules()
        .await
        .expect("schedules")
        .into_iter()
        .map(|s| (s.id, s.created_date, s.every.minutes()))
        .collect();
    listed.sort();
    assert_eq!(listed, expected);
    assert!(listed.iter().any(|s| s.2 == 5));
    assert!(listed
        .iter()
        .any(|s| s.2 == RefreshInterval::DEFAULT.minutes()));
}

/// `list_page` walks the organization's listing in `list` order, a page at a time: ties in
/// creation date go by id, a page starts right after its cursor even when the instance the
/// cursor came from is gone, and other organizations never appear.
pub async fn list_pages_walk_the_listing_in_order(store: &impl Backend) {
    use pollhook_core::list_cursor::ListCursor;
    // Ids out of creation order, two sharing a creation date, and a sub-second date.
    let dated = [
        (40, 0, 0),
        (10, 5, 0),
        (30, 5, 0),
        (20, 5, 250_000_000),
        (50, 60, 0),
    ];
    for (id, secs, nanos) in dated {
        let mut i = instance(id, "acme");
        i.created_date =
            t0() + chrono::Duration::seconds(secs) + chrono::Duration::nanoseconds(nanos);
        store.insert(&i).await.expect("insert");
    }
    store
        .insert(&instance(99, "globex"))
        .await
        .expect("other organization");
    let ids = |page: &[Instance]| page.iter().map(|i| i.id.0).collect::<Vec<_>>();
    let all = store.list("acme").await.expect("list");
    assert_eq!(ids(&all), [40, 10, 30, 20, 50], "creation date, then id");

    let mut walked = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_page("acme", after, 2).await.expect("page");
        walked.extend(ids(&page));
        match page.last() {
            Some(last) if page.len() == 2 => after = Some(ListCursor::after(last)),
            _ => break,
        }
    }
    assert_eq!(walked, ids(&all));

    let cursor = ListCursor::after(&all[1]);
    store.delete("acme", all[1].id).await.expect("delete");
    let rest = store
        .list_page("acme", Some(cursor), 10)
        .await
        .expect("page");
    assert_eq!(ids(&rest), [30, 20, 50], "the cursor outlives its instance");
    assert!(store
        .list_page("acme", Some(ListCursor::after(&all[4])), 10)
        .await
        .expect("page")
        .is_empty());
}

/// An instance of an organization the store does not know is refused, naming it.
pub async fn an_instance_of_an_unknown_organization_is_refused_by_name(store: &impl Backend) {
    use pollhook_core::ports::StoreError;
    let err = store
        .insert(&instance(1, "initech"))
        .await
        .expect_err("no such organization");
    assert!(
        matches!(err, StoreError::UnknownOrganization(ref o) if o == "initech"),
        "{err}"
    );
}
