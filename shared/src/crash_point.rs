//! Named crash points: the steps of a poll and of a delivery after which a crash leaves a
//! distinct state behind. With `POLLHOOK_CRASH_AT=<name>` (or `<name>:<n>` for its n-th hit)
//! the process kills itself with SIGKILL when it reaches that step, so the crash-point harness
//! (`tests/api/crash_points.rs`) can restart it from each of those states and prove that no
//! change is lost, none gets a second event id, and no watermark passes an unqueued change.
//!
//! The steps are an enum rather than strings scattered through the code so that the harness
//! iterates [`CrashPoint::ALL`]: a new step is a new case. Unset (always, outside the harness),
//! a step costs one load of an initialised `OnceLock`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The environment variable naming the step to crash at.
pub const ENV: &str = "POLLHOOK_CRASH_AT";

/// A step of a poll or a delivery where a crash is survivable by design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrashPoint {
    /// A page was read from the vendor; nothing of it is stored.
    PollAfterFetch,
    /// A page that is not its resource's last is stored (events, seen-ledger, notifications in
    /// one transaction); the watermark has not moved, as it moves only with the last page.
    PollAfterPageStored,
    /// The resource's last page was read and turned into events; the transaction that stores
    /// them and advances the watermark together is not made yet. This is the moment "before the
    /// watermark advance": nothing can come between the last page's events and the watermark.
    PollBeforeWatermark,
    /// The last page and the advanced watermark are stored; the poll log entry is not, and the
    /// instance's poll lease is still held.
    PollAfterWatermark,
    /// A resource's poll log entry is written; the next resource is not started yet (or, after
    /// the last one, the lease is not released).
    PollAfterLogRecord,
    /// Every resource was polled and logged; the instance's poll lease is still held.
    PollBeforeLeaseRelease,
    /// A notification is claimed for an attempt (DISPATCHED, under a lease); nothing is sent.
    DeliverAfterClaim,
    /// The POST was made and its answer is in (the receiver has the notification when it
    /// answered); the attempt and its outcome are not stored.
    DeliverAfterPostSent,
    /// The attempt and its outcome (delivered, retry at, dead) are stored.
    DeliverAfterResultStored,
}

/// Which side of the pipeline a step belongs to, so the harness drives the right scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Poll,
    Delivery,
}

impl CrashPoint {
    /// Every step, in the order a poll and then a delivery reach them.
    pub const ALL: [CrashPoint; 9] = [
        CrashPoint::PollAfterFetch,
        CrashPoint::PollAfterPageStored,
        CrashPoint::PollBeforeWatermark,
        CrashPoint::PollAfterWatermark,
        CrashPoint::PollAfterLogRecord,
        CrashPoint::PollBeforeLeaseRelease,
        CrashPoint::DeliverAfterClaim,
        CrashPoint::DeliverAfterPostSent,
        CrashPoint::DeliverAfterResultStored,
    ];

    /// The stable kebab-case name `POLLHOOK_CRASH_AT` takes.
    pub fn name(self) -> &'static str {
        match self {
            CrashPoint::PollAfterFetch => "poll-after-fetch",
            CrashPoint::PollAfterPageStored => "poll-after-page-stored",
            CrashPoint::PollBeforeWatermark => "poll-before-watermark",
            CrashPoint::PollAfterWatermark => "poll-after-watermark",
            CrashPoint::PollAfterLogRecord => "poll-after-log-record",
            CrashPoint::PollBeforeLeaseRelease => "poll-before-lease-release",
            CrashPoint::DeliverAfterClaim => "deliver-after-claim",
            CrashPoint::DeliverAfterPostSent => "deliver-after-post-sent",
            CrashPoint::DeliverAfterResultStored => "deliver-after-result-stored",
        }
    }

    pub fn stage(self) -> Stage {
        match self {
            CrashPoint::PollAfterFetch
            | CrashPoint::PollAfterPageStored
            | CrashPoint::PollBeforeWatermark
            | CrashPoint::PollAfterWatermark
            | CrashPoint::PollAfterLogRecord
            | CrashPoint::PollBeforeLeaseRelease => Stage::Poll,
            CrashPoint::DeliverAfterClaim
            | CrashPoint::DeliverAfterPostSent
            | CrashPoint::DeliverAfterResultStored => Stage::Delivery,
        }
    }

    pub fn from_name(name: &str) -> Option<CrashPoint> {
        CrashPoint::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl std::fmt::Display for CrashPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What `POLLHOOK_CRASH_AT` asks for: a step and which of its hits (1 for the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashSpec {
    pub point: CrashPoint,
    pub hit: u64,
}

/// Why `POLLHOOK_CRASH_AT` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrashSpecError {
    #[error("unknown crash point '{0}' (known: {known})", known = known_names())]
    UnknownPoint(String),
    #[error("'{0}' is not a hit number (1 or more)")]
    BadHit(String),
}

fn known_names() -> String {
    CrashPoint::ALL.map(CrashPoint::name).join(", ")
}

impl CrashSpec {
    /// Parses `<name>` or `<name>:<n>`.
    pub fn parse(text: &str) -> Result<CrashSpec, CrashSpecError> {
        let text = text.trim();
        let (name, hit) = match text.split_once(':') {
            Some((name, n)) => {
                let hit = n
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| CrashSpecError::BadHit(n.to_owned()))?;
                (name.trim(), hit)
            }
            None => (text, 1),
        };
        let point = CrashPoint::from_name(name)
            .ok_or_else(|| CrashSpecError::UnknownPoint(name.to_owned()))?;
        Ok(CrashSpec { point, hit })
    }
}

