//! Compiles a SimpleDateFormat pattern into literal runs and fields, with Java's quoting rules.

use super::PatternError;

/// The most letters one field may repeat: Java pads numbers to any count, but a count above this
/// is almost surely a typo and would make every formatted string absurdly long.
pub const MAX_COUNT: usize = 64;

/// One pattern letter's meaning (Java's pattern characters `GyYMLwWDdFEuaHkKhmsSzZX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Letter {
    Era,
    Year,
    WeekYear,
    Month,
    MonthStandalone,
    WeekOfYear,
    WeekOfMonth,
    DayOfYear,
    DayOfMonth,
    DayOfWeekInMonth,
    DayName,
    DayNumber,
    AmPm,
    Hour0To23,
    Hour1To24,
    Hour0To11,
    Hour1To12,
    Minute,
    Second,
    Millisecond,
    ZoneName,
    ZoneRfc822,
    ZoneIso,
}

impl Letter {
    fn from_char(c: char) -> Option<Letter> {
        Some(match c {
            'G' => Letter::Era,
            'y' => Letter::Year,
            'Y' => Letter::WeekYear,
            'M' => Letter::Month,
            'L' => Letter::MonthStandalone,
            'w' => Letter::WeekOfYear,
            'W' => Letter::WeekOfMonth,
            'D' => Letter::DayOfYear,
            'd' => Letter::DayOfMonth,
            'F' => Letter::DayOfWeekInMonth,
            'E' => Letter::DayName,
            'u' => Letter::DayNumber,
            'a' => Letter::AmPm,
            'H' => Letter::Hour0To23,
            'k' => Letter::Hour1To24,
            'K' => Letter::Hour0To11,
            'h' => Letter::Hour1To12,
            'm' => Letter::Minute,
            's' => Letter::Second,
            'S' => Letter::Millisecond,
            'z' => Letter::ZoneName,
            'Z' => Letter::ZoneRfc822,
            'X' => Letter::ZoneIso,
            _ => return None,
        })
    }

    /// Whether Java parses this field as a number with `count` letters, which makes the field
    /// before it obey its own count when the two are adjacent (SimpleDateFormat.shouldObeyCount).
    pub(crate) fn is_numeric(self, count: usize) -> bool {
        match self {
            Letter::Month | Letter::MonthStandalone => count <= 2,
            Letter::Era | Letter::DayName | Letter::AmPm => false,
            Letter::ZoneName | Letter::ZoneRfc822 | Letter::ZoneIso => false,
            _ => true,
        }
    }
}

/// A compiled piece of a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    /// Literal text: a byte range into the pattern's literal buffer.
    Literal { start: usize, end: usize },
    /// A field and how many times its letter was repeated.
    Field { letter: Letter, count: usize },
}

/// Splits `pattern` into items, appending literal text to `literals`.
pub(crate) fn compile(pattern: &str, literals: &mut String) -> Result<Vec<Item>, PatternError> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut items = Vec::new();
    let mut in_quote = false;
    let mut quote_start = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            if chars.get(i + 1) == Some(&'\'') {
                push_literal(&mut items, literals, '\'');
                i += 2;
                continue;
            }
            if !in_quote {
                quote_start = i;
            }
            in_quote = !in_quote;
            i += 1;
            continue;
        }
        if in_quote || !c.is_ascii_alphabetic() {
            push_literal(&mut items, literals, c);
            i += 1;
            continue;
        }
        let letter = Letter::from_char(c).ok_or(PatternError::UnknownLetter {
            letter: c,
            position: i,
        })?;
        let mut count = 1;
        while chars.get(i + count) == Some(&c) {
            count += 1;
        }
        if count > MAX_COUNT {
            return Err(PatternError::CountTooLarge {
                letter: c,
                count,
                position: i,
            });
        }
        if letter == Letter::ZoneIso && count > 3 {
            return Err(PatternError::InvalidCount {
                letter: c,
                count,
                position: i,
            });
        }
        items.push(Item::Field { letter, count });
        i += count;
    }
    if in_quote {
        return Err(PatternError::UnterminatedQuote {
            position: quote_start,
        });
    }
    Ok(items)
}

/// Appends one literal char, merging it into the previous literal item when there is one.
fn push_literal(items: &mut Vec<Item>, literals: &mut String, c: char) {
    let start = literals.len();
    literals.push(c);
    let end = literals.len();
    if let Some(Item::Literal { end: last_end, .. }) = items.last_mut() {
        if *last_end == start {
            *last_end = end;
            return;
        }
    }
    items.push(Item::Literal { start, end });
}
