//! create-instance: the public API behind API Gateway, the same Router as local mode.
//!
//! Deployed (`POLLHOOK_TABLE` set), it runs on DynamoDB with secrets under the table's KMS
//! envelope key, keeps one EventBridge Scheduler schedule per instance, and sends what
//! `POST /instances/{id}/poll` and replays produce to the SQS delivery queue. Without
//! `POLLHOOK_TABLE`, it runs on a SQLite file (`POLLHOOK_DB`, default `/tmp/pollhook.db`),
//! which suits `cargo lambda watch` but not a fleet of containers.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use pollhook_core::adapters::aws_env::{required, var, AwsEnv};
use pollhook_core::adapters::scheduler::EventBridgeSchedules;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::callback_guard::{guarded_client, CallbackGuard};
use pollhook_core::cloudwatch_emf::EmfRecorder;
use pollhook_core::console::SessionKey;
use pollhook_core::dispatch::{Dispatcher, PollThenDispatch, ReplayThenDispatch};
use pollhook_core::poll_runner::{ElementAuthorizer, PollRunner};
use pollhook_core::poller::PollerSettings;
use pollhook_core::ports::SystemClock;
use pollhook_core::secret_box::SecretBox;

/// The organization and user the deployment's secrets stand for.
const ORGANIZATION: &str = "default";
const USER: &str = "default";

/// The API on DynamoDB, SQS and EventBridge Scheduler, clients built once per container.
async fn on_aws(client: reqwest::Client, guard: CallbackGuard) -> anyhow::Result<ApiState> {
    let aws = AwsEnv::from_env().await?;
    let store = aws.store.clone();
    store
        .upsert_account(
            ORGANIZATION,
            USER,
            &required("POLLHOOK_ORGANIZATION_SECRET")?,
            &required("POLLHOOK_USER_SECRET")?,
        )
        .await?;
    let mut state = ApiState::on_store(store.clone());
    if var("POLLHOOK_QUEUE_URL").is_some() {
        let dispatcher = Dispatcher {
            outbox: store.clone(),
            queue: Arc::new(aws.queue()?),
        };
        let runner = PollRunner {
            instances: store.clone(),
            polls: store.clone(),
            client,
            guard,
            clock: Arc::new(SystemClock),
            settings: PollerSettings::default(),
            metrics: Some(Arc::new(EmfRecorder::stdout())),
        };
        state = state.with_poller(Arc::new(PollThenDispatch {
            poller: Arc::new(runner),
            dispatcher: dispatcher.clone(),
        }));
        state.delivery = Arc::new(ReplayThenDispatch {
            store: store.clone(),
            dispatcher,
        });
    }
    if let Some(group) = var("POLLHOOK_SCHEDULE_GROUP") {
        let schedules = EventBridgeSchedules::new(
            &aws.config,
            group,
            required("POLLHOOK_POLL_FUNCTION_ARN")?,
            required("POLLHOOK_SCHEDULER_ROLE_ARN")?,
        );
        state = state.with_schedules(Arc::new(schedules));
    }
    Ok(state)
}

/// The API on a SQLite file, for `cargo lambda watch`.
fn on_sqlite() -> anyhow::Result<ApiState> {
    let key = required("POLLHOOK_SECRET_KEY")?;
    let secrets = SecretBox::from_base64(&key).context("POLLHOOK_SECRET_KEY")?;
    let db = PathBuf::from(var("POLLHOOK_DB").unwrap_or_else(|| "/tmp/pollhook.db".into()));
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
    lambda_http::tracing::init_default_subscriber();
    // Only for tests against receivers and simulators on loopback; never set in a deployment.
    let allow_private = var("POLLHOOK_ALLOW_PRIVATE_CALLBACKS").is_some_and(|v| v == "1");
    // Vendor addresses (polls, the Sage Accounting code exchange) get the callbacks' guard.
    let guard = CallbackGuard { allow_private };
    let client = guarded_client(
        guard.clone(),
        Duration::from_secs(30),
        concat!("pollhook/", env!("CARGO_PKG_VERSION")),
    );
    let state = match var("POLLHOOK_TABLE") {
        Some(_) => on_aws(client.clone(), guard).await?,
        None => on_sqlite()?,
    };
    // Console sessions are signed cookies: every container derives the same key from the
    // secrets they are all given, so a session works on whichever container answers.
    let console_key = SessionKey::derive(&[
        &required("POLLHOOK_ORGANIZATION_SECRET")?,
        &required("POLLHOOK_USER_SECRET")?,
    ]);
    let state = state
        .with_authorizer(Arc::new(ElementAuthorizer { client }))
        .allow_private_callbacks(allow_private)
        .with_console_key(console_key);
    lambda_http::run(router(state)).await
}
