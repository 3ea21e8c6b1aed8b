//! Parsing: reads text field by field as SimpleDateFormat.parse does, then resolves the fields
//! to an instant the way Java's lenient GregorianCalendar would, except that out-of-range values
//! are refused instead of rolled over.

use chrono::{DateTime, Utc};

use super::calendar::{
    date_to_days, dow_on_or_before, is_leap, month_length, CUTOVER_DAY, CUTOVER_YEAR, MS_PER_DAY,
};
use super::lexer::{Item, Letter};
use super::names::{match_longest, AM_PM, ERAS, MONTHS, SHORT_MONTHS, SHORT_WEEKDAYS, WEEKDAYS};
use super::{DateParseError, DatePattern};
use crate::time_zone::{TimeZoneSpec, ZoneNames, NAMED_ZONES};

const ERA: usize = 0;
const YEAR: usize = 1;
const MONTH: usize = 2;
const WEEK_OF_YEAR: usize = 3;
const WEEK_OF_MONTH: usize = 4;
const DAY_OF_MONTH: usize = 5;
const DAY_OF_YEAR: usize = 6;
const DAY_OF_WEEK: usize = 7;
const DAY_OF_WEEK_IN_MONTH: usize = 8;
const AM_PM_FIELD: usize = 9;
const HOUR: usize = 10;
const HOUR_OF_DAY: usize = 11;
const MINUTE: usize = 12;
const SECOND: usize = 13;
const MILLISECOND: usize = 14;
const ZONE_OFFSET: usize = 15;
const DST_OFFSET: usize = 16;
const WEEK_YEAR: usize = 17;
const FIELD_COUNT: usize = 18;

/// Local times beyond ±300,000 years cannot become a chrono instant; refusing them early keeps
/// the offset arithmetic clear of overflow.
const MAX_WALL_MS: i64 = 300_000 * 366 * MS_PER_DAY;

/// Numbers longer than this cannot be a valid field; refusing them avoids overflow.
const MAX_DIGITS: usize = 15;

/// Java's CalendarBuilder: field values with the order in which they were set, because Java
/// resolves competing fields (e.g. day-of-month vs day-of-year) by whichever was set last.
#[derive(Clone)]
struct Builder {
    stamp: [u32; FIELD_COUNT],
    value: [i64; FIELD_COUNT],
    /// Where each field's text starts, as a byte offset: counting chars for every field would
    /// make parsing quadratic in the text, so only an error converts it ([`char_position`]).
    byte_at: [usize; FIELD_COUNT],
    next_stamp: u32,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            stamp: [0; FIELD_COUNT],
            value: [0; FIELD_COUNT],
            byte_at: [0; FIELD_COUNT],
            next_stamp: 1,
        }
    }

    fn set(&mut self, field: usize, value: i64, byte_at: usize) {
        self.stamp[field] = self.next_stamp;
        self.next_stamp += 1;
        self.value[field] = value;
        self.byte_at[field] = byte_at;
    }

    fn is_set(&self, field: usize) -> bool {
        self.stamp[field] != 0
    }

    /// The value, or 0 when unset (Calendar.internalGet after clear()).
    fn get(&self, field: usize) -> i64 {
        if self.is_set(field) {
            self.value[field]
        } else {
            0
        }
    }
}

/// Both stamps when both fields are set, else unset (Calendar.aggregateStamp).
fn aggregate(a: u32, b: u32) -> u32 {
    if a == 0 || b == 0 {
        0
    } else {
        a.max(b)
    }
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    zone: &'a TimeZoneSpec,
    builder: Builder,
    zone_override: Option<TimeZoneSpec>,
    ambiguous_year: bool,
    two_digit_start: i32,
}

