//! A real `pollhook serve` process on loopback, and a client that speaks to it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const ORG_SECRET: &str = "test-organization-secret";
pub const USER_SECRET: &str = "test-user-secret";
pub const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub fn account_auth() -> String {
    format!("User {USER_SECRET}, Organization {ORG_SECRET}")
}

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A running server with its own database in a temporary directory.
pub struct TestServer {
    pub base: String,
    child: Child,
    pub db: PathBuf,
    _dir: Option<tempfile::TempDir>,
    pub client: reqwest::Client,
    args: Vec<String>,
}

impl TestServer {
    pub fn start() -> Self {
        Self::start_with_args(&[])
    }

    /// A fresh server with extra `serve` flags (e.g. a short retry schedule).
    pub fn start_with_args(args: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("pollhook.db");
        let mut server = Self::launch(&db, &[], args);
        server._dir = Some(dir);
        server
    }

    /// Starts a server on an existing database file (e.g. after a restart).
    pub fn start_on(db: &Path, extra_env: &[(&str, &str)]) -> Self {
        Self::launch(db, extra_env, &[])
    }

    /// Starts a server on `db` with extra environment and `serve` flags, its stderr appended to
    /// `stderr_log`, so a test can read what it wrote before it died.
    pub fn start_logged(
        db: &Path,
        extra_env: &[(&str, &str)],
        args: &[&str],
        stderr_log: &Path,
    ) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(stderr_log)
            .unwrap_or_else(|e| panic!("{}: {e}", stderr_log.display()));
        Self::launch_with(db, extra_env, args, Stdio::from(log))
    }

    fn launch(db: &Path, extra_env: &[(&str, &str)], args: &[&str]) -> Self {
        Self::launch_with(db, extra_env, args, Stdio::inherit())
    }

    fn launch_with(db: &Path, extra_env: &[(&str, &str)], args: &[&str], stderr: Stdio) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pollhook"));
        cmd.args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--allow-private-callbacks",
            "--db",
        ])
        .arg(db)
        .args(args)
        .env("POLLHOOK_ORGANIZATION_SECRET", ORG_SECRET)
        .env("POLLHOOK_USER_SECRET", USER_SECRET)
        .env("POLLHOOK_SECRET_KEY", SECRET_KEY)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr);
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn pollhook serve");
        let stdout = child.stdout.take().expect("stdout");
        let base = wait_for_listen_line(stdout);
        Self {
            base,
            child,
            db: db.to_owned(),
            _dir: None,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// Stops with SIGTERM, waits for a clean exit, and starts again on the same database.
    pub fn restart(mut self) -> Self {
        let dir = self._dir.take();
        let status = self.terminate();
        assert!(status.success(), "serve exited with {status} on SIGTERM");
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut next = Self::launch(&self.db, &[], &args);
        next._dir = dir;
        next
    }

    /// SIGKILL: no shutdown code runs, as in a crash or an OOM kill.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts again on the same database after [`kill`](Self::kill).
    pub fn restart_after_kill(mut self) -> Self {
        let dir = self._dir.take();
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut next = Self::launch(&self.db, &[], &args);
        next._dir = dir;
        next
    }

    /// Waits up to `timeout` for the process to end by itself (e.g. at a crash point); None
    /// if it still runs.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop within 10 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .header("Authorization", account_auth())
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .expect("request");
        read(r).await
    }

    pub async fn get(&self, path: &str, auth: &str) -> (u16, Value) {
        let r = self
            .client
            .get(self.url(path))
            .header("Authorization", auth)
            .send()
            .await
            .expect("request");
        read(r).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        read(request.send().await.expect("request")).await
    }

    /// Every stored instance as the API lists it, to prove a rejected request changed nothing.
    pub async fn snapshot(&self) -> Value {
        let (status, body) = self.get("/instances", &account_auth()).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("status {status}: body is not JSON ({e}): {text}"))
    };
    (status, value)
}

fn wait_for_listen_line(stdout: std::process::ChildStdout) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let mut sent = false;
        while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            if !sent {
                if let Some(url) = line.trim().strip_prefix("pollhook listening on ") {
                    let _ = tx.send(url.to_owned());
                    sent = true;
                }
            }
            line.clear();
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("pollhook serve did not print its listening address within 30 s")
}

/// Calls a simulator's admin API (`/_sim/...`) and asserts it succeeded.
pub async fn sim_admin(
    sim: &pollhook_simulators::Running,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> Value {
    let response = reqwest::Client::new()
        .request(method, sim.url(path))
        .json(&body)
        .send()
        .await
        .expect("simulator admin call");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

/// `POST /instances/{id}/poll`, asserting every resource polled without error.
pub async fn poll_now(server: &TestServer, id: u64) -> Value {
    let request = server
        .client
        .post(server.url(&format!("/instances/{id}/poll")))
        .header("Authorization", account_auth());
    let (status, body) = server.send(request).await;
    assert_eq!(status, 200, "poll: {body}");
    for r in body["resources"].as_array().expect("resources") {
        assert!(r["error"].is_null(), "resource failed: {r}");
    }
    body
}

/// An instance's events in queue order.
pub async fn events(server: &TestServer, id: u64) -> Vec<Value> {
    let (status, body) = server
        .get(
            &format!("/instances/{id}/events?limit=1000"),
            &account_auth(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("events").clone()
}
