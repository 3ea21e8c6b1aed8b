//! A log of the vendor API calls a simulator received, so tests can assert what a connector
//! actually sent (paths, filters, headers).

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// One received API call.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedRequest {
    pub method: String,
    /// Path and query exactly as received.
    pub path: String,
    /// Simulator-clock time of arrival, RFC 3339 with milliseconds.
    pub time: String,
    /// Request headers, names in lower case (repeated headers joined with `, `).
    pub headers: BTreeMap<String, String>,
}

/// Upper bound on kept entries so a long-running demo does not grow without limit.
const MAX_ENTRIES: usize = 100_000;

/// The request log of one simulator.
#[derive(Debug, Default)]
pub struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
}

impl RequestLog {
    /// Appends `entry`, dropping the oldest entries beyond the cap.
    pub fn push(&self, entry: LoggedRequest) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            let excess = entries.len() + 1 - MAX_ENTRIES;
            entries.drain(..excess);
        }
        entries.push(entry);
    }

    /// Every logged call, oldest first.
    pub fn all(&self) -> Vec<LoggedRequest> {
        self.lock().clone()
    }

    /// Forgets every logged call.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LoggedRequest>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
