//! Instances in SQLite: public configuration as JSON, secrets and providerData sealed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};

use super::parsed_instances::ParsedInstances;
use super::{db_id, unavailable, SqliteStore};
use crate::credentials::SecretDigest;
use crate::instance::{stored_poll_interval, Instance, InstanceId, InstanceSpec};
use crate::list_cursor::ListCursor;
use crate::ports::{InstanceStore, PollSchedule, StoreError};
use crate::secret_box::SecretBox;

/// Instances read per lock of the connection when a scheduler lists the poll schedules.
const SCHEDULE_PAGE: i64 = 500;

const COLUMNS: &str = "id, organization_id, name, element_key, configuration, sealed_secrets, tags, token_digest, created_date, updated_date";

/// The columns of one instance, ready to bind.
struct RowValues {
    configuration: String,
    sealed: Vec<u8>,
    tags: String,
}

fn to_row(instance: &Instance, secrets: &SecretBox) -> Result<RowValues, StoreError> {
    let (public, secret) = instance.spec.split_secrets();
    let sealed_doc = serde_json::json!({
        "configuration": secret,
        "providerData": instance.spec.provider_data,
    });
    Ok(RowValues {
        configuration: to_json(&public)?,
        sealed: secrets.seal(to_json(&sealed_doc)?.as_bytes()),
        tags: to_json(&instance.spec.tags)?,
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The columns of one stored instance, as read; compared whole to reuse a cached parse.
#[derive(PartialEq)]
pub(super) struct RawRow {
    id: i64,
    organization_id: String,
    name: String,
    element_key: String,
    configuration: String,
    sealed: Vec<u8>,
    tags: String,
    token_digest: Vec<u8>,
    created_date: String,
    updated_date: String,
}

fn read_raw(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: r.get(0)?,
        organization_id: r.get(1)?,
        name: r.get(2)?,
        element_key: r.get(3)?,
        configuration: r.get(4)?,
        sealed: r.get(5)?,
        tags: r.get(6)?,
        token_digest: r.get(7)?,
        created_date: r.get(8)?,
        updated_date: r.get(9)?,
    })
}

fn corrupt(id: i64, what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("instance {id}: {what}"))
}

/// The instance of a row read by id or token, reusing (or caching) the parse of an identical row.
fn from_raw(
    raw: RawRow,
    secrets: &SecretBox,
    parsed: &ParsedInstances<RawRow>,
) -> Result<Instance, StoreError> {
    parsed.get_or_parse(raw.id, raw, |raw| parse_row(raw, secrets))
}

/// The instance of a listed row: a cached parse is reused, nothing new is cached.
fn from_listed(
    raw: RawRow,
    secrets: &SecretBox,
    parsed: &ParsedInstances<RawRow>,
) -> Result<Instance, StoreError> {
    parsed.lookup_or_parse(raw.id, raw, |raw| parse_row(raw, secrets))
}

fn parse_row(raw: &RawRow, secrets: &SecretBox) -> Result<Instance, StoreError> {
    let id = raw.id;
    let mut configuration: Map<String, Value> =
        serde_json::from_str(&raw.configuration).map_err(|e| corrupt(id, e))?;
    let opened = secrets.open(&raw.sealed).map_err(|e| corrupt(id, e))?;
    let mut sealed: Map<String, Value> =
        serde_json::from_slice(&opened).map_err(|e| corrupt(id, e))?;
    if let Some(Value::Object(secret)) = sealed.remove("configuration") {
        configuration.extend(secret);
    }
    let provider_data = match sealed.remove("providerData") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let tags: Vec<String> = serde_json::from_str(&raw.tags).map_err(|e| corrupt(id, e))?;
    let spec = InstanceSpec::from_stored(
        raw.name.clone(),
        &raw.element_key,
        configuration,
        provider_data,
        tags,
    )
    .map_err(|e| corrupt(id, e))?;
    let token_digest: SecretDigest = raw
        .token_digest
        .as_slice()
        .try_into()
        .map_err(|_| corrupt(id, "token digest is not 32 bytes"))?;
    let date = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| corrupt(id, e))
    };
    Ok(Instance {
        id: InstanceId(u64::try_from(id).map_err(|e| corrupt(id, e))?),
        organization_id: raw.organization_id.clone(),
        spec,
        token_digest,
        created_date: date(&raw.created_date)?,
        updated_date: date(&raw.updated_date)?,
    })
}

