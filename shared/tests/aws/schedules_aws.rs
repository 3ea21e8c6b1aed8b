//! The EventBridge Scheduler adapter against the local AWS emulator (moto server) that the test
//! command starts; `POLLHOOK_AWS_ENDPOINT` says where it listens.
use crate::emulator::{config, unique};
use aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput;
use aws_sdk_scheduler::types::{FlexibleTimeWindowMode, ScheduleState};
use pollhook_core::adapters::scheduler::EventBridgeSchedules;
use pollhook_core::instance::InstanceId;
use pollhook_core::schedule::{PollSchedules, ScheduleError};

const TARGET: &str = "arn:aws:lambda:us-east-1:123456789012:function:pollhook-poll";
const ROLE: &str = "arn:aws:iam::123456789012:role/pollhook-scheduler";

/// The adapter on a group of its own (so runs and tests never see each other's schedules) and
/// a raw client to read back what it wrote.
async fn fixture(test: &str) -> (EventBridgeSchedules, aws_sdk_scheduler::Client, String) {
    let config = config().await;
    let group = unique(&format!("pollhook-test-{test}"));
    let schedules = EventBridgeSchedules::new(&config, &group, TARGET, ROLE);
    schedules
        .create_group_if_missing()
        .await
        .expect("creating the schedule group");
    // A second call finds the group and is a no-op.
    schedules
        .create_group_if_missing()
        .await
        .expect("creating an existing schedule group");
    (schedules, aws_sdk_scheduler::Client::new(&config), group)
}

async fn read_back(
    client: &aws_sdk_scheduler::Client,
    group: &str,
    instance: InstanceId,
) -> Option<GetScheduleOutput> {
    let got = client
        .get_schedule()
        .group_name(group)
        .name(format!("pollhook-{instance}"))
        .send()
        .await;
    match got {
        Ok(schedule) => Some(schedule),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            None
        }
        Err(e) => panic!(
            "GetSchedule failed: {}",
            aws_sdk_scheduler::error::DisplayErrorContext(&e)
        ),
    }
}

async fn existing(
    client: &aws_sdk_scheduler::Client,
    group: &str,
    instance: InstanceId,
) -> GetScheduleOutput {
    read_back(client, group, instance)
        .await
        .unwrap_or_else(|| panic!("schedule pollhook-{instance} should exist in {group}"))
}

#[tokio::test]
async fn upsert_creates_then_updates_the_schedule() {
    let (schedules, client, group) = fixture("upsert").await;
    let id = InstanceId(9_007_199_254_740_991);

    schedules.upsert(id, 15).await.expect("creating");
    let created = existing(&client, &group, id).await;
    assert_eq!(created.schedule_expression(), Some("rate(15 minutes)"));
    assert_eq!(created.state(), Some(&ScheduleState::Enabled));
    let target = created.target().expect("a target");
    assert_eq!(target.arn(), TARGET);
    assert_eq!(target.role_arn(), ROLE);
    let input: serde_json::Value =
        serde_json::from_str(target.input().expect("an input")).expect("JSON input");
    assert_eq!(
        input,
        serde_json::json!({ "instanceId": 9_007_199_254_740_991u64 })
    );
    let window = created.flexible_time_window().expect("a flexible window");
    assert_eq!(window.mode(), &FlexibleTimeWindowMode::Flexible);
    assert_eq!(window.maximum_window_in_minutes(), Some(7));

    schedules.upsert(id, 1).await.expect("updating");
    let updated = existing(&client, &group, id).await;
    assert_eq!(updated.schedule_expression(), Some("rate(1 minute)"));
    assert_eq!(updated.state(), Some(&ScheduleState::Enabled));

    schedules
        .upsert(id, 1)
        .await
        .expect("upserting the same again");
    let same = existing(&client, &group, id).await;
    assert_eq!(same.schedule_expression(), Some("rate(1 minute)"));
}

#[tokio::test]
async fn set_enabled_pauses_and_resumes_and_upsert_keeps_the_pause() {
    let (schedules, client, group) = fixture("enabled").await;
    let id = InstanceId(42);
    schedules.upsert(id, 5).await.expect("creating");

    schedules.set_enabled(id, false).await.expect("pausing");
    let paused = existing(&client, &group, id).await;
    assert_eq!(paused.state(), Some(&ScheduleState::Disabled));
    assert_eq!(paused.schedule_expression(), Some("rate(5 minutes)"));
    let input = paused.target().and_then(|t| t.input());
    assert_eq!(input, Some(r#"{"instanceId":42}"#));

    schedules
        .set_enabled(id, false)
        .await
        .expect("pausing twice");
    schedules
        .upsert(id, 30)
        .await
        .expect("a new interval while paused");
    let still_paused = existing(&client, &group, id).await;
    assert_eq!(still_paused.state(), Some(&ScheduleState::Disabled));
    assert_eq!(still_paused.schedule_expression(), Some("rate(30 minutes)"));

    schedules.set_enabled(id, true).await.expect("resuming");
    let resumed = existing(&client, &group, id).await;
    assert_eq!(resumed.state(), Some(&ScheduleState::Enabled));
    assert_eq!(resumed.schedule_expression(), Some("rate(30 minutes)"));
}

#[tokio::test]
async fn remove_deletes_and_removing_again_is_ok() {
    let (schedules, client, group) = fixture("remove").await;
    let id = InstanceId(7);
    schedules.upsert(id, 60).await.expect("creating");
    assert!(read_back(&client, &group, id).await.is_some());

    schedules.remove(id).await.expect("removing");
    assert!(read_back(&client, &group, id).await.is_none());
    schedules
        .remove(id)
        .await
        .expect("removing a removed schedule");
}

#[tokio::test]
async fn switching_a_missing_schedule_names_it() {
    let (schedules, _client, group) = fixture("missing").await;
    let err = schedules.set_enabled(InstanceId(3), true).await.err();
    assert!(
        matches!(&err, Some(ScheduleError::NotFound { schedule }) if *schedule == format!("{group}/pollhook-3")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_bad_interval_is_refused_before_any_request() {
    let (schedules, client, group) = fixture("interval").await;
    let err = schedules.upsert(InstanceId(5), 0).await.err();
    assert!(
        matches!(err, Some(ScheduleError::InvalidInterval { minutes: 0, .. })),
        "{err:?}"
    );
    assert!(read_back(&client, &group, InstanceId(5)).await.is_none());
}
