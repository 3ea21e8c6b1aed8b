//! Time zones as Java's `java.util.TimeZone` names and computes them, so `${date:FMT}` and
//! date parsing agree with what Open Connectors (a Java service) produced for the same instance.
//!
//! Offsets come from chrono-tz (IANA tzdb), with Java's one deliberate deviation reproduced:
//! `sun.util.calendar.ZoneInfo` has no data before 1900-01-01T00:00Z and uses the zone's current
//! standard ("raw") offset there, where tzdb would give local mean time.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, Tz};

/// 1900-01-01T00:00:00Z in epoch milliseconds: where Java's ZoneInfo transition table starts.
const UTC1900_MS: i64 = -2_208_988_800_000;
/// A fixed instant (2099-01-01T00:00Z) at which a zone's "raw" offset is read, so results never
/// depend on the clock; Java's raw offset is the zone's latest standard offset.
const RAW_REFERENCE_MS: i64 = 4_070_908_800_000;
const MS_PER_DAY: i64 = 86_400_000;
/// 2100-01-01T00:00Z: chrono-tz has no DST transitions from here on (see `rules_shift_ms`).
const RULES_END_MS: i64 = 4_102_444_800_000;

/// A time zone id parsed once (IANA name, GMT/UTC or a `GMT+hh:mm` custom offset), then used to
/// format and parse many dates without further lookups.
#[derive(Clone, Debug, PartialEq)]
pub struct TimeZoneSpec {
    id: String,
    kind: Kind,
    names: Option<&'static ZoneNames>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// A constant offset in seconds (GMT, UTC, custom `GMT+hh:mm`).
    Fixed { offset_s: i32 },
    /// An IANA zone, with its raw offset (used before 1900, as Java does) and the offset at 1900.
    Iana { tz: Tz, raw_s: i32, start_s: i32 },
}

/// Why a time zone id was refused; the message suggests valid ids so a user can fix their config.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TimeZoneError {
    /// Neither GMT/UTC, a custom offset, nor an IANA name known to the tz database.
    #[error("unknown time zone '{0}' (use an IANA name such as 'Europe/Paris', 'GMT', 'UTC' or 'GMT+02:00')")]
    Unknown(String),
    /// A `GMT+hh:mm` id whose hours or minutes are out of range (hours 0-23, minutes 0-59).
    #[error(
        "invalid time zone offset '{0}' (hours must be 0-23 and minutes 0-59, as in 'GMT+02:00')"
    )]
    InvalidOffset(String),
}

/// Offset facts at one instant, as Java's calendar fields ZONE_OFFSET + DST_OFFSET see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct OffsetInfo {
    /// Total offset from UTC in milliseconds.
    pub total_ms: i64,
    /// Whether daylight saving time is in effect (Java's DST_OFFSET != 0), which picks the name.
    pub dst: bool,
}

