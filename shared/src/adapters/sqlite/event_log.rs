//! Reading the queue and the poll log back, for the API and tests.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, Row};

use super::{db_id, unavailable, SqliteStore};
use crate::adapters::stored_time::parse_timestamp;
use crate::event::{Event, EventType};
use crate::instance::InstanceId;
use crate::ports::{EventLog, EventRecord, PollLogEntry, StoreError};

pub(super) const COLUMNS: &str = "seq, id, instance_id, element_key, resource, object_id, event_type, event_date, raw, status, created_at, notification_id";

pub(super) type RawEvent = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

pub(super) fn read_raw(r: &Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
    ))
}

pub(super) fn to_record(raw: RawEvent) -> Result<EventRecord, StoreError> {
    let (
        seq,
        id,
        instance_id,
        element_key,
        resource,
        object_id,
        event_type,
        date,
        body,
        status,
        created_at,
        notification_id,
    ) = raw;
    let event_type = match event_type.as_str() {
        "CREATED" => EventType::Created,
        "UPDATED" => EventType::Updated,
        other => {
            return Err(StoreError::Corrupt(format!(
                "event {id}: unknown type {other}"
            )))
        }
    };
    Ok(EventRecord {
        seq,
        event: Event {
            raw: serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("event {id}: {e}")))?,
            id,
            instance_id: InstanceId(u64::try_from(instance_id).unwrap_or_default()),
            element_key,
            object_type: resource,
            object_id,
            event_type,
            date: parse_timestamp(&date)?,
        },
        status,
        notification_id,
        created_at: parse_timestamp(&created_at)?,
    })
}

#[async_trait]
impl EventLog for SqliteStore {
    async fn list_events(
        &self,
        instance: InstanceId,
        after_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        self.call_read(move |conn, _| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM events WHERE instance_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
                ))
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![db_id(instance), after_seq.unwrap_or(0), limit], read_raw)
                .map_err(unavailable)?;
            rows.map(|r| to_record(r.map_err(unavailable)?)).collect()
        })
        .await
    }

    async fn list_events_of(
        &self,
        instances: &[InstanceId],
        after_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let ids: Vec<i64> = instances.iter().map(|i| db_id(*i)).collect();
        self.call_read(move |conn, _| {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            // Ids are integers we produced, so inlining them is safe and keeps one statement.
            let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {COLUMNS} FROM events WHERE instance_id IN ({list}) AND seq > ?1 ORDER BY seq LIMIT ?2"
                ))
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![after_seq.unwrap_or(0), limit], read_raw)
                .map_err(unavailable)?;
            rows.map(|r| to_record(r.map_err(unavailable)?)).collect()
        })
        .await
    }

    async fn get_event(
        &self,
        instance: InstanceId,
        event_id: &str,
    ) -> Result<Option<EventRecord>, StoreError> {
        let event_id = event_id.to_owned();
        self.call_read(move |conn, _| {
            let raw = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM events WHERE instance_id = ?1 AND id = ?2"
                ))
                .map_err(unavailable)?
                .query_row(params![db_id(instance), event_id], read_raw)
                .optional()
                .map_err(unavailable)?;
            raw.map(to_record).transpose()
        })
        .await
    }

    async fn list_polls(
        &self,
        instance: InstanceId,
        limit: u32,
    ) -> Result<Vec<PollLogEntry>, StoreError> {
        self.call_read(move |conn, _| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT entry FROM poll_log WHERE instance_id = ?1 ORDER BY id DESC LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![db_id(instance), limit], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            rows.map(|r| {
                let text = r.map_err(unavailable)?;
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("poll log: {e}")))
            })
            .collect()
        })
        .await
    }
}
