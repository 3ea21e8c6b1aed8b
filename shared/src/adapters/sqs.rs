//! The delivery queue on SQS: a FIFO queue whose message groups are an instance's resources,
//! so one resource's notifications go out in order while a failed one waits for its retry
//! (the group is held while its head is invisible), and a FIFO dead-letter queue.
//!
//! Deduplication ids are fresh per send: a replayed notification must be sent again within
//! SQS's five-minute deduplication window, and repeats are absorbed by the store's claim.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use sha2::{Digest, Sha256};

use crate::ports::{NotificationQueue, QueueError, QueuedNotification};

/// SQS takes at most ten messages per batch call.
const BATCH: usize = 10;
/// The longest visibility timeout SQS allows (12 hours).
pub const MAX_VISIBILITY: Duration = Duration::from_secs(12 * 60 * 60);
/// Message group ids: at most 128 characters of ASCII letters, digits and punctuation.
const GROUP_MAX: usize = 128;

/// The delivery queue and its dead-letter queue; cheap to clone.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
    dead_letter_url: Option<String>,
}

fn unavailable(operation: &str, e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(format!("SQS {operation}: {e}"))
}

/// The message group of a notification: its instance and resource. A resource name SQS would
/// refuse (non-ASCII, too long) is replaced by a digest of it, which keeps the grouping.
pub fn message_group(notification: &QueuedNotification) -> String {
    let plain = format!("{}:{}", notification.instance_id.0, notification.resource);
    let allowed = |c: char| c.is_ascii_graphic();
    if plain.len() <= GROUP_MAX && plain.chars().all(allowed) {
        return plain;
    }
    let digest = Sha256::digest(notification.resource.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}:{hex}", notification.instance_id.0)
}

fn body(notification: &QueuedNotification) -> Result<String, QueueError> {
    serde_json::to_string(notification).map_err(|e| unavailable("message body", e))
}

impl SqsQueue {
    /// A queue on `queue_url` with a client built from `config` (endpoint overridable for the
    /// emulator); `dead_letter_url` receives notifications that will never be delivered.
    pub fn new(
        config: &aws_config::SdkConfig,
        queue_url: impl Into<String>,
        dead_letter_url: Option<String>,
    ) -> Self {
        Self {
            client: Client::new(config),
            queue_url: queue_url.into(),
            dead_letter_url,
        }
    }

    /// Hides a received message for `delay` (capped at SQS's 12 hours): the retry schedule.
    /// The consumer then reports it as failed, and SQS hands it out again after the delay.
    pub async fn retry_after(
        &self,
        receipt_handle: &str,
        delay: Duration,
    ) -> Result<(), QueueError> {
        let seconds = delay.min(MAX_VISIBILITY).as_secs();
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt_handle)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                unavailable(
                    "ChangeMessageVisibility",
                    aws_sdk_sqs::error::DisplayErrorContext(e),
                )
            })
    }

    async fn send_batch(&self, url: &str, batch: &[QueuedNotification]) -> Result<(), QueueError> {
        let entries = batch
            .iter()
            .enumerate()
            .map(|(i, notification)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body(notification)?)
                    .message_group_id(message_group(notification))
                    .message_deduplication_id(uuid::Uuid::new_v4().simple().to_string())
                    .build()
                    .map_err(|e| unavailable("SendMessageBatch entry", e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                unavailable(
                    "SendMessageBatch",
                    aws_sdk_sqs::error::DisplayErrorContext(e),
                )
            })?;
        match out.failed().first() {
            None => Ok(()),
            Some(failed) => Err(QueueError::Unavailable(format!(
                "SQS SendMessageBatch refused {} of {} messages (first: {} {})",
                out.failed().len(),
                batch.len(),
                failed.code(),
                failed.message().unwrap_or("")
            ))),
        }
    }
}

#[cfg(feature = "elements")]
#[async_trait]
impl crate::queued_delivery::Redelivery for SqsQueue {
    async fn redeliver_after(
        &self,
        receipt_handle: &str,
        delay: Duration,
    ) -> Result<(), QueueError> {
        self.retry_after(receipt_handle, delay).await
    }
}

#[async_trait]
impl NotificationQueue for SqsQueue {
    async fn send(&self, batch: &[QueuedNotification]) -> Result<(), QueueError> {
        for chunk in batch.chunks(BATCH) {
            self.send_batch(&self.queue_url, chunk).await?;
        }
        Ok(())
    }

    async fn send_dead(&self, notification: &QueuedNotification) -> Result<(), QueueError> {
        match &self.dead_letter_url {
            Some(url) => {
                self.send_batch(url, std::slice::from_ref(notification))
                    .await
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance::InstanceId;

    fn note(resource: &str) -> QueuedNotification {
        QueuedNotification {
            notification_id: "msg_1".into(),
            instance_id: InstanceId(42),
            resource: resource.into(),
        }
    }

    #[test]
    fn groups_are_instance_and_resource() {
        assert_eq!(message_group(&note("accounts")), "42:accounts");
    }

    #[test]
    fn resource_names_sqs_refuses_become_a_stable_digest() {
        let odd = message_group(&note("comptes clients é"));
        assert!(odd.starts_with("42:") && odd.len() == 3 + 32, "{odd}");
        assert!(odd.chars().all(|c| c.is_ascii_graphic()));
        assert_eq!(odd, message_group(&note("comptes clients é")));
        assert_ne!(odd, message_group(&note("comptes clients e")));
        let long = message_group(&note(&"a".repeat(200)));
        assert!(long.len() <= GROUP_MAX);
    }
}
