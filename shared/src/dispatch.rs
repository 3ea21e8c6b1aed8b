//! Handing stored notifications to an external delivery queue (SQS): the outbox sweep.
//!
//! A poll writes its events and notifications to the store with its page and moves the
//! watermark last; only then are they sent to the queue. A crash in between leaves them in
//! the outbox, and the next sweep of the instance (its next poll) sends them: nothing is lost,
//! and a notification sent twice is claimed once by the deliverer.

use std::sync::Arc;

use async_trait::async_trait;

use crate::instance::{Instance, InstanceId};
use crate::ports::{
    AttemptOutcome, AttemptRecord, DeliveryQueue, NotificationOutbox, NotificationQueue,
    PendingNotification, PollLogEntry, PollNowError, PollTrigger, QueueError, StoreError,
};

/// Why a sweep stopped; what it did not send stays in the outbox for the next one.
#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

/// The outbox and the queue it drains.
#[derive(Clone)]
pub struct Dispatcher {
    pub outbox: Arc<dyn NotificationOutbox>,
    pub queue: Arc<dyn NotificationQueue>,
}

impl Dispatcher {
    /// Sends the instance's notifications that are not on the queue yet, oldest first, and
    /// flags them; returns how many were sent.
    pub async fn flush(&self, instance: InstanceId) -> Result<usize, DispatchError> {
        let waiting = self.outbox.unqueued(instance).await?;
        if waiting.is_empty() {
            return Ok(0);
        }
        self.queue.send(&waiting).await?;
        self.outbox.mark_queued(&waiting).await?;
        tracing::info!(instance_id = %instance, notifications = waiting.len(), "notifications queued");
        Ok(waiting.len())
    }
}

/// A poll followed by a sweep: what the AWS poll function and `POST /instances/{id}/poll`
/// run where delivery goes through an external queue. Leftovers of an earlier crash are swept
/// first, so they keep their place ahead of this poll's notifications.
pub struct PollThenDispatch {
    pub poller: Arc<dyn PollTrigger>,
    pub dispatcher: Dispatcher,
}

fn unavailable(e: DispatchError) -> PollNowError {
    match e {
        DispatchError::Store(s) => PollNowError::Store(s),
        DispatchError::Queue(q) => PollNowError::Store(StoreError::Unavailable(q.to_string())),
    }
}

#[async_trait]
impl PollTrigger for PollThenDispatch {
    async fn poll_now(&self, instance: &Instance) -> Result<Vec<PollLogEntry>, PollNowError> {
        self.dispatcher
            .flush(instance.id)
            .await
            .map_err(unavailable)?;
        let entries = self.poller.poll_now(instance).await?;
        self.dispatcher
            .flush(instance.id)
            .await
            .map_err(unavailable)?;
        Ok(entries)
    }
}

/// The store's delivery queue, with replays sent on to the external queue at once rather than
/// at the instance's next poll.
pub struct ReplayThenDispatch {
    pub store: Arc<dyn DeliveryQueue>,
    pub dispatcher: Dispatcher,
}

#[async_trait]
impl DeliveryQueue for ReplayThenDispatch {
    async fn claim_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
        lease: std::time::Duration,
    ) -> Result<Vec<PendingNotification>, StoreError> {
        self.store.claim_due(now, limit, lease).await
    }

    async fn finish_attempt(
        &self,
        notification_id: &str,
        attempt: &AttemptRecord,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError> {
        self.store
            .finish_attempt(notification_id, attempt, outcome)
            .await
    }

    async fn replay(
        &self,
        instance: InstanceId,
        event_id: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        let requeued = self.store.replay(instance, event_id, now).await?;
        if requeued > 0 {
            // Replayed and stored: a failed send is retried by the next poll's sweep.
            if let Err(e) = self.dispatcher.flush(instance).await {
                tracing::warn!(instance_id = %instance, error = %e, "replayed notifications wait for the next poll to be queued");
            }
        }
        Ok(requeued)
    }

    async fn attempts(&self, notification_id: &str) -> Result<Vec<AttemptRecord>, StoreError> {
        self.store.attempts(notification_id).await
    }

    async fn bury_pending(&self, instance: InstanceId, reason: &str) -> Result<u64, StoreError> {
        self.store.bury_pending(instance, reason).await
    }
}