fn query_one(
    conn: &Connection,
    secrets: &SecretBox,
    parsed: &ParsedInstances<RawRow>,
    filter: &str,
    params: impl rusqlite::Params,
) -> Result<Option<Instance>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM instances WHERE {filter}");
    let raw = conn
        .prepare_cached(&sql)
        .map_err(unavailable)?
        .query_row(params, read_raw)
        .optional()
        .map_err(unavailable)?;
    raw.map(|r| from_raw(r, secrets, parsed)).transpose()
}

#[async_trait]
impl InstanceStore for SqliteStore {
    async fn insert(&self, instance: &Instance) -> Result<(), StoreError> {
        let instance = instance.clone();
        self.call(move |conn, secrets| {
            let row = to_row(&instance, secrets)?;
            let result = conn.execute(
                &format!("INSERT INTO instances ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
                params![
                    db_id(instance.id),
                    instance.organization_id,
                    instance.spec.name,
                    instance.spec.element.as_str(),
                    row.configuration,
                    row.sealed,
                    row.tags,
                    instance.token_digest.as_slice(),
                    instance.created_date.to_rfc3339(),
                    instance.updated_date.to_rfc3339(),
                ],
            );
            match result {
                Ok(_) => Ok(()),
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
                {
                    Err(StoreError::UnknownOrganization(instance.organization_id.clone()))
                }
                Err(rusqlite::Error::SqliteFailure(e, _))
                    if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    Err(StoreError::Conflict(instance.id))
                }
                Err(e) => Err(unavailable(e)),
            }
        })
        .await
    }

    async fn get(
        &self,
        organization_id: &str,
        id: InstanceId,
    ) -> Result<Option<Instance>, StoreError> {
        let org = organization_id.to_owned();
        let parsed = self.parsed.clone();
        self.call_read(move |conn, secrets| {
            query_one(
                conn,
                secrets,
                &parsed,
                "id = ?1 AND organization_id = ?2",
                params![db_id(id), org],
            )
        })
        .await
    }

    async fn get_by_token(&self, token: &SecretDigest) -> Result<Option<Instance>, StoreError> {
        let token = *token;
        let parsed = self.parsed.clone();
        self.call_read(move |conn, secrets| {
            query_one(
                conn,
                secrets,
                &parsed,
                "token_digest = ?1",
                [token.as_slice()],
            )
        })
        .await
    }

