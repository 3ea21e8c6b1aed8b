//! Delivery throughput and enqueue-to-delivery latency to a local receiver that answers 200 at
//! once. Prints notifications/s and latency percentiles; the figures go into BENCHMARKS.md.
//! Run: `cargo bench --bench deliver`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use chrono::Utc;
use pollhook_core::adapters::sqlite::SqliteStore;
use pollhook_core::callback_guard::{guarded_client, CallbackGuard};
use pollhook_core::credentials::digest;
use pollhook_core::deliverer::{Deliverer, DeliverySettings};
use pollhook_core::event::{Event, EventType};
use pollhook_core::instance::{Instance, InstanceId, InstanceSpec};
use pollhook_core::ports::{InstanceStore, PollStore, SystemClock};
use pollhook_core::secret_box::SecretBox;
use serde_json::json;

/// Receipt times of notifications, by webhook-id, for latency.
type Arrivals = Arc<Mutex<Vec<(String, Instant)>>>;

async fn receiver(count: Arc<AtomicU64>, arrivals: Arrivals) -> String {
    let app = Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap| {
            let count = count.clone();
            let arrivals = arrivals.clone();
            async move {
                let id = headers
                    .get("webhook-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                arrivals
                    .lock()
                    .expect("arrivals")
                    .push((id, Instant::now()));
                count.fetch_add(1, Ordering::SeqCst);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/hook")
}

fn instance(id: u64, callback: &str) -> Instance {
    let body = json!({
        "element": {"key": "http"},
        "name": format!("bench {id}"),
        "configuration": {
            "base.url": "http://127.0.0.1:9",
            "event.notification.enabled": true,
            "event.notification.callback.url": callback,
            "event.notification.signature.key": "bench-key",
            "event.poller.configuration": {"items": {"url": "/items?since=${gmtDate}", "idField": "id"}}
        }
    });
    let mut spec = InstanceSpec::from_body(&body).expect("valid");
    pollhook_core::webhook_secrets::install_new(&mut spec.configuration);
    Instance {
        id: InstanceId(id),
        organization_id: "local".into(),
        spec,
        token_digest: digest(&id.to_string()),
        created_date: Utc::now(),
        updated_date: Utc::now(),
    }
}

fn event(instance: u64, n: u64) -> Event {
    Event {
        id: format!("{instance}-{n}"),
        instance_id: InstanceId(instance),
        element_key: "http".into(),
        object_type: "items".into(),
        object_id: n.to_string(),
        event_type: EventType::Created,
        date: Utc::now(),
        raw: json!({"id": n, "name": "a record of ordinary size", "updated": "2024-05-01T10:20:30Z"}),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (instances, per_instance, latency_samples) = if full {
        (50u64, 80u64, 500usize)
    } else {
        (5, 4, 20)
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let count = Arc::new(AtomicU64::new(0));
        let arrivals: Arrivals = Arc::new(Mutex::new(Vec::new()));
        let callback = receiver(count.clone(), arrivals.clone()).await;
        let dir = tempfile::tempdir().expect("dir");
        let store = Arc::new(SqliteStore::open(&dir.path().join("bench.db"), SecretBox::from_key(&[8; 32])).expect("store"));
        store.upsert_account("local", "local", "o", "u").expect("account");
        for i in 1..=instances {
            store.insert(&instance(i, &callback)).await.expect("insert");
        }
        let guard = CallbackGuard { allow_private: true };
        let deliverer = Arc::new(Deliverer {
            queue: store.clone(),
            instances: store.clone(),
            client: guarded_client(guard.clone(), Duration::from_secs(5), "pollhook-bench"),
            guard,
            clock: Arc::new(SystemClock),
            settings: DeliverySettings { concurrency: 64, ..DeliverySettings::default() },
            user_agent: "pollhook-bench".into(),
            wake: Some(store.enqueued_signal()),
            metrics: None,
        });

        // Throughput: a backlog of notifications (one event each) across many instances.
        for i in 1..=instances {
            for n in 0..per_instance {
                store.commit_page(InstanceId(i), "items", vec![event(i, n)], None, Utc::now()).await.expect("enqueue");
            }
        }
        let total = instances * per_instance;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let started = Instant::now();
        let running = tokio::spawn(deliverer.clone().run(async {
            let _ = stop_rx.await;
        }));
        while count.load(Ordering::SeqCst) < total {
            assert!(started.elapsed() < Duration::from_secs(120), "backlog not delivered in 120 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let elapsed = started.elapsed();
        println!(
            "throughput: {total} notifications from {instances} instances in {:.0} ms = {:.0} notifications/s",
            elapsed.as_secs_f64() * 1000.0,
            total as f64 / elapsed.as_secs_f64()
        );

        // Latency: one notification at a time into an idle deliverer, enqueue to receipt.
        let mut latencies = Vec::with_capacity(latency_samples);
        for n in 0..latency_samples as u64 {
            let before = count.load(Ordering::SeqCst);
            let instance = 1 + n % instances;
            let enqueued = Instant::now();
            store
                .commit_page(InstanceId(instance), "items", vec![event(instance, 1_000_000 + n)], None, Utc::now())
                .await
                .expect("enqueue");
            while count.load(Ordering::SeqCst) == before {
                assert!(enqueued.elapsed() < Duration::from_secs(10), "notification not delivered in 10 s");
                tokio::task::yield_now().await;
            }
            let arrived = arrivals.lock().expect("arrivals").last().map(|a| a.1).unwrap_or_else(Instant::now);
            latencies.push(arrived.duration_since(enqueued));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        latencies.sort();
        println!(
            "enqueue-to-delivery latency over {} notifications: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            latencies.len(),
            percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
            latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
        );
        let _ = stop_tx.send(());
        let _ = running.await;
    });
}
