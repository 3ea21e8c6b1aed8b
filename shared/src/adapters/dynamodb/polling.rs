//! The poller's state: leases by conditional write, watermarks, and `commit_page` as
//! `TransactWriteItems`, so ledger, events, notifications and watermark land together.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::{DateTime, Utc};

use super::items::{
    event_id_sk, event_sk, get_s, inst_pk, instance_n, key, millis, n, note_id_pk, note_sk, opt_n,
    parse_timestamp, poll_sk, s, seen_sk, timestamp, watermark_sk, Item, COUNTER_SK, EXPIRES_AT,
    LEASE_SK, NOTE_ID_SK, SEQ_PK, SEQ_SK, SK,
};
use super::table::{unavailable, Transaction, MAX_TRANSACTION_ITEMS};
use super::DynamoStore;
use crate::event::Event;
use crate::instance::InstanceId;
use crate::notification::{self, status};
use crate::ports::{PollLogEntry, PollStore, StoreError};

/// How long the seen-ledger remembers a change: far beyond any lookback plus interval.
pub const SEEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long poll log entries are kept (TTL): the API shows recent polls only.
pub const POLL_LOG_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Bytes of item data per transaction, below DynamoDB's 4 MB cap with room for overhead.
const TRANSACTION_BYTES: usize = 3_000_000;
/// Estimated bytes of keys and fixed attributes per item, on top of the raw record.
const ITEM_OVERHEAD: usize = 600;
/// Attempts at a page when a concurrent writer makes a condition fail between read and write.
const COMMIT_TRIES: u32 = 3;

/// The writes of one notification and its events: they go into the same transaction.
struct Group {
    writes: Vec<TransactWriteItem>,
    bytes: usize,
}

impl DynamoStore {
    /// Reads which of `events` the seen-ledger (unexpired) or the queue already holds.
    async fn known_event_ids(
        &self,
        instance: InstanceId,
        events: &[&Event],
        now_secs: i64,
    ) -> Result<HashSet<String>, StoreError> {
        let pk = inst_pk(instance);
        let keys = events
            .iter()
            .flat_map(|e| {
                [
                    key(pk.clone(), seen_sk(&e.id)),
                    key(pk.clone(), event_id_sk(&e.id)),
                ]
            })
            .collect();
        let mut known = HashSet::new();
        for item in self.batch_get("BatchGetItem seen-ledger", keys).await? {
            if let Some(id) = get_s(&item, SK)?.strip_prefix("EVTID#") {
                known.insert(id.to_owned());
            } else if let Some(id) = get_s(&item, SK)?.strip_prefix("SEEN#") {
                if opt_n(&item, EXPIRES_AT)?.unwrap_or(i64::MAX) >= now_secs {
                    known.insert(id.to_owned());
                }
            }
        }
        Ok(known)
    }

    /// Reserves `count` queue sequence numbers; returns the first.
    async fn reserve_seqs(&self, count: usize) -> Result<i64, StoreError> {
        let count = i64::try_from(count).unwrap_or(i64::MAX);
        let last = self
            .add_to_counter(
                "UpdateItem queue sequence",
                key(SEQ_PK, SEQ_SK),
                "seq_value",
                count,
            )
            .await?;
        Ok(last - count + 1)
    }

