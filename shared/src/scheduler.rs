//! Local mode's scheduler: polls every instance with events on, every `refresh_interval`
//! minutes, spread over time so many instances do not fire in the same second.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::instance::{Instance, InstanceId};
use crate::poll_runner::PollRunner;
use crate::ports::{InstanceStore, PollNowError, PollSchedule};

/// How the scheduler paces itself.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// How often due polls are looked for.
    pub tick: Duration,
    /// How often the instance list is re-read (new, changed and deleted instances).
    pub refresh: Duration,
    /// Polls running at once, across all instances.
    pub concurrency: usize,
    /// Largest offset added to an instance's schedule to spread polls out.
    pub max_spread: Duration,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(1),
            refresh: Duration::from_secs(5),
            concurrency: 8,
            max_spread: Duration::from_secs(30),
        }
    }
}

/// A stable offset per instance within a tenth of its interval (at most `max_spread`):
/// stable so restarts keep the rhythm, spread so instances created together fire apart.
pub fn spread(id: InstanceId, interval: Duration, max_spread: Duration) -> Duration {
    let window = (interval / 10).min(max_spread).as_millis() as u64;
    if window == 0 {
        return Duration::ZERO;
    }
    let mixed = id.0.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    Duration::from_millis(mixed % window)
}

/// When an instance is next due, given when it last started (or was created).
pub fn next_due(
    instance: &Instance,
    since: DateTime<Utc>,
    settings: &SchedulerSettings,
) -> DateTime<Utc> {
    due_after(
        instance.id,
        instance.spec.events.refresh_interval.minutes(),
        since,
        settings,
    )
}

fn due_after(
    id: InstanceId,
    minutes: u32,
    since: DateTime<Utc>,
    settings: &SchedulerSettings,
) -> DateTime<Utc> {
    let interval = Duration::from_secs(u64::from(minutes) * 60);
    let offset = interval + spread(id, interval, settings.max_spread);
    since + chrono::Duration::from_std(offset).unwrap_or_else(|_| chrono::Duration::minutes(1))
}

/// When one instance is polled next. Only this is kept per instance: the instance itself is
/// read when it is due, so the scheduler's memory does not grow with instance size and a poll
/// always runs on the instance as it is now.
struct Slot {
    due: DateTime<Utc>,
    interval_minutes: u32,
}

/// Runs until `shutdown` resolves; polls already running are given a few seconds to finish.
pub async fn run(
    runner: Arc<PollRunner>,
    instances: Arc<dyn InstanceStore>,
    settings: SchedulerSettings,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut slots: HashMap<InstanceId, Slot> = HashMap::new();
    let mut running: JoinSet<InstanceId> = JoinSet::new();
    let mut busy: std::collections::HashSet<InstanceId> = std::collections::HashSet::new();
    let mut last_refresh: Option<std::time::Instant> = None;
    let mut ticker = tokio::time::interval(settings.tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(done) = running.join_next(), if !running.is_empty() => {
                if let Ok(id) = done {
                    busy.remove(&id);
                }
                continue;
            }
            _ = ticker.tick() => {}
        }
        let now = runner.clock.now();
        if last_refresh.is_none_or(|t| t.elapsed() >= settings.refresh) {
            match instances.list_poll_schedules().await {
                Ok(all) => {
                    let current: HashMap<InstanceId, PollSchedule> =
                        all.into_iter().map(|s| (s.id, s)).collect();
                    slots.retain(|id, _| current.contains_key(id));
                    for (id, schedule) in &current {
                        let minutes = schedule.every.minutes();
                        let stale = slots.get(id).is_none_or(|s| s.interval_minutes != minutes);
                        if stale {
                            let due = due_after(*id, minutes, schedule.created_date, &settings);
                            // Overdue after a restart or an interval change: soon, but still spread.
                            let due = if due < now {
                                now + chrono::Duration::from_std(spread(
                                    *id,
                                    Duration::from_secs(u64::from(minutes) * 60),
                                    settings.max_spread,
                                ))
                                .unwrap_or_default()
                            } else {
                                due
                            };
                            slots.insert(
                                *id,
                                Slot {
                                    due,
                                    interval_minutes: minutes,
                                },
                            );
                        }
                    }
                    last_refresh = Some(std::time::Instant::now());
                }
                Err(e) => tracing::error!(error = %e, "scheduler cannot list instances"),
            }
        }
        for (id, slot) in slots.iter_mut() {
            if slot.due > now || busy.contains(id) {
                continue;
            }
            slot.due = due_after(*id, slot.interval_minutes, now, &settings);
            busy.insert(*id);
            let id = *id;
            let runner = runner.clone();
            let permits = permits.clone();
            let instances = instances.clone();
            running.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let instance = match instances.find(id).await {
                    // Deleted, or events switched off, since the last re-read: nothing to do.
                    Ok(Some(i)) if i.spec.events.poll_interval().is_some() => i,
                    Ok(_) => return id,
                    Err(e) => {
                        tracing::warn!(instance_id = %id, error = %e, "scheduled poll cannot read its instance");
                        return id;
                    }
                };
                match runner.run(&instance).await {
                    Ok(_) | Err(PollNowError::Busy) => {}
                    Err(e) => tracing::warn!(instance_id = %id, error = %e, "scheduled poll failed"),
                }
                id
            });
        }
    }
    let drain = async { while running.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(10), drain)
        .await
        .is_err()
    {
        tracing::warn!("polls still running at shutdown were stopped; the next start resumes them");
        running.abort_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_stays_within_a_tenth_of_the_interval_and_varies() {
        let interval = Duration::from_secs(15 * 60);
        let offsets: std::collections::HashSet<_> = (1..200u64)
            .map(|i| spread(InstanceId(i), interval, Duration::from_secs(30)))
            .inspect(|d| assert!(*d < Duration::from_secs(30)))
            .collect();
        assert!(offsets.len() > 150, "instances created together fire apart");
        assert!(
            spread(
                InstanceId(5),
                Duration::from_secs(60),
                Duration::from_secs(30)
            ) < Duration::from_secs(6)
        );
    }
}
