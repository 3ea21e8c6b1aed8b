//! How the stores write instants: RFC 3339 in UTC with nanoseconds, fixed width, so text order
//! is time order (SQLite comparisons, DynamoDB sort keys) and nothing is rounded away.

use chrono::{DateTime, SecondsFormat, Utc};

use crate::ports::StoreError;

pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// Reads back what [`timestamp`] wrote; anything else means the stored data is damaged.
pub(crate) fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp '{text}': {e}")))
}
