//! Java date patterns: compiling a pattern, formatting with it, and parsing dates with it.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use pollhook_core::date_pattern::{DateParseError, DatePattern, PatternError};
use pollhook_core::time_zone::TimeZoneSpec;
use proptest::prelude::*;
use proptest::sample::select;

use crate::bounded::bounded;
use crate::garbage::{arbitrary, mutated};
use crate::{chars, config};

/// Valid patterns: the seed pages', the vectors' and Java's documentation examples.
const PATTERNS: &[&str] = &[
    "yyyy-MM-dd'T'HH:mm:ss'Z'",
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ssXXX",
    "EEE, dd MMM yyyy HH:mm:ss z",
    "EEE, d MMM yyyy HH:mm:ss Z",
    "yyyyMMddHHmmssSSS",
    "YYYY-'W'ww-u XXX",
    "yy D k K h a G Z",
    "hh 'o''clock' a, zzzz",
    "yyyy.MM.dd G 'at' HH:mm:ss z",
    "dd/MM/yyyy",
    "MMMM d, yyyy h:mm a",
    "F W L SSS X",
];

/// Pattern letters, quotes and separators: garbage that gets past the first char.
#[rustfmt::skip]
const PATTERN_TOKENS: &[&str] = &[
    "y", "yyyy", "M", "MMMM", "d", "H", "h", "m", "s", "S", "E", "a", "z", "Z", "X", "XXX",
    "XXXX", "G", "Y", "w", "W", "D", "F", "u", "k", "K", "L", "q", "T", "'T'", "''", "'",
];

pub const ZONES: &[&str] = &[
    "UTC",
    "GMT",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Kiritimati",
    "GMT-09:30",
];

pub fn zone(id: &str) -> TimeZoneSpec {
    TimeZoneSpec::parse(id).unwrap_or_else(|_| TimeZoneSpec::utc())
}

/// An instant anywhere chrono can represent, mostly near now.
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        3 => 1_500_000_000_000i64..2_000_000_000_000,
        1 => DateTime::<Utc>::MIN_UTC.timestamp_millis()..=DateTime::<Utc>::MAX_UTC.timestamp_millis(),
    ]
    .prop_map(|ms| DateTime::from_timestamp_millis(ms).unwrap_or_default())
}

/// A refused pattern names the char at fault, at the position it gives.
pub fn check_pattern_error(pattern: &str, err: &PatternError) -> Result<(), TestCaseError> {
    let cs = chars(pattern);
    let (position, expected) = match *err {
        PatternError::UnknownLetter { letter, position }
        | PatternError::InvalidCount {
            letter, position, ..
        }
        | PatternError::CountTooLarge {
            letter, position, ..
        } => (position, letter),
        PatternError::UnterminatedQuote { position } => (position, '\''),
    };
    prop_assert_eq!(cs.get(position), Some(&expected), "{:?}: {}", pattern, err);
    let message = err.to_string();
    prop_assert!(
        message.contains(&format!("at position {position}")),
        "{}",
        message
    );
    Ok(())
}

/// A refused date names a position inside the text.
fn check_date_error(text: &str, err: &DateParseError) -> Result<(), TestCaseError> {
    let len = text.chars().count();
    let position = match err {
        DateParseError::Expected { position, .. } => *position,
        DateParseError::OutOfRange { position, .. } => *position,
    };
    prop_assert!(
        position <= len,
        "{:?}: {} (text has {} chars)",
        text,
        err,
        len
    );
    prop_assert!(
        err.to_string().contains(&format!("at position {position}")),
        "{}",
        err
    );
    Ok(())
}

/// Compiles `pattern`; when it compiles, formats and parses with it (its own formatted output,
/// and the pattern text itself as a date) in `zone`.
fn pattern_case(pattern: &str, at: DateTime<Utc>, zone_id: &str) -> Result<(), TestCaseError> {
    let outcome = bounded("DatePattern::compile/format/parse", pattern, || {
        DatePattern::compile(pattern).map(|p| {
            let zone = zone(zone_id);
            let text = p.format(at, &zone);
            (p.parse(&text, &zone), text, p.parse(pattern, &zone))
        })
    })?;
    match outcome {
        Err(e) => check_pattern_error(pattern, &e),
        Ok((own, text, itself)) => {
            if let Err(e) = own {
                check_date_error(&text, &e)?;
            }
            if let Err(e) = itself {
                check_date_error(pattern, &e)?;
            }
            Ok(())
        }
    }
}

fn date_case(pattern: &str, text: &str, zone_id: &str) -> Result<(), TestCaseError> {
    let Ok(p) = DatePattern::compile(pattern) else {
        return Err(TestCaseError::fail(format!(
            "seed pattern {pattern:?} compiles"
        )));
    };
    let zone = zone(zone_id);
    match bounded("DatePattern::parse", text, || p.parse(text, &zone))? {
        Ok(_) => Ok(()),
        Err(e) => check_date_error(text, &e),
    }
}

/// Digits, signs, zones and names: garbage a date parser reads far into.
#[rustfmt::skip]
const DATE_TOKENS: &[&str] = &[
    "0", "9", "99999999999", "999999999999999", "-", "+", ":", "Z", "GMT", "GMT+", "PST", "AM",
    "BC", "Feb", "30", "366", "+25:00", "\u{a0}",
];

/// Dates as the seed patterns print them, to mutate.
fn formatted_dates() -> &'static [&'static str] {
    static DATES: OnceLock<Vec<&'static str>> = OnceLock::new();
    DATES.get_or_init(|| {
        let at = DateTime::from_timestamp_millis(1_714_558_830_123).unwrap_or_default();
        PATTERNS
            .iter()
            .filter_map(|p| DatePattern::compile(p).ok())
            .map(|p| &*Box::leak(p.format(at, &zone("Europe/Paris")).into_boxed_str()))
            .collect()
    })
}

proptest! {
    #![proptest_config(config(4_000))]

    #[test]
    fn date_pattern_arbitrary(
        pattern in arbitrary("[GyYMLwWDdFEuaHkKhmsSzZXqT' :.,/-]{0,40}"),
        at in instant(),
        zone_id in select(ZONES),
    ) {
        pattern_case(&pattern, at, zone_id)?;
    }

    #[test]
    fn date_pattern_mutated(
        pattern in mutated(PATTERNS, PATTERN_TOKENS, ("'", "'")),
        at in instant(),
        zone_id in select(ZONES),
    ) {
        pattern_case(&pattern, at, zone_id)?;
    }

    #[test]
    fn date_text_arbitrary(
        pattern in select(PATTERNS),
        text in arbitrary("[0-9 :.,/+TZGMTAPDSEmonthuesdayJanFebMarch-]{0,40}"),
        zone_id in select(ZONES),
    ) {
        date_case(pattern, &text, zone_id)?;
    }

    #[test]
    fn date_text_mutated(
        pattern in select(PATTERNS),
        text in mutated(formatted_dates(), DATE_TOKENS, ("0", "0")),
        zone_id in select(ZONES),
    ) {
        date_case(pattern, &text, zone_id)?;
    }
}