    /// The writes for one notification of up to ten fresh events with consecutive seqs.
    #[allow(clippy::too_many_arguments)]
    fn notification_group(
        &self,
        instance: InstanceId,
        resource: &str,
        events: &[&Event],
        first_seq: i64,
        now: DateTime<Utc>,
        expires: i64,
    ) -> Result<Group, StoreError> {
        let pk = inst_pk(instance);
        let note_id = notification::notification_id(events.iter().map(|e| e.id.as_str()));
        let created_at = timestamp(now);
        let mut writes = Vec::with_capacity(events.len() * 3 + 2);
        let mut bytes = 0;
        let mut seqs = Vec::with_capacity(events.len());
        for (offset, e) in events.iter().enumerate() {
            let seq = first_seq + i64::try_from(offset).unwrap_or(i64::MAX);
            seqs.push(n(seq));
            let mut seen = key(pk.clone(), seen_sk(&e.id));
            seen.insert(EXPIRES_AT.into(), n(expires));
            writes.push(self.put(
                seen,
                Some("attribute_not_exists(pk) OR expires_at < :now"),
                HashMap::from([(":now".to_owned(), n(now.timestamp()))]),
            )?);
            let mut lookup = key(pk.clone(), event_id_sk(&e.id));
            lookup.insert("evt_seq".into(), n(seq));
            writes.push(self.put(lookup, Some("attribute_not_exists(pk)"), Item::new())?);
            let raw = serde_json::to_string(&e.raw)
                .map_err(|err| StoreError::Corrupt(err.to_string()))?;
            bytes += raw.len() + 3 * ITEM_OVERHEAD;
            let mut item = key(pk.clone(), event_sk(seq));
            item.extend([
                ("instance_id".to_owned(), instance_n(instance)),
                ("evt_seq".to_owned(), n(seq)),
                ("event_id".to_owned(), s(&e.id)),
                ("element_key".to_owned(), s(&e.element_key)),
                ("resource_name".to_owned(), s(&e.object_type)),
                ("object_id".to_owned(), s(&e.object_id)),
                ("event_type".to_owned(), s(e.event_type.as_str())),
                ("event_date".to_owned(), s(timestamp(e.date))),
                ("raw_json".to_owned(), s(raw)),
                ("evt_status".to_owned(), s(status::NEW)),
                ("created_at".to_owned(), s(&created_at)),
                ("notification_id".to_owned(), s(&note_id)),
                ("note_seq".to_owned(), n(first_seq)),
            ]);
            writes.push(self.put(item, Some("attribute_not_exists(pk)"), Item::new())?);
        }
        let mut note = key(pk.clone(), note_sk(first_seq));
        note.extend([
            ("instance_id".to_owned(), instance_n(instance)),
            ("notification_id".to_owned(), s(&note_id)),
            ("note_seq".to_owned(), n(first_seq)),
            ("resource_name".to_owned(), s(resource)),
            ("note_status".to_owned(), s(status::NEW)),
            ("attempt_count".to_owned(), n(0)),
            ("logged_attempts".to_owned(), n(0)),
            ("next_attempt_ms".to_owned(), n(now.timestamp_millis())),
            ("claimed_until_ms".to_owned(), n(0)),
            ("created_at".to_owned(), s(&created_at)),
            ("event_seqs".to_owned(), AttributeValue::L(seqs)),
        ]);
        writes.push(self.put(note, Some("attribute_not_exists(pk)"), Item::new())?);
        let mut lookup = key(note_id_pk(&note_id), NOTE_ID_SK);
        lookup.extend([
            ("instance_id".to_owned(), instance_n(instance)),
            ("note_seq".to_owned(), n(first_seq)),
        ]);
        writes.push(self.put(lookup, None, Item::new())?);
        bytes += 2 * ITEM_OVERHEAD;
        Ok(Group { writes, bytes })
    }