/// Parses `text` with `pattern`, reading local times in `zone` unless the text names its own.
pub(crate) fn parse(
    pattern: &DatePattern,
    text: &str,
    zone: &TimeZoneSpec,
) -> Result<DateTime<Utc>, DateParseError> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        zone,
        builder: Builder::new(),
        zone_override: None,
        ambiguous_year: false,
        two_digit_start: pattern.two_digit_year_start,
    };
    for (i, item) in pattern.items.iter().enumerate() {
        match *item {
            Item::Literal { start, end } => p.literal(&pattern.literals[start..end])?,
            Item::Field { letter, count } => {
                let obey = matches!(
                    pattern.items.get(i + 1),
                    Some(Item::Field { letter: next, count: next_count })
                        if next.is_numeric(*next_count)
                );
                p.field(letter, count, obey)?;
            }
        }
    }
    if p.pos == 0 {
        return Err(p.error(0, "a date matching the pattern"));
    }
    let zone = p.zone_override.as_ref().unwrap_or(zone);
    let mut utc = resolve(&p.builder, zone, text)?;
    if p.ambiguous_year && utc < year_start_ms(p.two_digit_start) {
        let mut later = p.builder.clone();
        later.value[YEAR] += 100;
        later.value[WEEK_YEAR] += 100;
        utc = resolve(&later, zone, text)?;
    }
    DateTime::from_timestamp_millis(utc).ok_or_else(|| out_of_range(&p.builder, text))
}

/// The error for a date beyond chrono's range: only the year can put it there (every other
/// field is range-checked), so it points at the year the calendar used.
fn out_of_range(b: &Builder, text: &str) -> DateParseError {
    let year = if b.is_set(WEEK_YEAR) && b.stamp[WEEK_YEAR] > b.stamp[YEAR] {
        WEEK_YEAR
    } else {
        YEAR
    };
    DateParseError::OutOfRange {
        text: clip(text),
        position: char_position(text, b.byte_at[year]),
    }
}

/// The 0-based char position of byte offset `byte_at` in `text`, as errors report positions.
fn char_position(text: &str, byte_at: usize) -> usize {
    text.get(..byte_at).map_or(0, |s| s.chars().count())
}

/// 00:00 UTC on January 1 of `year`: the instant from which two-digit years are placed.
pub(crate) fn year_start_ms(year: i32) -> i64 {
    date_to_days(false, i64::from(year), 1, 1) * MS_PER_DAY
}

/// Whether two chars count as the same literal: equal, or both Unicode space separators (Java's
/// lenient charEquals, so a no-break space matches a space).
fn literal_char_matches(expected: char, got: char) -> bool {
    fn is_space_separator(c: char) -> bool {
        matches!(
            c,
            ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
        )
    }
    expected == got || (is_space_separator(expected) && is_space_separator(got))
}

