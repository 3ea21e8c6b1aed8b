//! The store port suite on SQLite (local mode's backend).

mod store_suite;

use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::secret_box::SecretBox;

/// A fresh in-memory store with the suite's two organizations.
fn store() -> SqliteStore {
    let store = SqliteStore::open_in_memory(SecretBox::from_key(&[6; 32])).expect("store");
    store
        .upsert_account("acme", "alice", "acme-org", "alice-user")
        .expect("acme");
    store
        .upsert_account("globex", "bob", "globex-org", "bob-user")
        .expect("globex");
    store
}

#[tokio::test]
async fn an_instance_of_an_unknown_organization_is_refused_by_name() {
    use pollhook_core::ports::{InstanceStore, StoreError};
    let err = store()
        .insert(&store_suite::instance(1, "initech"))
        .await
        .expect_err("no such organization");
    assert!(
        matches!(err, StoreError::UnknownOrganization(ref o) if o == "initech"),
        "{err}"
    );
}

#[tokio::test]
async fn instances_round_trip_and_stay_in_their_organization() {
    store_suite::instances_round_trip_and_stay_in_their_organization(&store()).await;
}

#[tokio::test]
async fn a_lease_excludes_other_holders_until_it_expires() {
    store_suite::a_lease_excludes_other_holders_until_it_expires(&store()).await;
}

#[tokio::test]
async fn pages_commit_once_and_the_watermark_moves_only_when_asked() {
    store_suite::pages_commit_once_and_the_watermark_moves_only_when_asked(&store()).await;
}

#[tokio::test]
async fn delivery_claims_in_order_retries_and_replays_dead_letters() {
    store_suite::delivery_claims_in_order_retries_and_replays_dead_letters(&store()).await;
}

#[tokio::test]
async fn deleting_an_instance_removes_its_queue() {
    store_suite::deleting_an_instance_removes_its_queue(&store()).await;
}

#[tokio::test]
async fn poll_schedules_list_the_polled_instances() {
    // More than one page of the listing (500 instances per lock of the connection).
    store_suite::poll_schedules_list_the_polled_instances(&store(), 1_200).await;
}
