//! create-instance: the public API behind API Gateway, the same Router as local mode.
//!
//! Until the DynamoDB adapter lands (issue 6), it runs on a SQLite file (`POLLHOOK_DB`,
//! default `/tmp/pollhook.db`), which suits `cargo lambda watch` but not a fleet of containers.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::secret_box::SecretBox;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .json()
        .with_target(false)
        .without_time()
        .init();
    let key =
        env("POLLHOOK_SECRET_KEY").context("POLLHOOK_SECRET_KEY must hold a base64 32-byte key")?;
    let secrets = SecretBox::from_base64(&key).context("POLLHOOK_SECRET_KEY")?;
    let db = PathBuf::from(env("POLLHOOK_DB").unwrap_or_else(|| "/tmp/pollhook.db".into()));
    let store =
        SqliteStore::open(&db, secrets).with_context(|| format!("database {}", db.display()))?;
    let (org, user) = (
        env("POLLHOOK_ORGANIZATION_SECRET"),
        env("POLLHOOK_USER_SECRET"),
    );
    if org.is_none() || user.is_none() {
        return Err("POLLHOOK_ORGANIZATION_SECRET and POLLHOOK_USER_SECRET must be set".into());
    }
    store.bootstrap_local_account(org.as_deref(), user.as_deref())?;
    let store = Arc::new(store);
    let app = router(ApiState::on_store(store));
    lambda_http::run(app).await
}
