//! The store port suite on SQLite (local mode's backend), each case twice: on a database file,
//! whose reads go through the pool of read-only connections, and in memory, where they share
//! the one connection.

mod store_suite;

use std::path::Path;

use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::secret_box::SecretBox;

/// Adds the suite's two organizations.
fn with_accounts(store: SqliteStore) -> SqliteStore {
    store
        .upsert_account("acme", "alice", "acme-org", "alice-user")
        .expect("acme");
    store
        .upsert_account("globex", "bob", "globex-org", "bob-user")
        .expect("globex");
    store
}

fn file_store(dir: &Path) -> SqliteStore {
    with_accounts(
        SqliteStore::open(&dir.join("suite.db"), SecretBox::from_key(&[6; 32])).expect("store"),
    )
}

fn memory_store() -> SqliteStore {
    with_accounts(SqliteStore::open_in_memory(SecretBox::from_key(&[6; 32])).expect("store"))
}

/// Runs one suite case on a fresh file-backed store, then on a fresh in-memory one.
macro_rules! on_both {
    ($case:path $(, $arg:expr)*) => {{
        let dir = tempfile::tempdir().expect("temp dir");
        $case(&file_store(dir.path()) $(, $arg)*).await;
        $case(&memory_store() $(, $arg)*).await;
    }};
}

#[tokio::test]
async fn an_instance_of_an_unknown_organization_is_refused_by_name() {
    on_both!(store_suite::an_instance_of_an_unknown_organization_is_refused_by_name);
}

#[tokio::test]
async fn instances_round_trip_and_stay_in_their_organization() {
    on_both!(store_suite::instances_round_trip_and_stay_in_their_organization);
}

#[tokio::test]
async fn a_lease_excludes_other_holders_until_it_expires() {
    on_both!(store_suite::a_lease_excludes_other_holders_until_it_expires);
}

#[tokio::test]
async fn pages_commit_once_and_the_watermark_moves_only_when_asked() {
    on_both!(store_suite::pages_commit_once_and_the_watermark_moves_only_when_asked);
}

#[tokio::test]
async fn delivery_claims_in_order_retries_and_replays_dead_letters() {
    on_both!(store_suite::delivery_claims_in_order_retries_and_replays_dead_letters);
}

#[tokio::test]
async fn deleting_an_instance_removes_its_queue() {
    on_both!(store_suite::deleting_an_instance_removes_its_queue);
}

#[tokio::test]
async fn poll_schedules_list_the_polled_instances() {
    // More than one page of the listing (500 instances per lock of the connection).
    on_both!(store_suite::poll_schedules_list_the_polled_instances, 1_200);
}

#[tokio::test]
async fn reads_from_many_tasks_at_once_see_every_committed_instance() {
    use pollhook_core::ports::InstanceStore;
    let dir = tempfile::tempdir().expect("temp dir");
    let store = file_store(dir.path());
    let mut ids = Vec::new();
    for n in 1..=20 {
        let instance = store_suite::instance(n, "acme");
        store.insert(&instance).await.expect("insert");
        ids.push(instance.id);
    }
    let reads: Vec<_> = ids
        .iter()
        .cycle()
        .take(400)
        .map(|id| {
            let store = store.clone();
            let id = *id;
            tokio::spawn(async move { store.get("acme", id).await })
        })
        .collect();
    for read in reads {
        let found = read.await.expect("task").expect("read");
        assert!(found.is_some(), "a committed instance was not found");
    }
}

#[tokio::test]
async fn list_pages_walk_the_listing_in_order() {
    on_both!(store_suite::list_pages_walk_the_listing_in_order);
}
