//! Java `SimpleDateFormat` patterns (Locale.US), compiled once and then used to format and parse
//! many dates: Open Connectors configurations carry these patterns (`updatedDateFormat`,
//! `${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}`), so we must print and read dates exactly as Java does.
//!
//! Java's behaviour is reproduced down to its quirks (Julian calendar before 1582-10-15, `S` as
//! a millisecond count, DST gaps moving forward), with two deliberate differences: a letter may
//! repeat at most [`MAX_COUNT`] times, and parsing refuses out-of-range values (month 13, Feb 30)
//! that Java's lenient calendar would roll over. Like Java, parsing ignores text after the last
//! field. The test vectors in `tests/vectors/` were produced by Java 17.

mod calendar;
mod format;
mod lexer;
mod names;
mod parse;

use std::str::FromStr;

use chrono::{DateTime, Datelike, Utc};

pub use lexer::MAX_COUNT;
use lexer::{Item, Letter};

use crate::time_zone::TimeZoneSpec;

/// A compiled pattern: checked once, so formatting on the polling hot path does no parsing
/// and no allocation beyond the output string.
#[derive(Clone, Debug)]
pub struct DatePattern {
    source: String,
    items: Vec<Item>,
    literals: String,
    needs_weeks: bool,
    two_digit_year_start: i32,
}

/// Why a pattern was refused; the message names the letter and its 0-based char position so a
/// user can find it in their configuration.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum PatternError {
    /// An ASCII letter that is not one of Java's pattern letters (quote it to print it).
    #[error("unknown pattern letter '{letter}' at position {position}")]
    UnknownLetter { letter: char, position: usize },
    /// A `'` that opens quoted text which never ends.
    #[error("unterminated quote at position {position}")]
    UnterminatedQuote { position: usize },
    /// A count Java refuses too (`XXXX`: ISO offsets have at most three letters).
    #[error("invalid pattern '{letter}' repeated {count} times at position {position}")]
    InvalidCount {
        letter: char,
        count: usize,
        position: usize,
    },
    /// More than [`MAX_COUNT`] repetitions of one letter.
    #[error(
        "pattern letter '{letter}' repeated {count} times at position {position} (at most 64)"
    )]
    CountTooLarge {
        letter: char,
        count: usize,
        position: usize,
    },
}

/// Why a text did not parse: names the text, the 0-based char position and what was expected.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DateParseError {
    /// The text at `position` is not what the pattern asks for there.
    #[error("'{text}': expected {expected} at position {position}")]
    Expected {
        text: String,
        position: usize,
        expected: String,
    },
    /// The fields are valid but the date lies outside what chrono can represent; `position` is
    /// where the year that puts it there starts.
    #[error("'{text}': the year at position {position} is out of the supported range")]
    OutOfRange { text: String, position: usize },
}

impl DateParseError {
    fn new(text: &str, position: usize, expected: &str) -> DateParseError {
        DateParseError::Expected {
            text: parse::clip(text),
            position,
            expected: expected.to_string(),
        }
    }
}

impl DatePattern {
    /// Compiles a pattern, refusing unknown letters, unterminated quotes, `XXXX` and counts
    /// above [`MAX_COUNT`]. Two-digit years parse into the 100 years from (this year - 80).
    pub fn compile(pattern: &str) -> Result<DatePattern, PatternError> {
        let mut literals = String::new();
        let items = lexer::compile(pattern, &mut literals)?;
        let needs_weeks = items.iter().any(|item| {
            matches!(
                item,
                Item::Field {
                    letter: Letter::WeekOfYear
                        | Letter::WeekOfMonth
                        | Letter::WeekYear
                        | Letter::DayOfYear,
                    ..
                }
            )
        });
        Ok(DatePattern {
            source: pattern.to_string(),
            items,
            literals,
            needs_weeks,
            two_digit_year_start: Utc::now().year() - 80,
        })
    }

    /// Fixes the first year of the 100-year window two-digit years (`yy`) parse into, like
    /// Java's `set2DigitYearStart` with January 1 of `year`, 00:00 UTC; makes parsing reproducible.
    pub fn with_two_digit_year_start(mut self, year: i32) -> DatePattern {
        self.two_digit_year_start = year;
        self
    }

    /// The pattern as written, for messages and for storing a configuration back.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Formats `instant` in `zone` as Java's `SimpleDateFormat.format` would.
    pub fn format(&self, instant: DateTime<Utc>, zone: &TimeZoneSpec) -> String {
        let mut out = String::with_capacity(self.source.len() + 16);
        self.format_into(instant, zone, &mut out);
        out
    }

    /// Appends the formatted instant to `out`: the hot path, which allocates nothing but `out`'s
    /// growth. Sub-millisecond precision is dropped (Java dates are milliseconds).
    pub fn format_into(&self, instant: DateTime<Utc>, zone: &TimeZoneSpec, out: &mut String) {
        format::format_into(self, instant.timestamp_millis(), zone, out);
    }

    /// Parses `text` as Java's `SimpleDateFormat.parse` would: absent fields default to
    /// 1970-01-01 00:00:00.000, local times are read in `zone` unless the text carries a zone or
    /// offset, and text after the last field is ignored.
    pub fn parse(&self, text: &str, zone: &TimeZoneSpec) -> Result<DateTime<Utc>, DateParseError> {
        parse::parse(self, text, zone)
    }
}

impl FromStr for DatePattern {
    type Err = PatternError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatePattern::compile(s)
    }
}

#[cfg(test)]
mod tests;
