//! The traits the domain needs from the outside world; adapters (SQLite, DynamoDB) implement them.

use async_trait::async_trait;

use crate::credentials::SecretDigest;
use crate::instance::{Instance, InstanceId};
use crate::list_cursor::ListCursor;
use crate::refresh_interval::RefreshInterval;

/// Why a store could not answer; the message is for operators, never shown with secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("an instance with id {0} already exists")]
    Conflict(InstanceId),
    #[error("organization '{0}' does not exist")]
    UnknownOrganization(String),
}

/// An account that may act for an organization: a user of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub organization_id: String,
    pub user_id: String,
    /// Digest of the user's secret, compared in constant time by the caller.
    pub user_secret_digest: SecretDigest,
}

/// Organizations and their users, looked up by secret digest.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// The users of the organization whose secret has this digest.
    async fn accounts_for_organization(
        &self,
        organization_secret: &SecretDigest,
    ) -> Result<Vec<Account>, StoreError>;
}

/// An instance as a scheduler sees it: polled every `every`, counted from its creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollSchedule {
    pub id: InstanceId,
    pub created_date: chrono::DateTime<chrono::Utc>,
    pub every: RefreshInterval,
}

/// Registered instances, always scoped to one organization.
#[async_trait]
pub trait InstanceStore: Send + Sync {
    /// Stores a new instance; `Conflict` if its id is taken.
    async fn insert(&self, instance: &Instance) -> Result<(), StoreError>;
    async fn get(
        &self,
        organization_id: &str,
        id: InstanceId,
    ) -> Result<Option<Instance>, StoreError>;
    /// The instance an `Element` token belongs to.
    async fn get_by_token(&self, token: &SecretDigest) -> Result<Option<Instance>, StoreError>;
    /// An organization's instances, oldest first.
    async fn list(&self, organization_id: &str) -> Result<Vec<Instance>, StoreError>;
    /// At most `limit` of an organization's instances in `list` order, after `after` when
    /// given. The default filters `list`; a store should read just the page instead.
    async fn list_page(
        &self,
        organization_id: &str,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Instance>, StoreError> {
        let all = self.list(organization_id).await?;
        Ok(all
            .into_iter()
            .filter(|i| after.is_none_or(|cursor| cursor.precedes(i)))
            .take(limit)
            .collect())
    }
    /// An instance by id whatever its organization, for workers acting on queued work.
    async fn find(&self, id: InstanceId) -> Result<Option<Instance>, StoreError>;
    /// Every instance of every organization, for a scheduler that polls them all.
    async fn list_all(&self) -> Result<Vec<Instance>, StoreError>;
    /// When each instance with something to poll is polled: what a scheduler re-reads often.
    /// The default builds every instance; a store should answer from its columns instead,
    /// as a scheduler holding thousands of instances would otherwise decrypt and parse each
    /// one at every re-read.
    async fn list_poll_schedules(&self) -> Result<Vec<PollSchedule>, StoreError> {
        Ok(self
            .list_all()
            .await?
            .iter()
            .filter_map(|i| {
                i.spec.events.poll_interval().map(|every| PollSchedule {
                    id: i.id,
                    created_date: i.created_date,
                    every,
                })
            })
            .collect())
    }
    /// Replaces a stored instance; false if it no longer exists.
    async fn update(&self, instance: &Instance) -> Result<bool, StoreError>;
    /// Removes an instance; false if it did not exist.
    async fn delete(&self, organization_id: &str, id: InstanceId) -> Result<bool, StoreError>;
}

/// One page of vendor records, as a connector read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The records of this page, in vendor order.
    pub records: Vec<serde_json::Value>,
    /// Opaque cursor for the next page; None on the last page.
    pub next: Option<String>,
}

/// What the poller asks a connector for: one page of one resource.
#[derive(Debug, Clone)]
pub struct PageRequest<'a> {
    /// Hub resource name as configured (`accounts`, `customers`).
    pub resource: &'a str,
    /// The resource's `url` with its date placeholders already expanded
    /// (e.g. `/hubs/crm/accounts?where=Comp_UpdatedDate>'2024-05-01T10:20:30Z'`).
    pub url: &'a str,
    /// Records per page the poller wants (the resource's `pageSize`, or the connector's default).
    pub page_size: u32,
    /// The cursor the previous page returned; None for the first page.
    pub cursor: Option<&'a str>,
    /// Upper bound on updated dates (`filterByCurrentDate`): the poll's start time.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Why a page could not be read; the poller retries the transient ones.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConnectorError {
    #[error("vendor rate limit (429){}", retry_after_text(.retry_after))]
    RateLimited {
        retry_after: Option<std::time::Duration>,
    },
    #[error("vendor error {status}: {message}")]
    Server { status: u16, message: String },
    #[error("vendor did not answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("vendor refused the credentials: {0}")]
    Unauthorized(String),
    #[error("vendor answered something that is not a page of records: {0}")]
    MalformedPage(String),
    #[error("cannot reach the vendor: {0}")]
    Network(String),
    /// The vendor's address is one the operator does not allow (private, loopback, ...): not
    /// retried, since the same name resolves to the same place within a poll.
    #[error("vendor address refused: {0}")]
    AddressRefused(String),
    /// The configuration cannot be turned into a vendor call (e.g. a filter it cannot express).
    #[error("{field}: {message}")]
    Configuration { field: String, message: String },
}

