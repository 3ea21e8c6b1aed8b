//! One notification taken from an external queue (SQS) and delivered: what the deliver
//! function does per message. The queue carries only a reference; the store's claim makes a
//! repeated or early message harmless, and the verdict tells the queue when to hand it out again.

use std::sync::Arc;
use std::time::Duration;

use crate::deliverer::Deliverer;
use crate::ports::{AttemptOutcome, Claim, NotificationOutbox, NotificationQueue, QueueError};
use crate::ports::{QueuedNotification, StoreError};

/// What becomes of the message.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Delivered, dead (and copied to the dead-letter queue), or nothing left to do: delete it.
    Done,
    /// Hand it out again after this delay: the retry schedule, through the message's visibility.
    RetryIn(Duration),
}

/// Why a message could not be handled now; it returns to the queue after its visibility timeout.
#[derive(Debug, thiserror::Error)]
pub enum QueuedDeliveryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The deliverer, the store's claims, and the queue's dead-letter side.
pub struct QueuedDelivery {
    pub deliverer: Arc<Deliverer>,
    pub outbox: Arc<dyn NotificationOutbox>,
    pub queue: Arc<dyn NotificationQueue>,
    /// Receives the queue allows before its redrive policy moves a message to the dead-letter
    /// queue: a failure on the last one is final.
    pub max_receives: u32,
}

/// Shortest redelivery delay, so a busy claim is not spun on.
const MIN_DELAY: Duration = Duration::from_secs(1);

impl QueuedDelivery {
    /// Handles one message, received for the `receive_count`-th time (1 on the first).
    pub async fn handle(
        &self,
        message: &QueuedNotification,
        receive_count: u32,
    ) -> Result<Verdict, QueuedDeliveryError> {
        let now = self.deliverer.clock.now();
        let lease = self.deliverer.settings.lease;
        let pending = match self
            .outbox
            .claim(&message.notification_id, now, lease)
            .await?
        {
            Claim::Claimed(pending) => pending,
            Claim::Finished { status } => {
                tracing::info!(notification_id = %message.notification_id, status = %status, "repeated message for a finished notification");
                return Ok(Verdict::Done);
            }
            Claim::Missing => {
                tracing::info!(notification_id = %message.notification_id, instance_id = %message.instance_id, "notification no longer exists (instance deleted)");
                return Ok(Verdict::Done);
            }
            Claim::Busy { until } => {
                return Ok(Verdict::RetryIn(delay_until(until, now)));
            }
        };
        let last = receive_count >= self.max_receives;
        let outcome = if last {
            self.deliverer.deliver_last(pending).await?
        } else {
            self.deliverer.deliver(pending).await?
        };
        match outcome {
            None | Some(AttemptOutcome::Delivered) => Ok(Verdict::Done),
            Some(AttemptOutcome::RetryAt(at)) => Ok(Verdict::RetryIn(delay_until(
                at,
                self.deliverer.clock.now(),
            ))),
            Some(AttemptOutcome::Dead) => {
                self.queue.send_dead(message).await?;
                Ok(Verdict::Done)
            }
        }
    }
}

fn delay_until(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> Duration {
    (at - now).to_std().unwrap_or_default().max(MIN_DELAY)
}

/// One message of a batch as the queue handed it over.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedMessage {
    /// What a batch item failure names.
    pub message_id: String,
    /// What a visibility change names.
    pub receipt_handle: String,
    pub body: String,
    /// The FIFO message group (instance and resource); messages of one group are handled in
    /// order and stop at the first failure, as SQS FIFO with Lambda requires.
    pub group: String,
    /// How many times SQS has handed it out, this time included.
    pub receive_count: u32,
}

/// Setting when a failed message is handed out again.
#[async_trait::async_trait]
pub trait Redelivery: Send + Sync {
    async fn redeliver_after(
        &self,
        receipt_handle: &str,
        delay: Duration,
    ) -> Result<(), QueueError>;
}

impl QueuedDelivery {
    /// Handles a batch: groups run side by side, each in order; returns the ids of the messages
    /// to report as batch item failures (never failing the whole batch). A malformed message is
    /// reported failed and left to the queue's redrive policy.
    pub async fn handle_batch(
        self: &Arc<Self>,
        messages: Vec<ReceivedMessage>,
        redelivery: Arc<dyn Redelivery>,
    ) -> Vec<String> {
        let mut groups: Vec<(String, Vec<ReceivedMessage>)> = Vec::new();
        for message in messages {
            match groups.iter_mut().find(|(g, _)| *g == message.group) {
                Some((_, list)) => list.push(message),
                None => groups.push((message.group.clone(), vec![message])),
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (_, group) in groups {
            let me = self.clone();
            let redelivery = redelivery.clone();
            tasks.spawn(async move { me.handle_group(group, redelivery.as_ref()).await });
        }
        let mut failed = Vec::new();
        while let Some(result) = tasks.join_next().await {
            match result {
                Ok(ids) => failed.extend(ids),
                Err(e) => {
                    tracing::error!(error = %e, "a delivery task panicked; its messages return to the queue")
                }
            }
        }
        failed
    }

    /// One group in order; after a failure the rest of the group is reported failed unattempted,
    /// so a resource's notifications never overtake each other.
    async fn handle_group(
        &self,
        group: Vec<ReceivedMessage>,
        redelivery: &dyn Redelivery,
    ) -> Vec<String> {
        let mut failed = Vec::new();
        for message in group {
            if !failed.is_empty() {
                failed.push(message.message_id);
                continue;
            }
            if !self.handle_one(&message, redelivery).await {
                failed.push(message.message_id);
            }
        }
        failed
    }

    /// True when the message is done with and may be deleted.
    async fn handle_one(&self, message: &ReceivedMessage, redelivery: &dyn Redelivery) -> bool {
        let notification: QueuedNotification = match serde_json::from_str(&message.body) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(message_id = %message.message_id, error = %e, "malformed message body: expected {{\"notificationId\", \"instanceId\", \"resource\"}}; left to the queue's redrive policy");
                return false;
            }
        };
        match self.handle(&notification, message.receive_count).await {
            Ok(Verdict::Done) => true,
            Ok(Verdict::RetryIn(delay)) => {
                if let Err(e) = redelivery
                    .redeliver_after(&message.receipt_handle, delay)
                    .await
                {
                    tracing::warn!(notification_id = %notification.notification_id, error = %e, "could not set the retry delay; the queue's visibility timeout applies");
                }
                false
            }
            Err(e) => {
                tracing::error!(notification_id = %notification.notification_id, instance_id = %notification.instance_id, error = %e, "delivery could not run; the message returns after its visibility timeout");
                false
            }
        }
    }
}