impl TimeZoneSpec {
    /// Parses a zone id the way users write them in Open Connectors configurations.
    ///
    /// Accepts `GMT`, `UTC`, `UT`, `Z` (the last two as UTC), custom offsets after `GMT`, `UTC` or
    /// `UT` (`GMT+2`, `GMT+02`, `GMT-0530`, `UTC+01:00`; normalised to Java's `GMT+hh:mm`), and
    /// IANA names spelled as IANA does. Java maps unknown ids to GMT silently; we refuse them.
    pub fn parse(id: &str) -> Result<TimeZoneSpec, TimeZoneError> {
        let trimmed = id.trim();
        for prefix in ["GMT", "UTC", "UT"] {
            let Some(head) = trimmed.get(..prefix.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(prefix) {
                continue;
            }
            let rest = &trimmed[prefix.len()..];
            if rest.is_empty() {
                return Ok(if prefix == "GMT" {
                    Self::gmt()
                } else {
                    Self::utc()
                });
            }
            if rest.starts_with('+') || rest.starts_with('-') {
                let offset_s = parse_custom_offset(rest)
                    .ok_or_else(|| TimeZoneError::InvalidOffset(id.to_string()))?;
                return Ok(Self::fixed_offset(offset_s));
            }
        }
        if trimmed.eq_ignore_ascii_case("Z") {
            return Ok(Self::utc());
        }
        let tz = Tz::from_str(trimmed).map_err(|_| TimeZoneError::Unknown(id.to_string()))?;
        Ok(Self::from_tz(tz))
    }

    /// UTC, the zone of `${gmtDate}`-style expansions and the default when none is configured.
    pub fn utc() -> TimeZoneSpec {
        TimeZoneSpec {
            id: "UTC".to_string(),
            kind: Kind::Fixed { offset_s: 0 },
            names: Some(&UTC_NAMES),
        }
    }

    /// GMT, which Java names differently from UTC ("GMT", "Greenwich Mean Time").
    pub fn gmt() -> TimeZoneSpec {
        TimeZoneSpec {
            id: "GMT".to_string(),
            kind: Kind::Fixed { offset_s: 0 },
            names: Some(&GMT_NAMES),
        }
    }

    /// A constant offset, named like Java's custom zones (`GMT+05:30`); seconds are truncated to
    /// whole minutes and the offset is clamped to ±23:59, Java's limits for custom zones.
    pub fn fixed_offset(offset_s: i32) -> TimeZoneSpec {
        let minutes = (offset_s / 60).clamp(-(23 * 60 + 59), 23 * 60 + 59);
        let mut id = String::with_capacity(9);
        push_custom_id(&mut id, i64::from(minutes) * 60_000);
        TimeZoneSpec {
            id,
            kind: Kind::Fixed {
                offset_s: minutes * 60,
            },
            names: None,
        }
    }

    fn from_tz(tz: Tz) -> TimeZoneSpec {
        let at = |ms: i64| {
            DateTime::from_timestamp_millis(ms).map(|d| tz.offset_from_utc_datetime(&d.naive_utc()))
        };
        let raw_s = at(RAW_REFERENCE_MS)
            .and_then(|o| i32::try_from(o.base_utc_offset().num_seconds()).ok())
            .unwrap_or(0);
        let start_s = at(UTC1900_MS)
            .map(|o| o.fix().local_minus_utc())
            .unwrap_or(raw_s);
        let name = tz.name();
        TimeZoneSpec {
            id: name.to_string(),
            kind: Kind::Iana { tz, raw_s, start_s },
            names: lookup_names(name),
        }
    }

    /// The id as Java's `TimeZone.getID()` prints it (`GMT+02:00` for custom offsets).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The offset in effect at `instant`, as Java computes it (raw offset before 1900).
    pub fn offset_at(&self, instant: DateTime<Utc>) -> FixedOffset {
        let info = self.info_at(instant.timestamp_millis());
        let secs = i32::try_from(info.total_ms.div_euclid(1000)).unwrap_or(0);
        FixedOffset::east_opt(secs).unwrap_or_else(|| Utc.fix())
    }

    /// Java's names for this zone, if we carry them; others print as `GMT+hh:mm`.
    pub(crate) fn names(&self) -> Option<&'static ZoneNames> {
        self.names
    }

    /// Total offset and DST flag at an instant given in epoch milliseconds.
    pub(crate) fn info_at(&self, utc_ms: i64) -> OffsetInfo {
        match self.kind {
            Kind::Fixed { offset_s } => OffsetInfo {
                total_ms: i64::from(offset_s) * 1000,
                dst: false,
            },
            Kind::Iana { tz, raw_s, .. } => {
                if utc_ms < UTC1900_MS {
                    return raw_info(raw_s);
                }
                let shift = rules_shift_ms(utc_ms);
                tz_info(tz, utc_ms - shift).unwrap_or(raw_info(raw_s))
            }
        }
    }

    /// The standard (non-DST) part of the offset at an instant: Java's ZONE_OFFSET field.
    pub(crate) fn raw_at(&self, utc_ms: i64) -> i64 {
        match self.kind {
            Kind::Fixed { offset_s } => i64::from(offset_s) * 1000,
            Kind::Iana { tz, raw_s, .. } => {
                let raw_ms = i64::from(raw_s) * 1000;
                if utc_ms < UTC1900_MS {
                    return raw_ms;
                }
                DateTime::from_timestamp_millis(utc_ms - rules_shift_ms(utc_ms))
                    .map(|d| {
                        tz.offset_from_utc_datetime(&d.naive_utc())
                            .base_utc_offset()
                            .num_milliseconds()
                    })
                    .unwrap_or(raw_ms)
            }
        }
    }

