//! The simulator clock: follows real time with an offset once set, or stays frozen, so tests
//! can move time (token expiry, record dates) without sleeping.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Real time plus an offset (zero until the clock is set).
    Following(Duration),
    /// A fixed instant that only moves when advanced.
    Frozen(DateTime<Utc>),
}

/// A settable clock shared by every handler of one simulator.
#[derive(Debug)]
pub struct Clock {
    mode: Mutex<Mode>,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            mode: Mutex::new(Mode::Following(Duration::zero())),
        }
    }
}

impl Clock {
    /// The simulator's current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match *self.lock() {
            Mode::Following(offset) => {
                let now = Utc::now();
                now.checked_add_signed(offset).unwrap_or(now)
            }
            Mode::Frozen(at) => at,
        }
    }

    /// Whether the clock is frozen.
    pub fn is_frozen(&self) -> bool {
        matches!(*self.lock(), Mode::Frozen(_))
    }

    /// Sets the current instant; it keeps following real time unless frozen.
    pub fn set(&self, now: DateTime<Utc>) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Following(_) => Mode::Following(now - Utc::now()),
            Mode::Frozen(_) => Mode::Frozen(now),
        };
    }

    /// Moves the clock by `by` (may be negative); a move out of chrono's range is ignored.
    pub fn advance(&self, by: Duration) {
        let mut mode = self.lock();
        *mode = match *mode {
            Mode::Following(offset) => Mode::Following(offset.checked_add(&by).unwrap_or(offset)),
            Mode::Frozen(at) => Mode::Frozen(at.checked_add_signed(by).unwrap_or(at)),
        };
    }

    /// Freezes the clock at its current instant, or lets it follow real time again from there.
    pub fn set_frozen(&self, frozen: bool) {
        let mut mode = self.lock();
        *mode = match (*mode, frozen) {
            (Mode::Following(offset), true) => Mode::Frozen(
                Utc::now()
                    .checked_add_signed(offset)
                    .unwrap_or_else(Utc::now),
            ),
            (Mode::Frozen(at), false) => Mode::Following(at - Utc::now()),
            (m, _) => m,
        };
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        // A poisoned lock only means a panic elsewhere; the mode itself is always valid.
        self.mode.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_when_told_and_survives_absurd_moves() {
        let clock = Clock::default();
        clock.set_frozen(true);
        let at = DateTime::parse_from_rfc3339("9999-12-31T00:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("date");
        clock.set(at);
        assert_eq!(clock.now(), at);
        clock.advance(Duration::days(100_000_000));
        assert_eq!(clock.now(), at, "out of range moves are ignored");
        clock.advance(Duration::seconds(-60));
        assert_eq!(clock.now(), at - Duration::seconds(60));
        clock.set_frozen(false);
        assert!(!clock.is_frozen());
        assert!(clock.now() >= at - Duration::seconds(60));
    }
}
