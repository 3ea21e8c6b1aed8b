//! Cold start of the three Lambda functions: each release binary is spawned against a minimal
//! Lambda Runtime API on 127.0.0.1 (the real protocol), and the bench times (a) init, spawn to
//! the first `GET .../invocation/next` (what Lambda reports as Init Duration), and (b) spawn to
//! the first `POST .../response` or `.../error`. Median and p95 per function go into
//! BENCHMARKS.md (target: init under 50 ms).
//!
//! `cargo bench` needs the x86_64 release binaries, `cargo build --release -p create-instance -p
//! poll -p deliver` (it fails, naming that command, when one is missing; the `cargo test` smoke
//! starts the debug binaries the workspace test build makes), and the local AWS
//! emulator for the deployed (DynamoDB, KMS, SQS) mode: `bash infra/local-aws.sh start`, then
//! `POLLHOOK_AWS_ENDPOINT=<what it printed> cargo bench --bench lambda_init` (tests/run.sh sets
//! it). The bench creates its own table, KMS key and queues there and deletes them after.
//! `cargo test` runs it as a quick smoke (2 cold starts per function).
//!
//! Figures are for this machine's full cores, local files and a plain-HTTP emulator: a 256 MB
//! Lambda has a fraction of a vCPU and does TLS handshakes to DynamoDB and KMS during init.

use std::future::IntoFuture;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tokio::sync::watch;

const REGION: &str = "us-east-1";
const ACCOUNT: &str = "123456789012";
/// How long one cold start may take before the bench gives up on it.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);
const BUILD_COMMAND: &str = "cargo build --release -p create-instance -p poll -p deliver";
/// What makes the debug binaries the `cargo test` smoke starts.
const DEBUG_BUILD_COMMAND: &str = "cargo build -p create-instance -p poll -p deliver";

