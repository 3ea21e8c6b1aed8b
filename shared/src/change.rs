//! Reads one vendor record as a change: its id, its dates, CREATED or UPDATED.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::event::EventType;
use crate::resource_poll::{DateField, ResourcePoll};

/// A record understood as a change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub object_id: String,
    pub event_type: EventType,
    /// None when the record has no usable updated date (the event then goes out as UPDATED).
    pub updated: Option<DateTime<Utc>>,
    /// Why a date could not be used, for the poll log.
    pub note: Option<String>,
}

/// Why a record could not become an event at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChangeError {
    #[error("record has no id at '{0}'")]
    MissingId(String),
}

/// Classifies `record` with the resource's `idField` and `datesConfiguration`.
pub fn classify(record: &Value, poll: &ResourcePoll) -> Result<Change, ChangeError> {
    let object_id = match poll.id_field.lookup(record) {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(ChangeError::MissingId(poll.id_field.as_str().to_owned())),
    };
    let mut notes = Vec::new();
    let updated = read_date(record, poll.updated.as_ref(), "updated", &mut notes);
    let created = read_date(record, poll.created.as_ref(), "created", &mut notes);
    let event_type = match (created, updated) {
        (Some(c), Some(u)) => {
            let gap = (u - c).num_milliseconds().unsigned_abs();
            if gap <= poll.created_check_tolerance_secs.saturating_mul(1000) {
                EventType::Created
            } else {
                EventType::Updated
            }
        }
        _ => EventType::Updated,
    };
    Ok(Change {
        object_id,
        event_type,
        updated,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

fn read_date(
    record: &Value,
    field: Option<&DateField>,
    which: &str,
    notes: &mut Vec<String>,
) -> Option<DateTime<Utc>> {
    let field = field?;
    match field.field.lookup(record) {
        None | Some(Value::Null) => {
            notes.push(format!("{which} date field '{}' missing", field.field));
            None
        }
        Some(Value::String(text)) => match field.format.parse(text, &field.zone) {
            Ok(at) => Some(at),
            Err(e) => {
                notes.push(format!(
                    "{which} date '{text}' does not match '{}': {e}",
                    field.format.as_str()
                ));
                None
            }
        },
        // Epoch milliseconds, as some APIs send dates.
        Some(Value::Number(n)) => match n.as_i64().and_then(DateTime::from_timestamp_millis) {
            Some(at) => Some(at),
            None => {
                notes.push(format!("{which} date {n} is not epoch milliseconds"));
                None
            }
        },
        Some(other) => {
            notes.push(format!(
                "{which} date field '{}' is not a string: {other}",
                field.field
            ));
            None
        }
    }
}
