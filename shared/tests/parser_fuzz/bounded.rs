//! Runs one fuzz case under a time bound. A case slower than [`case_bound`] fails (so proptest
//! shrinks it to the smallest slow input); a case that never returns cannot be failed from the
//! same thread, so a watchdog thread prints its input and aborts the run after [`HANG_BOUND`].

use std::fmt::{Debug, Write as _};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use proptest::test_runner::TestCaseError;

/// The longest one case may take by default, in a debug build on a loaded 2-core machine: a
/// real case takes microseconds, so this only trips on super-linear behaviour.
/// `POLLHOOK_FUZZ_CASE_MS` sets another bound, e.g. a tighter one for a release build.
const CASE_BOUND: Duration = Duration::from_secs(1);

fn case_bound() -> Duration {
    static BOUND: OnceLock<Duration> = OnceLock::new();
    *BOUND.get_or_init(|| {
        std::env::var("POLLHOOK_FUZZ_CASE_MS")
            .ok()
            .and_then(|ms| ms.trim().parse().ok())
            .map_or(CASE_BOUND, Duration::from_millis)
    })
}

/// How long the watchdog lets one case run before it declares a hang and aborts the process.
const HANG_BOUND: Duration = Duration::from_secs(30);

/// How much of a hung case's input the watchdog prints.
const SHOWN_CHARS: usize = 4_000;

/// The case a test thread is running: what parser, since when, on which input.
#[derive(Default)]
struct Slot {
    started: Option<Instant>,
    what: &'static str,
    input: String,
}

thread_local! {
    /// One slot and one watchdog per test thread; the watchdog ends when the thread does.
    static SLOT: Arc<Mutex<Slot>> = watch();
}

fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    // A panicking case poisons nothing we rely on: the slot is plain data.
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn watch() -> Arc<Mutex<Slot>> {
    let slot = Arc::new(Mutex::new(Slot::default()));
    let weak: Weak<Mutex<Slot>> = Arc::downgrade(&slot);
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(200));
        let Some(slot) = weak.upgrade() else { return };
        let slot = lock(&slot);
        if let Some(started) = slot.started {
            if started.elapsed() > HANG_BOUND {
                let shown: String = slot.input.chars().take(SHOWN_CHARS).collect();
                eprintln!(
                    "HANG: {} ran for more than {HANG_BOUND:?} on this input ({} chars, first {SHOWN_CHARS} shown):\n{shown}",
                    slot.what,
                    slot.input.chars().count(),
                );
                std::process::abort();
            }
        }
    });
    slot
}

/// How many times a case over the bound runs again before it fails: the bound is wall time,
/// and on a machine busy with builds one slow run is often just a descheduled thread.
const RETRIES: usize = 2;

/// Runs `case` on `input` (described by `what`), failing the case when it takes longer than
/// [`case_bound`] in each of `1 + RETRIES` runs; a panic inside `case` is left to proptest,
/// which reports and shrinks it.
pub fn bounded<I: Debug + ?Sized, T>(
    what: &'static str,
    input: &I,
    case: impl Fn() -> T,
) -> Result<T, TestCaseError> {
    SLOT.with(|slot| {
        let mut slot = lock(slot);
        slot.what = what;
        slot.input.clear();
        let _ = write!(slot.input, "{input:?}");
        slot.started = Some(Instant::now());
    });
    let _clear = ClearOnDrop;
    let bound = case_bound();
    let mut fastest = Duration::MAX;
    for _ in 0..=RETRIES {
        let start = Instant::now();
        let out = case();
        let elapsed = start.elapsed();
        if elapsed <= bound {
            return Ok(out);
        }
        fastest = fastest.min(elapsed);
    }
    Err(TestCaseError::fail(format!(
        "{what} took {fastest:?} at best of {} runs (bound {bound:?})",
        1 + RETRIES
    )))
}

/// Marks the thread idle when the case ends, by return or by panic, so the watchdog never
/// mistakes a finished (panicked) case for a hang.
struct ClearOnDrop;

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        let _ = SLOT.try_with(|slot| lock(slot).started = None);
    }
}
