//! `pollhook serve`: the API on a SQLite file, until SIGTERM or Ctrl-C. [`start`] runs the same
//! server from code (the demo embeds it); [`run`] is the CLI path on top of it.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::api::{router, ApiState};
use pollhook_core::callback_guard::{guarded_client, CallbackGuard};
use pollhook_core::deliverer::{Deliverer, DeliverySettings};
use pollhook_core::metrics::Metrics;
use pollhook_core::poll_runner::{ElementAuthorizer, PollRunner};
use pollhook_core::poller::PollerSettings;
use pollhook_core::ports::SystemClock;
use pollhook_core::retry_schedule::RetrySchedule;
use pollhook_core::scheduler::{self, SchedulerSettings};

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
    /// Polls running at once across all instances.
    #[arg(long, env = "POLLHOOK_POLL_CONCURRENCY", default_value_t = 8)]
    poll_concurrency: usize,
    /// Seconds each poll reads behind the last poll's start (clock skew, vendor lag).
    #[arg(long, env = "POLLHOOK_LOOKBACK_SECS", default_value_t = 60)]
    lookback_secs: u64,
    /// Timeout of one vendor call, in seconds.
    #[arg(long, env = "POLLHOOK_VENDOR_TIMEOUT_SECS", default_value_t = 30)]
    vendor_timeout_secs: u64,
    /// Attempts per vendor call on rate limits, 5xx, timeouts and network errors, with backoff
    /// between them (1 s, 2 s, 4 s, ...); 1 makes a poll of an unreachable vendor end at once.
    #[arg(long, env = "POLLHOOK_VENDOR_ATTEMPTS", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=20))]
    vendor_attempts: u32,
    /// Let callbacks and vendor addresses reach private, loopback and link-local addresses
    /// (tests, demos against the simulators, LANs).
    #[arg(long, env = "POLLHOOK_ALLOW_PRIVATE_CALLBACKS", value_parser = clap::builder::FalseyValueParser::new())]
    allow_private_callbacks: bool,
    /// Seconds a callback has to answer before the attempt counts as failed.
    #[arg(long, env = "POLLHOOK_DELIVERY_TIMEOUT_SECS", default_value_t = 15)]
    delivery_timeout_secs: u64,
    /// Delays between delivery attempts, e.g. "5s,5m,30m,2h,5h,10h,10h" (the default).
    #[arg(long, env = "POLLHOOK_RETRY_SCHEDULE")]
    retry_schedule: Option<String>,
    /// Deliveries in flight at once, across all instances.
    #[arg(long, env = "POLLHOOK_DELIVERY_CONCURRENCY", default_value_t = 16)]
    delivery_concurrency: usize,
    /// Mark the web console's session cookie `Secure` on every answer, for a TLS proxy that
    /// sends no `X-Forwarded-Proto: https` (with that header it is `Secure` anyway).
    #[arg(long, env = "POLLHOOK_SECURE_COOKIES", value_parser = clap::builder::FalseyValueParser::new())]
    secure_cookies: bool,
    /// Log as JSON lines instead of text.
    #[arg(long, env = "POLLHOOK_LOG_JSON", value_parser = clap::builder::FalseyValueParser::new())]
    log_json: bool,
    /// Account secrets chosen by an embedding caller; they win over the environment.
    #[arg(skip)]
    account: Option<AccountSecrets>,
}

/// The local account's secrets, as the `Authorization: User .., Organization ..` header uses them.
#[derive(Clone)]
pub struct AccountSecrets {
    pub organization: String,
    pub user: String,
}

/// Parses `serve` flags as the CLI would (environment defaults included), for callers that
/// embed the server and want its defaults kept in one place.
#[derive(clap::Parser)]
struct Flags {
    #[command(flatten)]
    args: ServeArgs,
}

impl ServeArgs {
    /// `flags` as given after `pollhook serve`, e.g. `["--listen", "127.0.0.1:0"]`.
    pub fn from_flags<I, S>(flags: I) -> anyhow::Result<ServeArgs>
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        let argv = std::iter::once(std::ffi::OsString::from("serve"))
            .chain(flags.into_iter().map(Into::into));
        let flags = <Flags as clap::Parser>::try_parse_from(argv).context("serve flags")?;
        Ok(flags.args)
    }

    /// Uses these account secrets instead of `POLLHOOK_ORGANIZATION_SECRET` / `POLLHOOK_USER_SECRET`.
    pub fn with_account(mut self, account: AccountSecrets) -> ServeArgs {
        self.account = Some(account);
        self
    }
}

/// A server started by [`start`]: where it listens, and the task that ends when it has stopped.
pub struct Running {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Waits until the server, the scheduler and the deliverer have stopped.
    pub async fn stopped(self) -> anyhow::Result<()> {
        self.task.await.context("server task failed")?
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_json, "info");
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let running = start(args, shutdown_signal()).await?;
        println!("pollhook listening on http://{}", running.addr);
        running.stopped().await
    })
}

