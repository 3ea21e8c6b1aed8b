//! `pollhook demo`: pollhook end to end on one machine with no setup. Runs both vendor
//! simulators, a verifying webhook receiver and pollhook itself in this process, registers the
//! two seed bodies, makes changes, and prints the events as they arrive.

mod http;
mod receiver;
mod script;
mod setup;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use pollhook_simulators::{sagecrm, sageone, spawn};
use tokio::sync::watch;

use crate::serve::{self, AccountSecrets, ServeArgs};
use http::{Api, Simulator};
use receiver::{Known, Receiver, Tally};
use setup::{Instance, Targets};

/// Fixed demo secrets, printed so the user can call the API while the demo runs.
const ORGANIZATION_SECRET: &str = "demo-organization-secret";
const USER_SECRET: &str = "demo-user-secret";
/// The `event.notification.signature.key` of both instances (Open Connectors' signature).
const SIGNATURE_KEY: &str = "demo-signature-key";
/// Element keys, as notifications name them.
const CRM: &str = "sagecrm";
const ACCOUNTING: &str = "sageone";
/// `--once` fails when the first round has not arrived within this.
const ONCE_DEADLINE: Duration = Duration::from_secs(60);
/// Time between the ongoing changes after the first round.
const CHANGE_EVERY: Duration = Duration::from_secs(20);

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Address of pollhook's API (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Exit 0 once CREATED and UPDATED events of both instances arrived verified (non-zero after 60 s).
    #[arg(long)]
    once: bool,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    serve::init_logging(false, "warn");
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(demo(args))
}

/// Wall-clock time for output lines.
fn clock() -> String {
    chrono::Local::now().format("%H:%M:%S").to_string()
}

async fn demo(args: DemoArgs) -> anyhow::Result<()> {
    let crm = spawn(sagecrm::router(sagecrm::Options::default()))
        .await
        .context("cannot start the Sage CRM simulator")?;
    let accounting = spawn(sageone::router(sageone::Options::default()))
        .await
        .context("cannot start the Sage Accounting simulator")?;
    let receiver = Receiver::start(SIGNATURE_KEY).await?;
    let data = tempfile::tempdir().context("cannot create a temporary data directory")?;
    let db = data.path().join("pollhook.db");
    let flags: Vec<std::ffi::OsString> = vec![
        "--listen".into(),
        args.listen.to_string().into(),
        "--db".into(),
        db.into_os_string(),
        "--allow-private-callbacks".into(),
        "--retry-schedule".into(),
        "1s,5s,30s".into(),
    ];
    let serve_args = ServeArgs::from_flags(flags)?.with_account(AccountSecrets {
        organization: ORGANIZATION_SECRET.to_owned(),
        user: USER_SECRET.to_owned(),
    });
    let (stop, mut stopping) = watch::channel(false);
    let pollhook = serve::start(serve_args, async move {
        let _ = stopping.wait_for(|s| *s).await;
    })
    .await
    .with_context(|| {
        format!(
            "cannot start pollhook on {} (in use? try --listen 127.0.0.1:0)",
            args.listen
        )
    })?;
    let api = Api::new(
        format!("http://{}", pollhook.addr),
        format!("User {USER_SECRET}, Organization {ORGANIZATION_SECRET}"),
    )?;
    let session = Session {
        api,
        crm: Simulator::new(crm.base_url()),
        accounting: Simulator::new(accounting.base_url()),
        receiver: &receiver,
    };
    let outcome = if args.once {
        tokio::select! {
            r = tokio::time::timeout(ONCE_DEADLINE, session.first_round_verified()) => match r {
                Ok(r) => r,
                Err(_) => Err(anyhow::anyhow!(
                    "the first round of events (CREATED and UPDATED from both instances, verified) did not arrive within {} s",
                    ONCE_DEADLINE.as_secs()
                )),
            },
            _ = serve::shutdown_signal() => Err(anyhow::anyhow!("interrupted before the first round of events arrived")),
        }
    } else {
        tokio::select! {
            r = session.until_stopped() => r,
            _ = serve::shutdown_signal() => {
                println!("{}  stopping", clock());
                Ok(())
            }
        }
    };
    let _ = stop.send(true);
    let stopped = pollhook.stopped().await;
    drop(receiver);
    drop(crm);
    drop(accounting);
    drop(data);
    outcome.and(stopped)
}

