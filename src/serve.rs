//! `pollhook serve`: the API on a SQLite file, until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};

use crate::key_file;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "POLLHOOK_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, env = "POLLHOOK_DB", default_value = "./pollhook.db")]
    db: PathBuf,
    /// Key file for secrets at rest, used when POLLHOOK_SECRET_KEY is unset [default: <db>.key].
    #[arg(long, env = "POLLHOOK_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "POLLHOOK_LOG_JSON")]
    log_json: bool,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn env_secret(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let key_path = args.key_file.clone().unwrap_or_else(|| {
        let mut p = args.db.clone().into_os_string();
        p.push(".key");
        PathBuf::from(p)
    });
    let secrets = key_file::load_or_create(env_secret("POLLHOOK_SECRET_KEY").as_deref(), &key_path)?;
    let store = SqliteStore::open(&args.db, secrets).with_context(|| format!("database {}", args.db.display()))?;
    let generated = store.bootstrap_local_account(
        env_secret("POLLHOOK_ORGANIZATION_SECRET").as_deref(),
        env_secret("POLLHOOK_USER_SECRET").as_deref(),
    )?;
    if let Some(g) = generated {
        println!("Generated account secrets (shown once; set POLLHOOK_ORGANIZATION_SECRET / POLLHOOK_USER_SECRET to choose your own):");
        println!("  Authorization: User {}, Organization {}", g.user_secret, g.organization_secret);
    }
    let store = Arc::new(store);
    let app = router(ApiState::on_store(store));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(address = %addr, db = %args.db.display(), "pollhook listening");
    println!("pollhook listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("server error")?;
    tracing::info!("pollhook stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        _ = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
