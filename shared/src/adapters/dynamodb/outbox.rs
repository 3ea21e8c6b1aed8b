//! The outbox on DynamoDB: notifications are written with their page by `commit_page`; the
//! AWS poll function hands the ones not yet on SQS to the queue and flags them, and the deliver
//! function claims each one it receives. A notification sent twice is claimed once.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};

use super::delivery::{Note, QUEUED};
use super::items::{millis, n, Item};
use super::DynamoStore;
use crate::instance::InstanceId;
use crate::notification::status;
use crate::ports::{Claim, NotificationOutbox, QueuedNotification, StoreError};

fn queued(note: &Note) -> QueuedNotification {
    QueuedNotification {
        notification_id: note.id.clone(),
        instance_id: note.instance,
        resource: note.resource.clone(),
    }
}

fn at_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(Utc::now)
}

#[async_trait]
impl NotificationOutbox for DynamoStore {
    async fn unqueued(&self, instance: InstanceId) -> Result<Vec<QueuedNotification>, StoreError> {
        // One partition query: every item of an instance shares its partition.
        Ok(self
            .notes_of(instance)
            .await?
            .iter()
            .filter(|note| note.status == status::NEW && !note.queued)
            .map(queued)
            .collect())
    }

    async fn mark_queued(&self, sent: &[QueuedNotification]) -> Result<(), StoreError> {
        for notification in sent {
            let Some(note) = self.note_by_id(&notification.notification_id).await? else {
                continue; // its instance was deleted meanwhile
            };
            // A false (the item vanished with its instance) needs nothing more.
            self.update_one(
                "UpdateItem notification queued",
                note.key,
                &format!("SET {QUEUED} = :one"),
                Some("attribute_exists(pk)"),
                Item::from([(":one".to_owned(), n(1))]),
            )
            .await?;
        }
        Ok(())
    }

    async fn claim(
        &self,
        notification_id: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let Some(note) = self.note_by_id(notification_id).await? else {
            return Ok(Claim::Missing);
        };
        if note.status == status::NOTIFIED || note.status == status::DEAD {
            return Ok(Claim::Finished {
                status: note.status,
            });
        }
        let now_ms = now.timestamp_millis();
        // Held by a live attempt, or a retry not yet due (a repeated message arriving early).
        let busy_until = note.claimed_ms.max(if note.status == status::FAILED {
            note.next_ms
        } else {
            0
        });
        if busy_until > now_ms {
            return Ok(Claim::Busy {
                until: at_millis(busy_until),
            });
        }
        let until_ms = now_ms.saturating_add(millis(lease));
        Ok(match self.claim_note(note, now_ms, until_ms).await? {
            Some(pending) => Claim::Claimed(pending),
            None => Claim::Busy {
                until: at_millis(until_ms),
            },
        })
    }
}