impl Parser<'_> {
    fn error(&self, byte_at: usize, expected: &str) -> DateParseError {
        DateParseError::new(self.text, char_position(self.text, byte_at), expected)
    }

    fn literal(&mut self, literal: &str) -> Result<(), DateParseError> {
        for expected in literal.chars() {
            let got = self
                .text
                .get(self.pos..)
                .and_then(|rest| rest.chars().next());
            match got {
                Some(c) if literal_char_matches(expected, c) => self.pos += c.len_utf8(),
                _ => return Err(self.error(self.pos, &format!("'{literal}'"))),
            }
        }
        Ok(())
    }

    /// Reads an unsigned (or, for week years, signed) decimal number; with `obey`, at most
    /// `count` chars from `start` (Java's adjacent-field rule, e.g. `yyyyMMdd`).
    fn number(
        &mut self,
        start: usize,
        count: usize,
        obey: bool,
        signed: bool,
        what: &str,
    ) -> Result<(i64, usize), DateParseError> {
        let limit = if obey {
            let limit = start.saturating_add(count);
            if limit > self.bytes.len() {
                return Err(self.error(self.pos, what));
            }
            limit
        } else {
            self.bytes.len()
        };
        let mut p = self.pos;
        let negative = signed && p < limit && self.bytes[p] == b'-';
        if negative {
            p += 1;
        }
        let digits_start = p;
        let mut value: i64 = 0;
        while p < limit && self.bytes[p].is_ascii_digit() {
            if p - digits_start >= MAX_DIGITS {
                return Err(self.error(self.pos, what));
            }
            value = value * 10 + i64::from(self.bytes[p] - b'0');
            p += 1;
        }
        if p == digits_start {
            return Err(self.error(self.pos, what));
        }
        let digits = p - digits_start;
        self.pos = p;
        Ok((if negative { -value } else { value }, digits))
    }

    /// A number that must lie in `min..=max`; `what` names the field in errors.
    fn ranged(
        &mut self,
        start: usize,
        count: usize,
        obey: bool,
        (min, max): (i64, i64),
        what: &str,
    ) -> Result<i64, DateParseError> {
        let at = self.pos;
        let (value, _) = self.number(start, count, obey, false, what)?;
        if value < min || value > max {
            return Err(self.error(at, what));
        }
        Ok(value)
    }

    fn field(&mut self, letter: Letter, count: usize, obey: bool) -> Result<(), DateParseError> {
        let start = self.pos;
        while self.pos < self.bytes.len() && matches!(self.bytes[self.pos], b' ' | b'\t') {
            self.pos += 1;
        }
        let at = self.pos;
        if at >= self.bytes.len() {
            return Err(self.error(start, describe(letter, count)));
        }
        match letter {
            Letter::Era => {
                let index = self.names(start, &[&ERAS], "era AD or BC")?;
                self.builder.set(ERA, index as i64, at);
            }
            Letter::Year | Letter::WeekYear => {
                let signed = letter == Letter::WeekYear;
                let what = "year";
                let (mut value, digits) = self.number(start, count, obey, signed, what)?;
                if letter == Letter::Year && value < 1 {
                    return Err(self.error(at, "year 1 or later"));
                }
                if count <= 2 && digits == 2 && self.bytes[at].is_ascii_digit() {
                    let pivot = i64::from(self.two_digit_start);
                    let ambiguous = pivot.rem_euclid(100);
                    self.ambiguous_year = value == ambiguous;
                    value += pivot.div_euclid(100) * 100 + if value < ambiguous { 100 } else { 0 };
                }
                let field = if letter == Letter::Year {
                    YEAR
                } else {
                    WEEK_YEAR
                };
                self.builder.set(field, value, at);
            }
            Letter::Month | Letter::MonthStandalone => {
                let month = if count <= 2 {
                    self.ranged(start, count, obey, (1, 12), "month 1-12")?
                } else {
                    self.names(start, &[&MONTHS, &SHORT_MONTHS], "month name")? as i64 + 1
                };
                self.builder.set(MONTH, month - 1, at);
            }
            Letter::DayName => {
                let index = self.names(start, &[&WEEKDAYS, &SHORT_WEEKDAYS], "day name")?;
                self.builder.set(DAY_OF_WEEK, index as i64 + 1, at);
            }
            Letter::AmPm => {
                let index = self.names(start, &[&AM_PM], "AM or PM")?;
                self.builder.set(AM_PM_FIELD, index as i64, at);
            }
            Letter::DayNumber => {
                let v = self.ranged(start, count, obey, (1, 7), "day number 1-7")?;
                self.builder
                    .set(DAY_OF_WEEK, if v == 7 { 1 } else { v + 1 }, at);
            }
            Letter::Hour1To24 => {
                let v = self.ranged(start, count, obey, (1, 24), "hour 1-24")?;
                self.builder.set(HOUR_OF_DAY, v % 24, at);
            }
            Letter::Hour1To12 => {
                let v = self.ranged(start, count, obey, (1, 12), "hour 1-12")?;
                self.builder.set(HOUR, v % 12, at);
            }
            Letter::ZoneName | Letter::ZoneRfc822 => self.zone_text(start, at)?,
            Letter::ZoneIso => self.zone_iso(count, at)?,
            _ => {
                let (field, range, what) = numeric_field(letter);
                let v = self.ranged(start, count, obey, range, what)?;
                self.builder.set(field, v, at);
            }
        }
        Ok(())
    }

    /// Java's matchString over each list in turn: the longest name matching at `start`.
    fn names(
        &mut self,
        start: usize,
        lists: &[&[&str]],
        what: &str,
    ) -> Result<usize, DateParseError> {
        let rest = &self.bytes[start..];
        for list in lists {
            if let Some((index, len)) = match_longest(rest, list) {
                self.pos = start + len;
                return Ok(index);
            }
        }
        Err(self.error(self.pos, what))
    }

    fn set_offset(&mut self, offset_ms: i64, byte_at: usize) {
        self.builder.set(ZONE_OFFSET, offset_ms, byte_at);
        self.builder.set(DST_OFFSET, 0, byte_at);
    }

    /// `z` and `Z`: "GMT", "GMT+hh:mm", "+hhmm"/"-hhmm", or a zone name Java knows.
    fn zone_text(&mut self, start: usize, byte_at: usize) -> Result<(), DateParseError> {
        let what = "a time zone such as 'GMT+02:00', '+0200' or 'PST'";
        let c = self.bytes[self.pos];
        if c == b'+' || c == b'-' {
            let sign = if c == b'+' { 1 } else { -1 };
            self.pos += 1;
            let minutes = self
                .numeric_zone(0, false)
                .ok_or_else(|| self.error(self.pos, what))?;
            self.set_offset(sign * minutes * 60_000, byte_at);
            return Ok(());
        }
        let gmt = self
            .bytes
            .get(start..start + 3)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"GMT"));
        if (c == b'G' || c == b'g') && gmt {
            self.pos = start + 3;
            let sign = match self.bytes.get(self.pos) {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => {
                    self.set_offset(0, byte_at);
                    return Ok(());
                }
            };
            self.pos += 1;
            let minutes = self
                .numeric_zone(0, true)
                .ok_or_else(|| self.error(self.pos, what))?;
            self.set_offset(sign * minutes * 60_000, byte_at);
            return Ok(());
        }
        self.zone_name(byte_at)
            .ok_or_else(|| self.error(self.pos, what))
    }

    /// Java's subParseZoneString: the given zone's names first, then UTC's (Java's default zone
    /// in our vectors), then every zone we carry names for, in order.
    fn zone_name(&mut self, byte_at: usize) -> Option<()> {
        let rest = &self.bytes[self.pos..];
        let mut found: Option<(Option<TimeZoneSpec>, &'static ZoneNames, usize)> = None;
        if let Some(names) = self.zone.names() {
            if let Some(i) = match_zone(rest, names) {
                found = Some((None, names, i));
            }
        }
        if found.is_none() {
            let utc = TimeZoneSpec::utc();
            if let Some(names) = utc.names() {
                if let Some(i) = match_zone(rest, names) {
                    found = Some((Some(utc), names, i));
                }
            }
        }
        if found.is_none() {
            for (id, names) in NAMED_ZONES {
                if let Some(i) = match_zone(rest, names) {
                    found = Some((Some(TimeZoneSpec::parse(id).ok()?), names, i));
                    break;
                }
            }
        }
        let (zone, names, index) = found?;
        let all = [
            names.long_std,
            names.short_std,
            names.long_dst,
            names.short_dst,
        ];
        let same_name = index < 2 && all[index].eq_ignore_ascii_case(all[index + 2]);
        let dst_amount = if index >= 2 { names.dst_savings_ms } else { 0 };
        if !(same_name || (index >= 2 && dst_amount == 0)) {
            self.builder.stamp[ZONE_OFFSET] = 0;
            self.builder.set(DST_OFFSET, dst_amount, byte_at);
        }
        if zone.is_some() {
            self.zone_override = zone;
        }
        self.pos += all[index].len();
        Some(())
    }

    /// `X`: "Z", or "+hh" / "+hhmm" / "+hh:mm" for one, two or three letters.
    fn zone_iso(&mut self, count: usize, byte_at: usize) -> Result<(), DateParseError> {
        let what = match count {
            1 => "an ISO offset such as 'Z' or '+02'",
            2 => "an ISO offset such as 'Z' or '+0200'",
            _ => "an ISO offset such as 'Z' or '+02:00'",
        };
        let sign = match self.bytes[self.pos] {
            b'Z' => {
                self.pos += 1;
                self.set_offset(0, byte_at);
                return Ok(());
            }
            b'+' => 1,
            b'-' => -1,
            _ => return Err(self.error(self.pos, what)),
        };
        self.pos += 1;
        let minutes = self
            .numeric_zone(count, count == 3)
            .ok_or_else(|| self.error(self.pos, what))?;
        self.set_offset(sign * minutes * 60_000, byte_at);
        Ok(())
    }

    /// Java's subParseNumericZone: `hh[[:]mm]` after the sign, as minutes; with `colon`, one
    /// hour digit is allowed (GMT+2:00).
    fn numeric_zone(&mut self, count: usize, colon: bool) -> Option<i64> {
        let digit = |p: usize| {
            self.bytes
                .get(p)
                .filter(|b| b.is_ascii_digit())
                .map(|b| i64::from(b - b'0'))
        };
        let mut p = self.pos;
        let mut hours = digit(p)?;
        p += 1;
        match digit(p) {
            Some(d) => {
                hours = hours * 10 + d;
                p += 1;
            }
            None => {
                if count > 0 || !colon {
                    return None;
                }
                self.bytes.get(p)?;
            }
        }
        if hours > 23 {
            return None;
        }
        let mut minutes = 0;
        if count != 1 {
            if colon {
                if self.bytes.get(p) != Some(&b':') {
                    return None;
                }
                p += 1;
            }
            minutes = digit(p)? * 10 + digit(p + 1)?;
            p += 2;
            if minutes > 59 {
                return None;
            }
        }
        self.pos = p;
        Some(hours * 60 + minutes)
    }
}

