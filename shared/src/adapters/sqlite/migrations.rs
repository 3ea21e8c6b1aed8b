//! Versioned schema of the local database; applied in order on every start.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::ports::StoreError;

/// Append only: a released migration is never edited, a change is a new entry.
const MIGRATIONS: &[&str] = &[
    // 1: tenants, instances, and the key check.
    "CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value BLOB NOT NULL
    );
    CREATE TABLE organizations (
        id TEXT PRIMARY KEY,
        secret_digest BLOB NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE users (
        id TEXT NOT NULL,
        organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        secret_digest BLOB NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (organization_id, id)
    );
    CREATE TABLE instances (
        id INTEGER PRIMARY KEY,
        organization_id TEXT NOT NULL REFERENCES organizations(id),
        name TEXT NOT NULL,
        element_key TEXT NOT NULL,
        configuration TEXT NOT NULL,
        sealed_secrets BLOB NOT NULL,
        tags TEXT NOT NULL,
        token_digest BLOB NOT NULL UNIQUE,
        created_date TEXT NOT NULL,
        updated_date TEXT NOT NULL
    );
    CREATE INDEX instances_by_organization ON instances (organization_id, created_date);",
    // 2: polling state: leases, watermarks, the seen-ledger, the event queue, the poll log.
    "CREATE TABLE leases (
        instance_id INTEGER PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at_ms INTEGER NOT NULL
    );
    CREATE TABLE watermarks (
        instance_id INTEGER NOT NULL,
        resource TEXT NOT NULL,
        last_poll_start TEXT NOT NULL,
        PRIMARY KEY (instance_id, resource)
    );
    CREATE TABLE seen_ledger (
        event_id TEXT PRIMARY KEY,
        instance_id INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL
    );
    CREATE INDEX seen_ledger_by_expiry ON seen_ledger (expires_at_ms);
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        instance_id INTEGER NOT NULL,
        element_key TEXT NOT NULL,
        resource TEXT NOT NULL,
        object_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        event_date TEXT NOT NULL,
        raw TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'NEW',
        created_at TEXT NOT NULL
    );
    CREATE INDEX events_by_instance ON events (instance_id, seq);
    CREATE INDEX events_by_status ON events (status, seq);
    CREATE TABLE poll_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        instance_id INTEGER NOT NULL,
        entry TEXT NOT NULL
    );
    CREATE INDEX poll_log_by_instance ON poll_log (instance_id, id);",
    // 3: delivery: notifications (up to 10 events each) and their attempts.
    "CREATE TABLE notifications (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        instance_id INTEGER NOT NULL,
        resource TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL,
        claimed_until_ms INTEGER,
        last_error TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX notifications_pending ON notifications (status, instance_id, resource, seq);
    CREATE INDEX notifications_by_instance ON notifications (instance_id, seq);
    ALTER TABLE events ADD COLUMN notification_id TEXT;
    CREATE INDEX events_by_notification ON events (notification_id);
    CREATE TABLE delivery_attempts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        notification_id TEXT NOT NULL,
        instance_id INTEGER NOT NULL,
        attempted_at TEXT NOT NULL,
        status_code INTEGER,
        latency_ms INTEGER NOT NULL,
        error TEXT
    );
    CREATE INDEX delivery_attempts_by_notification ON delivery_attempts (notification_id, id);",
];

/// Brings the schema to the latest version inside a transaction per step.
pub fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    let migrations = Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect());
    migrations
        .to_latest(conn)
        .map_err(|e| StoreError::Unavailable(format!("database migration failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_idempotent() {
        let mut conn = Connection::open_in_memory().expect("memory db");
        apply(&mut conn).expect("first run");
        apply(&mut conn).expect("second run is a no-op");
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