fn retry_after_text(retry_after: &Option<std::time::Duration>) -> String {
    retry_after
        .map(|d| format!(", retry after {}s", d.as_secs()))
        .unwrap_or_default()
}

impl ConnectorError {
    /// Worth another try within the same poll (rate limits, 5xx, timeouts, network blips).
    pub fn is_transient(&self) -> bool {
        match self {
            ConnectorError::RateLimited { .. }
            | ConnectorError::Timeout(_)
            | ConnectorError::Network(_) => true,
            ConnectorError::Server { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

/// A vendor API, read one page at a time (never the whole result in memory).
#[async_trait]
pub trait Connector: Send + Sync {
    async fn fetch_page(&self, request: &PageRequest<'_>) -> Result<Page, ConnectorError>;
}

/// Time, behind a trait so tests run polls at any instant without sleeping.
#[async_trait]
pub trait Clock: Send + Sync {
    fn now(&self) -> chrono::DateTime<chrono::Utc>;
    async fn sleep(&self, duration: std::time::Duration);
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
    async fn sleep(&self, duration: std::time::Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// One resource's poll as the poll log keeps it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PollLogEntry {
    pub instance_id: u64,
    pub resource: String,
    pub started: chrono::DateTime<chrono::Utc>,
    pub finished: chrono::DateTime<chrono::Utc>,
    /// The lower bound the vendor was asked from.
    pub since: chrono::DateTime<chrono::Utc>,
    pub pages: u32,
    pub records: u64,
    /// New events enqueued (repeats absorbed by the seen-ledger are not counted).
    pub events: u64,
    /// Records read but not turned into events, and why (first few reasons).
    pub skipped: u64,
    pub notes: Vec<String>,
    pub error: Option<String>,
}

/// The poller's state: leases, watermarks, the seen-ledger, the event queue and the poll log.
#[async_trait]
pub trait PollStore: Send + Sync {
    /// Takes the instance's poll lease unless another holder has an unexpired one.
    async fn acquire_lease(
        &self,
        instance: InstanceId,
        holder: &str,
        now: chrono::DateTime<chrono::Utc>,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError>;
    async fn release_lease(&self, instance: InstanceId, holder: &str) -> Result<(), StoreError>;
    /// Start time of the resource's last complete poll.
    async fn watermark(
        &self,
        instance: InstanceId,
        resource: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError>;
    /// In one transaction: enqueues the events whose ids the seen-ledger does not hold, adds
    /// them to it, and (for a resource's last page) moves its watermark. Returns how many were new.
    async fn commit_page(
        &self,
        instance: InstanceId,
        resource: &str,
        events: Vec<crate::event::Event>,
        advance_to: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError>;
    async fn record_poll(&self, entry: &PollLogEntry) -> Result<(), StoreError>;
}

/// An event as the queue holds it, with its delivery status.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    /// Queue order: increasing in the order events were found.
    pub seq: i64,
    pub event: crate::event::Event,
    /// Open Connectors' statuses: NEW until delivery picks it up.
    pub status: String,
    /// The notification that carries it.
    pub notification_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Read side of the queue and the poll log, for the events and polls API.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// An instance's events in queue order, after `after_seq`, at most `limit`.
    async fn list_events(
        &self,
        instance: InstanceId,
        after_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError>;
    /// Events of several instances (an organization's), in queue order.
    async fn list_events_of(
        &self,
        instances: &[InstanceId],
        after_seq: Option<i64>,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StoreError>;
    async fn get_event(
        &self,
        instance: InstanceId,
        event_id: &str,
    ) -> Result<Option<EventRecord>, StoreError>;
    /// An instance's most recent poll log entries, newest first.
    async fn list_polls(
        &self,
        instance: InstanceId,
        limit: u32,
    ) -> Result<Vec<PollLogEntry>, StoreError>;
}

/// Why a poll requested through the API did not run.
#[derive(Debug, thiserror::Error)]
pub enum PollNowError {
    #[error("a poll of this instance is already running; try again when it ends")]
    Busy,
    #[error("events are not enabled for this instance (configuration.event.notification.enabled)")]
    EventsDisabled,
    #[error("{0}")]
    Connector(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs one poll of an instance now (`POST /instances/{id}/poll`).
#[async_trait]
pub trait PollTrigger: Send + Sync {
    async fn poll_now(&self, instance: &Instance) -> Result<Vec<PollLogEntry>, PollNowError>;
}

/// Element-specific work at registration (e.g. exchanging an OAuth code for tokens).
#[async_trait]
pub trait InstanceAuthorizer: Send + Sync {
    async fn authorize(
        &self,
        spec: &mut crate::instance::InstanceSpec,
    ) -> Result<(), crate::field_error::FieldError>;
}

/// A notification due for delivery, with its events in order.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingNotification {
    pub id: String,
    pub instance_id: InstanceId,
    pub resource: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub events: Vec<crate::event::Event>,
}

/// One delivery attempt, as the events API shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AttemptRecord {
    pub attempted_at: chrono::DateTime<chrono::Utc>,
    pub status_code: Option<u16>,
    pub latency_ms: u64,
    pub error: Option<String>,
}

/// What an attempt leads to.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(chrono::DateTime<chrono::Utc>),
    /// No more attempts: kept as a dead letter for replay.
    Dead,
}

/// The delivery side of the queue: claiming due notifications in order, recording attempts,
/// and replaying dead letters.
#[async_trait]
pub trait DeliveryQueue: Send + Sync {
    /// Claims up to `limit` due notifications until `now + lease`: per instance and resource only
    /// the oldest undelivered one, so a resource's notifications go out in order.
    async fn claim_due(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: u32,
        lease: std::time::Duration,
    ) -> Result<Vec<PendingNotification>, StoreError>;
    /// Records an attempt and its outcome; the notification's events take its status.
    async fn finish_attempt(
        &self,
        notification_id: &str,
        attempt: &AttemptRecord,
        outcome: &AttemptOutcome,
    ) -> Result<(), StoreError>;
    /// Sends dead (or failed) notifications of `instance` again, due at `now`: all of them, or
    /// the one holding `event_id`. Returns how many were requeued.
    async fn replay(
        &self,
        instance: InstanceId,
        event_id: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError>;
    /// Every attempt of a notification, oldest first.
    async fn attempts(&self, notification_id: &str) -> Result<Vec<AttemptRecord>, StoreError>;
    /// Marks every undelivered notification of `instance` DEAD (its receiver said 410 Gone).
    async fn bury_pending(&self, instance: InstanceId, reason: &str) -> Result<u64, StoreError>;
}

/// A notification as the external delivery queue (SQS) carries it: enough to find it in the
/// store, and its instance and resource so the queue keeps one resource's notifications in order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueuedNotification {
    pub notification_id: String,
    pub instance_id: InstanceId,
    pub resource: String,
}

/// What claiming one notification for an attempt found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Ours until the lease ends.
    Claimed(PendingNotification),
    /// Already delivered or dead: a repeated queue message, nothing to do.
    Finished { status: String },
    /// Another attempt holds it, or its next retry is not due yet (a repeated message
    /// arriving early); look again at `until`.
    Busy {
        until: chrono::DateTime<chrono::Utc>,
    },
    /// No such notification: its instance was deleted.
    Missing,
}

/// The store's side of a delivery queue kept outside it (SQS on AWS): notifications are
/// written with their page (the outbox), handed to the queue after, and claimed one by one.
#[async_trait]
pub trait NotificationOutbox: Send + Sync {
    /// An instance's pending notifications not yet handed to the queue, oldest first.
    async fn unqueued(&self, instance: InstanceId) -> Result<Vec<QueuedNotification>, StoreError>;
    /// Records that these are on the queue, so the next sweep does not send them again.
    async fn mark_queued(&self, sent: &[QueuedNotification]) -> Result<(), StoreError>;
    /// Claims one notification for an attempt until `now + lease`.
    async fn claim(
        &self,
        notification_id: &str,
        now: chrono::DateTime<chrono::Utc>,
        lease: std::time::Duration,
    ) -> Result<Claim, StoreError>;
}

/// Why the external queue refused a message.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("delivery queue unavailable: {0}")]
    Unavailable(String),
}

/// The external delivery queue (SQS): ordered per instance and resource, messages retried
/// after a delay the consumer sets.
#[async_trait]
pub trait NotificationQueue: Send + Sync {
    /// Puts the notifications on the queue, in order; all or an error (a retry may repeat
    /// some, which the consumer's claim absorbs).
    async fn send(&self, batch: &[QueuedNotification]) -> Result<(), QueueError>;
    /// Moves a notification that will never be delivered to the dead-letter queue.
    async fn send_dead(&self, notification: &QueuedNotification) -> Result<(), QueueError>;
}
