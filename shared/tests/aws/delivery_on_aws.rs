//! The AWS delivery path on the local emulator (DynamoDB + SQS FIFO): a poll stores its events
//! and queues their notifications on SQS; the deliver side handles SQS batches. Shows that a
//! crash between storing and queueing loses nothing and repeats nothing, that one bad message
//! fails alone, that retries go through visibility and the last failure reaches the DLQ.
#![cfg(all(feature = "elements", feature = "api"))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::emulator::{config, unique};
use crate::fresh_store::store_with_account;
use crate::router_call;
use async_trait::async_trait;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use axum::http::StatusCode;
use chrono::{SecondsFormat, Utc};
use pollhook_core::adapters::dynamodb::DynamoStore;
use pollhook_core::adapters::sqs::SqsQueue;
use pollhook_core::api::{router, ApiState};
use pollhook_core::callback_guard::{guarded_client, CallbackGuard};
use pollhook_core::deliverer::{Deliverer, DeliverySettings};
use pollhook_core::dispatch::{Dispatcher, PollThenDispatch};
use pollhook_core::instance::InstanceId;
use pollhook_core::poll_runner::PollRunner;
use pollhook_core::poller::PollerSettings;
use pollhook_core::ports::{
    Claim, InstanceStore, NotificationOutbox, NotificationQueue, PollNowError, PollTrigger,
    QueueError, QueuedNotification, StoreError, SystemClock,
};
use pollhook_core::queued_delivery::{QueuedDelivery, ReceivedMessage, Redelivery};
use pollhook_simulators::receiver::{Answer, Receiver, RunningReceiver};
use pollhook_simulators::{sagecrm, spawn, Running};
use serde_json::{json, Value};

const SEED: &str = include_str!("../../../tests/fixtures/sagecrm-seed.json");
const AUTH: &str = "User u, Organization o";

/// A queue that is down: the crash (or outage) between storing a page and queueing it.
struct DownQueue;

#[async_trait]
impl NotificationQueue for DownQueue {
    async fn send(&self, _: &[QueuedNotification]) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("down for the test".into()))
    }
    async fn send_dead(&self, _: &QueuedNotification) -> Result<(), QueueError> {
        Err(QueueError::Unavailable("down for the test".into()))
    }
}

/// An outbox whose flagging fails once: the crash after SQS took the messages but before
/// the store recorded it, so the next sweep sends them again.
struct ForgetfulOutbox {
    store: Arc<DynamoStore>,
    fail_next_mark: AtomicBool,
}

#[async_trait]
impl NotificationOutbox for ForgetfulOutbox {
    async fn unqueued(&self, instance: InstanceId) -> Result<Vec<QueuedNotification>, StoreError> {
        self.store.unqueued(instance).await
    }
    async fn mark_queued(&self, sent: &[QueuedNotification]) -> Result<(), StoreError> {
        if self.fail_next_mark.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Unavailable("crashed before flagging".into()));
        }
        self.store.mark_queued(sent).await
    }
    async fn claim(
        &self,
        id: &str,
        now: chrono::DateTime<Utc>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        self.store.claim(id, now, lease).await
    }
}

struct World {
    store: Arc<DynamoStore>,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    dead_url: String,
    queue: Arc<SqsQueue>,
    sim: Running,
    receiver: RunningReceiver,
    app: axum::Router,
    runner: Arc<PollRunner>,
}

