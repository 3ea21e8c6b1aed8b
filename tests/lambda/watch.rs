//! One function served by `cargo lambda watch` (the local Lambda runtime emulator), built from
//! its own manifest, invoked through the emulator's Invoke API, and stopped with its children.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The first invocation compiles the function: minutes on a cold 2-core machine.
const FIRST_INVOKE: Duration = Duration::from_secs(1200);

pub struct Watch {
    name: String,
    port: u16,
    child: Child,
    log: std::path::PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Watch {
    /// Starts `cargo lambda watch` for `functions/<name>` with `env` on a free loopback port.
    pub fn start(name: &str, env: &[(String, String)], log_dir: &std::path::Path) -> Self {
        let port = free_port();
        let root = concat!(env!("CARGO_MANIFEST_DIR"));
        let vars = env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        let log = log_dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).expect("watch log");
        let err = out.try_clone().expect("watch log");
        let child = Command::new("cargo")
            .current_dir(root)
            .args([
                "lambda",
                "watch",
                "--ignore-changes",
                "--quiet",
                "--manifest-path",
                &format!("functions/{name}/Cargo.toml"),
                "--invoke-address",
                "127.0.0.1",
                "--invoke-port",
                &port.to_string(),
                "--env-vars",
                &vars,
            ])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // Its own process group, so stopping it stops cargo and the function too.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run `cargo lambda watch` ({e}): cargo-lambda must be on PATH; \
                     run the tests through tests/run.sh, which installs it into ./.venv"
                )
            });
        Self {
            name: name.to_owned(),
            port,
            child,
            log,
        }
    }

    /// Invokes the function with `event` and returns its response (an error response too).
    pub async fn invoke(&self, event: &Value) -> Value {
        let url = format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{}/invocations",
            self.port, self.name
        );
        let client = reqwest::Client::builder()
            .timeout(FIRST_INVOKE)
            .build()
            .expect("client");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        let response = loop {
            match client.post(&url).json(event).send().await {
                Ok(r) => break r,
                // The emulator is still starting: its port is not open yet.
                Err(e) if e.is_connect() && std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("{} did not answer: {e}\n{}", self.name, self.log_tail()),
            }
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "{} invoke answered {status}: {text}\n{}",
            self.name,
            self.log_tail()
        );
        serde_json::from_str(&text).unwrap_or_else(|_| {
            panic!(
                "{} answered non-JSON: {text}\n{}",
                self.name,
                self.log_tail()
            )
        })
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
    }
}
