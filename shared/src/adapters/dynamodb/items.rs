//! The single table's key layout and attribute (de)serialisation, in one place so every module
//! agrees on how an item is spelled.
//!
//! Attribute names used in expressions all contain an underscore: DynamoDB's reserved words
//! never do, so no expression needs `#name` placeholders.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};

use crate::credentials::SecretDigest;
use crate::instance::InstanceId;
use crate::ports::StoreError;

/// One DynamoDB item (or key), as the SDK passes it.
pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) const PK: &str = "pk";
pub(super) const SK: &str = "sk";
/// Epoch seconds after which DynamoDB's TTL may delete the item (seen-ledger, poll log).
pub(super) const EXPIRES_AT: &str = "expires_at";

/// Upper bound for a padded number in a sort key range (20 nines).
pub(super) const PADDED_MAX: &str = "99999999999999999999";

// Tenants.
pub(super) fn org_pk(organization: &str) -> String {
    format!("ORG#{organization}")
}
pub(super) const ORG_SK: &str = "ORG";
pub(super) fn org_secret_pk(digest: &SecretDigest) -> String {
    format!("ORGSECRET#{}", hex(digest))
}
pub(super) const USER_PREFIX: &str = "USER#";
pub(super) fn user_sk(user: &str) -> String {
    format!("{USER_PREFIX}{user}")
}

// Instances.
pub(super) fn inst_pk(id: InstanceId) -> String {
    format!("INST#{}", id.0)
}
pub(super) const INST_SK: &str = "INST";
pub(super) fn token_pk(digest: &SecretDigest) -> String {
    format!("TOKEN#{}", hex(digest))
}
pub(super) const TOKEN_SK: &str = "TOKEN";
/// The organization's listing item sorts by creation date, then id, as `list` promises.
pub(super) const ORG_INST_PREFIX: &str = "INST#";
pub(super) fn org_instance_sk(created: DateTime<Utc>, id: InstanceId) -> String {
    format!("{ORG_INST_PREFIX}{}#{:020}", timestamp(created), id.0)
}

// Polling state, all in the instance's partition so deleting an instance is one sweep.
pub(super) const LEASE_SK: &str = "LEASE";
pub(super) fn watermark_sk(resource: &str) -> String {
    format!("WM#{resource}")
}
pub(super) fn seen_sk(event_id: &str) -> String {
    format!("SEEN#{event_id}")
}
pub(super) const EVT_PREFIX: &str = "EVT#";
pub(super) fn event_sk(seq: i64) -> String {
    format!("{EVT_PREFIX}{seq:020}")
}
pub(super) fn event_id_sk(event_id: &str) -> String {
    format!("EVTID#{event_id}")
}
pub(super) const NOTE_PREFIX: &str = "NOTE#";
pub(super) fn note_sk(seq: i64) -> String {
    format!("{NOTE_PREFIX}{seq:020}")
}
pub(super) fn attempt_prefix(notification_id: &str) -> String {
    format!("ATT#{notification_id}#")
}
pub(super) fn attempt_sk(notification_id: &str, n: i64) -> String {
    format!("{}{n:010}", attempt_prefix(notification_id))
}
pub(super) const POLL_PREFIX: &str = "POLL#";
pub(super) fn poll_sk(n: i64) -> String {
    format!("{POLL_PREFIX}{n:020}")
}
/// Per-instance counters (poll log numbering).
pub(super) const COUNTER_SK: &str = "COUNTER";

// Lookups by an id the caller has without its instance.
pub(super) fn note_id_pk(notification_id: &str) -> String {
    format!("NOTEID#{notification_id}")
}
pub(super) const NOTE_ID_SK: &str = "NOTE";

/// The queue's sequence: one counter for the whole table, because `list_events_of` pages
/// through several instances' events with one cursor and so needs one order across them.
pub(super) const SEQ_PK: &str = "SEQ";
pub(super) const SEQ_SK: &str = "EVENTS";

/// The sealed canary proving the secret key is the one the table was written with.
pub(super) const META_PK: &str = "META";
pub(super) const KEY_CHECK_SK: &str = "KEYCHECK";

pub(super) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn b(v: impl Into<Vec<u8>>) -> AttributeValue {
    AttributeValue::B(Blob::new(v))
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) use crate::adapters::stored_time::{parse_timestamp, timestamp};

pub(super) fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn item_name(item: &Item) -> String {
    let part = |k| match item.get(k) {
        Some(AttributeValue::S(v)) => v.as_str(),
        _ => "?",
    };
    format!("{}/{}", part(PK), part(SK))
}

fn missing(item: &Item, name: &str, kind: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "item {} has no {kind} attribute '{name}'",
        item_name(item)
    ))
}

pub(super) fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

pub(super) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    opt_s(item, name).ok_or_else(|| missing(item, name, "string"))
}

pub(super) fn opt_n(item: &Item, name: &str) -> Result<Option<i64>, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| {
            StoreError::Corrupt(format!(
                "item {}: '{name}' is not an integer",
                item_name(item)
            ))
        }),
        _ => Ok(None),
    }
}

pub(super) fn get_n(item: &Item, name: &str) -> Result<i64, StoreError> {
    opt_n(item, name)?.ok_or_else(|| missing(item, name, "number"))
}

pub(super) fn get_b<'a>(item: &'a Item, name: &str) -> Result<&'a [u8], StoreError> {
    match item.get(name) {
        Some(AttributeValue::B(v)) => Ok(v.as_ref()),
        _ => Err(missing(item, name, "binary")),
    }
}

pub(super) fn get_digest(item: &Item, name: &str) -> Result<SecretDigest, StoreError> {
    get_b(item, name)?.try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "item {}: '{name}' is not a 32-byte digest",
            item_name(item)
        ))
    })
}

pub(super) fn get_instance_id(item: &Item, name: &str) -> Result<InstanceId, StoreError> {
    let raw = get_n(item, name)?;
    u64::try_from(raw)
        .map(InstanceId)
        .map_err(|_| StoreError::Corrupt(format!("item {}: negative instance id", item_name(item))))
}

pub(super) fn instance_n(id: InstanceId) -> AttributeValue {
    AttributeValue::N(id.0.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn padded_keys_sort_like_their_numbers() {
        assert!(event_sk(9) < event_sk(10));
        assert!(event_sk(i64::MAX) < format!("{EVT_PREFIX}{PADDED_MAX}"));
        let early = Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .expect("date");
        let late = early + chrono::Duration::nanoseconds(1);
        assert!(org_instance_sk(early, InstanceId(9)) < org_instance_sk(late, InstanceId(1)));
    }

    #[test]
    fn missing_attributes_are_corrupt_data_naming_the_item() {
        let item = key("INST#1", "INST");
        let err = get_s(&item, "name_text").expect_err("missing");
        assert!(err.to_string().contains("INST#1/INST"), "{err}");
    }
}