/// Java's matchZoneString: which of long/short standard, long/short daylight (0-3) prefixes the
/// text, ignoring case, checked in that order.
fn match_zone(rest: &[u8], names: &ZoneNames) -> Option<usize> {
    [
        names.long_std,
        names.short_std,
        names.long_dst,
        names.short_dst,
    ]
    .iter()
    .position(|n| {
        !n.is_empty() && rest.len() >= n.len() && rest[..n.len()].eq_ignore_ascii_case(n.as_bytes())
    })
}

/// The calendar field, accepted range and description of a plain numeric letter.
fn numeric_field(letter: Letter) -> (usize, (i64, i64), &'static str) {
    match letter {
        Letter::WeekOfYear => (WEEK_OF_YEAR, (1, 53), "week of year 1-53"),
        Letter::WeekOfMonth => (WEEK_OF_MONTH, (1, 6), "week of month 1-6"),
        Letter::DayOfYear => (DAY_OF_YEAR, (1, 366), "day of year 1-366"),
        Letter::DayOfMonth => (DAY_OF_MONTH, (1, 31), "day of month 1-31"),
        Letter::DayOfWeekInMonth => (DAY_OF_WEEK_IN_MONTH, (1, 5), "day of week in month 1-5"),
        Letter::Hour0To23 => (HOUR_OF_DAY, (0, 23), "hour 0-23"),
        Letter::Hour0To11 => (HOUR, (0, 11), "hour 0-11"),
        Letter::Minute => (MINUTE, (0, 59), "minute 0-59"),
        Letter::Second => (SECOND, (0, 59), "second 0-59"),
        _ => (MILLISECOND, (0, 999), "millisecond 0-999"),
    }
}