    /// Converts a local wall-clock time (epoch millis as if local were UTC) to an instant the way
    /// Java's lenient GregorianCalendar does: a time in a DST gap is read with the offset before
    /// the transition (so it moves forward by the gap), a time in an overlap takes the offset
    /// after the transition (the later instant, usually standard time); the same after 2100.
    pub(crate) fn wall_to_utc(&self, wall_ms: i64) -> i64 {
        match self.kind {
            Kind::Fixed { offset_s } => wall_ms - i64::from(offset_s) * 1000,
            Kind::Iana { tz, raw_s, start_s } => {
                let raw_ms = i64::from(raw_s) * 1000;
                if wall_ms < UTC1900_MS + i64::from(start_s) * 1000 {
                    return wall_ms - raw_ms;
                }
                let shift = rules_shift_ms(wall_ms);
                let wall = wall_ms - shift;
                let Some(naive) = DateTime::from_timestamp_millis(wall).map(|d| d.naive_utc())
                else {
                    return wall_ms - raw_ms;
                };
                let offset_ms = match tz.offset_from_local_datetime(&naive) {
                    LocalResult::Single(o) => offset_ms(&o.fix()),
                    LocalResult::Ambiguous(_, later) => offset_ms(&later.fix()),
                    LocalResult::None => {
                        tz_info(tz, wall - MS_PER_DAY)
                            .unwrap_or(raw_info(raw_s))
                            .total_ms
                    }
                };
                wall_ms - offset_ms
            }
        }
    }
}

fn raw_info(raw_s: i32) -> OffsetInfo {
    OffsetInfo {
        total_ms: i64::from(raw_s) * 1000,
        dst: false,
    }
}

/// chrono-tz's offset at an instant, without Java's adjustments.
fn tz_info(tz: Tz, utc_ms: i64) -> Option<OffsetInfo> {
    let d = DateTime::from_timestamp_millis(utc_ms)?;
    let o = tz.offset_from_utc_datetime(&d.naive_utc());
    Some(OffsetInfo {
        total_ms: i64::from(o.fix().local_minus_utc()) * 1000,
        dst: o.dst_offset().num_seconds() != 0,
    })
}

/// How far to move an instant from 2100 on back to a year with the same calendar (leap year
/// and weekday of January 1) in 2072-2099: chrono-tz's tables carry no DST transitions after
/// 2099, while Java keeps applying the zone's last rules, which give the same dates in such a
/// year. Zero before 2100.
fn rules_shift_ms(ms: i64) -> i64 {
    if ms < RULES_END_MS {
        return 0;
    }
    let Some(year) = DateTime::from_timestamp_millis(ms).map(|d| d.year()) else {
        return 0;
    };
    let jan1 = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1);
    let Some(target) = jan1(year) else {
        return 0;
    };
    let leap = |y: i32| NaiveDate::from_ymd_opt(y, 2, 29).is_some();
    (2072..2100)
        .filter_map(|y| jan1(y).map(|d| (y, d)))
        .find(|(y, d)| leap(*y) == leap(year) && d.weekday() == target.weekday())
        .map_or(0, |(_, d)| (target - d).num_milliseconds())
}

fn offset_ms(o: &FixedOffset) -> i64 {
    i64::from(o.local_minus_utc()) * 1000
}

/// Appends Java's custom zone id for an offset: `GMT+hh:mm`, minutes truncated toward zero.
pub(crate) fn push_custom_id(out: &mut String, offset_ms: i64) {
    let minutes = offset_ms / 60_000;
    out.push_str("GMT");
    out.push(if minutes < 0 { '-' } else { '+' });
    let m = minutes.unsigned_abs();
    push_two(out, m / 60);
    out.push(':');
    push_two(out, m % 60);
}

fn push_two(out: &mut String, v: u64) {
    let v = v % 100;
    out.push(char::from(b'0' + (v / 10) as u8));
    out.push(char::from(b'0' + (v % 10) as u8));
}

