//! Scripted faults: the next N vendor API calls answer 429, 500, hang or a malformed page, so
//! connectors' retry and recovery paths can be tested deterministically.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What a faulted call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 with `Retry-After`.
    RateLimit,
    /// 500 with the vendor's error body.
    ServerError,
    /// Sleep `hang_secs` (real time), then answer normally.
    Hang,
    /// A malformed page (see [`MalformedStyle`]).
    Malformed,
}

/// How a malformed page is broken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MalformedStyle {
    /// The real JSON body cut in half.
    #[default]
    Truncated,
    /// Valid JSON whose envelope lacks its items (`$resources` / `$items`).
    MissingItems,
    /// An HTML error page with status 200, as proxies sometimes send.
    Html,
}

/// Which calls a fault applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultTarget {
    /// Vendor API calls (the default).
    #[default]
    Api,
    /// The OAuth token endpoint (Sage Accounting `POST /token`).
    Token,
}

/// One `POST /_sim/faults` request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub kind: FaultKind,
    /// How many API calls this fault applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// `Retry-After` seconds for `rate_limit`.
    #[serde(default = "one")]
    pub retry_after_secs: u32,
    /// Seconds to sleep for `hang` (fractions allowed).
    #[serde(default = "five")]
    pub hang_secs: f64,
    /// How `malformed` breaks the page.
    #[serde(default)]
    pub style: MalformedStyle,
    /// Which calls it applies to.
    #[serde(default)]
    pub target: FaultTarget,
    /// Calls to let through untouched before the fault starts (e.g. fail page 3, not page 1).
    #[serde(default)]
    pub after: u32,
}

fn one() -> u32 {
    1
}

fn five() -> f64 {
    5.0
}

/// The pending faults, consumed in the order they were added.
#[derive(Debug, Default)]
pub struct Faults {
    queue: Mutex<VecDeque<FaultSpec>>,
}

impl Faults {
    /// Queues `spec` behind the faults already pending.
    pub fn push(&self, spec: FaultSpec) {
        if spec.count > 0 {
            self.lock().push_back(spec);
        }
    }

    /// Takes the oldest pending fault for the next call to `target`, if any.
    pub fn take(&self, target: FaultTarget) -> Option<FaultSpec> {
        let mut queue = self.lock();
        let index = queue.iter().position(|f| f.target == target)?;
        let fault = queue.get_mut(index)?;
        if fault.after > 0 {
            fault.after -= 1;
            return None;
        }
        let taken = fault.clone();
        fault.count -= 1;
        if fault.count == 0 {
            queue.remove(index);
        }
        Some(taken)
    }

    /// The faults still pending.
    pub fn pending(&self) -> Vec<FaultSpec> {
        self.lock().iter().cloned().collect()
    }

    #[cfg(test)]
    fn take_all(&self, target: FaultTarget, calls: usize) -> Vec<bool> {
        (0..calls).map(|_| self.take(target).is_some()).collect()
    }

    /// Drops every pending fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<FaultSpec>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_lets_calls_through_before_the_fault() {
        let faults = Faults::default();
        faults.push(FaultSpec {
            kind: FaultKind::Hang,
            count: 2,
            retry_after_secs: 1,
            hang_secs: 0.0,
            style: MalformedStyle::default(),
            target: FaultTarget::Api,
            after: 2,
        });
        assert_eq!(
            faults.take_all(FaultTarget::Api, 5),
            vec![false, false, true, true, false]
        );
    }
}