/// What a field expects, for the error when the text ends before it.
fn describe(letter: Letter, count: usize) -> &'static str {
    match letter {
        Letter::Era => "era AD or BC",
        Letter::Year | Letter::WeekYear => "year",
        Letter::Month | Letter::MonthStandalone if count >= 3 => "month name",
        Letter::Month | Letter::MonthStandalone => "month 1-12",
        Letter::DayName => "day name",
        Letter::DayNumber => "day number 1-7",
        Letter::AmPm => "AM or PM",
        Letter::Hour1To24 => "hour 1-24",
        Letter::Hour1To12 => "hour 1-12",
        Letter::ZoneName | Letter::ZoneRfc822 => "a time zone",
        Letter::ZoneIso => "an ISO offset",
        other => numeric_field(other).2,
    }
}

/// GregorianCalendar.computeTime: fields to an instant (epoch millis).
fn resolve(b: &Builder, zone: &TimeZoneSpec, text: &str) -> Result<i64, DateParseError> {
    let time_of_day = time_of_day(b);
    let week_date = b.is_set(WEEK_YEAR) && b.stamp[WEEK_YEAR] > b.stamp[YEAR];
    let days = if week_date {
        week_date_days(b)
    } else {
        date_days(b, text)?
    };
    let wall = days
        .checked_mul(MS_PER_DAY)
        .and_then(|ms| ms.checked_add(time_of_day))
        .filter(|ms| ms.abs() <= MAX_WALL_MS)
        .ok_or_else(|| out_of_range(b, text))?;
    let zone_set = b.is_set(ZONE_OFFSET);
    let dst_set = b.is_set(DST_OFFSET);
    if zone_set && dst_set {
        return Ok(wall - b.value[ZONE_OFFSET] - b.value[DST_OFFSET]);
    }
    let utc = zone.wall_to_utc(wall);
    let mut raw = zone.raw_at(utc);
    let mut dst = wall - utc - raw;
    if zone_set {
        raw = b.value[ZONE_OFFSET];
    }
    if dst_set {
        dst = b.value[DST_OFFSET];
    }
    Ok(wall - raw - dst)
}

