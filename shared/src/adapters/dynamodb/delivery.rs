//! The delivery queue on DynamoDB: notifications claimed under a lease by conditional update
//! (a crashed deliverer's claims expire and are retried), attempts recorded with their outcome
//! in one transaction. On AWS the deliverer is driven by SQS; this port stays for local tooling,
//! tests and replays.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::event_log::to_record;
use super::items::{
    attempt_prefix, attempt_sk, event_id_sk, event_sk, get_instance_id, get_n, get_s, inst_pk, key,
    millis, n, note_id_pk, note_sk, opt_n, opt_s, parse_timestamp, s, timestamp, Item, NOTE_ID_SK,
    NOTE_PREFIX, PK, SK,
};
use super::table::{SortKeys, Transaction};
use super::DynamoStore;
use crate::instance::InstanceId;
use crate::notification::status;
use crate::ports::{AttemptOutcome, AttemptRecord, DeliveryQueue, PendingNotification, StoreError};

/// Set (to 1) on a notification once it is on the external queue.
pub(super) const QUEUED: &str = "on_queue";

/// Tries at a conditional update that lost a race with another writer of the same notification.
const UPDATE_TRIES: u32 = 3;

/// A notification item, as read.
pub(super) struct Note {
    pub(super) key: Item,
    pub(super) instance: InstanceId,
    pub(super) id: String,
    pub(super) seq: i64,
    pub(super) resource: String,
    pub(super) status: String,
    pub(super) attempts: i64,
    pub(super) logged: i64,
    pub(super) next_ms: i64,
    pub(super) claimed_ms: i64,
    /// Handed to the external queue (SQS) already; unset until then and again after a replay.
    pub(super) queued: bool,
    pub(super) event_seqs: Vec<i64>,
}

impl Note {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        let event_seqs = match item.get("event_seqs") {
            Some(AttributeValue::L(list)) => list
                .iter()
                .map(|v| match v {
                    AttributeValue::N(x) => x.parse().ok(),
                    _ => None,
                })
                .collect::<Option<Vec<i64>>>(),
            _ => None,
        }
        .ok_or_else(|| StoreError::Corrupt("a notification's event list is unreadable".into()))?;
        Ok(Self {
            key: key(get_s(item, PK)?, get_s(item, SK)?),
            instance: get_instance_id(item, "instance_id")?,
            id: get_s(item, "notification_id")?.to_owned(),
            seq: get_n(item, "note_seq")?,
            resource: get_s(item, "resource_name")?.to_owned(),
            status: get_s(item, "note_status")?.to_owned(),
            attempts: get_n(item, "attempt_count")?,
            logged: opt_n(item, "logged_attempts")?.unwrap_or(0),
            next_ms: get_n(item, "next_attempt_ms")?,
            claimed_ms: opt_n(item, "claimed_until_ms")?.unwrap_or(0),
            queued: opt_n(item, QUEUED)?.unwrap_or(0) != 0,
            event_seqs,
        })
    }

    fn is_pending(&self) -> bool {
        [status::NEW, status::FAILED, status::DISPATCHED].contains(&self.status.as_str())
    }
}