impl World {
    async fn new() -> Self {
        let config = config().await;
        let store = store_with_account(&config, &unique("pollhook-deliver"), [3; 32]).await;
        let store = Arc::new(store);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let make_queue = |name: String| {
            let sqs = sqs.clone();
            async move {
                sqs.create_queue()
                    .queue_name(format!("{name}.fifo"))
                    .attributes(QueueAttributeName::FifoQueue, "true")
                    .send()
                    .await
                    .expect("create queue")
                    .queue_url()
                    .expect("queue url")
                    .to_owned()
            }
        };
        let queue_url = make_queue(unique("deliveries")).await;
        let dead_url = make_queue(unique("dead")).await;
        let queue = Arc::new(SqsQueue::new(
            &config,
            queue_url.clone(),
            Some(dead_url.clone()),
        ));
        let sim = spawn(sagecrm::router(sagecrm::Options::default()))
            .await
            .expect("sim");
        let receiver = Receiver::start().await;
        let runner = Arc::new(PollRunner {
            instances: store.clone(),
            polls: store.clone(),
            client: reqwest::Client::new(),
            // The vendor is a simulator on loopback.
            guard: pollhook_core::callback_guard::CallbackGuard {
                allow_private: true,
            },
            clock: Arc::new(SystemClock),
            settings: PollerSettings::default(),
            metrics: None,
        });
        let app = router(ApiState::on_store(store.clone()).allow_private_callbacks(true));
        Self {
            store,
            sqs,
            queue_url,
            dead_url,
            queue,
            sim,
            receiver,
            app,
            runner,
        }
    }

    /// Registers the Sage CRM seed (accounts only) on the simulator, delivering to the receiver.
    async fn register(&self) -> InstanceId {
        let mut body: Value = serde_json::from_str(SEED).expect("seed");
        body["configuration"]["base.url"] = json!(self.sim.base_url());
        body["configuration"]["event.notification.callback.url"] = json!(self.receiver.url);
        body["configuration"]["event.poller.configuration"]
            .as_object_mut()
            .expect("poller")
            .retain(|k, _| k == "accounts");
        let (status, created) = router_call::call(
            &self.app,
            "POST",
            "/instances",
            AUTH,
            Some(&body.to_string()),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{created}");
        InstanceId(created["id"].as_u64().expect("id"))
    }

    async fn add_companies(&self, n: usize) {
        let client = reqwest::Client::new();
        let at =
            (Utc::now() + chrono::Duration::seconds(2)).to_rfc3339_opts(SecondsFormat::Secs, true);
        let admin = |path: &str, body: Value| client.post(self.sim.url(path)).json(&body).send();
        admin("/_sim/clock", json!({"now": at}))
            .await
            .expect("clock");
        for i in 0..n {
            let r = admin("/_sim/company", json!({"Comp_Name": format!("Co {i}")}))
                .await
                .expect("company");
            assert!(r.status().is_success(), "{}", r.status());
        }
    }

    fn poll_trigger(&self, queue: Arc<dyn NotificationQueue>) -> PollThenDispatch {
        self.poll_trigger_with(self.store.clone(), queue)
    }

    fn poll_trigger_with(
        &self,
        outbox: Arc<dyn NotificationOutbox>,
        queue: Arc<dyn NotificationQueue>,
    ) -> PollThenDispatch {
        PollThenDispatch {
            poller: self.runner.clone(),
            dispatcher: Dispatcher { outbox, queue },
        }
    }

    async fn poll(&self, id: InstanceId, queue: Arc<dyn NotificationQueue>) {
        let instance = self.store.find(id).await.expect("find").expect("instance");
        self.poll_trigger(queue)
            .poll_now(&instance)
            .await
            .expect("poll");
    }

    fn delivery(&self, max_receives: u32) -> Arc<QueuedDelivery> {
        let guard = CallbackGuard {
            allow_private: true,
        };
        let deliverer = Deliverer {
            queue: self.store.clone(),
            instances: self.store.clone(),
            client: guarded_client(guard.clone(), Duration::from_secs(2), "pollhook-test"),
            guard,
            clock: Arc::new(SystemClock),
            settings: DeliverySettings::default(),
            user_agent: "pollhook-test".into(),
            wake: None,
            metrics: None,
        };
        Arc::new(QueuedDelivery {
            deliverer: Arc::new(deliverer),
            outbox: self.store.clone(),
            queue: self.queue.clone(),
            max_receives,
        })
    }

    /// Every message visible on `url` now (one receive call of up to ten, waiting a second).
    async fn receive(&self, url: &str) -> Vec<ReceivedMessage> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .expect("receive");
        out.messages()
            .iter()
            .map(|m| {
                let attribute = |name: MessageSystemAttributeName| {
                    m.attributes()
                        .and_then(|a| a.get(&name))
                        .cloned()
                        .unwrap_or_default()
                };
                ReceivedMessage {
                    message_id: m.message_id().unwrap_or_default().to_owned(),
                    receipt_handle: m.receipt_handle().unwrap_or_default().to_owned(),
                    body: m.body().unwrap_or_default().to_owned(),
                    group: attribute(MessageSystemAttributeName::MessageGroupId),
                    receive_count: attribute(MessageSystemAttributeName::ApproximateReceiveCount)
                        .parse()
                        .unwrap_or(1),
                }
            })
            .collect()
    }

