//! Where a page of an organization's instance listing ends. Listings are in creation order
//! (then id), so the cursor holds both: the next page starts after that point even when the
//! instance it came from has been deleted since.

use chrono::{DateTime, Utc};

use crate::instance::{Instance, InstanceId};

/// The last instance of a page, as a point in listing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ListCursor {
    pub created_date: DateTime<Utc>,
    pub id: InstanceId,
}

impl ListCursor {
    /// The cursor just after `instance`.
    pub fn after(instance: &Instance) -> Self {
        Self {
            created_date: instance.created_date,
            id: instance.id,
        }
    }

    /// Whether `instance` comes after this cursor in listing order.
    pub fn precedes(&self, instance: &Instance) -> bool {
        (instance.created_date, instance.id) > (self.created_date, self.id)
    }

    /// The token a client passes back as `after`: creation time in nanoseconds since the epoch
    /// and the id, as `<nanos>-<id>`. Opaque to clients; readable in logs.
    pub fn token(&self) -> String {
        let nanos = self.created_date.timestamp_nanos_opt().unwrap_or(i64::MAX);
        format!("{nanos}-{}", self.id.0)
    }

    /// Reads a token made by [`token`](Self::token); None for anything else.
    pub fn parse(token: &str) -> Option<Self> {
        let (nanos, id) = token.split_once('-')?;
        if !nanos.bytes().all(|b| b.is_ascii_digit()) || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let nanos: i64 = nanos.parse().ok()?;
        let id: u64 = id.parse().ok()?;
        Some(Self {
            created_date: DateTime::from_timestamp_nanos(nanos),
            id: InstanceId(id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_token_reads_back_to_the_same_cursor() {
        let cursor = ListCursor {
            created_date: Utc
                .timestamp_opt(1_764_000_000, 123_456_789)
                .single()
                .expect("instant"),
            id: InstanceId(4_503_599_627_370_495),
        };
        assert_eq!(cursor.token(), "1764000000123456789-4503599627370495");
        assert_eq!(ListCursor::parse(&cursor.token()), Some(cursor));
    }

    #[test]
    fn anything_but_a_token_is_refused() {
        for bad in [
            "",
            "-",
            "12",
            "12-",
            "-12",
            "+12-3",
            "12-+3",
            "1.5-3",
            "12-3-4",
            "99999999999999999999-1",
            "1-99999999999999999999",
            " 1-2",
        ] {
            assert_eq!(ListCursor::parse(bad), None, "{bad:?}");
        }
    }
}
