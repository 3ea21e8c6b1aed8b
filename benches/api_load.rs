//! The API of a real `pollhook serve` process under concurrent load on loopback, and its memory
//! with 10,000 registered instances. Prints throughput, latency percentiles, errors, the CPU
//! split between server and load client, and RSS; the figures go into BENCHMARKS.md.
//! Run: `cargo bench --bench api_load` (about 2.5 minutes); `cargo bench --bench api_load --
//! reads` runs only the read workload (30 s). `cargo test --all-targets` runs it once with tiny
//! numbers, as a smoke test.
//!
//! The load client is a small hyper HTTP/1.1 client on a current-thread runtime (so it takes
//! at most one core): N keep-alive connections with TCP_NODELAY, one request in flight on each.
//! Each workload runs twice: closed loop (every connection sends its next request as soon as
//! the previous one is answered: the throughput ceiling) and open loop at the target rate
//! (requests are due on a fixed schedule, spread over the connections, and latency counts from
//! when a request was due, so a stalled server is not hidden by a client that waits for it).
//!
//! Nothing leaves loopback: registered instances point their vendor API (`base.url`) at an
//! in-process Sage CRM simulator and their callback at an in-process receiver, callbacks are
//! allowed on private addresses (so no DNS lookup), and the 15-minute refresh interval of the
//! seed body means no poll comes due during the run; the bench prints how many requests the
//! simulator and the receiver got (zero expected).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

const ORG_SECRET: &str = "bench-organization-secret";
const USER_SECRET: &str = "bench-user-secret";
/// 32 bytes 0..31, base64: a fixed key so the restarted server opens the same database.
const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Threads of the runtime running the simulator and the receiver (idle unless a poll runs).
const SIM_THREAD: &str = "simulator";
/// One in this many reads of the mixed read workload lists the instances.
const LIST_EVERY: u64 = 10;
/// Seconds the local scheduler waits between re-reads of the instance list, plus margin: after
/// this long it holds a schedule entry for every registered instance.
const SCHEDULER_CATCH_UP: Duration = Duration::from_secs(7);

/// How big each part of the run is: `cargo bench` runs the full sizes, `cargo test` the smoke.
struct Sizes {
    phase: Duration,
    warm_up: Duration,
    connections: usize,
    read_rate: f64,
    register_rate: f64,
    /// Instances the mixed read workload's list returns.
    listed: usize,
    /// Instances held by the server whose memory is measured.
    memory_instances: u64,
    scheduler_wait: Duration,
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let only_reads = std::env::args().any(|a| a == "reads");
    let sizes = if full {
        Sizes {
            phase: Duration::from_secs(10),
            warm_up: Duration::from_secs(2),
            connections: 32,
            read_rate: 5_000.0,
            register_rate: 500.0,
            listed: 10,
            memory_instances: 10_000,
            scheduler_wait: SCHEDULER_CATCH_UP,
        }
    } else {
        Sizes {
            phase: Duration::from_millis(300),
            warm_up: Duration::from_millis(100),
            connections: 4,
            read_rate: 200.0,
            register_rate: 50.0,
            listed: 3,
            memory_instances: 50,
            scheduler_wait: Duration::ZERO,
        }
    };
    // The simulator and the receiver run on their own thread; the load client on this one.
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
    let receiver = sim_rt.block_on(pollhook_simulators::receiver::Receiver::start());
    let mut body: Value =
        serde_json::from_str(include_str!("../tests/fixtures/sagecrm-seed.json")).expect("seed");
    body["configuration"]["base.url"] = json!(sim.base_url());
    body["configuration"]["event.notification.callback.url"] = json!(receiver.url);
    let registration = Bytes::from(serde_json::to_vec(&body).expect("body"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "binary {}; load client: {} connections, one current-thread runtime",
        env!("CARGO_BIN_EXE_pollhook"),
        sizes.connections
    );
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        throughput(&sizes, dir.path(), &registration, only_reads).await;
        if !only_reads {
            memory(&sizes, dir.path(), &registration).await;
        }
    });
    let polled = sim_rt.block_on(async {
        let log = reqwest::get(sim.url("/_sim/requests"))
            .await
            .expect("request log");
        log.json::<Vec<Value>>().await.expect("request log").len()
    });
    let delivered = receiver.receiver.received().len();
    println!(
        "requests that reached the vendor simulator: {polled}; the callback receiver: {delivered}"
    );
    assert_eq!(
        (polled, delivered),
        (0, 0),
        "no poll or delivery should run during the bench"
    );
}