/// One function to start cold: which binary, with what environment, invoked with what event.
struct Case {
    /// The name in the report (and the Lambda function name).
    label: &'static str,
    /// The binary in target/release.
    binary: &'static str,
    /// The function's own environment, on top of what the Lambda runtime sets.
    env: Vec<(&'static str, String)>,
    /// The first invocation's event.
    event: Value,
}

/// The table of functions and their environment, mirroring template.yaml (Globals plus each
/// function's own variables), with `POLLHOOK_AWS_ENDPOINT` pointing the SDK at the emulator.
/// Adjust here when a function's contract changes.
fn cases(aws: &AwsFixture, dir: &Path) -> Vec<Case> {
    let deployed = |extra: Vec<(&'static str, String)>| {
        let mut env = vec![
            ("POLLHOOK_LOG_JSON", "1".to_owned()),
            ("POLLHOOK_TABLE", aws.table.clone()),
            ("POLLHOOK_QUEUE_URL", aws.queue_url.clone()),
            (
                "POLLHOOK_DEAD_LETTER_QUEUE_URL",
                aws.dead_letter_url.clone(),
            ),
            ("POLLHOOK_KMS_KEY_ID", aws.kms_key_id.clone()),
            ("POLLHOOK_MAX_RECEIVE_COUNT", "20".to_owned()),
            ("POLLHOOK_AWS_ENDPOINT", aws.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
        ];
        env.extend(extra);
        env
    };
    let account_secrets = || {
        vec![
            (
                "POLLHOOK_ORGANIZATION_SECRET",
                "bench-org-secret".to_owned(),
            ),
            ("POLLHOOK_USER_SECRET", "bench-user-secret".to_owned()),
        ]
    };
    let mut create_instance = account_secrets();
    create_instance.extend([
        ("POLLHOOK_SCHEDULE_GROUP", "pollhook-bench".to_owned()),
        (
            "POLLHOOK_SCHEDULER_ROLE_ARN",
            format!("arn:aws:iam::{ACCOUNT}:role/pollhook-bench-scheduler"),
        ),
        ("POLLHOOK_POLL_FUNCTION_ARN", function_arn("poll")),
    ]);
    let mut sqlite = account_secrets();
    sqlite.extend([
        (
            "POLLHOOK_DB",
            dir.join("create-instance.db").display().to_string(),
        ),
        // 32 bytes of 0x07, base64.
        (
            "POLLHOOK_SECRET_KEY",
            "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=".to_owned(),
        ),
    ]);
    vec![
        Case {
            label: "create-instance",
            binary: "create-instance",
            env: deployed(create_instance),
            event: healthz_event(),
        },
        Case {
            label: "create-instance (SQLite)",
            binary: "create-instance",
            env: sqlite,
            event: healthz_event(),
        },
        Case {
            label: "poll",
            binary: "poll",
            env: deployed(Vec::new()),
            // No such instance: poll answers that it skipped it.
            event: json!({"instanceId": 987_654_321u64}),
        },
        Case {
            label: "deliver",
            binary: "deliver",
            env: deployed(Vec::new()),
            // A reference to a notification that does not exist: nothing to deliver.
            event: sqs_event(&aws.queue_arn),
        },
    ]
}

fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

/// API Gateway HTTP API (payload 2.0) event for `GET /healthz` on the `/{proxy+}` route.
fn healthz_event() -> Value {
    let host = "abc123defg.execute-api.us-east-1.amazonaws.com";
    json!({
        "version": "2.0",
        "routeKey": "ANY /{proxy+}",
        "rawPath": "/healthz",
        "rawQueryString": "",
        "headers": {
            "accept": "*/*",
            "host": host,
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "pathParameters": {"proxy": "healthz"},
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": "abc123defg",
            "domainName": host,
            "domainPrefix": "abc123defg",
            "http": {
                "method": "GET",
                "path": "/healthz",
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0"
            },
            "requestId": "bench-request",
            "routeKey": "ANY /{proxy+}",
            "stage": "$default",
            "time": "25/Nov/2026:16:00:00 +0000",
            "timeEpoch": 1_795_536_000_000u64
        },
        "isBase64Encoded": false
    })
}

/// SQS event with one message from the FIFO delivery queue.
fn sqs_event(queue_arn: &str) -> Value {
    let body = json!({"notificationId": "bench-no-such-notification", "instanceId": 987_654_321u64, "resource": "accounts"});
    json!({
        "Records": [{
            "messageId": "0c2b0f4e-5b0a-4a43-9a53-3c1c2a7c8d11",
            "receiptHandle": "bench-receipt-handle",
            "body": body.to_string(),
            "attributes": {
                "ApproximateReceiveCount": "1",
                "SentTimestamp": "1795536000000",
                "SenderId": "AIDAEXAMPLE",
                "ApproximateFirstReceiveTimestamp": "1795536000001",
                "SequenceNumber": "18849496460467696128",
                "MessageGroupId": "987654321/accounts",
                "MessageDeduplicationId": "bench-no-such-notification"
            },
            "messageAttributes": {},
            "md5OfBody": "",
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": REGION
        }]
    })
}

/// What the Lambda service itself sets for every function.
fn runtime_env(case: &Case, port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}")),
        ("AWS_LAMBDA_FUNCTION_NAME", case.binary.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_owned()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", case.binary),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/25/[$LATEST]0123456789abcdef".to_owned(),
        ),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_DEFAULT_REGION", REGION.to_owned()),
        ("TZ", ":UTC".to_owned()),
    ]
}

// ------------------------------------------------------------------ the Runtime API

/// How the first invocation ended.
#[derive(Clone, Debug)]
enum Outcome {
    Response,
    Error,
    InitError,
}

/// What one cold start's runtime saw, with arrival times.
#[derive(Clone, Default)]
struct Observed {
    next: Option<Instant>,
    done: Option<(Instant, Outcome, String)>,
}

/// One cold start's Runtime API: a server of its own (its own port), so a late request from a
/// killed process can never count for the next one.
struct Runtime {
    event: String,
    request_id: String,
    function_arn: String,
    observed: watch::Sender<Observed>,
    /// Set when the run is over, releasing the runtime's second, long-polling `next`.
    over: watch::Sender<bool>,
}

async fn next(State(rt): State<Arc<Runtime>>) -> Response {
    let now = Instant::now();
    let first = rt.observed.send_if_modified(|o| {
        let first = o.next.is_none();
        if first {
            o.next = Some(now);
        }
        first
    });
    if !first {
        // One invocation per cold start: hold the runtime's next poll, as Lambda does between
        // invocations, until the run is over and the process killed.
        let mut over = rt.over.subscribe();
        let _ = over.wait_for(|o| *o).await;
        return StatusCode::GONE.into_response();
    }
    let deadline_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() + 30_000)
        .unwrap_or_default();
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("content-type", "application/json");
    set("lambda-runtime-aws-request-id", &rt.request_id);
    set("lambda-runtime-deadline-ms", &deadline_ms.to_string());
    set("lambda-runtime-invoked-function-arn", &rt.function_arn);
    set(
        "lambda-runtime-trace-id",
        "Root=1-6745a000-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=0",
    );
    (headers, rt.event.clone()).into_response()
}

