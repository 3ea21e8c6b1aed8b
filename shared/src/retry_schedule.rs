//! When to try a failed delivery again, modelled on Svix: a fixed table of delays with
//! jitter, honouring the receiver's `Retry-After`, and a dead letter after the last one.
//!
//! Pure: the caller passes the attempt number, the parsed `Retry-After` and a random sample,
//! so every decision is reproducible in a test.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Upper bound on one scheduled delay: a week. Longer is almost certainly a typo
/// (`10d` for `10h`), and the event would sit unseen for longer than anyone waits.
const MAX_DELAY: Duration = Duration::from_secs(7 * 24 * 3600);
/// Upper bound on retries, so a schedule cannot keep a dead receiver's queue alive forever.
const MAX_RETRIES: usize = 100;

/// Why a schedule was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RetryScheduleError {
    #[error("retry schedule is empty: give at least one delay, e.g. '5s,5m,30m'")]
    Empty,
    #[error("retry schedule has {0} delays; at most {MAX_RETRIES} are allowed")]
    TooMany(usize),
    #[error("retry delay #{0} is zero; use at least 1ms so a failing receiver is not hammered")]
    ZeroDelay(usize),
    #[error("retry delay #{index} is {delay:?}, longer than the 7-day maximum")]
    TooLong { index: usize, delay: Duration },
    #[error("retry jitter {0} must be a fraction between 0 and 1 (0.2 = ±20%)")]
    BadJitter(f64),
}

/// The delays between attempts, with jitter and `Retry-After` bounds.
///
/// Default (Svix's): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — eight attempts over about
/// 27.5 hours; ±20 % jitter so receivers that fail together are not retried together;
/// `Retry-After` honoured between 1 s and 24 h.
#[derive(Clone, Debug, PartialEq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
    jitter: f64,
    retry_after_min: Duration,
    retry_after_max: Duration,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        let m = 60;
        let h = 3600;
        RetrySchedule {
            delays: [5, 5 * m, 30 * m, 2 * h, 5 * h, 10 * h, 10 * h]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            jitter: 0.2,
            // HTTP's granularity; a `Retry-After: 0` still waits a moment.
            retry_after_min: Duration::from_secs(1),
            // A receiver in maintenance may ask for hours; beyond a day it is more likely a
            // bug than a plan, and the event would outlive the whole default schedule.
            retry_after_max: Duration::from_secs(24 * h),
        }
    }
}

impl RetrySchedule {
    /// A schedule with these delays and the default jitter and `Retry-After` bounds.
    pub fn new(delays: Vec<Duration>) -> Result<Self, RetryScheduleError> {
        if delays.is_empty() {
            return Err(RetryScheduleError::Empty);
        }
        if delays.len() > MAX_RETRIES {
            return Err(RetryScheduleError::TooMany(delays.len()));
        }
        for (i, d) in delays.iter().enumerate() {
            if d.is_zero() {
                return Err(RetryScheduleError::ZeroDelay(i + 1));
            }
            if *d > MAX_DELAY {
                return Err(RetryScheduleError::TooLong {
                    index: i + 1,
                    delay: *d,
                });
            }
        }
        Ok(RetrySchedule {
            delays,
            ..RetrySchedule::default()
        })
    }

    /// The same schedule with another jitter fraction (0 turns jitter off, for tests).
    pub fn with_jitter(mut self, jitter: f64) -> Result<Self, RetryScheduleError> {
        if !(0.0..=1.0).contains(&jitter) {
            return Err(RetryScheduleError::BadJitter(jitter));
        }
        self.jitter = jitter;
        Ok(self)
    }

    /// Parses an operator's `--retry-schedule`, e.g. `5s,5m,30m,2h,5h,10h,10h`
    /// (units `ms`, `s`, `m`, `h`, `d`).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let delays = spec
            .split(',')
            .map(|part| parse_delay(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        RetrySchedule::new(delays).map_err(|e| e.to_string())
    }

    /// The scheduled delays, without jitter.
    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }

    /// The jitter fraction (0.2 = ±20 %).
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// The first attempt plus one per delay.
    pub fn max_attempts(&self) -> u32 {
        u32::try_from(self.delays.len() + 1).unwrap_or(u32::MAX)
    }

