//! Poll schedules on Amazon EventBridge Scheduler: one `rate(N minutes)` schedule per instance,
//! named `pollhook-<instance id>` in one group, invoking the poll Lambda with
//! `{"instanceId": <id>}`.
//!
//! Flexible time windows are on (`FLEXIBLE`, up to half the interval, at most 15 minutes): a
//! poll reads from its watermark, so a late poll misses nothing, while spreading the start of
//! many instances' polls keeps the Lambda and the vendors from being hit in bursts.

use aws_sdk_scheduler::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target};
use aws_sdk_scheduler::Client;

use crate::instance::InstanceId;
use crate::schedule::{checked_minutes, rate_expression, PollSchedules, ScheduleError};

/// The longest delay spreading adds to a poll, whatever the interval.
const MAX_FLEXIBLE_WINDOW_MINUTES: u32 = 15;

/// Instances' poll schedules in one EventBridge Scheduler group; cheap to clone.
#[derive(Clone)]
pub struct EventBridgeSchedules {
    client: Client,
    group: String,
    /// The poll Lambda.
    target_arn: String,
    /// The role the scheduler assumes to invoke the poll Lambda.
    role_arn: String,
}

impl std::fmt::Debug for EventBridgeSchedules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EventBridgeSchedules({} -> {})",
            self.group, self.target_arn
        )
    }
}

impl EventBridgeSchedules {
    /// Schedules in `group` invoking `target_arn` as `role_arn`, with a client built from
    /// `config` (whose endpoint may point at an emulator). No request is made.
    pub fn new(
        config: &aws_config::SdkConfig,
        group: impl Into<String>,
        target_arn: impl Into<String>,
        role_arn: impl Into<String>,
    ) -> Self {
        Self {
            client: Client::new(config),
            group: group.into(),
            target_arn: target_arn.into(),
            role_arn: role_arn.into(),
        }
    }

    /// Creates the schedule group unless it exists, for tests and local setup; deployments
    /// create it from the SAM template.
    pub async fn create_group_if_missing(&self) -> Result<(), ScheduleError> {
        let group = &self.group;
        match self.client.get_schedule_group().name(group).send().await {
            Ok(_) => return Ok(()),
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(failure(group, "GetScheduleGroup", e)),
        }
        match self.client.create_schedule_group().name(group).send().await {
            Ok(_) => Ok(()),
            // Created meanwhile by someone else: what we wanted.
            Err(e) if code(&e) == Some("ConflictException") => Ok(()),
            Err(e) => Err(failure(group, "CreateScheduleGroup", e)),
        }
    }

    fn name(instance: InstanceId) -> String {
        format!("pollhook-{instance}")
    }

    /// `group/name`, how messages name a schedule.
    fn qualified(&self, instance: InstanceId) -> String {
        format!("{}/{}", self.group, Self::name(instance))
    }

    fn target(&self, instance: InstanceId) -> Result<Target, ScheduleError> {
        let input = serde_json::json!({ "instanceId": instance.0 }).to_string();
        Target::builder()
            .arn(&self.target_arn)
            .role_arn(&self.role_arn)
            .input(input)
            .build()
            .map_err(|e| self.invalid(instance, e))
    }