/// Milliseconds into the day from HOUR_OF_DAY or HOUR + AM_PM, whichever Java selects.
fn time_of_day(b: &Builder) -> i64 {
    let hour_of_day_stamp = b.stamp[HOUR_OF_DAY];
    let hour_stamp = aggregate(b.stamp[HOUR], b.stamp[AM_PM_FIELD]);
    let mut best = hour_stamp.max(hour_of_day_stamp);
    if best == 0 {
        best = b.stamp[HOUR].max(b.stamp[AM_PM_FIELD]);
    }
    let hours = if best == 0 {
        0
    } else if best == hour_of_day_stamp {
        b.get(HOUR_OF_DAY)
    } else {
        b.get(HOUR) + 12 * b.get(AM_PM_FIELD)
    };
    ((hours * 60 + b.get(MINUTE)) * 60 + b.get(SECOND)) * 1000 + b.get(MILLISECOND)
}

/// The proleptic year from YEAR and ERA (1970 AD when absent).
fn proleptic_year(b: &Builder, field: usize) -> i64 {
    let year = if b.is_set(field) {
        b.value[field]
    } else {
        1970
    };
    if b.is_set(ERA) && b.value[ERA] == 0 {
        1 - year
    } else {
        year
    }
}

/// The first day (a Sunday) of week 1 of `year`: the week holding January 1.
fn first_week_start(julian: bool, year: i64) -> i64 {
    let jan1 = date_to_days(julian, year, 1, 1);
    let mut first = dow_on_or_before(jan1 + 6, 1);
    if first - jan1 >= 1 {
        first -= 7;
    }
    first
}

