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
