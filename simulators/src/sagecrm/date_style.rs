//! How the Sage CRM simulator writes and reads dates. Real CRM servers store server-local
//! time (Open Connectors requires server, admin and poller zones to match), so the zone and
//! the suffix are configurable to test connectors against misconfigured servers too.

use chrono::{DateTime, FixedOffset, Offset, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use crate::dates::parse_instant_in;

/// What follows the time in written dates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSuffix {
    /// `Z`, whatever the offset (a server-local time labelled UTC when the offset is not 0).
    #[default]
    Z,
    /// `+02:00`.
    Offset,
    /// Nothing: a naive server-local time.
    None,
}

/// The configured server zone and date suffix (`GET|POST /_sim/config`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateStyle {
    /// Server-local time = UTC + this many minutes (-840..=840).
    #[serde(default)]
    pub utc_offset_minutes: i32,
    #[serde(default)]
    pub date_suffix: DateSuffix,
}

impl DateStyle {
    /// The server zone, or `None` when the offset is out of range.
    pub fn zone(&self) -> Option<FixedOffset> {
        if self.utc_offset_minutes.abs() > 14 * 60 {
            return None;
        }
        FixedOffset::east_opt(self.utc_offset_minutes * 60)
    }

    fn zone_or_utc(&self) -> FixedOffset {
        self.zone().unwrap_or(Utc.fix())
    }

    /// Writes `t` as the server would: server-local time with the configured suffix.
    pub fn format(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.zone_or_utc());
        match self.date_suffix {
            DateSuffix::Z => format!("{}Z", local.format("%Y-%m-%dT%H:%M:%S")),
            DateSuffix::Offset => local.to_rfc3339_opts(SecondsFormat::Secs, false),
            DateSuffix::None => local.format("%Y-%m-%dT%H:%M:%S").to_string(),
        }
    }

    /// Reads a filter literal: explicit `Z`/offsets are instants, naive times server-local.
    pub fn parse(&self, text: &str) -> Option<DateTime<Utc>> {
        parse_instant_in(text, self.zone_or_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_the_server_zone() {
        let t = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("t");
        let utc = DateStyle::default();
        assert_eq!(utc.format(t), "2024-05-01T10:00:00Z");
        let local = |suffix| DateStyle {
            utc_offset_minutes: 120,
            date_suffix: suffix,
        };
        assert_eq!(local(DateSuffix::Z).format(t), "2024-05-01T12:00:00Z");
        assert_eq!(
            local(DateSuffix::Offset).format(t),
            "2024-05-01T12:00:00+02:00"
        );
        assert_eq!(local(DateSuffix::None).format(t), "2024-05-01T12:00:00");
        assert_eq!(
            local(DateSuffix::None).parse("2024-05-01T12:00:00"),
            Some(t)
        );
        assert_eq!(
            DateStyle {
                utc_offset_minutes: 900,
                date_suffix: DateSuffix::Z
            }
            .zone(),
            None
        );
    }
}
