//! Formatting: prints each compiled field as SimpleDateFormat.subFormat does for Locale.US.

use super::calendar::Fields;
use super::lexer::{Item, Letter};
use super::names::{AM_PM, ERAS, MONTHS, SHORT_MONTHS, SHORT_WEEKDAYS, WEEKDAYS};
use super::DatePattern;
use crate::time_zone::{push_custom_id, OffsetInfo, TimeZoneSpec};

/// Appends `pattern` applied to the instant `utc_ms` (epoch millis) in `zone` to `out`.
pub(crate) fn format_into(
    pattern: &DatePattern,
    utc_ms: i64,
    zone: &TimeZoneSpec,
    out: &mut String,
) {
    let info = zone.info_at(utc_ms);
    let local_ms = utc_ms.saturating_add(info.total_ms);
    let fields = Fields::from_local_millis(local_ms, pattern.needs_weeks);
    for item in &pattern.items {
        match *item {
            Item::Literal { start, end } => out.push_str(&pattern.literals[start..end]),
            Item::Field { letter, count } => write_field(out, letter, count, &fields, info, zone),
        }
    }
}

fn write_field(
    out: &mut String,
    letter: Letter,
    count: usize,
    f: &Fields,
    info: OffsetInfo,
    zone: &TimeZoneSpec,
) {
    let hour = f.millis_of_day / 3_600_000;
    match letter {
        Letter::Era => out.push_str(ERAS[usize::from(f.year > 0)]),
        Letter::Year => {
            let era_year = if f.year > 0 { f.year } else { 1 - f.year };
            write_year(out, era_year, count);
        }
        Letter::WeekYear => write_year(out, f.week_year, count),
        Letter::Month | Letter::MonthStandalone => {
            let index = usize::try_from(f.month - 1).unwrap_or(0).min(11);
            match count {
                1 | 2 => pad(out, f.month, count, usize::MAX),
                3 => out.push_str(SHORT_MONTHS[index]),
                _ => out.push_str(MONTHS[index]),
            }
        }
        Letter::WeekOfYear => pad(out, f.week_of_year, count, usize::MAX),
        Letter::WeekOfMonth => pad(out, f.week_of_month, count, usize::MAX),
        Letter::DayOfYear => pad(out, f.day_of_year, count, usize::MAX),
        Letter::DayOfMonth => pad(out, f.day, count, usize::MAX),
        Letter::DayOfWeekInMonth => pad(out, f.day_of_week_in_month, count, usize::MAX),
        Letter::DayName => {
            let index = usize::try_from(f.day_of_week - 1).unwrap_or(0).min(6);
            out.push_str(if count >= 4 {
                WEEKDAYS[index]
            } else {
                SHORT_WEEKDAYS[index]
            });
        }
        Letter::DayNumber => {
            let iso = if f.day_of_week == 1 {
                7
            } else {
                f.day_of_week - 1
            };
            pad(out, iso, count, usize::MAX);
        }
        Letter::AmPm => out.push_str(AM_PM[usize::from(hour >= 12)]),
        Letter::Hour0To23 => pad(out, hour, count, usize::MAX),
        Letter::Hour1To24 => pad(out, if hour == 0 { 24 } else { hour }, count, usize::MAX),
        Letter::Hour0To11 => pad(out, hour % 12, count, usize::MAX),
        Letter::Hour1To12 => {
            let h = hour % 12;
            pad(out, if h == 0 { 12 } else { h }, count, usize::MAX);
        }
        Letter::Minute => pad(out, f.millis_of_day / 60_000 % 60, count, usize::MAX),
        Letter::Second => pad(out, f.millis_of_day / 1000 % 60, count, usize::MAX),
        Letter::Millisecond => pad(out, f.millis_of_day % 1000, count, usize::MAX),
        Letter::ZoneName => match zone.names() {
            Some(names) => out.push_str(match (count >= 4, info.dst) {
                (false, false) => names.short_std,
                (false, true) => names.short_dst,
                (true, false) => names.long_std,
                (true, true) => names.long_dst,
            }),
            None => push_custom_id(out, info.total_ms),
        },
        Letter::ZoneRfc822 => {
            let minutes = info.total_ms / 60_000;
            out.push(if minutes < 0 { '-' } else { '+' });
            let m = minutes.abs();
            pad(out, (m / 60) * 100 + m % 60, 4, usize::MAX);
        }
        Letter::ZoneIso => {
            if info.total_ms == 0 {
                out.push('Z');
                return;
            }
            let minutes = info.total_ms / 60_000;
            out.push(if minutes < 0 { '-' } else { '+' });
            let m = minutes.abs();
            pad(out, m / 60, 2, usize::MAX);
            if count == 1 {
                return;
            }
            if count == 3 {
                out.push(':');
            }
            pad(out, m % 60, 2, usize::MAX);
        }
    }
}

/// `yy` keeps the last two digits; any other count pads the whole year (Java's 'y' and 'Y').
fn write_year(out: &mut String, year: i64, count: usize) {
    if count == 2 {
        pad(out, year, 2, 2);
    } else {
        pad(out, year, count, usize::MAX);
    }
}

/// "00" to "99", so the common two- and four-digit fields are pushed as whole slices.
const PAIRS: &str = "00010203040506070809101112131415161718192021222324252627282930313233343536373839\
                     40414243444546474849505152535455565758596061626364656667686970717273747576777879\
                     8081828384858687888990919293949596979899";

fn pair(v: i64) -> &'static str {
    let i = usize::try_from(v).unwrap_or(0).min(99) * 2;
    PAIRS.get(i..i + 2).unwrap_or("00")
}

/// Java's zeroPaddingNumber through DecimalFormat: a minus sign for negatives, then the lowest
/// `max` digits of the magnitude, zero-padded to at least `min` digits. Never allocates.
pub(crate) fn pad(out: &mut String, value: i64, min: usize, max: usize) {
    if max >= 4 {
        if (0..100).contains(&value) && min <= 2 {
            if min == 2 || value >= 10 {
                out.push_str(pair(value));
            } else {
                out.push(char::from(b'0' + value as u8));
            }
            return;
        }
        if (1000..10_000).contains(&value) && min <= 4 {
            out.push_str(pair(value / 100));
            out.push_str(pair(value % 100));
            return;
        }
    }
    if value < 0 {
        out.push('-');
    }
    let mut magnitude = value.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        digits[n] = b'0' + (magnitude % 10) as u8;
        n += 1;
        magnitude /= 10;
        if magnitude == 0 || n == digits.len() {
            break;
        }
    }
    let shown = n.min(max);
    for _ in shown..min {
        out.push('0');
    }
    for &d in digits[..shown].iter().rev() {
        out.push(char::from(d));
    }
}