    /// The delay before the next attempt after failed attempt `attempt` (1-based; 0 is
    /// treated as 1), or `None` when that was the last one: the notification is a dead letter.
    ///
    /// The scheduled delay is scaled by `1 + jitter * (2 * jitter_sample - 1)`, i.e. ±20 %
    /// by default (`jitter_sample` in [0, 1), callers pass `rand::random()`; anything outside
    /// is clamped, NaN means no jitter). A `Retry-After` is clamped to
    /// [`retry_after_min`, `retry_after_max`] and the result is the longer of the two, as
    /// Svix does: a receiver can ask us to wait longer, never to retry sooner than the
    /// schedule. `Retry-After` is not jittered: the receiver named the time.
    pub fn next_delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        jitter_sample: f64,
    ) -> Option<Duration> {
        let index = usize::try_from(attempt.max(1) - 1).ok()?;
        let scheduled = *self.delays.get(index)?;
        let sample = if jitter_sample.is_nan() {
            0.5
        } else {
            jitter_sample.clamp(0.0, 1.0)
        };
        let factor = 1.0 + self.jitter * (2.0 * sample - 1.0);
        let jittered = scheduled.mul_f64(factor);
        let honoured = retry_after
            .map(|ra| ra.clamp(self.retry_after_min, self.retry_after_max))
            .unwrap_or(Duration::ZERO);
        Some(jittered.max(honoured))
    }
}

/// Parses one delay such as `5s`, `250ms`, `30m`, `2h` or `1d`.
///
/// Hand-rolled: five units do not justify a new dependency such as `humantime`.
fn parse_delay(part: &str) -> Result<Duration, String> {
    let split = part
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("retry delay '{part}' has no unit: write e.g. '5s', '30m', '2h'"))?;
    let (digits, unit) = part.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("retry delay '{part}' must start with a whole number, e.g. '5s'"))?;
    let unit_secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "retry delay '{part}' has unknown unit '{unit}': use ms, s, m, h or d"
            ))
        }
    };
    n.checked_mul(unit_secs)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("retry delay '{part}' is too long"))
}

/// Parses a `Retry-After` value: delta-seconds, or an HTTP-date in any of the three forms
/// RFC 9110 says recipients must accept (IMF-fixdate, RFC 850, asctime), relative to `now`.
/// A date in the past means "now" (zero). `None` for anything else.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too large for u64: the receiver means "a very long time";
        // the schedule's upper bound clamps it.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// An HTTP-date in IMF-fixdate, RFC 850 or asctime form, always GMT.
fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    const FORMATS: [&str; 3] = [
        "%a, %d %b %Y %H:%M:%S GMT", // Sun, 06 Nov 1994 08:49:37 GMT
        "%A, %d-%b-%y %H:%M:%S GMT", // Sunday, 06-Nov-94 08:49:37 GMT
        "%a %b %e %H:%M:%S %Y",      // Sun Nov  6 08:49:37 1994
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const S: u64 = 1;
    const M: u64 = 60;
    const H: u64 = 3600;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn default_schedule_every_attempt_without_jitter() {
        let s = RetrySchedule::default();
        assert_eq!(s.max_attempts(), 8);
        let table = [
            (1, Some(5 * S)),
            (2, Some(5 * M)),
            (3, Some(30 * M)),
            (4, Some(2 * H)),
            (5, Some(5 * H)),
            (6, Some(10 * H)),
            (7, Some(10 * H)),
            (8, None),
            (9, None),
            (u32::MAX, None),
        ];
        for (attempt, expected) in table {
            // 0.5 is the centre of the jitter range: exactly the scheduled delay.
            assert_eq!(
                s.next_delay(attempt, None, 0.5),
                expected.map(secs),
                "attempt {attempt}"
            );
        }
        assert_eq!(s.next_delay(0, None, 0.5), Some(secs(5)), "0 treated as 1");
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let s = RetrySchedule::default();
        let table = [
            (0.0, secs(4)),
            (0.25, Duration::from_millis(4500)),
            (0.5, secs(5)),
            (0.75, Duration::from_millis(5500)),
            (0.999_999, Duration::from_millis(5999)),
            (-3.0, secs(4)),
            (7.0, secs(6)),
            (f64::NAN, secs(5)),
        ];
        for (sample, expected) in table {
            let got = s.next_delay(1, None, sample).expect("attempt 1 retries");
            let diff = got.abs_diff(expected);
            assert!(
                diff < Duration::from_millis(1),
                "sample {sample}: {got:?} vs {expected:?}"
            );
        }
        for i in 0..1000 {
            let sample = f64::from(i) / 1000.0;
            let d = s.next_delay(4, None, sample).expect("attempt 4 retries");
            assert!(d >= secs(96 * M) && d <= secs(144 * M), "{d:?}");
        }
    }

    #[test]
    fn retry_after_is_clamped_and_never_shortens_the_schedule() {
        let s = RetrySchedule::default();
        let table = [
            // (attempt, Retry-After, expected) with jitter centred.
            (1, 0, 5 * S),             // shorter than the schedule: schedule wins
            (1, 3, 5 * S),             // still shorter
            (1, 60, 60),               // longer: the receiver's wish
            (3, 10 * M, 30 * M),       // shorter than the 30 min step
            (3, 3 * H, 3 * H),         // longer
            (7, 20 * H, 20 * H),       // under the 24 h cap
            (1, 48 * H, 24 * H),       // clamped down to 24 h
            (1, u64::MAX / 2, 24 * H), // absurd: clamped
        ];
        for (attempt, ra, expected) in table {
            assert_eq!(
                s.next_delay(attempt, Some(secs(ra)), 0.5),
                Some(secs(expected)),
                "attempt {attempt}, Retry-After {ra}"
            );
        }
        // Retry-After below the 1 s floor on a sub-second schedule: raised to 1 s.
        let fast = RetrySchedule::parse("100ms")
            .expect("valid")
            .with_jitter(0.0)
            .expect("valid");
        assert_eq!(fast.next_delay(1, Some(Duration::ZERO), 0.9), Some(secs(1)));
        assert_eq!(
            fast.next_delay(1, None, 0.9),
            Some(Duration::from_millis(100))
        );
        // Retry-After does not extend the number of attempts.
        assert_eq!(fast.next_delay(2, Some(secs(5)), 0.5), None);
    }

    #[test]
    fn parse_accepts_units_and_rejects_mistakes() {
        let s = RetrySchedule::parse("5s,5m,30m,2h,5h,10h,10h").expect("valid");
        assert_eq!(s, RetrySchedule::default());
        let s = RetrySchedule::parse(" 1s , 2s,250ms, 1d").expect("valid");
        assert_eq!(
            s.delays(),
            &[secs(1), secs(2), Duration::from_millis(250), secs(86_400)]
        );
        assert_eq!(s.max_attempts(), 5);
        for bad in [
            "", "5", "5x", "s", "-5s", "5s,,5s", "0s", "8d", "1.5s", "5 s",
        ] {
            let err = RetrySchedule::parse(bad).expect_err(bad);
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(RetrySchedule::parse("0s")
            .expect_err("zero")
            .contains("#1 is zero"));
        assert!(RetrySchedule::parse("5s,10d")
            .expect_err("long")
            .contains("#2"));
        let too_many = vec!["1s"; 101].join(",");
        assert!(RetrySchedule::parse(&too_many)
            .expect_err("many")
            .contains("101"));
    }

    #[test]
    fn new_and_with_jitter_validate() {
        assert_eq!(RetrySchedule::new(vec![]), Err(RetryScheduleError::Empty));
        assert_eq!(
            RetrySchedule::new(vec![secs(1), Duration::ZERO]),
            Err(RetryScheduleError::ZeroDelay(2))
        );
        let s = RetrySchedule::new(vec![secs(1)]).expect("valid");
        assert_eq!(s.jitter(), 0.2);
        assert_eq!(
            s.clone().with_jitter(1.5),
            Err(RetryScheduleError::BadJitter(1.5))
        );
        assert!(s.clone().with_jitter(f64::NAN).is_err());
        let s = s.with_jitter(0.0).expect("valid");
        assert_eq!(s.next_delay(1, None, 0.0), Some(secs(1)));
    }

    #[test]
    fn retry_after_values() {
        let now = Utc
            .with_ymd_and_hms(2015, 10, 21, 7, 28, 0)
            .single()
            .expect("valid date");
        let table: [(&str, Option<Duration>); 14] = [
            ("120", Some(secs(120))),
            (" 0 ", Some(secs(0))),
            ("99999999999999999999999", Some(secs(u64::MAX))),
            ("Wed, 21 Oct 2015 07:30:00 GMT", Some(secs(120))),
            ("Wed, 21 Oct 2015 07:28:00 GMT", Some(secs(0))),
            ("Wed, 21 Oct 2015 07:00:00 GMT", Some(secs(0))), // in the past
            ("Wednesday, 21-Oct-15 08:28:00 GMT", Some(secs(3600))),
            ("Wed Oct 21 07:29:00 2015", Some(secs(60))),
            ("Thu Oct  1 07:28:00 2015", Some(secs(0))), // asctime, padded day, past
            ("", None),
            ("-5", None),
            ("1.5", None),
            ("soon", None),
            ("Wed, 32 Oct 2015 07:30:00 GMT", None),
        ];
        for (value, expected) in table {
            assert_eq!(parse_retry_after(value, now), expected, "{value:?}");
        }
    }
}
