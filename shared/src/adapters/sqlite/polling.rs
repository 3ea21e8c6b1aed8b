//! The poller's state in SQLite: one transaction per page keeps queue, ledger and watermark
//! consistent, so a crash anywhere leaves a state the next poll recovers from.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::adapters::stored_time::{parse_timestamp, timestamp};
use rusqlite::{params, OptionalExtension};

use super::{db_id, unavailable, SqliteStore};
use crate::event::Event;
use crate::instance::InstanceId;
use crate::notification;
use crate::ports::{PollLogEntry, PollStore, StoreError};

/// How long the seen-ledger remembers a change: far beyond any lookback plus interval.
pub const SEEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

#[async_trait]
impl PollStore for SqliteStore {
    async fn acquire_lease(
        &self,
        instance: InstanceId,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let holder = holder.to_owned();
        let now_ms = now.timestamp_millis();
        let expires = now_ms.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        self.call(move |conn, _| {
            let changed = conn
                .execute(
                    "INSERT INTO leases (instance_id, holder, expires_at_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT(instance_id) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
                     WHERE leases.expires_at_ms <= ?4 OR leases.holder = excluded.holder",
                    params![db_id(instance), holder, expires, now_ms],
                )
                .map_err(unavailable)?;
            Ok(changed == 1)
        })
        .await
    }

    async fn release_lease(&self, instance: InstanceId, holder: &str) -> Result<(), StoreError> {
        let holder = holder.to_owned();
        self.call(move |conn, _| {
            conn.execute(
                "DELETE FROM leases WHERE instance_id = ?1 AND holder = ?2",
                params![db_id(instance), holder],
            )
            .map(drop)
            .map_err(unavailable)
        })
        .await
    }

    async fn watermark(
        &self,
        instance: InstanceId,
        resource: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let resource = resource.to_owned();
        self.call(move |conn, _| {
            let text: Option<String> = conn
                .prepare_cached("SELECT last_poll_start FROM watermarks WHERE instance_id = ?1 AND resource = ?2")
                .map_err(unavailable)?
                .query_row(params![db_id(instance), resource], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            text.as_deref().map(parse_timestamp).transpose()
        })
        .await
    }

    async fn commit_page(
        &self,
        instance: InstanceId,
        resource: &str,
        events: Vec<Event>,
        advance_to: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let resource = resource.to_owned();
        let expires = now
            .timestamp_millis()
            .saturating_add(i64::try_from(SEEN_TTL.as_millis()).unwrap_or(i64::MAX));
        self.call(move |conn, _| {
            let tx = conn.transaction().map_err(unavailable)?;
            let fresh: u64;
            let mut fresh_ids: Vec<&str> = Vec::new();
            {
                let mut seen = tx
                    .prepare_cached(
                        "INSERT INTO seen_ledger (event_id, instance_id, expires_at_ms) VALUES (?1, ?2, ?3)
                         ON CONFLICT(event_id) DO NOTHING",
                    )
                    .map_err(unavailable)?;
                let mut enqueue = tx
                    .prepare_cached(
                        "INSERT INTO events (id, instance_id, element_key, resource, object_id, event_type, event_date, raw, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO NOTHING",
                    )
                    .map_err(unavailable)?;
                let created_at = timestamp(now);
                for e in &events {
                    if seen.execute(params![e.id, db_id(instance), expires]).map_err(unavailable)? == 0 {
                        continue;
                    }
                    let raw = serde_json::to_string(&e.raw).map_err(|err| StoreError::Corrupt(err.to_string()))?;
                    let inserted = enqueue
                        .execute(params![
                            e.id,
                            db_id(instance),
                            e.element_key,
                            e.object_type,
                            e.object_id,
                            e.event_type.as_str(),
                            timestamp(e.date),
                            raw,
                            created_at,
                        ])
                        .map_err(unavailable)?;
                    if inserted == 1 {
                        fresh_ids.push(e.id.as_str());
                    }
                }
                let mut notify = tx
                    .prepare_cached(
                        "INSERT INTO notifications (id, instance_id, resource, status, next_attempt_ms, created_at)
                         VALUES (?1, ?2, ?3, 'NEW', ?4, ?5) ON CONFLICT(id) DO NOTHING",
                    )
                    .map_err(unavailable)?;
                let mut link = tx
                    .prepare_cached("UPDATE events SET notification_id = ?1 WHERE id = ?2")
                    .map_err(unavailable)?;
                for chunk in fresh_ids.chunks(notification::MAX_EVENTS) {
                    let id = notification::notification_id(chunk.iter().copied());
                    notify
                        .execute(params![id, db_id(instance), resource, now.timestamp_millis(), created_at])
                        .map_err(unavailable)?;
                    for event_id in chunk {
                        link.execute(params![id, event_id]).map_err(unavailable)?;
                    }
                }
                fresh = fresh_ids.len() as u64;
            }
            if let Some(at) = advance_to {
                tx.execute(
                    "INSERT INTO watermarks (instance_id, resource, last_poll_start) VALUES (?1, ?2, ?3)
                     ON CONFLICT(instance_id, resource) DO UPDATE SET last_poll_start = excluded.last_poll_start",
                    params![db_id(instance), resource, timestamp(at)],
                )
                .map_err(unavailable)?;
                tx.execute("DELETE FROM seen_ledger WHERE expires_at_ms < ?1", [now.timestamp_millis()])
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(fresh)
        })
        .await
        .inspect(|fresh| {
            if *fresh > 0 {
                self.enqueued.notify_one();
            }
        })
    }

    async fn record_poll(&self, entry: &PollLogEntry) -> Result<(), StoreError> {
        let text = serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id = i64::try_from(entry.instance_id).unwrap_or(i64::MAX);
        self.call(move |conn, _| {
            conn.execute(
                "INSERT INTO poll_log (instance_id, entry) VALUES (?1, ?2)",
                params![id, text],
            )
            .map(drop)
            .map_err(unavailable)
        })
        .await
    }
}