/// Everything running, from the demo's side.
struct Session<'a> {
    api: Api,
    crm: Simulator,
    accounting: Simulator,
    receiver: &'a Receiver,
}

impl Session<'_> {
    /// Registers both instances and tells the receiver their secrets.
    async fn register(&self) -> anyhow::Result<(Instance, Instance)> {
        let targets = Targets {
            callback_url: &self.receiver.url,
            signature_key: SIGNATURE_KEY,
        };
        let crm = setup::sage_crm(&self.api, &self.crm, &targets).await?;
        let accounting = setup::sage_accounting(&self.api, &self.accounting, &targets).await?;
        for instance in [&crm, &accounting] {
            self.receiver.expect(
                instance.id,
                Known {
                    name: instance.name.clone(),
                    secret: instance.secret.clone(),
                },
            );
        }
        Ok((crm, accounting))
    }

    fn header(&self, instances: &[&Instance]) {
        let api = &self.api.base;
        let auth = &self.api.authorization;
        println!();
        println!("pollhook demo: pollhook, two vendor simulators and a webhook receiver, all in this process.");
        println!();
        println!("  pollhook API       {api}   (data in a temporary directory, removed on exit)");
        println!(
            "  Sage CRM           {}   (simulator; admin API under /_sim/)",
            self.crm.base
        );
        println!(
            "  Sage Accounting    {}   (simulator; admin API under /_sim/)",
            self.accounting.base
        );
        println!(
            "  webhook receiver   {}   (verifies both signatures)",
            self.receiver.url
        );
        println!();
        println!("  Authorization: {auth}");
        println!();
        println!("Registered the two Open Connectors seed bodies (polling every minute):");
        for i in instances {
            println!(
                "  id {:<17} {:<15} {:<8} {}",
                i.id,
                i.name,
                i.element,
                i.resources.join(", ")
            );
        }
        println!();
        println!("Try, while the demo runs:");
        println!("  curl -s {api}/instances -H 'Authorization: {auth}'");
        if let Some(first) = instances.first() {
            println!(
                "  curl -s {api}/instances/{}/events -H 'Authorization: {auth}'",
                first.id
            );
        }
        println!();
        println!(
            "Changes made in the simulators, and the events the receiver gets (Ctrl-C stops):"
        );
    }

    async fn start(&self) -> anyhow::Result<script::Script> {
        let (crm, accounting) = self.register().await?;
        self.header(&[&crm, &accounting]);
        Ok(script::Script::new(
            self.api.clone(),
            self.crm.clone(),
            self.accounting.clone(),
            crm.id,
            accounting.id,
        ))
    }

    /// `--once`: the first round, then success once it has arrived verified.
    async fn first_round_verified(&self) -> anyhow::Result<()> {
        let mut script = self.start().await?;
        let mut tally = self.receiver.tally();
        script.first_round(tally.clone()).await?;
        let done = tally
            .wait_for(|t| t.mismatches > 0 || first_round_in(t))
            .await
            .context("the receiver stopped")?
            .clone();
        if done.mismatches > 0 {
            anyhow::bail!(
                "{} notification(s) failed signature verification",
                done.mismatches
            );
        }
        println!(
            "{}  first round received: CREATED and UPDATED from both instances, signatures verified",
            clock()
        );
        Ok(())
    }

    /// The interactive demo: the first round, then a change every little while, until stopped.
    async fn until_stopped(&self) -> anyhow::Result<()> {
        let mut script = self.start().await?;
        script.first_round(self.receiver.tally()).await?;
        script.keep_changing(CHANGE_EVERY).await
    }
}

/// CREATED and UPDATED, verified, from both elements.
fn first_round_in(tally: &Tally) -> bool {
    [CRM, ACCOUNTING].iter().all(|element| {
        ["CREATED", "UPDATED"].iter().all(|kind| {
            tally
                .verified
                .contains(&(element.to_string(), kind.to_string()))
        })
    })
}
