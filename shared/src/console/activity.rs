//! What the console summarises from the stores: the poll log (newest first) and the event
//! queue (oldest first, read through in pages up to a cap).

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use crate::api::ApiState;
use crate::instance::InstanceId;
use crate::notification::status;
use crate::ports::{EventRecord, PollLogEntry, StoreError};

/// Poll log entries read per instance: a day of polls every minute for a resource, or of
/// five resources every five minutes.
pub const POLL_WINDOW: u32 = 1500;
/// Events read per instance before the console stops counting (and says so).
pub const EVENT_SCAN_CAP: u64 = 20_000;
const EVENT_PAGE: u32 = 1000;

/// An instance's recent polls, as the instances list and the instance page show them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollSummary {
    /// The newest poll log entry (one resource of the last poll).
    pub last: Option<PollLogEntry>,
    /// Whether any resource of the last poll failed.
    pub last_failed: bool,
    /// Events found by polls that started since `since`.
    pub events_since: u64,
    /// Resource polls that failed since `since`.
    pub failed_since: u64,
}

/// Summarises poll log entries (newest first) from `since` on.
pub fn summarize_polls(entries: &[PollLogEntry], since: DateTime<Utc>) -> PollSummary {
    let last = entries.first().cloned();
    // One poll writes one entry per resource, all started at the same instant.
    let last_failed = last.as_ref().is_some_and(|newest| {
        entries
            .iter()
            .take_while(|e| e.started == newest.started)
            .any(|e| e.error.is_some())
    });
    let recent = entries.iter().filter(|e| e.started >= since);
    let (events_since, failed_since) = recent.fold((0, 0), |(events, failed), e| {
        (events + e.events, failed + u64::from(e.error.is_some()))
    });
    PollSummary {
        last,
        last_failed,
        events_since,
        failed_since,
    }
}

/// The start of today, UTC: what "events today" counts from.
pub fn start_of_today(now: DateTime<Utc>) -> DateTime<Utc> {
    now.date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or(now)
}

/// What reading an instance's event queue found.
#[derive(Debug, Clone, Default)]
pub struct EventScan {
    /// Events read.
    pub total: u64,
    /// The cap was reached: counts are lower bounds and the newest events were not read.
    pub capped: bool,
    /// The newest events read, oldest first.
    pub recent: Vec<EventRecord>,
    /// Dead letters (newest last), at most `keep` of them.
    pub dead: Vec<EventRecord>,
    /// Events whose delivery is failing now (FAILED or DEAD).
    pub failing: u64,
    /// When each failing event was found, for the chart (only those after `since`).
    pub failing_found: Vec<DateTime<Utc>>,
}

/// Reads an instance's events in queue order, keeping the newest `keep` and the dead letters.
pub async fn scan_events(
    state: &ApiState,
    instance: InstanceId,
    keep: usize,
    since: DateTime<Utc>,
) -> Result<EventScan, StoreError> {
    let mut scan = EventScan::default();
    let mut recent = VecDeque::with_capacity(keep);
    let mut dead = VecDeque::with_capacity(keep);
    let mut after = None;
    loop {
        let page = state
            .events
            .list_events(instance, after, EVENT_PAGE)
            .await?;
        let full = page.len() == EVENT_PAGE as usize;
        for record in page {
            scan.total += 1;
            after = Some(record.seq);
            let failing = record.status == status::FAILED || record.status == status::DEAD;
            if failing {
                scan.failing += 1;
                if record.created_at >= since {
                    scan.failing_found.push(record.created_at);
                }
            }
            if record.status == status::DEAD {
                push_bounded(&mut dead, record.clone(), keep);
            }
            push_bounded(&mut recent, record, keep);
        }
        if !full {
            break;
        }
        if scan.total >= EVENT_SCAN_CAP {
            scan.capped = true;
            break;
        }
    }
    scan.recent = recent.into();
    scan.dead = dead.into();
    Ok(scan)
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, keep: usize) {
    if keep == 0 {
        return;
    }
    if queue.len() == keep {
        queue.pop_front();
    }
    queue.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(started: DateTime<Utc>, events: u64, error: Option<&str>) -> PollLogEntry {
        PollLogEntry {
            instance_id: 1,
            resource: "accounts".into(),
            started,
            finished: started,
            since: started,
            pages: 1,
            records: events,
            events,
            skipped: 0,
            notes: Vec::new(),
            error: error.map(str::to_owned),
        }
    }

    #[test]
    fn counts_today_and_the_last_polls_outcome() {
        let now = Utc::now();
        let today = start_of_today(now);
        let entries = vec![
            entry(now, 2, None),
            entry(now, 0, Some("vendor error 500: boom")),
            entry(today - chrono::Duration::hours(1), 7, Some("old")),
        ];
        let s = summarize_polls(&entries, today);
        assert_eq!(s.events_since, 2);
        assert_eq!(s.failed_since, 1);
        assert!(s.last_failed);
        assert_eq!(summarize_polls(&[], today), PollSummary::default());
    }

    #[test]
    fn keeps_only_the_newest() {
        let mut q = VecDeque::new();
        for i in 0..5 {
            push_bounded(&mut q, i, 3);
        }
        assert_eq!(Vec::from(q), vec![2, 3, 4]);
    }
}