fn finish(rt: &Runtime, outcome: Outcome, body: &Bytes) {
    let now = Instant::now();
    let text = String::from_utf8_lossy(body).into_owned();
    rt.observed.send_if_modified(|o| {
        let first = o.done.is_none();
        if first {
            o.done = Some((now, outcome, text));
        }
        first
    });
}

async fn respond(
    State(rt): State<Arc<Runtime>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Response {
    if id != rt.request_id {
        return (StatusCode::BAD_REQUEST, "unknown request id").into_response();
    }
    finish(&rt, Outcome::Response, &body);
    (StatusCode::ACCEPTED, "{\"status\":\"OK\"}").into_response()
}

async fn invocation_error(
    State(rt): State<Arc<Runtime>>,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Response {
    if id != rt.request_id {
        return (StatusCode::BAD_REQUEST, "unknown request id").into_response();
    }
    finish(&rt, Outcome::Error, &body);
    (StatusCode::ACCEPTED, "{\"status\":\"OK\"}").into_response()
}

async fn init_error(State(rt): State<Arc<Runtime>>, body: Bytes) -> Response {
    finish(&rt, Outcome::InitError, &body);
    (StatusCode::ACCEPTED, "{\"status\":\"OK\"}").into_response()
}

fn runtime_api(rt: Arc<Runtime>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(respond),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(invocation_error),
        )
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(rt)
}

/// One cold start's figures.
struct Sample {
    init: Duration,
    first_response: Duration,
    outcome: Outcome,
    body: String,
}

/// Spawns the binary against a fresh Runtime API, waits for its first answer, kills it.
async fn cold_start(binary: &Path, case: &Case, run: usize, log: &Path) -> Result<Sample, String> {
    let (observed, mut watch_done) = watch::channel(Observed::default());
    let (over, _) = watch::channel(false);
    let rt = Arc::new(Runtime {
        event: case.event.to_string(),
        request_id: format!("bench-{run}-0000-4000-8000-000000000000"),
        function_arn: function_arn(case.binary),
        observed,
        over,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("local address: {e}"))?
        .port();
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(axum::serve(listener, runtime_api(rt.clone())).into_future());
    let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let log_copy = log_file
        .try_clone()
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let mut command = tokio::process::Command::new(binary);
    command
        .env_clear()
        .envs(runtime_env(case, port))
        .envs(case.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(log_copy)
        .stderr(log_file)
        .kill_on_drop(true);

    let spawned = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("spawn {}: {e}", binary.display()))?;
    let result = tokio::select! {
        done = watch_done.wait_for(|o| o.done.is_some()) => match done {
            Ok(o) => Ok(o.clone()),
            Err(_) => Err("the Runtime API stopped".to_owned()),
        },
        status = child.wait() => Err(match status {
            Ok(s) => format!("the process exited ({s}) before answering"),
            Err(e) => format!("waiting for the process: {e}"),
        }),
        _ = tokio::time::sleep(RUN_TIMEOUT) => Err(format!("no answer within {RUN_TIMEOUT:?}")),
    };
    let _ = child.kill().await;
    rt.over.send_replace(true);
    server.abort();

    let observed = result.map_err(|e| with_log(e, log))?;
    let (done_at, outcome, body) = observed.done.ok_or("no answer")?;
    let init = match observed.next {
        Some(at) => at.duration_since(spawned),
        None => {
            return Err(with_log(
                format!("{outcome:?} before any next: {body}"),
                log,
            ))
        }
    };
    if matches!(outcome, Outcome::InitError) {
        return Err(with_log(format!("init error: {body}"), log));
    }
    Ok(Sample {
        init,
        first_response: done_at.duration_since(spawned),
        outcome,
        body,
    })
}

/// The error with the end of the function's own log, which says why.
fn with_log(message: String, log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(20)..].join("\n    ");
    format!("{message}\n  its log ({}):\n    {tail}", log.display())
}

// ------------------------------------------------------------------ the emulator's resources

/// The table, key and queues the deployed mode needs, created in the emulator for this run.
struct AwsFixture {
    client: reqwest::Client,
    endpoint: String,
    table: String,
    kms_key_id: String,
    queue_url: String,
    queue_arn: String,
    dead_letter_url: String,
}

/// One AWS JSON-protocol call. moto routes on the SigV4 credential scope and does not check
/// the signature, so a well-formed but unsigned header is enough.
async fn aws_call(
    client: &reqwest::Client,
    endpoint: &str,
    service: &str,
    target: &str,
    content_type: &str,
    body: Value,
) -> Result<Value, String> {
    let answer = client
        .post(endpoint)
        .header("content-type", content_type)
        .header("x-amz-target", target)
        .header("x-amz-date", "20261125T160000Z")
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=test/20261125/{REGION}/{service}/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=0"
            ),
        )
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("{target} at {endpoint}: {e}"))?;
    let status = answer.status();
    let text = answer.text().await.map_err(|e| format!("{target}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{target}: {status} {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{target}: {e}: {text}"))
}

