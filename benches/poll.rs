//! One poll reading 10,000 changed records (100 pages of 100) from the Sage CRM simulator over
//! loopback HTTP and queueing their events in SQLite. Prints records/s and memory; the figures
//! go into BENCHMARKS.md. Run: `cargo bench --bench poll`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::credentials::digest;
use pollhook_core::instance::{Instance, InstanceId, InstanceSpec};
use pollhook_core::poll_runner::PollRunner;
use pollhook_core::poller::PollerSettings;
use pollhook_core::ports::{InstanceStore, SystemClock};
use pollhook_core::secret_box::SecretBox;
use serde_json::{json, Value};

const PAGE: usize = 100;

/// Threads of the simulator's runtime, left out of pollhook's own CPU time.
const SIM_THREAD: &str = "simulator";

/// CPU time (user + system) of this process's threads other than the simulator's, from /proc:
/// what pollhook itself spent, whichever of its threads (runtime, SQLite) did the work.
fn pollhook_cpu() -> Duration {
    let ticks_per_sec = 100.0; // USER_HZ on Linux
    let mut ticks = 0u64;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if name.trim() == SIM_THREAD {
                continue;
            }
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            // Fields after the ")" that ends the command name; utime and stime are 14 and 15.
            let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let field = |i: usize| {
                fields
                    .get(i)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            };
            ticks += field(11) + field(12);
        }
    }
    Duration::from_secs_f64(ticks as f64 / ticks_per_sec)
}

/// Resident set size now and at its peak, in KiB, from /proc (Linux).
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this once, small, as a smoke test.
    let full = std::env::args().any(|a| a == "--bench");
    let (records, runs) = if full { (10_000, 5) } else { (1_000, 1) };
    // The simulator gets its own runtime thread; the poll runs on one core (current-thread runtime).
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(SIM_THREAD)
        .enable_all()
        .build()
        .expect("runtime");
    let sim = sim_rt
        .block_on(pollhook_simulators::spawn(
            pollhook_simulators::sagecrm::router(Default::default()),
        ))
        .expect("simulator");
    let base = sim.base_url().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let http = reqwest::Client::new();
        // Every record changes after the instance exists.
        let created = Utc::now() - chrono::Duration::seconds(1);
        let at = (Utc::now() + chrono::Duration::seconds(5)).to_rfc3339_opts(SecondsFormat::Secs, true);
        http.post(format!("{base}/_sim/clock")).json(&json!({"now": at})).send().await.expect("clock");
        let batch: Vec<Value> = (0..records).map(|i| json!({"Comp_Name": format!("Company {i}"), "Comp_Website": "https://example.com"})).collect();
        let r = http.post(format!("{base}/_sim/company")).json(&batch).send().await.expect("seed");
        assert!(r.status().is_success(), "seeding the simulator: {}", r.status());

        let mut body: Value = serde_json::from_str(include_str!("../tests/fixtures/sagecrm-seed.json")).expect("seed");
        body["configuration"]["base.url"] = json!(base);
        let poller = body["configuration"]["event.poller.configuration"].as_object_mut().expect("poller");
        poller.retain(|k, _| k == "accounts");
        poller["accounts"]["pageSize"] = json!(PAGE);
        let spec = InstanceSpec::from_body(&body).expect("valid");
        let mut rates = Vec::new();
        let mut cpu_rates = Vec::new();
        let (_, peak_before) = memory_kib();
        for run in 0..runs {
            let store = Arc::new(SqliteStore::open_in_memory(SecretBox::from_key(&[9; 32])).expect("store"));
            let instance = Instance {
                id: InstanceId(1),
                organization_id: "local".into(),
                spec: spec.clone(),
                token_digest: digest("t"),
                created_date: created,
                updated_date: created,
            };
            store.upsert_account("local", "local", "o", "u").expect("account");
            store.insert(&instance).await.expect("insert");
            let runner = PollRunner {
                instances: store.clone(),
                polls: store.clone(),
                client: http.clone(),
                // The vendor is a simulator on loopback.
                guard: pollhook_core::callback_guard::CallbackGuard { allow_private: true },
                clock: Arc::new(SystemClock),
                settings: PollerSettings::default(),
                metrics: None,
            };
            let started = Instant::now();
            let cpu_before = pollhook_cpu();
            let entries = runner.run(&instance).await.expect("poll");
            let elapsed = started.elapsed();
            let cpu = pollhook_cpu().saturating_sub(cpu_before);
            let entry = &entries[0];
            assert_eq!((entry.records, entry.events, entry.pages), (records as u64, records as u64, (records / PAGE) as u32), "{entry:?}");
            let rate = records as f64 / elapsed.as_secs_f64();
            let (rss, peak) = memory_kib();
            let cpu_rate = records as f64 / cpu.as_secs_f64().max(0.01);
            println!("run {run}: {records} records in {:.1} ms = {rate:.0} records/s wall; pollhook's own CPU {:.0} ms = {cpu_rate:.0} records per CPU-second; RSS {} MiB, peak {} MiB", elapsed.as_secs_f64() * 1000.0, cpu.as_secs_f64() * 1000.0, rss / 1024, peak / 1024);
            rates.push(rate);
            cpu_rates.push(cpu_rate);
        }
        rates.sort_by(f64::total_cmp);
        cpu_rates.sort_by(f64::total_cmp);
        let (_, peak_after) = memory_kib();
        println!(
            "poll of {records} records in {} pages: median {:.0} records/s wall (min {:.0}, max {:.0}); pollhook's own CPU: median {:.0} records per CPU-second; peak RSS {} MiB before the polls, {} MiB after",
            records / PAGE,
            rates[rates.len() / 2],
            rates[0],
            rates[rates.len() - 1],
            cpu_rates[cpu_rates.len() / 2],
            peak_before / 1024,
            peak_after / 1024
        );
    });
    drop(sim);
}
