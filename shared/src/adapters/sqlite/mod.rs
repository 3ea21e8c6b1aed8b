//! The embedded store of local mode: one SQLite file in WAL mode, migrated on open.

mod delivery;
mod event_log;
mod instances;
mod migrations;
mod parsed_instances;
mod polling;
mod readers;
mod tenants;

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension};

use self::parsed_instances::ParsedInstances;
use self::readers::Readers;
use crate::credentials::{digest, generate_secret};
use crate::ports::StoreError;
use crate::secret_box::{SecretBox, SecretBoxError};

/// Known plaintext sealed at creation: opening it at start proves the key is the right one.
const KEY_CANARY: &[u8] = b"pollhook-secret-key-check";

/// The organization and user local mode runs as.
pub const LOCAL_ORGANIZATION: &str = "local";
pub const LOCAL_USER: &str = "local";

/// Secrets generated on first start, to be shown to the operator once.
#[derive(Debug, Clone)]
pub struct GeneratedSecrets {
    pub organization_secret: String,
    pub user_secret: String,
}

/// A SQLite database holding tenants and instances; cheap to clone.
///
/// One writing connection behind a mutex, used from blocking threads (SQLite serialises writers
/// anyway), and a pool of read-only connections for the API's reads.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    /// None for an in-memory database, which other connections cannot see: reads use `conn`.
    readers: Option<Arc<Readers>>,
    /// Parsed instances by id, reused while their stored row is unchanged.
    parsed: Arc<ParsedInstances<instances::RawRow>>,
    secrets: SecretBox,
    /// Woken when notifications become due now, so the deliverer need not wait for its tick.
    enqueued: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

/// Instance ids are below 2^53 (see `InstanceId::generate`), so they fit SQLite's integers.
fn db_id(id: crate::instance::InstanceId) -> i64 {
    i64::try_from(id.0).unwrap_or(i64::MAX)
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, applies pending migrations,
    /// and checks that `secrets` is the key this database was written with.
    pub fn open(path: &Path, secrets: SecretBox) -> Result<Self, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        // Other connections to ":memory:" would each see an empty database of their own.
        let readers = (path != Path::new(":memory:")).then(|| Arc::new(Readers::new(path)));
        Self::init(conn, secrets, readers)
    }

    /// A private in-memory database, for tests.
    pub fn open_in_memory(secrets: SecretBox) -> Result<Self, StoreError> {
        Self::init(
            Connection::open_in_memory().map_err(unavailable)?,
            secrets,
            None,
        )
    }

    fn init(
        mut conn: Connection,
        secrets: SecretBox,
        readers: Option<Arc<Readers>>,
    ) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(unavailable)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(unavailable)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(unavailable)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(unavailable)?;
        migrations::apply(&mut conn)?;
        check_key(&conn, &secrets)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            readers,
            parsed: Arc::new(ParsedInstances::new()),
            secrets,
            enqueued: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Runs `f` on the connection from a blocking thread, off the async workers.
    async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection, &SecretBox) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let secrets = self.secrets.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().map_err(|_| {
                StoreError::Unavailable("store lock poisoned by an earlier panic".into())
            })?;
            f(&mut guard, &secrets)
        })
        .await
        .map_err(unavailable)?
    }

    /// Runs a read-only `f` on a reader connection from a blocking thread, so reads run side by
    /// side and never wait for a poll's write; on the writer where there are no readers.
    async fn call_read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection, &SecretBox) -> Result<R, StoreError> + Send + 'static,
    {
        let Some(readers) = self.readers.clone() else {
            return self.call(move |conn, secrets| f(conn, secrets)).await;
        };
        let secrets = self.secrets.clone();
        tokio::task::spawn_blocking(move || readers.with(|conn| f(conn, &secrets)))
            .await
            .map_err(unavailable)?
    }

    /// Signalled whenever new notifications are queued or replayed (for the deliverer).
    pub fn enqueued_signal(&self) -> Arc<tokio::sync::Notify> {
        self.enqueued.clone()
    }

    /// Drops every poll lease. Local mode runs one process per database file, so at start
    /// any lease left is a crashed process's, and would otherwise block polls until it expires.
    pub fn clear_leases(&self) -> Result<usize, StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
        conn.execute("DELETE FROM leases", []).map_err(unavailable)
    }

    /// Releases delivery claims of a previous process (see [`clear_leases`](Self::clear_leases)):
    /// attempts it had in flight are made again, with the same notification ids.
    pub fn release_delivery_claims(&self) -> Result<usize, StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
        conn.execute(
            "UPDATE events SET status = 'NEW' WHERE notification_id IN
             (SELECT id FROM notifications WHERE status = 'DISPATCHED')",
            [],
        )
        .map_err(unavailable)?;
        conn.execute(
            "UPDATE notifications SET status = CASE WHEN attempts = 0 THEN 'NEW' ELSE 'FAILED' END,
             claimed_until_ms = NULL WHERE status = 'DISPATCHED'",
            [],
        )
        .map_err(unavailable)
    }

    /// Creates or re-keys an organization and one of its users (operators and tests).
    pub fn upsert_account(
        &self,
        organization_id: &str,
        user_id: &str,
        organization_secret: &str,
        user_secret: &str,
    ) -> Result<(), StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
        tenants::upsert_account(
            &conn,
            organization_id,
            user_id,
            &digest(organization_secret),
            &digest(user_secret),
        )
    }

    /// Makes sure local mode's organization and user exist. Given secrets replace stored ones;
    /// with none given and none stored, fresh ones are generated and returned to show once.
    pub fn bootstrap_local_account(
        &self,
        organization_secret: Option<&str>,
        user_secret: Option<&str>,
    ) -> Result<Option<GeneratedSecrets>, StoreError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| StoreError::Unavailable("store lock poisoned".into()))?;
        let exists = tenants::organization_exists(&conn, LOCAL_ORGANIZATION)?;
        let mut generated = None;
        let (org, user) = match (organization_secret, user_secret) {
            (Some(o), Some(u)) => (o.to_owned(), u.to_owned()),
            (None, None) if exists => return Ok(None),
            (o, u) => {
                if exists && (o.is_some() || u.is_some()) {
                    tenants::replace_secrets(
                        &conn,
                        LOCAL_ORGANIZATION,
                        LOCAL_USER,
                        o.map(digest),
                        u.map(digest),
                    )?;
                    return Ok(None);
                }
                let org = o.map(str::to_owned).unwrap_or_else(generate_secret);
                let user = u.map(str::to_owned).unwrap_or_else(generate_secret);
                generated = Some(GeneratedSecrets {
                    organization_secret: org.clone(),
                    user_secret: user.clone(),
                });
                (org, user)
            }
        };
        tenants::upsert_account(
            &conn,
            LOCAL_ORGANIZATION,
            LOCAL_USER,
            &digest(&org),
            &digest(&user),
        )?;
        Ok(generated)
    }
}

fn check_key(conn: &Connection, secrets: &SecretBox) -> Result<(), StoreError> {
    let stored: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE key = 'key_check'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(unavailable)?;
    match stored {
        Some(sealed) => match secrets.open(&sealed) {
            Ok(plain) if plain == KEY_CANARY => Ok(()),
            Ok(_) | Err(SecretBoxError::WrongKey) => Err(StoreError::Corrupt(
                "the secret key (POLLHOOK_SECRET_KEY or the key file) is not the one this database was written with".into(),
            )),
            Err(e) => Err(StoreError::Corrupt(e.to_string())),
        },
        None => conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('key_check', ?1)",
                [secrets.seal(KEY_CANARY)],
            )
            .map(drop)
            .map_err(unavailable),
    }
}
