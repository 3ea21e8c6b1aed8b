//! `pollhook simulate sagecrm|sageone --listen ADDR`: run a vendor API simulator (for demos and
//! manual testing of connectors) until SIGTERM or Ctrl-C.

use std::net::SocketAddr;

use anyhow::Context;

#[derive(clap::Args)]
pub struct SimulateArgs {
    #[command(subcommand)]
    vendor: Vendor,
}

#[derive(clap::Subcommand)]
enum Vendor {
    /// Sage CRM REST API (sagecrm2) at /sdata/crmj/sagecrm2/-/{entity}, admin API at /_sim/.
    Sagecrm(SageCrmArgs),
    /// Sage Business Cloud Accounting v3.1 (/contacts) and its OAuth server (/token), admin API at /_sim/.
    Sageone(SageOneArgs),
}

#[derive(clap::Args)]
struct SageCrmArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8091")]
    listen: SocketAddr,
    /// Only accept this Basic-auth user name (any credentials are accepted when unset).
    #[arg(long, requires = "password")]
    username: Option<String>,
    /// Only accept this Basic-auth password.
    #[arg(long, requires = "username")]
    password: Option<String>,
}

#[derive(clap::Args)]
struct SageOneArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8092")]
    listen: SocketAddr,
    /// Only accept this OAuth client id at /token (any is accepted when unset).
    #[arg(long, requires = "client_secret")]
    client_id: Option<String>,
    /// Only accept this OAuth client secret at /token.
    #[arg(long, requires = "client_id")]
    client_secret: Option<String>,
}

pub fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let (listen, router) = match args.vendor {
        Vendor::Sagecrm(a) => (
            a.listen,
            pollhook_simulators::sagecrm::router(pollhook_simulators::sagecrm::Options {
                username: a.username,
                password: a.password,
            }),
        ),
        Vendor::Sageone(a) => (
            a.listen,
            pollhook_simulators::sageone::router(pollhook_simulators::sageone::Options {
                client_id: a.client_id,
                client_secret: a.client_secret,
            }),
        ),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        println!("simulator listening on http://{addr}");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        pollhook_simulators::serve(listener, router, crate::serve::shutdown_signal())
            .await
            .context("simulator server error")
    })
}