fn values<const N: usize>(pairs: [(&str, AttributeValue); N]) -> Item {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

impl DynamoStore {
    /// The updates giving every event of `note` the status `new_status`.
    fn event_status_writes(
        &self,
        note: &Note,
        new_status: &str,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let pk = inst_pk(note.instance);
        note.event_seqs
            .iter()
            .map(|seq| {
                self.update(
                    key(pk.clone(), event_sk(*seq)),
                    "SET evt_status = :st",
                    None,
                    values([(":st", s(new_status))]),
                )
            })
            .collect()
    }

    pub(super) async fn note_by_id(
        &self,
        notification_id: &str,
    ) -> Result<Option<Note>, StoreError> {
        let Some(lookup) = self
            .get_item(
                "GetItem notification id",
                key(note_id_pk(notification_id), NOTE_ID_SK),
            )
            .await?
        else {
            return Ok(None);
        };
        let instance = get_instance_id(&lookup, "instance_id")?;
        let seq = get_n(&lookup, "note_seq")?;
        self.note_at(instance, seq).await
    }

    async fn note_at(&self, instance: InstanceId, seq: i64) -> Result<Option<Note>, StoreError> {
        self.get_item("GetItem notification", key(inst_pk(instance), note_sk(seq)))
            .await?
            .map(|item| Note::from_item(&item))
            .transpose()
    }

    pub(super) async fn notes_of(&self, instance: InstanceId) -> Result<Vec<Note>, StoreError> {
        let items = self
            .query(
                "Query notifications",
                &inst_pk(instance),
                SortKeys::Prefix(NOTE_PREFIX.into()),
                true,
                None,
            )
            .await?;
        items.iter().map(Note::from_item).collect()
    }

    /// Claims `note` unless someone changed it since it was read; its events as of the claim.
    pub(super) async fn claim_note(
        &self,
        note: Note,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<Option<PendingNotification>, StoreError> {
        let mut writes = vec![self.update(
            note.key.clone(),
            "SET note_status = :dispatched, claimed_until_ms = :until",
            Some("note_status = :st AND claimed_until_ms = :claimed AND claimed_until_ms <= :now"),
            values([
                (":dispatched", s(status::DISPATCHED)),
                (":until", n(until_ms)),
                (":st", s(&note.status)),
                (":claimed", n(note.claimed_ms)),
                (":now", n(now_ms)),
            ]),
        )?];
        writes.extend(self.event_status_writes(&note, status::DISPATCHED)?);
        if let Transaction::Refused(_) = self.transact("TransactWriteItems claim", writes).await? {
            return Ok(None);
        }
        let pk = inst_pk(note.instance);
        let keys = note
            .event_seqs
            .iter()
            .map(|seq| key(pk.clone(), event_sk(*seq)))
            .collect();
        let mut records = self
            .batch_get("BatchGetItem notification events", keys)
            .await?
            .iter()
            .map(to_record)
            .collect::<Result<Vec<_>, _>>()?;
        records.sort_by_key(|r| r.seq);
        Ok(Some(PendingNotification {
            id: note.id,
            instance_id: note.instance,
            resource: note.resource,
            attempts: u32::try_from(note.attempts).unwrap_or(u32::MAX),
            events: records.into_iter().map(|r| r.event).collect(),
        }))
    }

    /// Moves `note` to `new_status` (its events with it), running `set` too, if its status is
    /// still the one read; false if another writer changed it first.
    async fn set_status(
        &self,
        note: &Note,
        new_status: &str,
        set: &str,
        mut extra: Item,
    ) -> Result<bool, StoreError> {
        extra.insert(":new_status".into(), s(new_status));
        extra.insert(":read_status".into(), s(&note.status));
        let mut writes = vec![self.update(
            note.key.clone(),
            &format!("SET note_status = :new_status, {set}"),
            Some("note_status = :read_status"),
            extra,
        )?];
        writes.extend(self.event_status_writes(note, new_status)?);
        Ok(matches!(
            self.transact("TransactWriteItems notification status", writes)
                .await?,
            Transaction::Written
        ))
    }
}

#[async_trait]
impl DeliveryQueue for DynamoStore {
    /// Scans the table for pending notifications and claims the due heads: the scan reads (and
    /// bills) every item of the table on each call, acceptable for tests and small tables
    /// only. The AWS deliverer takes work from SQS instead; a sparse index on pending
    /// notifications would make this a query if it ever has to scale.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<PendingNotification>, StoreError> {
        let now_ms = now.timestamp_millis();
        let until_ms = now_ms.saturating_add(millis(lease));
        let items = self
            .scan(
                "Scan pending notifications",
                "begins_with(sk, :note) AND note_status IN (:new, :failed, :dispatched)",
                values([
                    (":note", s(NOTE_PREFIX)),
                    (":new", s(status::NEW)),
                    (":failed", s(status::FAILED)),
                    (":dispatched", s(status::DISPATCHED)),
                ]),
            )
            .await?;
        let mut heads: HashMap<(InstanceId, String), Note> = HashMap::new();
        for item in &items {
            let note = Note::from_item(item)?;
            let group = (note.instance, note.resource.clone());
            match heads.get(&group) {
                Some(head) if head.seq < note.seq => {}
                _ => {
                    heads.insert(group, note);
                }
            }
        }
        let mut due: Vec<Note> = heads
            .into_values()
            .filter(|h| h.next_ms <= now_ms && h.claimed_ms <= now_ms)
            .collect();
        due.sort_by_key(|h| (h.next_ms, h.seq));
        let mut claimed = Vec::new();
        for note in due {
            if claimed.len() >= limit as usize {
                break;
            }
            if let Some(pending) = self.claim_note(note, now_ms, until_ms).await? {
                claimed.push(pending);
            }
        }
        Ok(claimed)
    }

    async fn finish_attempt(
        &self,
        notification_id: &str,
        attempt: &AttemptRecord,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        let (new_status, next_ms) = match outcome {
            AttemptOutcome::Delivered => (status::NOTIFIED, 0),
            AttemptOutcome::RetryAt(at) => (status::FAILED, at.timestamp_millis()),
            AttemptOutcome::Dead => (status::DEAD, 0),
        };
        for _ in 0..UPDATE_TRIES {
            let Some(note) = self.note_by_id(notification_id).await? else {
                // The instance was deleted while the attempt ran: nothing left to record.
                return Ok(());
            };
            let mut record = key(
                inst_pk(note.instance),
                attempt_sk(notification_id, note.logged),
            );
            record.extend([
                (
                    "attempted_at".to_owned(),
                    s(timestamp(attempt.attempted_at)),
                ),
                (
                    "latency_ms".to_owned(),
                    n(i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX)),
                ),
            ]);
            if let Some(code) = attempt.status_code {
                record.insert("status_code".into(), n(i64::from(code)));
            }
            if let Some(error) = &attempt.error {
                record.insert("error_text".into(), s(error));
            }
            let mut update_values = values([
                (":st", s(new_status)),
                (":one", n(1)),
                (":next", n(next_ms)),
                (":zero", n(0)),
                (":logged", n(note.logged)),
                (":logged_next", n(note.logged + 1)),
            ]);
            let mut expression = "SET note_status = :st, attempt_count = attempt_count + :one, \
                next_attempt_ms = :next, claimed_until_ms = :zero, logged_attempts = :logged_next"
                .to_owned();
            match &attempt.error {
                Some(error) => {
                    expression.push_str(", last_error = :err");
                    update_values.insert(":err".into(), s(error));
                }
                None => expression.push_str(" REMOVE last_error"),
            }
            let mut writes = vec![
                self.update(
                    note.key.clone(),
                    &expression,
                    Some("logged_attempts = :logged"),
                    update_values,
                )?,
                self.put(record, None, Item::new())?,
            ];
            writes.extend(self.event_status_writes(&note, new_status)?);
            if let Transaction::Written =
                self.transact("TransactWriteItems attempt", writes).await?
            {
                return Ok(());
            }
        }
        Err(StoreError::Unavailable(format!(
            "DynamoDB attempt of {notification_id} kept conflicting with another writer"
        )))
    }

    async fn replay(
        &self,
        instance: InstanceId,
        event_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let notes = match event_id {
            Some(event_id) => {
                let pk = inst_pk(instance);
                let Some(lookup) = self
                    .get_item("GetItem event id", key(pk.clone(), event_id_sk(event_id)))
                    .await?
                else {
                    return Ok(0);
                };
                let event = self
                    .get_item(
                        "GetItem event",
                        key(pk, event_sk(get_n(&lookup, "evt_seq")?)),
                    )
                    .await?;
                match event.as_ref().map(|e| opt_n(e, "note_seq")).transpose()? {
                    Some(Some(seq)) => self.note_at(instance, seq).await?.into_iter().collect(),
                    _ => Vec::new(),
                }
            }
            None => self
                .notes_of(instance)
                .await?
                .into_iter()
                .filter(|n| n.status == status::DEAD)
                .collect(),
        };
        let mut requeued = 0;
        for note in notes
            .iter()
            .filter(|n| n.status == status::DEAD || n.status == status::FAILED)
        {
            // Off the external queue too, so the next outbox sweep sends it again.
            let set = "attempt_count = :zero, next_attempt_ms = :now, claimed_until_ms = :zero \
                REMOVE on_queue";
            let extra = values([(":zero", n(0)), (":now", n(now.timestamp_millis()))]);
            if self.set_status(note, status::NEW, set, extra).await? {
                requeued += 1;
            }
        }
        Ok(requeued)
    }

    async fn attempts(&self, notification_id: &str) -> Result<Vec<AttemptRecord>, StoreError> {
        let Some(lookup) = self
            .get_item(
                "GetItem notification id",
                key(note_id_pk(notification_id), NOTE_ID_SK),
            )
            .await?
        else {
            return Ok(Vec::new());
        };
        let instance = get_instance_id(&lookup, "instance_id")?;
        let items = self
            .query(
                "Query attempts",
                &inst_pk(instance),
                SortKeys::Prefix(attempt_prefix(notification_id)),
                true,
                None,
            )
            .await?;
        items
            .iter()
            .map(|item| {
                Ok(AttemptRecord {
                    attempted_at: parse_timestamp(get_s(item, "attempted_at")?)?,
                    status_code: opt_n(item, "status_code")?
                        .map(|c| u16::try_from(c).unwrap_or(u16::MAX)),
                    latency_ms: u64::try_from(get_n(item, "latency_ms")?).unwrap_or_default(),
                    error: opt_s(item, "error_text").map(str::to_owned),
                })
            })
            .collect()
    }

    async fn bury_pending(&self, instance: InstanceId, reason: &str) -> Result<u64, StoreError> {
        let mut buried = 0;
        for note in self
            .notes_of(instance)
            .await?
            .iter()
            .filter(|n| n.is_pending())
        {
            let extra = values([(":zero", n(0)), (":reason", s(reason))]);
            let set = "claimed_until_ms = :zero, last_error = :reason";
            if self.set_status(note, status::DEAD, set, extra).await? {
                buried += 1;
            }
        }
        Ok(buried)
    }
}