/// Logs to stderr at `default_level` unless `RUST_LOG` says otherwise.
pub fn init_logging(json: bool, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn env_secret(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Opens the store, binds `args.listen`, and runs the API, the scheduler and the deliverer in
/// the background until `shutdown` resolves. Returns once the address is bound.
pub async fn start(
    args: ServeArgs,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Running> {
    // Flags are checked and the address bound before any file is created or secret generated,
    // so a start that fails leaves nothing behind (and shows no secrets it then forgets).
    let schedule = match &args.retry_schedule {
        Some(spec) => {
            RetrySchedule::parse(spec).map_err(|e| anyhow::anyhow!("--retry-schedule: {e}"))?
        }
        None => RetrySchedule::default(),
    };
    // A misspelt crash point would otherwise never fire; the harness wants to hear of it.
    let crash_at = pollhook_core::crash_point::armed()
        .map_err(|e| anyhow::anyhow!("{}: {e}", pollhook_core::crash_point::ENV))?;
    if let Some(spec) = crash_at {
        tracing::warn!(
            step = %spec.point,
            hit = spec.hit,
            "crash point armed: the process kills itself with SIGKILL when it gets there"
        );
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let key_path = args.key_file.clone().unwrap_or_else(|| {
        let mut p = args.db.clone().into_os_string();
        p.push(".key");
        PathBuf::from(p)
    });
    let secrets =
        key_file::load_or_create(env_secret("POLLHOOK_SECRET_KEY").as_deref(), &key_path)?;
    let store = SqliteStore::open(&args.db, secrets)
        .with_context(|| format!("database {}", args.db.display()))?;
    let (organization, user) = match &args.account {
        Some(a) => (Some(a.organization.clone()), Some(a.user.clone())),
        None => (
            env_secret("POLLHOOK_ORGANIZATION_SECRET"),
            env_secret("POLLHOOK_USER_SECRET"),
        ),
    };
    if organization.is_some() || user.is_some() {
        tracing::info!("account secrets taken from the environment; they replace any stored ones");
    }
    let generated = store.bootstrap_local_account(organization.as_deref(), user.as_deref())?;
    if let Some(g) = generated {
        println!("Generated account secrets (shown once; set POLLHOOK_ORGANIZATION_SECRET / POLLHOOK_USER_SECRET to choose your own):");
        println!(
            "  Authorization: User {}, Organization {}",
            g.user_secret, g.organization_secret
        );
    }
    let stale = store.clear_leases()?;
    let claims = store.release_delivery_claims()?;
    if stale + claims > 0 {
        tracing::warn!(
            leases = stale,
            claims,
            "released poll leases and delivery claims of a previous process that did not stop cleanly"
        );
    }
    let store = Arc::new(store);
    // Vendor addresses are the user's choice too: the same guard as callbacks.
    let vendor_guard = CallbackGuard {
        allow_private: args.allow_private_callbacks,
    };
    let client = guarded_client(
        vendor_guard.clone(),
        std::time::Duration::from_secs(args.vendor_timeout_secs.max(1)),
        concat!("pollhook/", env!("CARGO_PKG_VERSION")),
    );
    let metrics = Arc::new(Metrics::new());
    let runner = Arc::new(PollRunner {
        instances: store.clone(),
        polls: store.clone(),
        client: client.clone(),
        guard: vendor_guard,
        clock: Arc::new(SystemClock),
        settings: PollerSettings {
            lookback: std::time::Duration::from_secs(args.lookback_secs),
            max_attempts: args.vendor_attempts,
            ..PollerSettings::default()
        },
        metrics: Some(metrics.clone()),
    });
    let app = router(
        ApiState::on_store(store.clone())
            .allow_private_callbacks(args.allow_private_callbacks)
            .with_poller(runner.clone())
            .with_authorizer(Arc::new(ElementAuthorizer { client }))
            .with_metrics(metrics.clone())
            .with_secure_cookies(args.secure_cookies),
    );
    let guard = CallbackGuard {
        allow_private: args.allow_private_callbacks,
    };
    let timeout = std::time::Duration::from_secs(args.delivery_timeout_secs.max(1));
    let user_agent = concat!("pollhook/", env!("CARGO_PKG_VERSION"));
    let deliverer = Arc::new(Deliverer {
        queue: store.clone(),
        instances: store.clone(),
        client: guarded_client(guard.clone(), timeout, user_agent),
        guard,
        clock: Arc::new(SystemClock),
        settings: DeliverySettings {
            schedule,
            concurrency: args.delivery_concurrency.max(1),
            lease: timeout * 4 + std::time::Duration::from_secs(30),
            ..DeliverySettings::default()
        },
        user_agent: user_agent.to_owned(),
        wake: Some(store.enqueued_signal()),
        metrics: Some(metrics),
    });
    tracing::info!(address = %addr, db = %args.db.display(), "pollhook listening");
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let scheduler_settings = SchedulerSettings {
        concurrency: args.poll_concurrency.max(1),
        ..SchedulerSettings::default()
    };
    let mut scheduler_rx = stop_rx.clone();
    let scheduler = tokio::spawn(scheduler::run(
        runner,
        store,
        scheduler_settings,
        async move {
            let _ = scheduler_rx.wait_for(|stop| *stop).await;
        },
    ));
    let mut deliverer_rx = stop_rx.clone();
    let delivering = tokio::spawn(deliverer.run(async move {
        let _ = deliverer_rx.wait_for(|stop| *stop).await;
    }));
    // Responses go out without Nagle's 40 ms delay.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                let _ = stop_tx.send(true);
            })
            .await
            .context("server error");
        drop(stop_rx);
        if let Err(e) = scheduler.await {
            tracing::error!(error = %e, "scheduler stopped abnormally");
        }
        if let Err(e) = delivering.await {
            tracing::error!(error = %e, "deliverer stopped abnormally");
        }
        tracing::info!("pollhook stopped");
        served
    });
    Ok(Running { addr, task })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
