//! The delivery queue in SQLite: notifications claimed under a lease (a crashed deliverer's
//! claims expire and are retried), attempts recorded with their outcome in one transaction.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::event_log::{read_raw, to_record, COLUMNS};
use super::{db_id, unavailable, SqliteStore};
use crate::adapters::stored_time::{parse_timestamp, timestamp};
use crate::instance::InstanceId;
use crate::notification::status;
use crate::ports::{AttemptOutcome, AttemptRecord, DeliveryQueue, PendingNotification, StoreError};

#[async_trait]
impl DeliveryQueue for SqliteStore {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<PendingNotification>, StoreError> {
        let now_ms = now.timestamp_millis();
        let until = now_ms.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        self.call(move |conn, _| {
            let tx = conn.transaction().map_err(unavailable)?;
            let heads: Vec<(String, i64, String, u32)> = {
                let mut stmt = tx
                    .prepare_cached(
                        "SELECT n.id, n.instance_id, n.resource, n.attempts FROM notifications n
                         JOIN (SELECT MIN(seq) AS seq FROM notifications
                               WHERE status IN ('NEW', 'FAILED', 'DISPATCHED')
                               GROUP BY instance_id, resource) head ON head.seq = n.seq
                         WHERE n.next_attempt_ms <= ?1 AND (n.claimed_until_ms IS NULL OR n.claimed_until_ms <= ?1)
                         ORDER BY n.next_attempt_ms, n.seq LIMIT ?2",
                    )
                    .map_err(unavailable)?;
                let rows = stmt
                    .query_map(params![now_ms, limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .map_err(unavailable)?;
                rows.collect::<Result<_, _>>().map_err(unavailable)?
            };
            let mut claimed = Vec::with_capacity(heads.len());
            {
                let mut claim = tx
                    .prepare_cached(
                        "UPDATE notifications SET status = 'DISPATCHED', claimed_until_ms = ?2 WHERE id = ?1",
                    )
                    .map_err(unavailable)?;
                let mut mark = tx
                    .prepare_cached("UPDATE events SET status = 'DISPATCHED' WHERE notification_id = ?1")
                    .map_err(unavailable)?;
                let mut events = tx
                    .prepare_cached(&format!("SELECT {COLUMNS} FROM events WHERE notification_id = ?1 ORDER BY seq"))
                    .map_err(unavailable)?;
                for (id, instance_id, resource, attempts) in heads {
                    claim.execute(params![id, until]).map_err(unavailable)?;
                    mark.execute([&id]).map_err(unavailable)?;
                    let rows = events.query_map([&id], read_raw).map_err(unavailable)?;
                    let events = rows
                        .map(|r| to_record(r.map_err(unavailable)?).map(|rec| rec.event))
                        .collect::<Result<Vec<_>, _>>()?;
                    claimed.push(PendingNotification {
                        id,
                        instance_id: InstanceId(u64::try_from(instance_id).unwrap_or_default()),
                        resource,
                        attempts,
                        events,
                    });
                }
            }
            tx.commit().map_err(unavailable)?;
            Ok(claimed)
        })
        .await
    }

    async fn finish_attempt(
        &self,
        notification_id: &str,
        attempt: &AttemptRecord,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        let id = notification_id.to_owned();
        let attempt = attempt.clone();
        let outcome = outcome.clone();
        self.call(move |conn, _| {
            let tx = conn.transaction().map_err(unavailable)?;
            let instance_id: Option<i64> = tx
                .query_row("SELECT instance_id FROM notifications WHERE id = ?1", [&id], |r| r.get(0))
                .optional()
                .map_err(unavailable)?;
            let Some(instance_id) = instance_id else {
                // The instance was deleted while the attempt ran: nothing left to record.
                return Ok(());
            };
            tx.execute(
                "INSERT INTO delivery_attempts (notification_id, instance_id, attempted_at, status_code, latency_ms, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    instance_id,
                    timestamp(attempt.attempted_at),
                    attempt.status_code,
                    i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX),
                    attempt.error
                ],
            )
            .map_err(unavailable)?;
            let (new_status, next_ms) = match &outcome {
                AttemptOutcome::Delivered => (status::NOTIFIED, 0),
                AttemptOutcome::RetryAt(at) => (status::FAILED, at.timestamp_millis()),
                AttemptOutcome::Dead => (status::DEAD, 0),
            };
            tx.execute(
                "UPDATE notifications SET status = ?2, attempts = attempts + 1, next_attempt_ms = ?3,
                 claimed_until_ms = NULL, last_error = ?4 WHERE id = ?1",
                params![id, new_status, next_ms, attempt.error],
            )
            .map_err(unavailable)?;
            tx.execute("UPDATE events SET status = ?2 WHERE notification_id = ?1", params![id, new_status])
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn replay(
        &self,
        instance: InstanceId,
        event_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let event_id = event_id.map(str::to_owned);
        let now_ms = now.timestamp_millis();
        self.call(move |conn, _| {
            let tx = conn.transaction().map_err(unavailable)?;
            let ids: Vec<String> = match &event_id {
                Some(e) => tx
                    .query_row(
                        "SELECT notification_id FROM events WHERE instance_id = ?1 AND id = ?2 AND notification_id IS NOT NULL",
                        params![db_id(instance), e],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(unavailable)?
                    .into_iter()
                    .collect(),
                None => {
                    let mut stmt = tx
                        .prepare_cached("SELECT id FROM notifications WHERE instance_id = ?1 AND status = 'DEAD' ORDER BY seq")
                        .map_err(unavailable)?;
                    let rows = stmt.query_map([db_id(instance)], |r| r.get(0)).map_err(unavailable)?;
                    rows.collect::<Result<_, _>>().map_err(unavailable)?
                }
            };
            let mut requeued = 0;
            for id in &ids {
                requeued += tx
                    .execute(
                        "UPDATE notifications SET status = 'NEW', attempts = 0, next_attempt_ms = ?2, claimed_until_ms = NULL
                         WHERE id = ?1 AND status IN ('DEAD', 'FAILED')",
                        params![id, now_ms],
                    )
                    .map_err(unavailable)? as u64;
                tx.execute(
                    "UPDATE events SET status = 'NEW' WHERE notification_id = ?1 AND status IN ('DEAD', 'FAILED')",
                    [id],
                )
                .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(requeued)
        })
        .await
        .inspect(|requeued| {
            if *requeued > 0 {
                self.enqueued.notify_one();
            }
        })
    }

    async fn attempts(&self, notification_id: &str) -> Result<Vec<AttemptRecord>, StoreError> {
        let id = notification_id.to_owned();
        self.call_read(move |conn, _| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT attempted_at, status_code, latency_ms, error FROM delivery_attempts
                     WHERE notification_id = ?1 ORDER BY id",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([&id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<u16>>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .map_err(unavailable)?;
            rows.map(|r| {
                let (at, status_code, latency, error) = r.map_err(unavailable)?;
                Ok(AttemptRecord {
                    attempted_at: parse_timestamp(&at)?,
                    status_code,
                    latency_ms: u64::try_from(latency).unwrap_or_default(),
                    error,
                })
            })
            .collect()
        })
        .await
    }

    async fn bury_pending(&self, instance: InstanceId, reason: &str) -> Result<u64, StoreError> {
        let reason = reason.to_owned();
        self.call(move |conn, _| {
            let tx = conn.transaction().map_err(unavailable)?;
            tx.execute(
                "UPDATE events SET status = 'DEAD' WHERE notification_id IN
                 (SELECT id FROM notifications WHERE instance_id = ?1 AND status IN ('NEW', 'FAILED', 'DISPATCHED'))",
                [db_id(instance)],
            )
            .map_err(unavailable)?;
            let n = tx
                .execute(
                    "UPDATE notifications SET status = 'DEAD', claimed_until_ms = NULL, last_error = ?2
                     WHERE instance_id = ?1 AND status IN ('NEW', 'FAILED', 'DISPATCHED')",
                    params![db_id(instance), reason],
                )
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(n as u64)
        })
        .await
    }
}