    fn window(
        &self,
        instance: InstanceId,
        minutes: u32,
    ) -> Result<FlexibleTimeWindow, ScheduleError> {
        let window = i32::try_from(flexible_window_minutes(minutes)).unwrap_or(1);
        FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Flexible)
            .maximum_window_in_minutes(window)
            .build()
            .map_err(|e| self.invalid(instance, e))
    }

    /// A request builder missing a required field: a bug here, reported rather than panicking.
    fn invalid(&self, instance: InstanceId, e: impl std::fmt::Display) -> ScheduleError {
        ScheduleError::Rejected {
            schedule: self.qualified(instance),
            message: format!("building the request: {e}"),
        }
    }

    /// The schedule as stored; `NotFound` when it does not exist.
    async fn get(&self, instance: InstanceId) -> Result<GetScheduleOutput, ScheduleError> {
        let schedule = self.qualified(instance);
        self.client
            .get_schedule()
            .group_name(&self.group)
            .name(Self::name(instance))
            .send()
            .await
            .map_err(|e| {
                if is_not_found(&e) {
                    ScheduleError::NotFound { schedule }
                } else {
                    failure(&self.qualified(instance), "GetSchedule", e)
                }
            })
    }

    /// Replaces an existing schedule's interval, target and window, keeping its state.
    async fn update_interval(
        &self,
        instance: InstanceId,
        minutes: u32,
    ) -> Result<(), ScheduleError> {
        let current = self.get(instance).await?;
        self.client
            .update_schedule()
            .group_name(&self.group)
            .name(Self::name(instance))
            .schedule_expression(rate_expression(minutes))
            .flexible_time_window(self.window(instance, minutes)?)
            .target(self.target(instance)?)
            .set_description(current.description().map(str::to_owned))
            .set_state(current.state().cloned())
            .send()
            .await
            .map_err(|e| failure(&self.qualified(instance), "UpdateSchedule", e))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl PollSchedules for EventBridgeSchedules {
    async fn upsert(&self, instance: InstanceId, minutes: u32) -> Result<(), ScheduleError> {
        let minutes = checked_minutes(instance, minutes)?;
        let created = self
            .client
            .create_schedule()
            .group_name(&self.group)
            .name(Self::name(instance))
            .description(format!("pollhook polls of instance {instance}"))
            .schedule_expression(rate_expression(minutes))
            .flexible_time_window(self.window(instance, minutes)?)
            .target(self.target(instance)?)
            .state(ScheduleState::Enabled)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if code(&e) == Some("ConflictException") => {
                self.update_interval(instance, minutes).await
            }
            Err(e) if is_not_found(&e) => Err(ScheduleError::GroupMissing {
                group: self.group.clone(),
            }),
            Err(e) => Err(failure(&self.qualified(instance), "CreateSchedule", e)),
        }
    }

    async fn set_enabled(&self, instance: InstanceId, enabled: bool) -> Result<(), ScheduleError> {
        let wanted = if enabled {
            ScheduleState::Enabled
        } else {
            ScheduleState::Disabled
        };
        let current = self.get(instance).await?;
        if current.state() == Some(&wanted) {
            return Ok(());
        }
        // UpdateSchedule replaces the whole schedule: carry everything over but the state.
        let incomplete = |field: &str| ScheduleError::Rejected {
            schedule: self.qualified(instance),
            message: format!("the stored schedule has no {field}; upsert it again"),
        };
        let expression = current
            .schedule_expression()
            .ok_or_else(|| incomplete("expression"))?;
        let window = current
            .flexible_time_window()
            .ok_or_else(|| incomplete("flexible time window"))?;
        let target = current.target().ok_or_else(|| incomplete("target"))?;
        self.client
            .update_schedule()
            .group_name(&self.group)
            .name(Self::name(instance))
            .schedule_expression(expression)
            .set_schedule_expression_timezone(
                current.schedule_expression_timezone().map(str::to_owned),
            )
            .flexible_time_window(window.clone())
            .target(target.clone())
            .set_description(current.description().map(str::to_owned))
            .set_start_date(current.start_date().cloned())
            .set_end_date(current.end_date().cloned())
            .set_kms_key_arn(current.kms_key_arn().map(str::to_owned))
            .set_action_after_completion(current.action_after_completion().cloned())
            .state(wanted)
            .send()
            .await
            .map_err(|e| failure(&self.qualified(instance), "UpdateSchedule", e))?;
        Ok(())
    }

    async fn remove(&self, instance: InstanceId) -> Result<(), ScheduleError> {
        let deleted = self
            .client
            .delete_schedule()
            .group_name(&self.group)
            .name(Self::name(instance))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(failure(&self.qualified(instance), "DeleteSchedule", e)),
        }
    }
}

/// How late a poll may start: half the interval (so successive polls stay apart), between 1
/// and 15 minutes (so a daily poll is not pushed back by hours).
pub fn flexible_window_minutes(minutes: u32) -> u32 {
    (minutes / 2).clamp(1, MAX_FLEXIBLE_WINDOW_MINUTES)
}

/// The service's error code, when the service answered.
fn code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<&str> {
    e.as_service_error().and_then(ProvideErrorMetadata::code)
}

fn is_not_found<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    code(e) == Some("ResourceNotFoundException")
}

/// An SDK failure as the port reports it: throttling, outages and unreachable endpoints are
/// worth retrying; anything else the service refused is not.
fn failure<E, R>(schedule: &str, operation: &str, e: SdkError<E, R>) -> ScheduleError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let transient = matches!(
        code(&e),
        None | Some("ThrottlingException" | "InternalServerException")
    );
    let schedule = schedule.to_owned();
    let message = format!("{operation}: {}", DisplayErrorContext(&e));
    if transient {
        ScheduleError::Unavailable { schedule, message }
    } else {
        ScheduleError::Rejected { schedule, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flexible_window_is_half_the_interval_between_1_and_15_minutes() {
        assert_eq!(flexible_window_minutes(1), 1);
        assert_eq!(flexible_window_minutes(2), 1);
        assert_eq!(flexible_window_minutes(15), 7);
        assert_eq!(flexible_window_minutes(30), 15);
        assert_eq!(flexible_window_minutes(1440), 15);
    }
}
