//! Java's GregorianCalendar arithmetic: Gregorian from 1582-10-15, Julian before it, and the
//! week fields under Locale.US rules (weeks start on Sunday, week 1 is the week holding Jan 1).

/// Milliseconds in a day.
pub(crate) const MS_PER_DAY: i64 = 86_400_000;
/// 1582-10-15 (Gregorian) in days since 1970-01-01: the first day GregorianCalendar treats as
/// Gregorian; the day before is Julian 1582-10-04.
pub(crate) const CUTOVER_DAY: i64 = -141_427;
/// The year of the cutover, which Java handles on its own slow paths.
pub(crate) const CUTOVER_YEAR: i64 = 1582;

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
pub(crate) fn gregorian_to_days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian (year, month 1-12, day) of a day count since 1970-01-01.
pub(crate) fn days_to_gregorian(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a proleptic Julian date (month 1-12).
pub(crate) fn julian_to_days(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(4);
    let yoe = y - era * 4;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    era * 1461 + yoe * 365 + doy - 719_470
}

/// The proleptic Julian (year, month 1-12, day) of a day count since 1970-01-01.
pub(crate) fn days_to_julian(z: i64) -> (i64, i64, i64) {
    let z = z + 719_470;
    let era = z.div_euclid(1461);
    let doe = z - era * 1461;
    let yoe = (doe / 365).min(3);
    let doy = doe - 365 * yoe;
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 4 + i64::from(m <= 2), m, d)
}

/// Days since 1970-01-01 of a date in the calendar Java uses for that year (Julian up to 1582).
pub(crate) fn date_to_days(julian: bool, y: i64, m: i64, d: i64) -> i64 {
    if julian {
        julian_to_days(y, m, d)
    } else {
        gregorian_to_days(y, m, d)
    }
}

/// Whether `y` is a leap year in the Julian or Gregorian calendar.
pub(crate) fn is_leap(julian: bool, y: i64) -> bool {
    if julian {
        y.rem_euclid(4) == 0
    } else {
        y.rem_euclid(4) == 0 && (y.rem_euclid(100) != 0 || y.rem_euclid(400) == 0)
    }
}

/// Length of a month (1-12) in the given calendar.
pub(crate) fn month_length(julian: bool, y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(julian, y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Java's DAY_OF_WEEK of a day count: 1 = Sunday ... 7 = Saturday (1970-01-01 was a Thursday).
pub(crate) fn day_of_week(days: i64) -> i64 {
    (days + 4).rem_euclid(7) + 1
}

/// The day with Java's DAY_OF_WEEK `dow` on or before `days`.
pub(crate) fn dow_on_or_before(days: i64, dow: i64) -> i64 {
    days - (day_of_week(days) - dow).rem_euclid(7)
}

/// GregorianCalendar.getWeekNumber with first day Sunday and minimal days 1.
pub(crate) fn week_number(day1: i64, days: i64) -> i64 {
    let mut first = dow_on_or_before(day1 + 6, 1);
    if first - day1 >= 1 {
        first -= 7;
    }
    (days - first).div_euclid(7) + 1
}

/// The calendar fields SimpleDateFormat prints, computed once per format call.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fields {
    /// Proleptic year (1 BC = 0), in the Julian calendar before the cutover.
    pub year: i64,
    pub month: i64,
    pub day: i64,
    pub day_of_week: i64,
    pub millis_of_day: i64,
    pub day_of_year: i64,
    pub week_of_year: i64,
    pub week_of_month: i64,
    pub week_year: i64,
    /// Java's DAY_OF_WEEK_IN_MONTH, counted from the month's first day even in October 1582.
    pub day_of_week_in_month: i64,
}

impl Fields {
    /// Splits a local time (epoch millis shifted by the zone offset) into calendar fields; the
    /// week fields are only computed when `weeks` is set, since the hot path rarely needs them.
    pub(crate) fn from_local_millis(local_ms: i64, weeks: bool) -> Fields {
        let days = local_ms.div_euclid(MS_PER_DAY);
        let millis_of_day = local_ms.rem_euclid(MS_PER_DAY);
        let julian = days < CUTOVER_DAY;
        let (year, month, day) = if julian {
            days_to_julian(days)
        } else {
            days_to_gregorian(days)
        };
        let month_day = if year == CUTOVER_YEAR && month == 10 && !julian {
            days - julian_to_days(year, 10, 1) + 1
        } else {
            day
        };
        let mut f = Fields {
            year,
            month,
            day,
            day_of_week_in_month: (month_day - 1) / 7 + 1,
            day_of_week: day_of_week(days),
            millis_of_day,
            ..Fields::default()
        };
        if weeks {
            f.fill_weeks(days, julian);
        }
        f
    }

    fn fill_weeks(&mut self, days: i64, julian: bool) {
        let y = self.year;
        let jan1 = if y == CUTOVER_YEAR {
            julian_to_days(y, 1, 1)
        } else {
            date_to_days(julian, y, 1, 1)
        };
        let month1 = if y == CUTOVER_YEAR && self.month == 10 {
            julian_to_days(y, 10, 1)
        } else {
            days - self.day + 1
        };
        self.day_of_year = days - jan1 + 1;
        self.week_of_month = week_number(month1, days);
        let mut woy = week_number(jan1, days);
        if woy >= 52 {
            let next_jan1 = date_to_days(y < CUTOVER_YEAR, y + 1, 1, 1);
            let next_first = dow_on_or_before(next_jan1 + 6, 1);
            if next_first - next_jan1 >= 1 && days >= next_first - 7 {
                woy = 1;
            }
        }
        self.week_of_year = woy;
        self.week_year = if self.month == 1 && woy >= 52 {
            y - 1
        } else if self.month != 1 && woy == 1 {
            y + 1
        } else {
            y
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutover_is_contiguous() {
        assert_eq!(gregorian_to_days(1582, 10, 15), CUTOVER_DAY);
        assert_eq!(julian_to_days(1582, 10, 4), CUTOVER_DAY - 1);
        assert_eq!(days_to_julian(CUTOVER_DAY - 1), (1582, 10, 4));
        assert_eq!(gregorian_to_days(1970, 1, 1), 0);
    }

    #[test]
    fn round_trips_both_calendars() {
        for days in (-1_000_000..1_000_000).step_by(997) {
            let (y, m, d) = days_to_julian(days);
            assert_eq!(julian_to_days(y, m, d), days);
            let (y, m, d) = days_to_gregorian(days);
            assert_eq!(gregorian_to_days(y, m, d), days);
        }
    }
}