/// Reads (mixed: by id, and the list) and registrations, each closed loop then at its target rate.
async fn throughput(sizes: &Sizes, dir: &Path, registration: &Bytes, only_reads: bool) {
    let server = Server::start(&dir.join("throughput.db"));
    let target = Target::new(server.addr, registration.clone());
    let ids = target.register(sizes.listed).await;
    let target = target.with_ids(ids);
    let reads = Workload::Reads;
    run_phase(
        &server,
        &target,
        "warm-up (reads)",
        reads,
        None,
        sizes.warm_up,
        sizes,
    )
    .await;
    let listed = sizes.listed;
    let label =
        format!("reads, closed loop (9 GET /instances/{{id}} : 1 GET /instances of {listed})");
    run_phase(&server, &target, &label, reads, None, sizes.phase, sizes)
        .await
        .print();
    let label = format!("reads at {} /s (same mix)", sizes.read_rate);
    run_phase(
        &server,
        &target,
        &label,
        reads,
        Some(sizes.read_rate),
        sizes.phase,
        sizes,
    )
    .await
    .print();
    if only_reads {
        return;
    }
    let regs = Workload::Registrations;
    run_phase(
        &server,
        &target,
        "warm-up (registrations)",
        regs,
        None,
        sizes.warm_up,
        sizes,
    )
    .await;
    run_phase(
        &server,
        &target,
        "registrations (POST /instances), closed loop",
        regs,
        None,
        sizes.phase,
        sizes,
    )
    .await
    .print();
    let label = format!("registrations at {} /s", sizes.register_rate);
    run_phase(
        &server,
        &target,
        &label,
        regs,
        Some(sizes.register_rate),
        sizes.phase,
        sizes,
    )
    .await
    .print();
    let (rss, peak) = server.memory_kib();
    println!(
        "  server RSS {} MiB (peak {} MiB) holding {} instances",
        rss / 1024,
        peak / 1024,
        target.count().await
    );
}

/// RSS with `memory_instances` registered: right after registering them, and in a fresh process
/// on the same database once its scheduler holds them all; by-id reads on that table; then
/// the cost of one unpaged `GET /instances`.
async fn memory(sizes: &Sizes, dir: &Path, registration: &Bytes) {
    let db = dir.join("memory.db");
    let mut server = Server::start(&db);
    let (rss, peak) = server.memory_kib();
    println!(
        "memory: server RSS at start {} MiB (peak {} MiB)",
        rss / 1024,
        peak / 1024
    );
    let target = Target::new(server.addr, registration.clone());
    let started = Instant::now();
    let ids = target
        .register_concurrently(sizes.memory_instances, sizes.connections)
        .await;
    let took = started.elapsed().as_secs_f64();
    println!(
        "  registered {} instances in {took:.1} s ({:.0} /s, {} connections)",
        ids.len(),
        ids.len() as f64 / took,
        sizes.connections
    );
    tokio::time::sleep(sizes.scheduler_wait).await;
    let (rss, peak) = server.memory_kib();
    println!(
        "  after registering them and {} s for the scheduler: RSS {} MiB, peak {} MiB",
        sizes.scheduler_wait.as_secs(),
        rss / 1024,
        peak / 1024
    );
    server.restart();
    tokio::time::sleep(sizes.scheduler_wait).await;
    let (rss, peak) = server.memory_kib();
    println!(
        "  restarted on that database, {} s later (every schedule loaded): RSS {} MiB, peak {} MiB",
        sizes.scheduler_wait.as_secs(),
        rss / 1024,
        peak / 1024
    );
    let target = Target::new(server.addr, registration.clone()).with_ids(ids);
    let gets = Workload::GetById;
    let label = format!(
        "GET /instances/{{id}} at {} /s over {} instances",
        sizes.read_rate, sizes.memory_instances
    );
    run_phase(
        &server,
        &target,
        &label,
        gets,
        Some(sizes.read_rate),
        sizes.phase,
        sizes,
    )
    .await
    .print();
    let started = Instant::now();
    let (status, bytes) = target.get_all().await;
    println!(
        "  one GET /instances of all {}: status {status}, {:.1} MB in {:.0} ms",
        sizes.memory_instances,
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64() * 1000.0
    );
    let (rss, peak) = server.memory_kib();
    println!(
        "  after it: RSS {} MiB, peak {} MiB",
        rss / 1024,
        peak / 1024
    );
}

