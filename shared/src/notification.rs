//! A notification: what one POST to a callback carries, up to 10 events of one resource, in
//! Open Connectors' body. Its id is derived from its events, so every attempt carries the same id.

use chrono::SecondsFormat;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::event::Event;

/// Open Connectors sends at most this many polled events per notification.
pub const MAX_EVENTS: usize = 10;

/// Delivery statuses, as Open Connectors names them (plus FAILED and DEAD for retries).
pub mod status {
    /// Queued, not yet attempted.
    pub const NEW: &str = "NEW";
    /// An attempt is in flight.
    pub const DISPATCHED: &str = "DISPATCHED";
    /// The callback answered 2xx.
    pub const NOTIFIED: &str = "NOTIFIED";
    /// The last attempt failed; another is scheduled.
    pub const FAILED: &str = "FAILED";
    /// Every attempt failed (or the callback said 410 Gone): kept for replay.
    pub const DEAD: &str = "DEAD";
}

/// The notification id for these events: `msg_` and a hash of their ids, stable across attempts.
pub fn notification_id<'a>(event_ids: impl IntoIterator<Item = &'a str>) -> String {
    let mut h = Sha256::new();
    for id in event_ids {
        h.update((id.len() as u64).to_be_bytes());
        h.update(id.as_bytes());
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("msg_{hex}")
}

/// The body POSTed to the callback: Open Connectors' `message` with every event and raw record.
pub fn body(notification_id: &str, instance_id: u64, element_key: &str, events: &[Event]) -> Value {
    json!({
        "message": {
            "eventId": notification_id,
            "instanceId": instance_id,
            "elementKey": element_key,
            "events": events.iter().map(|e| json!({
                "eventId": e.id,
                "eventType": e.event_type.as_str(),
                "objectType": e.object_type,
                "objectId": e.object_id,
                "date": e.date.to_rfc3339_opts(SecondsFormat::Millis, true),
                "elementKey": e.element_key,
            })).collect::<Vec<_>>(),
            "raw": raw_by_resource(events),
        }
    })
}

/// `raw` as Open Connectors nests it: the vendor records under their resource name.
fn raw_by_resource(events: &[Event]) -> Value {
    let mut raw = serde_json::Map::new();
    for e in events {
        let list = raw
            .entry(e.object_type.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = list {
            items.push(e.raw.clone());
        }
    }
    Value::Object(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventType;
    use crate::instance::InstanceId;

    fn event(id: &str) -> Event {
        Event {
            id: id.into(),
            instance_id: InstanceId(9),
            element_key: "sagecrm".into(),
            object_type: "accounts".into(),
            object_id: "42".into(),
            event_type: EventType::Created,
            date: chrono::DateTime::UNIX_EPOCH,
            raw: json!({"key": "42"}),
        }
    }

    #[test]
    fn ids_are_stable_and_depend_on_every_event() {
        assert_eq!(notification_id(["a", "b"]), notification_id(["a", "b"]));
        assert_ne!(notification_id(["a", "b"]), notification_id(["a"]));
        assert_ne!(notification_id(["ab"]), notification_id(["a", "b"]));
        assert!(notification_id(["a"]).starts_with("msg_"));
    }

    #[test]
    fn body_follows_open_connectors() {
        let b = body("msg_1", 9, "sagecrm", &[event("e1"), event("e2")]);
        let m = &b["message"];
        assert_eq!(m["eventId"], "msg_1");
        assert_eq!(m["instanceId"], 9);
        assert_eq!(m["events"].as_array().map(Vec::len), Some(2));
        assert_eq!(m["events"][0]["eventType"], "CREATED");
        assert_eq!(m["events"][0]["objectType"], "accounts");
        assert_eq!(m["events"][0]["date"], "1970-01-01T00:00:00.000Z");
        assert_eq!(m["raw"]["accounts"][1]["key"], "42");
    }
}