    /// One try at a page; None when a condition failed because someone wrote in between.
    async fn try_commit_page(
        &self,
        instance: InstanceId,
        resource: &str,
        events: &[&Event],
        advance_to: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError> {
        let expires = now.timestamp() + i64::try_from(SEEN_TTL.as_secs()).unwrap_or(i64::MAX);
        let known = self
            .known_event_ids(instance, events, now.timestamp())
            .await?;
        let fresh: Vec<&Event> = events
            .iter()
            .copied()
            .filter(|e| !known.contains(&e.id))
            .collect();
        let mut groups = Vec::new();
        if !fresh.is_empty() {
            let first = self.reserve_seqs(fresh.len()).await?;
            for (i, chunk) in fresh.chunks(notification::MAX_EVENTS).enumerate() {
                let offset = i64::try_from(i * notification::MAX_EVENTS).unwrap_or(i64::MAX);
                groups.push(self.notification_group(
                    instance,
                    resource,
                    chunk,
                    first + offset,
                    now,
                    expires,
                )?);
            }
        }
        let mut transactions = pack(groups);
        if let Some(at) = advance_to {
            let mut wm = key(inst_pk(instance), watermark_sk(resource));
            wm.insert("watermark_at".into(), s(timestamp(at)));
            let write = self.put(wm, None, Item::new())?;
            // The watermark goes last: if a crash splits the page, it has not moved yet.
            match transactions.last_mut() {
                Some(last) if last.len() < MAX_TRANSACTION_ITEMS => last.push(write),
                _ => transactions.push(vec![write]),
            }
        }
        for writes in transactions {
            if let Transaction::Refused(_) =
                self.transact("TransactWriteItems page", writes).await?
            {
                return Ok(None);
            }
        }
        Ok(Some(fresh.len() as u64))
    }
}

/// Packs notification groups into as few transactions as DynamoDB's limits allow, in order.
fn pack(groups: Vec<Group>) -> Vec<Vec<TransactWriteItem>> {
    let mut transactions: Vec<Vec<TransactWriteItem>> = Vec::new();
    let mut bytes = 0;
    for group in groups {
        match transactions.last_mut() {
            Some(current)
                if current.len() + group.writes.len() <= MAX_TRANSACTION_ITEMS
                    && bytes + group.bytes <= TRANSACTION_BYTES =>
            {
                current.extend(group.writes);
                bytes += group.bytes;
            }
            _ => {
                bytes = group.bytes;
                transactions.push(group.writes);
            }
        }
    }
    transactions
}

fn is_conditional_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(e: Option<&E>) -> bool {
    e.and_then(|e| e.code()) == Some("ConditionalCheckFailedException")
}

#[async_trait]
impl PollStore for DynamoStore {
    async fn acquire_lease(
        &self,
        instance: InstanceId,
        holder: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now_ms = now.timestamp_millis();
        let mut item = key(inst_pk(instance), LEASE_SK);
        item.extend([
            ("lease_holder".to_owned(), s(holder)),
            (
                "lease_until_ms".to_owned(),
                n(now_ms.saturating_add(millis(ttl))),
            ),
        ]);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(pk) OR lease_until_ms <= :now OR lease_holder = :holder",
            )
            .expression_attribute_values(":now", n(now_ms))
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_failure(e.as_service_error()) => Ok(false),
            Err(e) => Err(unavailable("PutItem lease", e)),
        }
    }

    async fn release_lease(&self, instance: InstanceId, holder: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(inst_pk(instance), LEASE_SK)))
            .condition_expression("lease_holder = :holder")
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        match result {
            // Someone else's lease (or none) is not ours to release.
            Err(e) if !is_conditional_failure(e.as_service_error()) => {
                Err(unavailable("DeleteItem lease", e))
            }
            _ => Ok(()),
        }
    }

    async fn watermark(
        &self,
        instance: InstanceId,
        resource: &str,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let item = self
            .get_item(
                "GetItem watermark",
                key(inst_pk(instance), watermark_sk(resource)),
            )
            .await?;
        item.map(|i| parse_timestamp(get_s(&i, "watermark_at")?))
            .transpose()
    }

    /// Reads the ledger, then writes the fresh events in transactions of whole notifications,
    /// the watermark in the last one. A page too big for one transaction is split; a crash
    /// between parts is absorbed on the next poll (the seen-ledger and the conditional puts on
    /// event ids make a repeat a no-op).
    async fn commit_page(
        &self,
        instance: InstanceId,
        resource: &str,
        events: Vec<Event>,
        advance_to: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut ids = HashSet::new();
        let unique: Vec<&Event> = events
            .iter()
            .filter(|e| ids.insert(e.id.as_str()))
            .collect();
        for _ in 0..COMMIT_TRIES {
            if let Some(fresh) = self
                .try_commit_page(instance, resource, &unique, advance_to, now)
                .await?
            {
                return Ok(fresh);
            }
        }
        Err(StoreError::Unavailable(format!(
            "DynamoDB commit of a page of instance {instance} kept conflicting with another writer"
        )))
    }

    async fn record_poll(&self, entry: &PollLogEntry) -> Result<(), StoreError> {
        let text = serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let instance = InstanceId(entry.instance_id);
        let number = self
            .add_to_counter(
                "UpdateItem poll log counter",
                key(inst_pk(instance), COUNTER_SK),
                "poll_count",
                1,
            )
            .await?;
        let expires = Utc::now().timestamp() + i64::try_from(POLL_LOG_TTL.as_secs()).unwrap_or(0);
        let mut item = key(inst_pk(instance), poll_sk(number));
        item.extend([
            ("entry_json".to_owned(), s(text)),
            (EXPIRES_AT.to_owned(), n(expires)),
        ]);
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map(drop)
            .map_err(|e| unavailable("PutItem poll log", e))
    }
}
