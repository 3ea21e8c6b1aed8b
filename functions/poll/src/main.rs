//! poll: invoked by an instance's EventBridge schedule with `{"instanceId": ...}`; runs one
//! poll cycle on DynamoDB, then hands the new notifications to the SQS delivery queue.
//!
//! Events and notifications are stored with their page and the watermark moves last; the
//! queue is fed after, from the outbox, so a crash anywhere loses nothing and repeats nothing.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use pollhook_core::adapters::aws_env::{var, AwsEnv};
use pollhook_core::callback_guard::{guarded_client, CallbackGuard};
use pollhook_core::cloudwatch_emf::EmfRecorder;
use pollhook_core::dispatch::{Dispatcher, PollThenDispatch};
use pollhook_core::instance::InstanceId;
use pollhook_core::poll_runner::PollRunner;
use pollhook_core::poller::PollerSettings;
use pollhook_core::ports::{InstanceStore, PollNowError, PollTrigger, SystemClock};
use serde::Deserialize;
use serde_json::{json, Value};

/// What each instance's schedule sends.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScheduledPoll {
    instance_id: InstanceId,
}

struct Poll {
    instances: Arc<dyn InstanceStore>,
    trigger: PollThenDispatch,
}

async fn handle(poll: &Poll, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let request: ScheduledPoll = serde_json::from_value(event.payload)
        .map_err(|e| format!("event: expected {{\"instanceId\": <positive integer>}}: {e}"))?;
    let id = request.instance_id;
    let Some(instance) = poll.instances.find(id).await? else {
        tracing::warn!(instance_id = %id, "scheduled poll of an instance that no longer exists");
        return Ok(json!({"instanceId": id, "skipped": "no such instance"}));
    };
    match poll.trigger.poll_now(&instance).await {
        Ok(entries) => Ok(json!({"instanceId": id, "polls": entries})),
        Err(skip @ (PollNowError::Busy | PollNowError::EventsDisabled)) => {
            tracing::info!(instance_id = %id, reason = %skip, "poll skipped");
            Ok(json!({"instanceId": id, "skipped": skip.to_string()}))
        }
        Err(e) => Err(format!("instance {id}: {e}").into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = AwsEnv::from_env().await?;
    let vendor_timeout = var("POLLHOOK_VENDOR_TIMEOUT_SECS")
        .map(|s| s.parse::<u64>().context("POLLHOOK_VENDOR_TIMEOUT_SECS"))
        .transpose()?
        .unwrap_or(30);
    // Vendor addresses are checked as callbacks are; loopback only for tests.
    let guard = CallbackGuard {
        allow_private: var("POLLHOOK_ALLOW_PRIVATE_CALLBACKS").is_some_and(|v| v == "1"),
    };
    let client = guarded_client(
        guard.clone(),
        Duration::from_secs(vendor_timeout.max(1)),
        concat!("pollhook/", env!("CARGO_PKG_VERSION")),
    );
    let runner = PollRunner {
        instances: aws.store.clone(),
        polls: aws.store.clone(),
        client,
        guard,
        clock: Arc::new(SystemClock),
        settings: PollerSettings::default(),
        metrics: Some(Arc::new(EmfRecorder::stdout())),
    };
    let poll = Poll {
        instances: aws.store.clone(),
        trigger: PollThenDispatch {
            poller: Arc::new(runner),
            dispatcher: Dispatcher {
                outbox: aws.store.clone(),
                queue: Arc::new(aws.queue()?),
            },
        },
    };
    let poll = &poll;
    lambda_runtime::run(service_fn(move |event| handle(poll, event))).await
}
