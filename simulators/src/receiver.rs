//! A webhook receiver on loopback for delivery tests (local mode and AWS functions alike):
//! records what arrives and answers as told.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("notification body is JSON")
    }
}

/// How the receiver answers the next requests; after the script, `then`.
#[derive(Debug, Clone)]
pub enum Answer {
    Status(u16),
    /// Sleeps before answering 200 (a hung receiver).
    Hang(Duration),
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    script: Vec<Answer>,
    then: Option<Answer>,
}

#[derive(Clone, Default)]
pub struct Receiver {
    inner: Arc<Mutex<Inner>>,
}

pub struct RunningReceiver {
    pub url: String,
    pub receiver: Receiver,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RunningReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    /// Starts on 127.0.0.1 with TCP_NODELAY; answers 200 unless scripted.
    pub async fn start() -> RunningReceiver {
        let receiver = Receiver::default();
        let app = Router::new().fallback(handle).with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RunningReceiver {
            url: format!("http://{addr}/hook"),
            receiver,
            task,
        }
    }

    /// The next answers, in order, then `then` for every later request.
    pub fn script(&self, answers: Vec<Answer>, then: Answer) {
        let mut inner = self.inner.lock().expect("receiver");
        inner.script = answers;
        inner.then = Some(then);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("receiver").received.clone()
    }

    /// Waits (bounded) until `ready` holds for what was received.
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        ready: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if ready(&got) {
                return got;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "receiver: {what} did not happen within {timeout:?}; got {} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn handle(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    let answer = {
        let mut inner = receiver.inner.lock().expect("receiver");
        if inner.script.is_empty() {
            inner.then.clone().unwrap_or(Answer::Status(200))
        } else {
            inner.script.remove(0)
        }
    };
    let status = match answer {
        Answer::Status(s) => s,
        Answer::Hang(_) => 200,
    };
    // Recorded on arrival, so a request whose sender dies mid-wait still counts as received.
    receiver
        .inner
        .lock()
        .expect("receiver")
        .received
        .push(Received { headers, body });
    if let Answer::Hang(d) = answer {
        tokio::time::sleep(d).await;
    }
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::OK)
        .into_response()
}
