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
            Some(AttemptOutcome::RetryAt(at)) => {
                Ok(Verdict::RetryIn(delay_until(at, self.deliverer.clock.now())))
            }
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
