//! The schedule port: in AWS mode polls are triggered from outside the process, one schedule
//! per instance; local mode needs no such port because its scheduler reads the store.

use crate::instance::InstanceId;
use crate::refresh_interval::RefreshInterval;

/// One poll schedule per instance: where polls are triggered from outside the process (AWS).
#[async_trait::async_trait]
pub trait PollSchedules: Send + Sync {
    /// Creates or updates the instance's schedule to fire every `minutes` minutes with payload
    /// `{"instanceId": id}`; idempotent. A new schedule starts enabled; an existing one keeps
    /// its state, so changing the interval of a paused instance does not resume it.
    async fn upsert(&self, instance: InstanceId, minutes: u32) -> Result<(), ScheduleError>;
    /// Pauses or resumes it (events switched off/on) without losing it.
    async fn set_enabled(&self, instance: InstanceId, enabled: bool) -> Result<(), ScheduleError>;
    /// Deletes it; deleting one that does not exist is Ok.
    async fn remove(&self, instance: InstanceId) -> Result<(), ScheduleError>;
}

/// Why a schedule could not be changed; every message names the schedule and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error(
        "cannot schedule polls of instance {instance} every {minutes} minutes: the interval must \
         be {min} to {max} minutes",
        min = RefreshInterval::MIN,
        max = RefreshInterval::MAX
    )]
    InvalidInterval { instance: InstanceId, minutes: u32 },
    #[error("schedule {schedule} does not exist: upsert it before switching it on or off")]
    NotFound { schedule: String },
    #[error(
        "schedule group {group} does not exist: create it (the deployment template does) \
         before scheduling polls"
    )]
    GroupMissing { group: String },
    #[error(
        "the scheduler refused schedule {schedule}: {message} (check the target and role ARNs \
         and the schedule group)"
    )]
    Rejected { schedule: String, message: String },
    #[error("the scheduler is unavailable for schedule {schedule}: {message}; retry later")]
    Unavailable { schedule: String, message: String },
}

impl ScheduleError {
    /// Whether retrying the same call later may succeed (throttling, outages).
    pub fn is_transient(&self) -> bool {
        matches!(self, ScheduleError::Unavailable { .. })
    }
}

/// The schedule expression for an interval: "rate(1 minute)" / "rate(15 minutes)" (AWS syntax:
/// singular for 1).
pub fn rate_expression(minutes: u32) -> String {
    if minutes == 1 {
        "rate(1 minute)".to_owned()
    } else {
        format!("rate({minutes} minutes)")
    }
}

/// Checks an interval before it reaches a scheduler, so a bad one is reported with the instance.
pub fn checked_minutes(instance: InstanceId, minutes: u32) -> Result<u32, ScheduleError> {
    if (RefreshInterval::MIN..=RefreshInterval::MAX).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(ScheduleError::InvalidInterval { instance, minutes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_expression_uses_the_singular_for_one_minute() {
        assert_eq!(rate_expression(1), "rate(1 minute)");
    }

    #[test]
    fn rate_expression_uses_the_plural_otherwise() {
        assert_eq!(rate_expression(2), "rate(2 minutes)");
        assert_eq!(rate_expression(15), "rate(15 minutes)");
        assert_eq!(rate_expression(1440), "rate(1440 minutes)");
    }

    #[test]
    fn checked_minutes_accepts_the_refresh_interval_range_only() {
        let id = InstanceId(7);
        assert_eq!(checked_minutes(id, 1).ok(), Some(1));
        assert_eq!(checked_minutes(id, 1440).ok(), Some(1440));
        for bad in [0, 1441] {
            let message = checked_minutes(id, bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(message.contains("instance 7"), "{message}");
            assert!(message.contains("1 to 1440"), "{message}");
        }
    }
}