/// GregorianCalendar.setWeekDate: week year + week of year + day of week.
fn week_date_days(b: &Builder) -> i64 {
    let year = proleptic_year(b, WEEK_YEAR);
    let week = if b.is_set(WEEK_OF_YEAR) {
        b.value[WEEK_OF_YEAR]
    } else {
        1
    };
    let dow = if b.is_set(DAY_OF_WEEK) {
        b.value[DAY_OF_WEEK]
    } else {
        1
    };
    first_week_start(year <= CUTOVER_YEAR, year) + (dow - 1).rem_euclid(7) + 7 * (week - 1)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DateMode {
    DayOfMonth,
    WeekOfMonth,
    DayOfWeekInMonth,
    DayOfYear,
    WeekOfYear,
}

/// GregorianCalendar.selectFields, date part: which group of fields set last decides the date.
fn select_date_mode(b: &Builder) -> DateMode {
    let s = &b.stamp;
    let dow = s[DAY_OF_WEEK];
    let mut dom = s[DAY_OF_MONTH];
    let mut wom = aggregate(s[WEEK_OF_MONTH], dow);
    let mut dowim = aggregate(s[DAY_OF_WEEK_IN_MONTH], dow);
    let doy = s[DAY_OF_YEAR];
    let mut woy = aggregate(s[WEEK_OF_YEAR], dow);
    let mut best = dom.max(wom).max(dowim).max(doy).max(woy);
    if best == 0 {
        wom = s[WEEK_OF_MONTH];
        dowim = s[DAY_OF_WEEK_IN_MONTH].max(dow);
        woy = s[WEEK_OF_YEAR];
        best = wom.max(dowim).max(woy);
        if best == 0 {
            dom = s[MONTH];
            best = dom;
        }
    }
    if best == dom
        || (best == wom && s[WEEK_OF_MONTH] >= s[WEEK_OF_YEAR])
        || (best == dowim && s[DAY_OF_WEEK_IN_MONTH] >= s[WEEK_OF_YEAR])
    {
        if best == dom {
            DateMode::DayOfMonth
        } else if wom == dowim {
            if s[WEEK_OF_MONTH] >= s[DAY_OF_WEEK_IN_MONTH] {
                DateMode::WeekOfMonth
            } else {
                DateMode::DayOfWeekInMonth
            }
        } else if best == wom {
            DateMode::WeekOfMonth
        } else {
            DateMode::DayOfWeekInMonth
        }
    } else if best == doy {
        DateMode::DayOfYear
    } else {
        DateMode::WeekOfYear
    }
}

/// Days since 1970-01-01 from the selected date fields, in the calendar Java uses for the year
/// (Julian before 1582, Gregorian after; in 1582 Julian for day/week-of-year, else whichever
/// lands on its side of the cutover).
fn date_days(b: &Builder, text: &str) -> Result<i64, DateParseError> {
    let year = proleptic_year(b, YEAR);
    let mode = select_date_mode(b);
    if year == CUTOVER_YEAR {
        if matches!(mode, DateMode::DayOfYear | DateMode::WeekOfYear) {
            return fixed_date(b, true, year, mode, text);
        }
        let gregorian = fixed_date(b, false, year, mode, text)?;
        if gregorian >= CUTOVER_DAY {
            return Ok(gregorian);
        }
        return fixed_date(b, true, year, mode, text);
    }
    fixed_date(b, year < CUTOVER_YEAR, year, mode, text)
}

/// GregorianCalendar.getFixedDate for one calendar system, refusing days past the month's or
/// year's end instead of rolling them over.
fn fixed_date(
    b: &Builder,
    julian: bool,
    year: i64,
    mode: DateMode,
    text: &str,
) -> Result<i64, DateParseError> {
    let month = match mode {
        DateMode::DayOfYear | DateMode::WeekOfYear => 1,
        _ => b.get(MONTH) + 1,
    };
    let first = date_to_days(julian, year, month, 1);
    let dow_set = b.is_set(DAY_OF_WEEK);
    let out_of_range = |field: usize, max: i64, what: &str| {
        let position = char_position(text, b.byte_at[field]);
        DateParseError::new(text, position, &format!("{what} 1-{max}"))
    };
    Ok(match mode {
        DateMode::DayOfMonth => {
            if !b.is_set(DAY_OF_MONTH) {
                first
            } else {
                let day = b.value[DAY_OF_MONTH];
                let len = month_length(julian, year, month);
                if day > len {
                    return Err(out_of_range(DAY_OF_MONTH, len, "day of month"));
                }
                first + day - 1
            }
        }
        DateMode::WeekOfMonth => {
            let mut start = dow_on_or_before(first + 6, 1);
            if start - first >= 1 {
                start -= 7;
            }
            if dow_set {
                start = dow_on_or_before(start + 6, b.value[DAY_OF_WEEK]);
            }
            start + 7 * (b.get(WEEK_OF_MONTH) - 1)
        }
        DateMode::DayOfWeekInMonth => {
            let dow = if dow_set { b.value[DAY_OF_WEEK] } else { 1 };
            let n = if b.is_set(DAY_OF_WEEK_IN_MONTH) {
                b.value[DAY_OF_WEEK_IN_MONTH]
            } else {
                1
            };
            dow_on_or_before(first + 7 * n - 1, dow)
        }
        DateMode::DayOfYear => {
            let day = b.get(DAY_OF_YEAR);
            let len = if is_leap(julian, year) { 366 } else { 365 };
            if day > len {
                return Err(out_of_range(DAY_OF_YEAR, len, "day of year"));
            }
            first + day - 1
        }
        DateMode::WeekOfYear => {
            let mut start = first_week_start(julian, year);
            if dow_set && b.value[DAY_OF_WEEK] != 1 {
                start = dow_on_or_before(start + 6, b.value[DAY_OF_WEEK]);
            }
            start + 7 * (b.get(WEEK_OF_YEAR) - 1)
        }
    })
}

/// The text as kept in errors: at most 100 chars, so a huge input cannot bloat logs.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