/// The armed step, read from the environment once; `Err` when the variable is malformed.
/// Servers call it at start so a misspelt step fails loudly instead of never crashing.
pub fn armed() -> Result<Option<CrashSpec>, CrashSpecError> {
    from_env().clone()
}

fn from_env() -> &'static Result<Option<CrashSpec>, CrashSpecError> {
    static ARMED: OnceLock<Result<Option<CrashSpec>, CrashSpecError>> = OnceLock::new();
    ARMED.get_or_init(|| match std::env::var(ENV) {
        Ok(text) if !text.trim().is_empty() => CrashSpec::parse(&text).map(Some),
        _ => Ok(None),
    })
}

/// Hits of the armed step so far.
static HITS: AtomicU64 = AtomicU64::new(0);

/// Marks that `point` is reached; kills the process on the spot if it is the armed hit.
#[inline]
pub fn hit(point: CrashPoint) {
    let Ok(Some(spec)) = from_env() else {
        return;
    };
    if spec.point != point {
        return;
    }
    let n = HITS.fetch_add(1, Ordering::SeqCst) + 1;
    if n == spec.hit {
        crash(point, n);
    }
}

/// Says which step it is (stderr is unbuffered, so the line is out before the signal), then
/// SIGKILLs the process: no destructor, no flush, no graceful shutdown, as in an OOM kill.
fn crash(point: CrashPoint, n: u64) -> ! {
    eprintln!("pollhook: crash point {point} reached (hit {n}): killing the process with SIGKILL");
    kill_self()
}

#[cfg(unix)]
fn kill_self() -> ! {
    // SAFETY: kill(2) and getpid(2) take plain integers and touch no memory of this process.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    // SIGKILL to ourselves does not return; should it, end as abruptly anyway.
    std::process::abort()
}

#[cfg(not(unix))]
fn kill_self() -> ! {
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        let names: std::collections::HashSet<_> =
            CrashPoint::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(names.len(), CrashPoint::ALL.len());
        for p in CrashPoint::ALL {
            assert_eq!(CrashPoint::from_name(p.name()), Some(p));
        }
    }

    #[test]
    fn a_spec_names_a_step_and_optionally_its_hit() {
        assert_eq!(
            CrashSpec::parse("poll-after-fetch"),
            Ok(CrashSpec {
                point: CrashPoint::PollAfterFetch,
                hit: 1
            })
        );
        assert_eq!(
            CrashSpec::parse(" deliver-after-claim:3 "),
            Ok(CrashSpec {
                point: CrashPoint::DeliverAfterClaim,
                hit: 3
            })
        );
        assert_eq!(
            CrashSpec::parse("deliver-after-claim:0"),
            Err(CrashSpecError::BadHit("0".into()))
        );
        let unknown = CrashSpec::parse("after-lunch").unwrap_err();
        assert!(
            unknown.to_string().contains("poll-after-fetch"),
            "{unknown}"
        );
    }
}