/// Parses the `+hh:mm` / `+h` / `+hhmm` tail of a custom id into seconds, or None when malformed.
fn parse_custom_offset(rest: &str) -> Option<i32> {
    let bytes = rest.as_bytes();
    let sign = match bytes.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &rest[1..];
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (h, m) = match body.split_once(':') {
        Some((h, m)) if digits_only(h) && h.len() <= 2 && digits_only(m) && m.len() == 2 => {
            (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
        }
        None if digits_only(body) && body.len() <= 2 => (body.parse::<i32>().ok()?, 0),
        None if digits_only(body) && body.len() == 4 => (
            body[..2].parse::<i32>().ok()?,
            body[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

impl FromStr for TimeZoneSpec {
    type Err = TimeZoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimeZoneSpec::parse(s)
    }
}

impl fmt::Display for TimeZoneSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

/// The four names Java prints for a zone (`z`, `zzzz`, standard and daylight), and its DST saving,
/// which Java applies when a daylight name is parsed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ZoneNames {
    pub short_std: &'static str,
    pub short_dst: &'static str,
    pub long_std: &'static str,
    pub long_dst: &'static str,
    pub dst_savings_ms: i64,
}

const fn names(
    short_std: &'static str,
    short_dst: &'static str,
    long_std: &'static str,
    long_dst: &'static str,
    dst_minutes: i64,
) -> ZoneNames {
    ZoneNames {
        short_std,
        short_dst,
        long_std,
        long_dst,
        dst_savings_ms: dst_minutes * 60_000,
    }
}

/// Java's names for GMT.
pub(crate) static GMT_NAMES: ZoneNames = names(
    "GMT",
    "GMT",
    "Greenwich Mean Time",
    "Greenwich Mean Time",
    0,
);
/// Java's names for UTC (the generator's JVM default zone, searched second when parsing `z`).
pub(crate) static UTC_NAMES: ZoneNames = names(
    "UTC",
    "UTC",
    "Coordinated Universal Time",
    "Coordinated Universal Time",
    0,
);

/// Java 17's Locale.US display names (TimeZone.getDisplayName), copied from its output by hand:
/// no Rust crate carries Java's CLDR+COMPAT English names, and `z`/`zzzz` must print exactly
/// these. Zones missing here print `GMT+hh:mm`, like Java does for zones it has no name for.
/// Parsing a name that is not the given zone's own searches this list in order, so ambiguous
/// abbreviations (CST, IST, PST, MST) resolve to the first zone that has them; the first rows
/// follow the order of Java's zone strings (PST, MST, CST, EST; IST is Israel's; AEST/AEDT are
/// Sydney's, not Brisbane's).
#[rustfmt::skip]
pub(crate) static NAMED_ZONES: &[(&str, ZoneNames)] = &[
    ("America/Los_Angeles", names("PST", "PDT", "Pacific Standard Time", "Pacific Daylight Time", 60)),
    ("America/Denver", names("MST", "MDT", "Mountain Standard Time", "Mountain Daylight Time", 60)),
    ("America/Chicago", names("CST", "CDT", "Central Standard Time", "Central Daylight Time", 60)),
    ("America/New_York", names("EST", "EDT", "Eastern Standard Time", "Eastern Daylight Time", 60)),
    ("Asia/Jerusalem", names("IST", "IDT", "Israel Standard Time", "Israel Daylight Time", 60)),
    ("Australia/Sydney", names("AEST", "AEDT", "Australian Eastern Standard Time", "Australian Eastern Daylight Time", 60)),
    ("America/Phoenix", names("MST", "MDT", "Mountain Standard Time", "Mountain Daylight Time", 0)),
    ("America/Anchorage", names("AKST", "AKDT", "Alaska Standard Time", "Alaska Daylight Time", 60)),
    ("Pacific/Honolulu", names("HST", "HDT", "Hawaii-Aleutian Standard Time", "Hawaii-Aleutian Daylight Time", 0)),
    ("America/Toronto", names("EST", "EDT", "Eastern Standard Time", "Eastern Daylight Time", 60)),
    ("America/Mexico_City", names("CST", "CDT", "Central Standard Time", "Central Daylight Time", 0)),
    ("America/Sao_Paulo", names("BRT", "BRST", "Brasilia Standard Time", "Brasilia Summer Time", 0)),
    ("America/Argentina/Buenos_Aires", names("ART", "ARST", "Argentina Standard Time", "Argentina Summer Time", 0)),
    ("America/Bogota", names("COT", "COST", "Colombia Standard Time", "Colombia Summer Time", 0)),
    ("Europe/London", names("GMT", "BST", "Greenwich Mean Time", "British Summer Time", 60)),
    ("Europe/Dublin", names("GMT", "IST", "Greenwich Mean Time", "Irish Standard Time", 60)),
    ("Europe/Lisbon", names("WET", "WEST", "Western European Standard Time", "Western European Summer Time", 60)),
    ("Europe/Paris", names("CET", "CEST", "Central European Standard Time", "Central European Summer Time", 60)),
    ("Europe/Berlin", names("CET", "CEST", "Central European Standard Time", "Central European Summer Time", 60)),
    ("Europe/Madrid", names("CET", "CEST", "Central European Standard Time", "Central European Summer Time", 60)),
    ("Europe/Rome", names("CET", "CEST", "Central European Standard Time", "Central European Summer Time", 60)),
    ("Europe/Amsterdam", names("CET", "CEST", "Central European Standard Time", "Central European Summer Time", 60)),
    ("Europe/Zurich", names("CET", "CEST", "Central European Standard Time", "Central European Summer Time", 60)),
    ("Europe/Stockholm", names("CET", "CEST", "Central European Standard Time", "Central European Summer Time", 60)),
    ("Europe/Warsaw", names("CET", "CEST", "Central European Standard Time", "Central European Summer Time", 60)),
    ("Europe/Athens", names("EET", "EEST", "Eastern European Standard Time", "Eastern European Summer Time", 60)),
    ("Europe/Helsinki", names("EET", "EEST", "Eastern European Standard Time", "Eastern European Summer Time", 60)),
    ("Europe/Istanbul", names("TRT", "TRST", "Turkey Time", "Turkey Summer Time", 0)),
    ("Europe/Moscow", names("MSK", "MSD", "Moscow Standard Time", "Moscow Summer Time", 0)),
    ("Africa/Cairo", names("EET", "EEST", "Eastern European Standard Time", "Eastern European Summer Time", 60)),
    ("Africa/Lagos", names("WAT", "WAST", "West Africa Standard Time", "West Africa Summer Time", 0)),
    ("Africa/Nairobi", names("EAT", "EAST", "East Africa Time", "Eastern African Summer Time", 0)),
    ("Africa/Johannesburg", names("SAST", "SAST", "South Africa Standard Time", "South Africa Summer Time", 0)),
    ("Asia/Dubai", names("GST", "GDT", "Gulf Standard Time", "Gulf Daylight Time", 0)),
    ("Asia/Karachi", names("PKT", "PKST", "Pakistan Standard Time", "Pakistan Summer Time", 0)),
    ("Asia/Kolkata", names("IST", "IDT", "India Standard Time", "India Daylight Time", 0)),
    ("Asia/Kathmandu", names("NPT", "NPST", "Nepal Time", "Nepal Summer Time", 0)),
    ("Asia/Dhaka", names("BDT", "BDST", "Bangladesh Standard Time", "Bangladesh Summer Time", 0)),
    ("Asia/Bangkok", names("ICT", "ICST", "Indochina Time", "Indochina Summer Time", 0)),
    ("Asia/Jakarta", names("WIB", "WIST", "Western Indonesia Time", "West Indonesia Summer Time", 0)),
    ("Asia/Singapore", names("SGT", "SGST", "Singapore Standard Time", "Singapore Summer Time", 0)),
    ("Asia/Hong_Kong", names("HKT", "HKST", "Hong Kong Standard Time", "Hong Kong Summer Time", 0)),
    ("Asia/Shanghai", names("CST", "CDT", "China Standard Time", "China Daylight Time", 0)),
    ("Asia/Manila", names("PST", "PDT", "Philippine Standard Time", "Philippine Summer Time", 0)),
    ("Asia/Seoul", names("KST", "KDT", "Korean Standard Time", "Korean Daylight Time", 0)),
    ("Asia/Tokyo", names("JST", "JDT", "Japan Standard Time", "Japan Daylight Time", 0)),
    ("Australia/Perth", names("AWST", "AWDT", "Australian Western Standard Time", "Australian Western Daylight Time", 0)),
    ("Australia/Adelaide", names("ACST", "ACDT", "Australian Central Standard Time", "Australian Central Daylight Time", 60)),
    ("Australia/Brisbane", names("AEST", "AEDT", "Australian Eastern Standard Time", "Australian Eastern Daylight Time", 0)),
    ("Australia/Lord_Howe", names("LHST", "LHDT", "Lord Howe Standard Time", "Lord Howe Daylight Time", 30)),
    ("Pacific/Auckland", names("NZST", "NZDT", "New Zealand Standard Time", "New Zealand Daylight Time", 60)),
    ("Pacific/Chatham", names("CHAST", "CHADT", "Chatham Standard Time", "Chatham Daylight Time", 60)),
    ("Asia/Yerevan", names("AMT", "AMST", "Armenia Standard Time", "Armenia Summer Time", 0)),
    ("Asia/Urumqi", names("XJT", "XJDT", "Xinjiang Standard Time", "Xinjiang Daylight Time", 0)),
];

/// Java's names for an IANA id, when we carry them.
fn lookup_names(id: &str) -> Option<&'static ZoneNames> {
    NAMED_ZONES
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, names)| names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    /// Interprets a naive local time in a zone like Java does (gap forward, overlap later).
    fn local_to_utc(zone: &TimeZoneSpec, local: NaiveDateTime) -> i64 {
        zone.wall_to_utc(local.and_utc().timestamp_millis())
    }

    #[test]
    fn parses_fixed_and_custom_ids() {
        for (input, id) in [
            ("GMT", "GMT"),
            ("UTC", "UTC"),
            ("UT", "UTC"),
            ("Z", "UTC"),
            ("GMT+02:00", "GMT+02:00"),
            ("GMT+2", "GMT+02:00"),
            ("GMT-0530", "GMT-05:30"),
            ("UTC+01:00", "GMT+01:00"),
            ("GMT-05:30", "GMT-05:30"),
        ] {
            let zone = TimeZoneSpec::parse(input).expect(input);
            assert_eq!(zone.id(), id, "{input}");
        }
        let zone: TimeZoneSpec = "GMT-0530".parse().expect("custom");
        let at = DateTime::from_timestamp(0, 0).expect("epoch");
        assert_eq!(zone.offset_at(at).local_minus_utc(), -(5 * 3600 + 1800));
    }

    #[test]
    fn parses_iana_names() {
        for id in [
            "America/New_York",
            "Europe/Paris",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
        ] {
            assert_eq!(TimeZoneSpec::parse(id).expect(id).id(), id);
        }
        let paris = TimeZoneSpec::parse("Europe/Paris").expect("paris");
        let summer = DateTime::from_timestamp(1_720_000_000, 0).expect("instant");
        assert_eq!(paris.offset_at(summer).local_minus_utc(), 7200);
    }

    #[test]
    fn refuses_unknown_and_malformed_ids() {
        let err = TimeZoneSpec::parse("Mars/Olympus").expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unknown time zone 'Mars/Olympus' (use an IANA name such as 'Europe/Paris', 'GMT', 'UTC' or 'GMT+02:00')"
        );
        for bad in [
            "",
            "GMT+24",
            "GMT+02:60",
            "GMT+",
            "GMT+1:2",
            "america/new_york",
            "GMT+123",
        ] {
            assert!(
                TimeZoneSpec::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    #[test]
    fn uses_raw_offset_before_1900_like_java() {
        let paris = TimeZoneSpec::parse("Europe/Paris").expect("paris");
        assert_eq!(paris.info_at(UTC1900_MS - 1).total_ms, 3_600_000);
        let ny = TimeZoneSpec::parse("America/New_York").expect("ny");
        assert_eq!(ny.info_at(-5_000_000_000_000).total_ms, -18_000_000);
    }

    #[test]
    fn resolves_gaps_forward_and_overlaps_to_standard() {
        let ny = TimeZoneSpec::parse("America/New_York").expect("ny");
        let gap = chrono::NaiveDate::from_ymd_opt(2024, 3, 10)
            .and_then(|d| d.and_hms_opt(2, 30, 0))
            .expect("date");
        assert_eq!(local_to_utc(&ny, gap), 1_710_055_800_000);
        let overlap = chrono::NaiveDate::from_ymd_opt(2024, 11, 3)
            .and_then(|d| d.and_hms_opt(1, 30, 0))
            .expect("date");
        assert_eq!(local_to_utc(&ny, overlap), 1_730_615_400_000);
    }
}
