//! create-instance: the public API behind API Gateway, the same Router as local mode.
//!
//! Deployed (`POLLHOOK_TABLE` set), it runs on DynamoDB and keeps one EventBridge Scheduler
//! schedule per instance; without it, on a SQLite file (`POLLHOOK_DB`, default
//! `/tmp/pollhook.db`), which suits `cargo lambda watch` but not a fleet of containers.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use pollhook_core::adapters::dynamodb::DynamoStore;
use pollhook_core::adapters::scheduler::EventBridgeSchedules;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;

/// The organization and user the deployment's secrets stand for.
const ORGANIZATION: &str = "default";
const USER: &str = "default";

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &str) -> anyhow::Result<String> {
    env(name).with_context(|| format!("{name} must be set"))
}

/// The API on DynamoDB and EventBridge Scheduler, clients built once per container.
async fn on_aws(table: &str, secrets: SecretBox) -> anyhow::Result<ApiState> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(endpoint) = env("POLLHOOK_AWS_ENDPOINT") {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    let store = DynamoStore::connect(&config, table, secrets).await?;
    store.check_key().await?;
    store
        .upsert_account(
            ORGANIZATION,
            USER,
            &required("POLLHOOK_ORGANIZATION_SECRET")?,
            &required("POLLHOOK_USER_SECRET")?,
        )
        .await?;
    let mut state = ApiState::on_store(Arc::new(store));
    if let Some(group) = env("POLLHOOK_SCHEDULE_GROUP") {
        let schedules = EventBridgeSchedules::new(
            &config,
            group,
            required("POLLHOOK_POLL_FUNCTION_ARN")?,
            required("POLLHOOK_SCHEDULER_ROLE_ARN")?,
        );
        state = state.with_schedules(Arc::new(schedules));
    }
    Ok(state)
}

/// The API on a SQLite file, for `cargo lambda watch`.
fn on_sqlite(secrets: SecretBox) -> anyhow::Result<ApiState> {
    let db = PathBuf::from(env("POLLHOOK_DB").unwrap_or_else(|| "/tmp/pollhook.db".into()));
    let store =
        SqliteStore::open(&db, secrets).with_context(|| format!("database {}", db.display()))?;
    store.bootstrap_local_account(
        Some(&required("POLLHOOK_ORGANIZATION_SECRET")?),
        Some(&required("POLLHOOK_USER_SECRET")?),
    )?;
    Ok(ApiState::on_store(Arc::new(store)))
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .without_time()
        .init();
    let key = required("POLLHOOK_SECRET_KEY")?;
    let secrets = SecretBox::from_base64(&key).context("POLLHOOK_SECRET_KEY")?;
    let state = match env("POLLHOOK_TABLE") {
        Some(table) => on_aws(&table, secrets).await?,
        None => on_sqlite(secrets)?,
    };
    lambda_http::run(router(state)).await
}
