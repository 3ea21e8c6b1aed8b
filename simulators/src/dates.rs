//! Lenient ISO-8601 parsing (what vendors accept in filters and what admin bodies may carry)
//! and the vendors' output format.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Parses RFC 3339 / ISO-8601 with or without offset, fractional seconds or time part.
/// A value without an offset is taken as UTC.
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    parse_instant_in(text, FixedOffset::east_opt(0)?)
}

/// Like [`parse_instant`], but a value without an offset is local time at `zone`.
pub fn parse_instant_in(text: &str, zone: FixedOffset) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.len() < 10 || !text.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return zone
                .from_local_datetime(&t)
                .single()
                .map(|t| t.with_timezone(&Utc));
        }
    }
    let midnight = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)?;
    zone.from_local_datetime(&midnight)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// `yyyy-MM-ddTHH:mm:ssZ`, the format both simulated vendors write dates in.
pub fn format_instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_shapes_to_the_same_instant() {
        let want = parse_instant("2024-05-01T10:20:30Z").expect("rfc3339");
        for text in [
            "2024-05-01T12:20:30+02:00",
            "2024-05-01T10:20:30",
            "2024-05-01 10:20:30",
            "2024-05-01T10:20:30.000Z",
            "2024-05-01T12:20:30+0200",
        ] {
            assert_eq!(parse_instant(text), Some(want), "{text}");
        }
        assert_eq!(format_instant(want), "2024-05-01T10:20:30Z");
        assert_eq!(
            parse_instant("2024-05-01").map(format_instant).as_deref(),
            Some("2024-05-01T00:00:00Z")
        );
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("43"), None);
        let plus_two = FixedOffset::east_opt(7200).expect("offset");
        assert_eq!(
            parse_instant_in("2024-05-01T12:20:30", plus_two),
            Some(want),
            "naive is local"
        );
        assert_eq!(
            parse_instant_in("2024-05-01T10:20:30Z", plus_two),
            Some(want),
            "explicit zone wins"
        );
    }
}
