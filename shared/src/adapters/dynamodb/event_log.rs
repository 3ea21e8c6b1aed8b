//! Reading the queue and the poll log back: events sort by their padded sequence number in the
//! instance's partition, so an instance's queue in order is one query.

use async_trait::async_trait;

use super::items::{
    event_id_sk, event_sk, get_instance_id, get_n, get_s, inst_pk, key, opt_s, parse_timestamp,
    Item, EVT_PREFIX, PADDED_MAX, POLL_PREFIX,
};
use super::table::SortKeys;
use super::DynamoStore;
use crate::event::{Event, EventType};
use crate::instance::InstanceId;
use crate::ports::{EventLog, EventRecord, PollLogEntry, StoreError};

pub(super) fn to_record(item: &Item) -> Result<EventRecord, StoreError> {
    let id = get_s(item, "event_id")?.to_owned();
    let event_type = match get_s(item, "event_type")? {
        "CREATED" => EventType::Created,
        "UPDATED" => EventType::Updated,
        other => {
            return Err(StoreError::Corrupt(format!(
                "event {id}: unknown type {other}"
            )))
        }
    };
    Ok(EventRecord {
        seq: get_n(item, "evt_seq")?,
        event: Event {
            raw: serde_json::from_str(get_s(item, "raw_json")?)
                .map_err(|e| StoreError::Corrupt(format!("event {id}: {e}")))?,
            instance_id: get_instance_id(item, "instance_id")?,
            element_key: get_s(item, "element_key")?.to_owned(),
            object_type: get_s(item, "resource_name")?.to_owned(),
            object_id: get_s(item, "object_id")?.to_owned(),
            event_type,
            date: parse_timestamp(get_s(item, "event_date")?)?,
            id,
        },
        status: get_s(item, "evt_status")?.to_owned(),
        notification_id: opt_s(item, "notification_id").map(str::to_owned),
        created_at: parse_timestamp(get_s(item, "created_at")?)?,
    })
}

/// The sort keys of an instance's events after `after_seq`.
fn events_after(after_seq: Option<i64>) -> SortKeys {
    let from = after_seq.unwrap_or(0).max(0).saturating_add(1);
    SortKeys::Between(event_sk(from), format!("{EVT_PREFIX}{PADDED_MAX}"))
}

#[async_trait]
impl EventLog for DynamoStore {
    async fn list_events(
        &self,
        instance: InstanceId,
        after_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let items = self
            .query(
                "Query events",
                &inst_pk(instance),
                events_after(after_seq),
                true,
                Some(limit as usize),
            )
            .await?;
        items.iter().map(to_record).collect()
    }

    /// One query per instance, merged by sequence number: fine for an organization's handful
    /// of instances, each query reading at most `limit` items.
    async fn list_events_of(
        &self,
        instances: &[InstanceId],
        after_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let mut all = Vec::new();
        for instance in instances {
            all.extend(self.list_events(*instance, after_seq, limit).await?);
        }
        all.sort_by_key(|r| r.seq);
        all.truncate(limit as usize);
        Ok(all)
    }

    async fn get_event(
        &self,
        instance: InstanceId,
        event_id: &str,
    ) -> Result<Option<EventRecord>, StoreError> {
        let pk = inst_pk(instance);
        let Some(lookup) = self
            .get_item("GetItem event id", key(pk.clone(), event_id_sk(event_id)))
            .await?
        else {
            return Ok(None);
        };
        let seq = get_n(&lookup, "evt_seq")?;
        self.get_item("GetItem event", key(pk, event_sk(seq)))
            .await?
            .map(|item| to_record(&item))
            .transpose()
    }

    async fn list_polls(
        &self,
        instance: InstanceId,
        limit: u32,
    ) -> Result<Vec<PollLogEntry>, StoreError> {
        let items = self
            .query(
                "Query poll log",
                &inst_pk(instance),
                SortKeys::Prefix(POLL_PREFIX.into()),
                false,
                Some(limit as usize),
            )
            .await?;
        items
            .iter()
            .map(|item| {
                serde_json::from_str(get_s(item, "entry_json")?)
                    .map_err(|e| StoreError::Corrupt(format!("poll log: {e}")))
            })
            .collect()
    }
}