fn string_at(value: &Value, pointer: &str, what: &str) -> Result<String, String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| format!("{what}: no {pointer} in {value}"))
}

impl AwsFixture {
    async fn create(endpoint: String) -> Result<Self, String> {
        let client = reqwest::Client::new();
        let name = format!("pollhook-lambda-init-{}", std::process::id());
        let dynamo = "application/x-amz-json-1.0";
        aws_call(
            &client,
            &endpoint,
            "dynamodb",
            "DynamoDB_20120810.CreateTable",
            dynamo,
            json!({
                "TableName": name,
                "AttributeDefinitions": [
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"}
                ],
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"}
                ],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        )
        .await?;
        let key = aws_call(
            &client,
            &endpoint,
            "kms",
            "TrentService.CreateKey",
            "application/x-amz-json-1.1",
            json!({"Description": "pollhook lambda_init bench"}),
        )
        .await?;
        let kms_key_id = string_at(&key, "/KeyMetadata/KeyId", "CreateKey")?;
        let mut urls = Vec::new();
        for queue in [format!("{name}.fifo"), format!("{name}-dead.fifo")] {
            let created = aws_call(
                &client,
                &endpoint,
                "sqs",
                "AmazonSQS.CreateQueue",
                dynamo,
                json!({"QueueName": queue, "Attributes": {"FifoQueue": "true"}}),
            )
            .await?;
            urls.push(string_at(&created, "/QueueUrl", "CreateQueue")?);
        }
        let dead_letter_url = urls.pop().ok_or("CreateQueue")?;
        let queue_url = urls.pop().ok_or("CreateQueue")?;
        Ok(Self {
            client,
            endpoint,
            queue_arn: format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{name}.fifo"),
            table: name,
            kms_key_id,
            queue_url,
            dead_letter_url,
        })
    }

    /// Best effort: the emulator may be shared with a test run.
    async fn delete(&self) {
        let call = |service: &'static str, target: &'static str, kind: &'static str, body| {
            aws_call(&self.client, &self.endpoint, service, target, kind, body)
        };
        let json10 = "application/x-amz-json-1.0";
        let _ = call(
            "dynamodb",
            "DynamoDB_20120810.DeleteTable",
            json10,
            json!({"TableName": self.table}),
        )
        .await;
        for url in [&self.queue_url, &self.dead_letter_url] {
            let _ = call(
                "sqs",
                "AmazonSQS.DeleteQueue",
                json10,
                json!({"QueueUrl": url}),
            )
            .await;
        }
        let _ = call(
            "kms",
            "TrentService.ScheduleKeyDeletion",
            "application/x-amz-json-1.1",
            json!({"KeyId": self.kms_key_id, "PendingWindowInDays": 7}),
        )
        .await;
    }
}

// ------------------------------------------------------------------ report

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn summary(mut values: Vec<Duration>) -> (Duration, Duration, Duration) {
    values.sort();
    (
        percentile(&values, 0.5),
        percentile(&values, 0.95),
        values[values.len() - 1],
    )
}

fn shorten(text: &str) -> String {
    let one_line = text.replace('\n', " ");
    match one_line.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// The functions' binaries of this bench's own profile: it runs from `<target>/<profile>/deps/`,
/// so `cargo bench` times the release binaries and the `cargo test` smoke the debug ones, which
/// the workspace test build has just made (no extra release build in the test command).
fn release_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release"))
}

