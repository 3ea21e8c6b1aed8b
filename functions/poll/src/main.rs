//! poll: invoked by an instance's EventBridge schedule with `{"instanceId": ...}`.
//!
//! The poll cycle itself lands with issue 4; until then the function reads its input and
//! fails loudly, so a schedule wired too early shows up as errors rather than silent success.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::Deserialize;

/// What each instance's schedule sends.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PollRequest {
    instance_id: u64,
}

async fn handle(event: LambdaEvent<PollRequest>) -> Result<(), Error> {
    tracing::error!(
        instance_id = event.payload.instance_id,
        "poll cycle not implemented yet (issue 4)"
    );
    Err(format!(
        "instance {}: polling is not implemented in this build",
        event.payload.instance_id
    )
    .into())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .without_time()
        .init();
    lambda_runtime::run(service_fn(handle)).await
}
