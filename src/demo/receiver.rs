//! The demo's webhook receiver: verifies both signatures of every notification, prints each
//! event as it arrives, and keeps a tally so `--once` knows when the first round is in.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use pollhook_core::signature::{verify_open_connectors, verify_standard_webhooks, WebhookSecret};
use serde_json::Value;
use tokio::sync::watch;

/// How far a `webhook-timestamp` may be from now, as the Standard Webhooks libraries default.
const TIMESTAMP_TOLERANCE_SECS: i64 = 300;

/// What the receiver must know about an instance to verify and label its notifications.
pub struct Known {
    pub name: String,
    pub secret: WebhookSecret,
}

/// Verified events seen so far, as (element key, event type), and signature failures.
#[derive(Clone, Default)]
pub struct Tally {
    pub verified: HashSet<(String, String)>,
    pub mismatches: usize,
}

struct Shared {
    signature_key: String,
    instances: Mutex<HashMap<u64, Known>>,
    tally: watch::Sender<Tally>,
}

impl Shared {
    fn instances(&self) -> MutexGuard<'_, HashMap<u64, Known>> {
        self.instances.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A receiver serving on 127.0.0.1 in a background task; dropping it stops the server.
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Starts on an ephemeral loopback port; `signature_key` is the instances'
    /// `event.notification.signature.key`.
    pub async fn start(signature_key: &str) -> anyhow::Result<Receiver> {
        let (tally, _) = watch::channel(Tally::default());
        let shared = Arc::new(Shared {
            signature_key: signature_key.to_owned(),
            instances: Mutex::new(HashMap::new()),
            tally,
        });
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .context("cannot start the webhook receiver")?;
        let addr = listener.local_addr()?;
        // Answers go out without Nagle's 40 ms delay.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("webhook receiver stopped: {e}");
            }
        });
        Ok(Receiver {
            url: format!("http://{addr}/hook"),
            shared,
            task,
        })
    }

    /// Registers an instance whose notifications may now arrive.
    pub fn expect(&self, id: u64, known: Known) {
        self.shared.instances().insert(id, known);
    }

    /// Follows the tally as notifications arrive.
    pub fn tally(&self) -> watch::Receiver<Tally> {
        self.shared.tally.subscribe()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Checks both signatures; `Err` says which one failed and why.
fn verify(
    key: &str,
    secret: &WebhookSecret,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    verify_standard_webhooks(
        secret,
        header(headers, "webhook-id"),
        header(headers, "webhook-timestamp"),
        header(headers, "webhook-signature"),
        body,
        chrono::Utc::now().timestamp(),
        TIMESTAMP_TOLERANCE_SECS,
    )
    .map_err(|e| format!("Standard Webhooks: {e}"))?;
    verify_open_connectors(key, header(headers, "elements-webhook-signature"), body)
        .map_err(|e| format!("Elements-Webhook-Signature: {e}"))
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

/// One notification: verify, print its events, tally, and answer 2xx only when it verified.
async fn receive(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("receiver: a notification that is not JSON ({e})");
            return StatusCode::BAD_REQUEST;
        }
    };
    let message = &parsed["message"];
    let Some(id) = message["instanceId"].as_u64() else {
        eprintln!("receiver: a notification without message.instanceId");
        return StatusCode::BAD_REQUEST;
    };
    let (name, verdict) = {
        let instances = shared.instances();
        let Some(known) = instances.get(&id) else {
            // Not registered here yet: 503 makes pollhook retry it later.
            eprintln!(
                "receiver: a notification for instance {id}, which this demo did not register"
            );
            return StatusCode::SERVICE_UNAVAILABLE;
        };
        let verdict = verify(&shared.signature_key, &known.secret, &headers, &body);
        (known.name.clone(), verdict)
    };
    let element = text(&message["elementKey"]);
    let time = chrono::Local::now().format("%H:%M:%S");
    let status = match &verdict {
        Ok(()) => "signature ok".to_owned(),
        Err(why) => format!("SIGNATURE MISMATCH ({why})"),
    };
    let events = message["events"].as_array().cloned().unwrap_or_default();
    for event in &events {
        println!(
            "{time}  {name:<15} {:<8} {:<10} {:<6}  {status}",
            text(&event["eventType"]),
            text(&event["objectType"]),
            text(&event["objectId"]),
        );
    }
    shared.tally.send_modify(|tally| match verdict {
        Ok(()) => {
            for event in &events {
                tally
                    .verified
                    .insert((element.clone(), text(&event["eventType"])));
            }
        }
        Err(_) => tally.mismatches += 1,
    });
    if verdict.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    }
}