    async fn list(&self, organization_id: &str) -> Result<Vec<Instance>, StoreError> {
        let org = organization_id.to_owned();
        let parsed = self.parsed.clone();
        self.call_read(move |conn, secrets| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM instances WHERE organization_id = ?1 ORDER BY created_date, id"
                ))
                .map_err(unavailable)?;
            let rows = stmt.query_map([org], read_raw).map_err(unavailable)?;
            rows.map(|r| from_listed(r.map_err(unavailable)?, secrets, &parsed)).collect()
        })
        .await
    }

    async fn list_page(
        &self,
        organization_id: &str,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Instance>, StoreError> {
        let org = organization_id.to_owned();
        // Dates are stored as `to_rfc3339()` text, whose order is time order; no cursor is
        // the empty date, before every stored one.
        let (after_date, after_id) = after
            .map(|c| (c.created_date.to_rfc3339(), db_id(c.id)))
            .unwrap_or_default();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let parsed = self.parsed.clone();
        self.call_read(move |conn, secrets| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM instances WHERE organization_id = ?1
                     AND (created_date > ?2 OR (created_date = ?2 AND id > ?3))
                     ORDER BY created_date, id LIMIT ?4"
                ))
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![org, after_date, after_id, limit], read_raw)
                .map_err(unavailable)?;
            rows.map(|r| from_listed(r.map_err(unavailable)?, secrets, &parsed))
                .collect()
        })
        .await
    }

    async fn find(&self, id: InstanceId) -> Result<Option<Instance>, StoreError> {
        let parsed = self.parsed.clone();
        self.call_read(move |conn, secrets| {
            query_one(conn, secrets, &parsed, "id = ?1", [db_id(id)])
        })
        .await
    }

    async fn list_all(&self) -> Result<Vec<Instance>, StoreError> {
        let parsed = self.parsed.clone();
        self.call_read(move |conn, secrets| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM instances ORDER BY created_date, id"
                ))
                .map_err(unavailable)?;
            let rows = stmt.query_map([], read_raw).map_err(unavailable)?;
            rows.map(|r| from_listed(r.map_err(unavailable)?, secrets, &parsed))
                .collect()
        })
        .await
    }

    async fn list_poll_schedules(&self) -> Result<Vec<PollSchedule>, StoreError> {
        let mut schedules = Vec::new();
        let mut after = 0i64;
        // Page by id so that API calls get the connection between pages: a scheduler's re-read
        // of many instances never holds it for long.
        loop {
            let (page, last) = self
                .call(move |conn, _| {
                    let mut stmt = conn
                        .prepare_cached(
                            "SELECT id, created_date, configuration FROM instances
                             WHERE id > ?1 ORDER BY id LIMIT ?2",
                        )
                        .map_err(unavailable)?;
                    let mut rows = stmt
                        .query(params![after, SCHEDULE_PAGE])
                        .map_err(unavailable)?;
                    let mut page = Vec::new();
                    let mut last = None;
                    while let Some(row) = rows.next().map_err(unavailable)? {
                        let id: i64 = row.get(0).map_err(unavailable)?;
                        last = Some(id);
                        let created: String = row.get(1).map_err(unavailable)?;
                        let configuration: String = row.get(2).map_err(unavailable)?;
                        let configuration: Map<String, Value> =
                            serde_json::from_str(&configuration).map_err(|e| corrupt(id, e))?;
                        let Some(every) = stored_poll_interval(&configuration) else {
                            continue;
                        };
                        page.push(PollSchedule {
                            id: InstanceId(u64::try_from(id).map_err(|e| corrupt(id, e))?),
                            created_date: DateTime::parse_from_rfc3339(&created)
                                .map_err(|e| corrupt(id, e))?
                                .with_timezone(&Utc),
                            every,
                        });
                    }
                    Ok((page, last))
                })
                .await?;
            schedules.extend(page);
            match last {
                Some(id) => after = id,
                None => return Ok(schedules),
            }
        }
    }

    async fn update(&self, instance: &Instance) -> Result<bool, StoreError> {
        let instance = instance.clone();
        self.call(move |conn, secrets| {
            let row = to_row(&instance, secrets)?;
            let changed = conn
                .execute(
                    "UPDATE instances SET name = ?3, configuration = ?4, sealed_secrets = ?5, tags = ?6,
                     updated_date = ?7 WHERE id = ?1 AND organization_id = ?2",
                    params![
                        db_id(instance.id),
                        instance.organization_id,
                        instance.spec.name,
                        row.configuration,
                        row.sealed,
                        row.tags,
                        instance.updated_date.to_rfc3339(),
                    ],
                )
                .map_err(unavailable)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn delete(&self, organization_id: &str, id: InstanceId) -> Result<bool, StoreError> {
        let org = organization_id.to_owned();
        self.call(move |conn, _| {
            let tx = conn.transaction().map_err(unavailable)?;
            let removed = tx
                .execute(
                    "DELETE FROM instances WHERE id = ?1 AND organization_id = ?2",
                    params![db_id(id), org],
                )
                .map_err(unavailable)?;
            if removed == 1 {
                // Its polling state and queued events go with it: nothing polls or delivers for it again.
                for table in [
                    "leases",
                    "watermarks",
                    "seen_ledger",
                    "events",
                    "poll_log",
                    "notifications",
                    "delivery_attempts",
                ] {
                    tx.execute(
                        &format!("DELETE FROM {table} WHERE instance_id = ?1"),
                        [db_id(id)],
                    )
                    .map_err(unavailable)?;
                }
            }
            tx.commit().map_err(unavailable)?;
            Ok(removed == 1)
        })
        .await
    }
}
