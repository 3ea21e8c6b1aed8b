//! Locale.US month, weekday, AM/PM and era names, as java.text.DateFormatSymbols has them.

/// Full month names, January first.
pub(crate) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Abbreviated month names, January first.
pub(crate) const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Full weekday names, Sunday first (Java's DAY_OF_WEEK 1).
pub(crate) const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
/// Abbreviated weekday names, Sunday first.
pub(crate) const SHORT_WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
/// AM/PM markers.
pub(crate) const AM_PM: [&str; 2] = ["AM", "PM"];
/// Era names, BC first (Java's ERA 0).
pub(crate) const ERAS: [&str; 2] = ["BC", "AD"];

/// Java's matchString: the index of the longest name matching `text` at its start, ignoring
/// ASCII case, with the matched length in bytes.
pub(crate) fn match_longest(text: &[u8], names: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (i, name) in names.iter().enumerate() {
        let len = name.len();
        if len > best.map_or(0, |b| b.1)
            && text.len() >= len
            && text[..len].eq_ignore_ascii_case(name.as_bytes())
        {
            best = Some((i, len));
        }
    }
    best
}
