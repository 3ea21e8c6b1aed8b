//! The standardized event: one per changed record, with an id that is the same every time
//! the same change is seen, so overlap between polls and retries never yields two.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::instance::InstanceId;

/// Open Connectors' event types for polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum EventType {
    Created,
    Updated,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Created => "CREATED",
            EventType::Updated => "UPDATED",
        }
    }
}

/// One change of one record, ready for the queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Deterministic: see [`event_id`].
    pub id: String,
    pub instance_id: InstanceId,
    pub element_key: String,
    /// The hub resource (`accounts`), Open Connectors' `objectType`.
    pub object_type: String,
    pub object_id: String,
    pub event_type: EventType,
    /// When the change happened (the record's updated date), or when it was seen if unknown.
    pub date: DateTime<Utc>,
    /// The vendor record as read.
    pub raw: serde_json::Value,
}

/// What makes a change unique: the same record at the same updated date is the same change.
/// When the vendor gives no usable updated date, the record's content stands in for it.
pub fn event_id(
    instance: InstanceId,
    resource: &str,
    object_id: &str,
    event_type: EventType,
    version: &ChangeVersion,
) -> String {
    let mut h = Sha256::new();
    for part in [
        instance.0.to_string().as_bytes(),
        resource.as_bytes(),
        object_id.as_bytes(),
        event_type.as_str().as_bytes(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    match version {
        ChangeVersion::UpdatedAt(at) => {
            h.update(b"u");
            h.update(at.to_rfc3339_opts(SecondsFormat::Nanos, true).as_bytes());
        }
        ChangeVersion::Content(digest) => {
            h.update(b"c");
            h.update(digest);
        }
    }
    let digest = h.finalize();
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    // Shaped as a UUID so receivers that store ids as UUIDs can.
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Which version of a record a change is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeVersion {
    UpdatedAt(DateTime<Utc>),
    /// SHA-256 of the record's JSON, when it has no parsable updated date.
    Content([u8; 32]),
}

impl ChangeVersion {
    pub fn of_content(record: &serde_json::Value) -> Self {
        ChangeVersion::Content(Sha256::digest(record.to_string().as_bytes()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: u32) -> ChangeVersion {
        ChangeVersion::UpdatedAt(
            Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, s)
                .single()
                .expect("instant"),
        )
    }

    #[test]
    fn the_same_change_always_gets_the_same_id() {
        let a = event_id(InstanceId(1), "accounts", "42", EventType::Updated, &at(1));
        let b = event_id(InstanceId(1), "accounts", "42", EventType::Updated, &at(1));
        assert_eq!(a, b);
        assert_eq!(a.len(), 36);
    }

    #[test]
    fn any_part_changes_the_id() {
        let base = event_id(InstanceId(1), "accounts", "42", EventType::Updated, &at(1));
        for other in [
            event_id(InstanceId(2), "accounts", "42", EventType::Updated, &at(1)),
            event_id(InstanceId(1), "contacts", "42", EventType::Updated, &at(1)),
            event_id(InstanceId(1), "accounts", "43", EventType::Updated, &at(1)),
            event_id(InstanceId(1), "accounts", "42", EventType::Created, &at(1)),
            event_id(InstanceId(1), "accounts", "42", EventType::Updated, &at(2)),
            event_id(
                InstanceId(1),
                "accounts",
                "42",
                EventType::Updated,
                &ChangeVersion::of_content(&serde_json::json!({})),
            ),
            // Length-prefixing keeps ("ab","c") apart from ("a","bc").
            event_id(InstanceId(1), "accounts4", "2", EventType::Updated, &at(1)),
        ] {
            assert_ne!(base, other);
        }
    }
}
