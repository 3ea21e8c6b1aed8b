//! `pollhook demo --once`: the newcomer's first command runs end to end and shows verified
//! CREATED and UPDATED events from both seed instances.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The demo's own deadline is 60 s; past this the process is killed and the test fails.
const KILL_AFTER: Duration = Duration::from_secs(90);

fn event_lines<'a>(out: &'a str, instance: &str, kind: &str) -> Vec<&'a str> {
    out.lines()
        .filter(|l| l.contains(instance) && l.contains(kind))
        .collect()
}

#[test]
fn demo_once_delivers_verified_created_and_updated_events_from_both_instances() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pollhook"))
        .args(["demo", "--once", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pollhook demo");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + KILL_AFTER;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out_reader.join().expect("stdout reader");
    let err = err_reader.join().expect("stderr reader");
    let status =
        status.unwrap_or_else(|| panic!("demo still running after {KILL_AFTER:?}\n{out}\n{err}"));
    assert!(status.success(), "demo exited with {status}\n{out}\n{err}");
    assert!(
        out.contains("Authorization: User demo-user-secret, Organization demo-organization-secret"),
        "{out}"
    );
    for instance in ["SageCRMPolling", "API_Polling"] {
        for kind in ["CREATED", "UPDATED"] {
            let lines = event_lines(&out, instance, kind);
            assert!(
                lines.iter().any(|l| l.ends_with("signature ok")),
                "no verified {kind} event from {instance}:\n{out}"
            );
        }
    }
    assert!(!out.contains("SIGNATURE MISMATCH"), "{out}");
    assert!(out.contains("first round received"), "{out}");
}