async fn bench(runs: usize) -> Result<(), String> {
    let release = release_dir();
    let endpoint = std::env::var("POLLHOOK_AWS_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "http://127.0.0.1:5055".to_owned());
    let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
    let aws = AwsFixture::create(endpoint.clone()).await.map_err(|e| {
        format!(
            "cannot set up the local AWS emulator at {endpoint} ({e}); start it with \
             `bash infra/local-aws.sh start` and set POLLHOOK_AWS_ENDPOINT to what it prints"
        )
    })?;
    let result = bench_cases(runs, &release, &aws, dir.path()).await;
    aws.delete().await;
    result
}

async fn bench_cases(
    runs: usize,
    release: &Path,
    aws: &AwsFixture,
    dir: &Path,
) -> Result<(), String> {
    let cases = cases(aws, dir);
    for case in &cases {
        let binary = release.join(case.binary);
        if !binary.is_file() {
            let build = if release.ends_with("release") {
                BUILD_COMMAND
            } else {
                DEBUG_BUILD_COMMAND
            };
            return Err(format!(
                "{} is missing: build the functions first with `{build}`",
                binary.display()
            ));
        }
    }
    println!(
        "lambda_init: {runs} cold starts per function (after 1 not counted), Runtime API on \
         127.0.0.1, binaries from {}",
        release.display()
    );
    // The deployed mode's init makes a few calls to the emulator (KMS, DynamoDB): its round trip
    // at the time says how much of the figures is the emulator rather than the binary.
    let mut round_trips = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        aws_call(
            &aws.client,
            &aws.endpoint,
            "dynamodb",
            "DynamoDB_20120810.ListTables",
            "application/x-amz-json-1.0",
            json!({}),
        )
        .await?;
        round_trips.push(started.elapsed());
    }
    round_trips.sort();
    println!(
        "  emulator round trip (DynamoDB ListTables, median of 7): {}",
        ms(percentile(&round_trips, 0.5))
    );
    let lambda_env: Vec<String> = runtime_env(&cases[0], 0)
        .into_iter()
        .map(|(k, v)| match k {
            "AWS_LAMBDA_RUNTIME_API" => format!("{k}=127.0.0.1:<port of the run>"),
            _ => format!("{k}={v}"),
        })
        .collect();
    println!(
        "  Lambda's own env (function and log names per function): {}",
        lambda_env.join(" ")
    );
    let mut rows = Vec::new();
    for case in &cases {
        let binary = release.join(case.binary);
        let env: Vec<String> = case.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("\n{} ({})", case.label, binary.display());
        println!("  env: {}", env.join(" "));
        let log = dir.join(format!("{}.log", case.label.replace([' ', '(', ')'], "_")));
        // The first start creates what later cold starts find (the SQLite file, the table's
        // wrapped data key, the account) and warms the page cache; it is not counted.
        let warm_up = cold_start(&binary, case, 0, &log)
            .await
            .map_err(|e| format!("{}: {e}", case.label))?;
        println!(
            "  first answer: {:?} {}",
            warm_up.outcome,
            shorten(&warm_up.body)
        );
        let mut inits = Vec::with_capacity(runs);
        let mut responses = Vec::with_capacity(runs);
        for run in 1..=runs {
            let sample = cold_start(&binary, case, run, &log)
                .await
                .map_err(|e| format!("{} run {run}: {e}", case.label))?;
            inits.push(sample.init);
            responses.push(sample.first_response);
        }
        let (init_p50, init_p95, init_max) = summary(inits);
        let (resp_p50, resp_p95, resp_max) = summary(responses);
        println!(
            "  init (spawn to first next):          median {}, p95 {}, max {}",
            ms(init_p50),
            ms(init_p95),
            ms(init_max)
        );
        println!(
            "  first response (spawn to response):  median {}, p95 {}, max {}",
            ms(resp_p50),
            ms(resp_p95),
            ms(resp_max)
        );
        rows.push((case.label, init_p50, init_p95, resp_p50, resp_p95));
    }
    println!(
        "\n| function | init median | init p95 | first response median | first response p95 |"
    );
    println!("|---|---|---|---|---|");
    for (label, init_p50, init_p95, resp_p50, resp_p95) in &rows {
        println!(
            "| {label} | {} | {} | {} | {} |",
            ms(*init_p50),
            ms(*init_p95),
            ms(*resp_p50),
            ms(*resp_p95)
        );
    }
    let over: Vec<&str> = rows
        .iter()
        .filter(|r| r.1 >= Duration::from_millis(50))
        .map(|r| r.0)
        .collect();
    if over.is_empty() {
        println!("target init under 50 ms (median): met by every function");
    } else {
        println!(
            "target init under 50 ms (median): NOT met by {}",
            over.join(", ")
        );
    }
    Ok(())
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runs = if full { 30 } else { 2 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if let Err(e) = rt.block_on(bench(runs)) {
        eprintln!("lambda_init: {e}");
        std::process::exit(1);
    }
}