    /// What the Lambda runtime does after the handler: deletes the messages not reported failed.
    async fn deliver_batch(
        &self,
        delivery: &Arc<QueuedDelivery>,
        batch: Vec<ReceivedMessage>,
    ) -> Vec<String> {
        let redelivery: Arc<dyn Redelivery> = self.queue.clone();
        let failed = delivery.handle_batch(batch.clone(), redelivery).await;
        for m in batch.iter().filter(|m| !failed.contains(&m.message_id)) {
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(&m.receipt_handle)
                .send()
                .await
                .expect("delete");
        }
        failed
    }

    async fn event_statuses(&self, id: InstanceId) -> Vec<String> {
        let (status, body) = router_call::call(
            &self.app,
            "GET",
            &format!("/instances/{}/events", id.0),
            AUTH,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array()
            .expect("events list")
            .iter()
            .map(|e| e["status"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

fn queued(m: &ReceivedMessage) -> QueuedNotification {
    serde_json::from_str(&m.body).expect("message body is a queued notification")
}

#[tokio::test]
async fn a_poll_queues_its_notifications_and_each_is_delivered_once() {
    let w = World::new().await;
    let id = w.register().await;
    w.add_companies(3).await;
    w.poll(id, w.queue.clone()).await;

    let batch = w.receive(&w.queue_url).await;
    assert_eq!(batch.len(), 1, "three events make one notification");
    let message = queued(&batch[0]);
    assert_eq!(message.instance_id, id);
    assert_eq!(message.resource, "accounts");
    assert_eq!(batch[0].group, format!("{}:accounts", id.0));
    assert_eq!(w.event_statuses(id).await, ["NEW"; 3]);

    let failed = w.deliver_batch(&w.delivery(20), batch.clone()).await;
    assert!(failed.is_empty(), "{failed:?}");
    let got = w.receiver.receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].json()["message"]["events"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(w.event_statuses(id).await, ["NOTIFIED"; 3]);

    // SQS may hand a message out twice: the repeat is deleted without a second POST.
    let failed = w.deliver_batch(&w.delivery(20), batch).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(w.receiver.receiver.received().len(), 1);

    // A second poll finds nothing new and queues nothing.
    w.poll(id, w.queue.clone()).await;
    assert!(w.receive(&w.queue_url).await.is_empty());
}

#[tokio::test]
async fn a_crash_between_storing_and_queueing_loses_nothing_and_repeats_nothing() {
    let w = World::new().await;
    let id = w.register().await;
    w.add_companies(3).await;
    let instance = w.store.find(id).await.expect("find").expect("instance");

    // The queue is unreachable after the page was stored and the watermark moved.
    let err = w
        .poll_trigger(Arc::new(DownQueue))
        .poll_now(&instance)
        .await
        .expect_err("the poll reports that its notifications are not queued");
    assert!(matches!(err, PollNowError::Store(_)), "{err}");
    assert_eq!(w.event_statuses(id).await, ["NEW"; 3], "events are stored");
    assert!(w.receive(&w.queue_url).await.is_empty());

    // The next scheduled poll queues them, once, and finds no event twice.
    w.poll(id, w.queue.clone()).await;
    let batch = w.receive(&w.queue_url).await;
    assert_eq!(batch.len(), 1, "{batch:?}");
    assert_eq!(w.event_statuses(id).await.len(), 3);
    assert!(w.deliver_batch(&w.delivery(20), batch).await.is_empty());
    assert_eq!(w.receiver.receiver.received().len(), 1);

    // A crash after SQS took a notification but before the store flagged it: it is sent
    // again by the next sweep, and the repeat is absorbed at delivery.
    w.add_companies(2).await;
    let forgetful = Arc::new(ForgetfulOutbox {
        store: w.store.clone(),
        fail_next_mark: AtomicBool::new(true),
    });
    let trigger = w.poll_trigger_with(forgetful.clone(), w.queue.clone());
    trigger
        .poll_now(&instance)
        .await
        .expect_err("flagging failed");
    trigger.poll_now(&instance).await.expect("next poll");
    let mut batch = w.receive(&w.queue_url).await;
    batch.extend(w.receive(&w.queue_url).await);
    assert_eq!(batch.len(), 2, "sent twice: {batch:?}");
    assert_eq!(queued(&batch[0]), queued(&batch[1]));
    for message in batch {
        assert!(w
            .deliver_batch(&w.delivery(20), vec![message])
            .await
            .is_empty());
    }
    let got = w.receiver.receiver.received();
    assert_eq!(got.len(), 2, "one POST per notification, not per message");
    assert_eq!(w.event_statuses(id).await, ["NOTIFIED"; 5]);
}

#[tokio::test]
async fn one_bad_message_fails_alone_in_its_batch() {
    let w = World::new().await;
    let id = w.register().await;
    w.add_companies(1).await;
    w.poll(id, w.queue.clone()).await;
    let mut batch = w.receive(&w.queue_url).await;
    assert_eq!(batch.len(), 1);
    batch.insert(
        0,
        ReceivedMessage {
            message_id: "bad-1".into(),
            receipt_handle: "not-a-receipt".into(),
            body: "{\"notificationId\": 7".into(),
            group: "bad-group".into(),
            receive_count: 1,
        },
    );
    let failed = w.deliver_batch(&w.delivery(20), batch).await;
    assert_eq!(failed, ["bad-1"]);
    assert_eq!(w.receiver.receiver.received().len(), 1);
    assert_eq!(w.event_statuses(id).await, ["NOTIFIED"]);
}

#[tokio::test]
async fn failures_wait_out_their_retry_through_visibility_and_the_last_goes_to_the_dlq() {
    let w = World::new().await;
    let id = w.register().await;
    w.receiver.receiver.script(Vec::new(), Answer::Status(500));
    w.add_companies(12).await;
    w.poll(id, w.queue.clone()).await;
    let batch = w.receive(&w.queue_url).await;
    assert_eq!(batch.len(), 2, "12 events: 10 + 2, in one group: {batch:?}");
    assert_eq!(batch[0].group, batch[1].group);

    // The head fails: both are reported, the second unattempted so it cannot overtake.
    let failed = w.deliver_batch(&w.delivery(20), batch.clone()).await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(w.receiver.receiver.received().len(), 1);
    let statuses = w.event_statuses(id).await;
    assert_eq!(
        statuses.iter().filter(|s| *s == "FAILED").count(),
        10,
        "{statuses:?}"
    );

    // The head's retry is seconds away: SQS does not hand out its group before then.
    assert!(
        w.receive(&w.queue_url).await.is_empty(),
        "the failed head is hidden until its retry"
    );

    // On the last receive the queue allows, a failure is final: DEAD, and on the DLQ.
    let head = ReceivedMessage {
        receive_count: 20,
        ..batch[0].clone()
    };
    let claim_free_at = Utc::now() + chrono::Duration::seconds(8);
    while Utc::now() < claim_free_at {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if w.deliver_batch(&w.delivery(20), vec![head.clone()])
            .await
            .is_empty()
        {
            break;
        }
    }
    let statuses = w.event_statuses(id).await;
    assert_eq!(
        statuses.iter().filter(|s| *s == "DEAD").count(),
        10,
        "{statuses:?}"
    );
    let dead = w.receive(&w.dead_url).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(queued(&dead[0]), queued(&batch[0]));
}
