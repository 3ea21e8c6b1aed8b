//! The local AWS emulator (moto server) that the test command starts and names in
//! `POLLHOOK_AWS_ENDPOINT`: one SDK configuration for every test in this binary.

use std::time::{SystemTime, UNIX_EPOCH};

/// The emulator's endpoint; a missing one fails the test rather than skipping it silently, so
/// a broken test command cannot pass.
pub fn endpoint() -> String {
    std::env::var("POLLHOOK_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "POLLHOOK_AWS_ENDPOINT is not set: run the tests through tests/run.sh, which starts \
             the local AWS emulator (moto server) and sets it, or start one \
             (bash infra/local-aws.sh start) and export the endpoint it prints"
        )
    })
}

/// SDK configuration pointed at the emulator, with its fixed test credentials.
pub async fn config() -> aws_config::SdkConfig {
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_else(|_| "test".into()),
        std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_else(|_| "test".into()),
        None,
        None,
        "pollhook-tests",
    );
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new(
            std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
        ))
        .credentials_provider(credentials)
        .load()
        .await
}

/// A name no other test or run uses (tables, queues and schedule groups outlive a test in the
/// emulator, and tests run in parallel).
pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{nanos}", std::process::id())
}