/// A `pollhook serve` child process with its own database file.
struct Server {
    child: Child,
    addr: SocketAddr,
    db: PathBuf,
}

impl Server {
    fn start(db: &Path) -> Server {
        let log = std::fs::File::create(db.with_extension("log")).expect("log file");
        // The default log level (info, one line per registration) as `pollhook serve` runs.
        let mut child = Command::new(env!("CARGO_BIN_EXE_pollhook"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--allow-private-callbacks",
                "--db",
            ])
            .arg(db)
            .env("POLLHOOK_ORGANIZATION_SECRET", ORG_SECRET)
            .env("POLLHOOK_USER_SECRET", USER_SECRET)
            .env("POLLHOOK_SECRET_KEY", SECRET_KEY)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("spawn pollhook serve");
        let stdout = child.stdout.take().expect("stdout");
        let addr = listening_address(stdout);
        Server {
            child,
            addr,
            db: db.to_owned(),
        }
    }

    /// SIGTERM, a clean exit, and a new process on the same database.
    fn restart(&mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "serve exited with {status} on SIGTERM");
        *self = Server::start(&self.db);
    }

    /// User + system CPU time of the whole process so far.
    fn cpu(&self) -> Duration {
        cpu_of(&format!("/proc/{}/stat", self.child.id()))
    }

    /// Resident set size now and at its peak, in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
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
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `pollhook listening on http://ADDR` on the server's stdout.
fn listening_address(stdout: std::process::ChildStdout) -> SocketAddr {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = line.trim().strip_prefix("pollhook listening on http://") {
                if !sent {
                    let _ = tx.send(addr.to_owned());
                    sent = true;
                }
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("pollhook serve did not print its address within 30 s");
    addr.parse().expect("listening address")
}

/// User + system time from a `/proc/.../stat` file (fields 14 and 15, in USER_HZ = 100 ticks/s).
fn cpu_of(path: &str) -> Duration {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((field(11) + field(12)) * 10)
}

/// What a connection sends.
#[derive(Clone, Copy, PartialEq)]
enum Workload {
    Registrations,
    GetById,
    /// GET /instances/{id}, and every [`LIST_EVERY`]th request GET /instances.
    Reads,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
enum Kind {
    Register,
    GetOne,
    List,
}

impl Workload {
    /// The kind of the `seq`th request of a phase.
    fn kind(self, seq: u64) -> Kind {
        match self {
            Workload::Registrations => Kind::Register,
            Workload::GetById => Kind::GetOne,
            Workload::Reads if seq % LIST_EVERY == LIST_EVERY - 1 => Kind::List,
            Workload::Reads => Kind::GetOne,
        }
    }
}

/// Where requests go and what they carry.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    auth: String,
    registration: Bytes,
    ids: Arc<Vec<u64>>,
}

impl Target {
    fn new(addr: SocketAddr, registration: Bytes) -> Target {
        Target {
            addr,
            auth: format!("User {USER_SECRET}, Organization {ORG_SECRET}"),
            registration,
            ids: Arc::new(Vec::new()),
        }
    }

    fn with_ids(mut self, ids: Vec<u64>) -> Target {
        self.ids = Arc::new(ids);
        self
    }

    fn request(&self, kind: Kind, seq: u64) -> Request<Full<Bytes>> {
        let builder = Request::builder()
            .header("host", self.addr.to_string())
            .header("authorization", &self.auth);
        let built = match kind {
            Kind::Register => builder
                .method(Method::POST)
                .uri("/instances")
                .header("content-type", "application/json")
                .body(Full::new(self.registration.clone())),
            Kind::GetOne => {
                // Spread over the table (a multiplicative hash of the sequence number).
                let i = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
                let id = self.ids[(i % self.ids.len().max(1) as u64) as usize];
                builder
                    .uri(format!("/instances/{id}"))
                    .body(Full::new(Bytes::new()))
            }
            Kind::List => builder.uri("/instances").body(Full::new(Bytes::new())),
        };
        built.expect("request")
    }

    /// Registers `n` instances one after the other and returns their ids.
    async fn register(&self, n: usize) -> Vec<u64> {
        let mut conn = connect(self.addr).await.expect("connect");
        let mut ids = Vec::with_capacity(n);
        for seq in 0..n {
            let (status, body) = send(&mut conn, self.request(Kind::Register, seq as u64))
                .await
                .expect("registration");
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            ids.push(id_of(&body));
        }
        ids
    }

    /// Registers `n` instances over `connections` connections at once; returns their ids.
    async fn register_concurrently(&self, n: u64, connections: usize) -> Vec<u64> {
        let next = Arc::new(AtomicU64::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..connections {
            let target = self.clone();
            let next = next.clone();
            tasks.spawn(async move {
                let mut conn = connect(target.addr).await.expect("connect");
                let mut ids = Vec::new();
                loop {
                    let seq = next.fetch_add(1, Ordering::Relaxed);
                    if seq >= n {
                        return ids;
                    }
                    let (status, body) = send(&mut conn, target.request(Kind::Register, seq))
                        .await
                        .expect("registration");
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                    ids.push(id_of(&body));
                }
            });
        }
        let mut ids = Vec::new();
        while let Some(done) = tasks.join_next().await {
            ids.extend(done.expect("registering task"));
        }
        ids
    }

    /// `GET /instances`: its status and size in bytes.
    async fn get_all(&self) -> (u16, usize) {
        let mut conn = connect(self.addr).await.expect("connect");
        let (status, body) = send(&mut conn, self.request(Kind::List, 0))
            .await
            .expect("list");
        (status, body.len())
    }

    async fn count(&self) -> usize {
        let mut conn = connect(self.addr).await.expect("connect");
        let (_, body) = send(&mut conn, self.request(Kind::List, 0))
            .await
            .expect("list");
        serde_json::from_slice::<Vec<Value>>(&body)
            .map(|v| v.len())
            .unwrap_or(0)
    }
}

fn id_of(body: &[u8]) -> u64 {
    let v: Value = serde_json::from_slice(body).expect("registration answer is JSON");
    v["id"].as_u64().expect("registration answer has an id")
}

/// A keep-alive HTTP/1.1 connection with TCP_NODELAY.
async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tcp.set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer.
async fn send(
    conn: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> Result<(u16, Bytes), String> {
    conn.ready().await.map_err(|e| format!("connection: {e}"))?;
    let response = conn
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    Ok((status, body))
}

/// What one phase measured.
struct Outcome {
    label: String,
    /// Latencies by kind of request, sorted.
    latencies: Vec<(Kind, Vec<Duration>)>,
    errors: u64,
    first_errors: Vec<String>,
    elapsed: Duration,
    server_cpu: Duration,
    client_cpu: Duration,
}

impl Outcome {
    fn print(&self) {
        let all: Vec<Duration> = {
            let mut all: Vec<Duration> = self
                .latencies
                .iter()
                .flat_map(|(_, l)| l.iter().copied())
                .collect();
            all.sort_unstable();
            all
        };
        let secs = self.elapsed.as_secs_f64();
        let wall = secs * 2.0; // two cores
        println!(
            "{}: {} requests in {secs:.1} s = {:.0} /s; {}; errors {}; CPU of 2 cores: server {:.0}%, load client {:.0}%",
            self.label,
            all.len(),
            all.len() as f64 / secs,
            percentiles(&all),
            self.errors,
            100.0 * self.server_cpu.as_secs_f64() / wall,
            100.0 * self.client_cpu.as_secs_f64() / wall,
        );
        if !all.is_empty() {
            // What the server spent per answer: a figure that holds when other processes share
            // the cores, unlike throughput and latency.
            let per_request = self.server_cpu.as_secs_f64() / all.len() as f64;
            println!(
                "  server CPU per request {:.0} µs: 2 cores would serve at most {:.0} /s",
                per_request * 1e6,
                2.0 / per_request.max(1e-9)
            );
        }
        if self.latencies.len() > 1 {
            for (kind, l) in &self.latencies {
                let name = match kind {
                    Kind::Register => "POST /instances",
                    Kind::GetOne => "GET /instances/{id}",
                    Kind::List => "GET /instances",
                };
                println!("  {name}: {} requests; {}", l.len(), percentiles(l));
            }
        }
        for e in &self.first_errors {
            println!("  error: {e}");
        }
    }
}

fn percentiles(sorted: &[Duration]) -> String {
    if sorted.is_empty() {
        return "no requests".into();
    }
    let at = |p: f64| {
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[i.min(sorted.len() - 1)].as_secs_f64() * 1000.0
    };
    format!(
        "p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
        at(0.5),
        at(0.99),
        at(0.999),
        at(1.0)
    )
}

/// What one connection measured.
#[derive(Default)]
struct ConnectionResult {
    latencies: Vec<(Kind, Duration)>,
    errors: u64,
    first_errors: Vec<String>,
}

/// Runs `workload` over `sizes.connections` connections for `duration`: as fast as answered
/// (`rate` None) or with requests due at `rate` per second in all.
async fn run_phase(
    server: &Server,
    target: &Target,
    label: &str,
    workload: Workload,
    rate: Option<f64>,
    duration: Duration,
    sizes: &Sizes,
) -> Outcome {
    let connections = sizes.connections as u64;
    let cpu_server = server.cpu();
    let cpu_client = cpu_of("/proc/self/stat");
    let start = Instant::now() + Duration::from_millis(20);
    let end = start + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for lane in 0..connections {
        let target = target.clone();
        tasks.spawn(async move {
            let mut result = ConnectionResult::default();
            let mut conn = match connect(target.addr).await {
                Ok(c) => c,
                Err(e) => {
                    result.errors += 1;
                    result.first_errors.push(e);
                    return result;
                }
            };
            tokio::time::sleep_until(start.into()).await;
            for k in 0u64.. {
                // Requests are numbered across connections, so the mix and the schedule hold overall.
                let seq = k * connections + lane;
                let due = match rate {
                    Some(r) => start + Duration::from_secs_f64(seq as f64 / r),
                    None => Instant::now(),
                };
                if due >= end {
                    break;
                }
                // Latency counts from when the request was due; when the timer wakes this
                // connection late (tokio's timer works in whole milliseconds), from the wake-up:
                // that delay is the client's, not the server's.
                let since = if due > Instant::now() {
                    tokio::time::sleep_until(due.into()).await;
                    Instant::now()
                } else {
                    due
                };
                let kind = workload.kind(seq);
                let outcome = send(&mut conn, target.request(kind, seq)).await;
                let latency = since.elapsed();
                let failure = match outcome {
                    Ok((status, _)) if (200..300).contains(&status) => None,
                    Ok((status, body)) => Some(format!(
                        "{kind:?}: status {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    )),
                    Err(e) => {
                        // A broken connection is replaced, as a client's pool would.
                        if let Ok(c) = connect(target.addr).await {
                            conn = c;
                        }
                        Some(format!("{kind:?}: {e}"))
                    }
                };
                match failure {
                    None => result.latencies.push((kind, latency)),
                    Some(e) => {
                        result.errors += 1;
                        if result.first_errors.len() < 3 {
                            result.first_errors.push(e);
                        }
                    }
                }
            }
            result
        });
    }
    let mut by_kind: std::collections::BTreeMap<Kind, Vec<Duration>> = Default::default();
    let mut errors = 0;
    let mut first_errors = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let r = done.expect("load task");
        for (kind, latency) in r.latencies {
            by_kind.entry(kind).or_default().push(latency);
        }
        errors += r.errors;
        first_errors.extend(r.first_errors);
    }
    let elapsed = start.elapsed();
    first_errors.truncate(5);
    Outcome {
        label: label.to_owned(),
        latencies: by_kind
            .into_iter()
            .map(|(k, mut l)| {
                l.sort_unstable();
                (k, l)
            })
            .collect(),
        errors,
        first_errors,
        elapsed,
        server_cpu: server.cpu().saturating_sub(cpu_server),
        client_cpu: cpu_of("/proc/self/stat").saturating_sub(cpu_client),
    }
}
