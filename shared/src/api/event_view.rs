//! What the event and poll routes answer, as types: the OpenAPI document is derived from the
//! same structs the handlers serialize.

use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::event::EventType;
use crate::ports::{AttemptRecord, EventRecord, PollLogEntry};

/// Open Connectors' view of one event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    /// Deterministic: the same change of the same record always has the same id.
    pub id: String,
    /// Queue order; pass the last one seen as `after` to read the next page.
    pub seq: i64,
    pub instance_id: u64,
    pub element_key: String,
    /// The hub resource, e.g. `accounts`.
    pub object_type: String,
    pub object_id: String,
    pub event_type: EventType,
    /// When the record changed (its updated date), or when it was seen if unknown.
    #[schema(format = DateTime)]
    pub date: String,
    /// `NEW` until delivery picks it up, then `DISPATCHED`, `NOTIFIED`, `FAILED` or `DEAD`.
    pub status: String,
    /// The notification that carries it; null until one does.
    pub notification_id: Option<String>,
    #[schema(format = DateTime)]
    pub created_date: String,
    /// The vendor record as read.
    pub raw: Value,
}

impl EventView {
    pub fn of(record: &EventRecord) -> Self {
        let e = &record.event;
        EventView {
            id: e.id.clone(),
            seq: record.seq,
            instance_id: e.instance_id.0,
            element_key: e.element_key.clone(),
            object_type: e.object_type.clone(),
            object_id: e.object_id.clone(),
            event_type: e.event_type,
            date: e.date.to_rfc3339_opts(SecondsFormat::Millis, true),
            status: record.status.clone(),
            notification_id: record.notification_id.clone(),
            created_date: record
                .created_at
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            raw: e.raw.clone(),
        }
    }
}

/// `GET /instances/{id}/events/{eventId}`: the event and its delivery attempts.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: EventView,
    /// Attempts to deliver the notification carrying it, oldest first.
    pub attempts: Vec<AttemptRecord>,
}

/// `POST /instances/{id}/poll`'s answer: one entry per polled resource.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollResult {
    pub instance_id: u64,
    pub resources: Vec<PollLogEntry>,
}

/// The retry routes' answer: how many notifications were queued again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Requeued {
    pub instance_id: u64,
    pub requeued: u64,
}
