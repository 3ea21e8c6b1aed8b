//! The store port suite on DynamoDB (the AWS mode's backend), against the local AWS emulator
//! whose endpoint the test command puts in `POLLHOOK_AWS_ENDPOINT`. Each test has its own
//! table, so they run in parallel.

use crate::emulator::config;
use crate::store_suite;
use pollhook_core::adapters::dynamodb::DynamoStore;
use pollhook_core::ports::{InstanceStore, StoreError, TenantStore};
use pollhook_core::secret_box::SecretBox;

/// A store on a fresh table with the suite's two organizations.
async fn store() -> DynamoStore {
    store_with_key(
        [6; 32],
        &format!("pollhook-test-{}", uuid::Uuid::new_v4().simple()),
    )
    .await
}

async fn store_with_key(key: [u8; 32], table: &str) -> DynamoStore {
    let store = DynamoStore::connect(&config().await, table, SecretBox::from_key(&key))
        .await
        .expect("client");
    store.create_table_if_missing().await.expect("table");
    store.check_key().await.expect("key check");
    store
        .upsert_account("acme", "alice", "acme-org", "alice-user")
        .await
        .expect("acme");
    store
        .upsert_account("globex", "bob", "globex-org", "bob-user")
        .await
        .expect("globex");
    store
}

#[tokio::test]
async fn an_instance_of_an_unknown_organization_is_refused_by_name() {
    store_suite::an_instance_of_an_unknown_organization_is_refused_by_name(&store().await).await;
}

#[tokio::test]
async fn a_taken_id_is_a_conflict() {
    let store = store().await;
    store
        .insert(&store_suite::instance(1, "acme"))
        .await
        .expect("insert");
    let err = store
        .insert(&store_suite::instance(1, "globex"))
        .await
        .expect_err("taken");
    assert!(
        matches!(err, StoreError::Conflict(id) if id.0 == 1),
        "{err}"
    );
}

#[tokio::test]
async fn accounts_are_found_by_organization_secret_and_rekeyed() {
    use pollhook_core::credentials::digest;
    let store = store().await;
    let accounts = store
        .accounts_for_organization(&digest("acme-org"))
        .await
        .expect("accounts");
    assert_eq!(accounts.len(), 1);
    assert_eq!(accounts[0].user_id, "alice");
    assert_eq!(accounts[0].user_secret_digest, digest("alice-user"));
    store
        .upsert_account("acme", "alice", "acme-org-2", "alice-user")
        .await
        .expect("rekey");
    assert!(store
        .accounts_for_organization(&digest("acme-org"))
        .await
        .expect("old secret")
        .is_empty());
    assert_eq!(
        store
            .accounts_for_organization(&digest("acme-org-2"))
            .await
            .expect("new secret")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_table_written_with_another_key_is_refused() {
    let table = format!("pollhook-test-{}", uuid::Uuid::new_v4().simple());
    store_with_key([6; 32], &table).await;
    let other = DynamoStore::connect(&config().await, &table, SecretBox::from_key(&[7; 32]))
        .await
        .expect("client");
    assert!(matches!(
        other.check_key().await,
        Err(StoreError::Corrupt(_))
    ));
}

#[tokio::test]
async fn instances_round_trip_and_stay_in_their_organization() {
    store_suite::instances_round_trip_and_stay_in_their_organization(&store().await).await;
}

#[tokio::test]
async fn a_lease_excludes_other_holders_until_it_expires() {
    store_suite::a_lease_excludes_other_holders_until_it_expires(&store().await).await;
}

#[tokio::test]
async fn pages_commit_once_and_the_watermark_moves_only_when_asked() {
    store_suite::pages_commit_once_and_the_watermark_moves_only_when_asked(&store().await).await;
}

#[tokio::test]
async fn delivery_claims_in_order_retries_and_replays_dead_letters() {
    store_suite::delivery_claims_in_order_retries_and_replays_dead_letters(&store().await).await;
}

#[tokio::test]
async fn deleting_an_instance_removes_its_queue() {
    store_suite::deleting_an_instance_removes_its_queue(&store().await).await;
}

#[tokio::test]
async fn poll_schedules_list_the_polled_instances() {
    store_suite::poll_schedules_list_the_polled_instances(&store().await, 12).await;
}

#[tokio::test]
async fn list_pages_walk_the_listing_in_order() {
    store_suite::list_pages_walk_the_listing_in_order(&store().await).await;
}

#[tokio::test]
async fn a_page_too_big_for_one_transaction_commits_in_parts_with_the_watermark_last() {
    use pollhook_core::instance::InstanceId;
    use pollhook_core::ports::{EventLog, PollStore};
    use store_suite::{event, instance, t0};
    let store = store().await;
    let id = InstanceId(50);
    store.insert(&instance(50, "acme")).await.expect("insert");
    let page: Vec<_> = (0..95).map(|n| event(50, "accounts", n)).collect();
    let at = t0() + chrono::Duration::minutes(15);
    assert_eq!(
        store
            .commit_page(id, "accounts", page.clone(), Some(at), t0())
            .await
            .expect("commit"),
        95
    );
    assert_eq!(store.watermark(id, "accounts").await.expect("wm"), Some(at));
    let queued = store.list_events(id, None, 1000).await.expect("events");
    assert_eq!(queued.len(), 95);
    let notifications: std::collections::HashSet<_> = queued
        .iter()
        .filter_map(|r| r.notification_id.clone())
        .collect();
    assert_eq!(notifications.len(), 10);
    assert_eq!(
        store
            .commit_page(id, "accounts", page, Some(at), t0())
            .await
            .expect("repeat"),
        0,
        "a repeat is absorbed"
    );
}

#[tokio::test]
async fn the_poll_log_lists_newest_first() {
    use pollhook_core::instance::InstanceId;
    use pollhook_core::ports::{EventLog, PollLogEntry, PollStore};
    let store = store().await;
    for n in 0..3 {
        let at = store_suite::t0() + chrono::Duration::minutes(n);
        store
            .record_poll(&PollLogEntry {
                instance_id: 60,
                resource: format!("resource-{n}"),
                started: at,
                finished: at,
                since: at,
                pages: 1,
                records: 0,
                events: 0,
                skipped: 0,
                notes: Vec::new(),
                error: None,
            })
            .await
            .expect("record");
    }
    let polls = store.list_polls(InstanceId(60), 2).await.expect("polls");
    assert_eq!(
        polls
            .iter()
            .map(|p| p.resource.as_str())
            .collect::<Vec<_>>(),
        ["resource-2", "resource-1"]
    );
}
