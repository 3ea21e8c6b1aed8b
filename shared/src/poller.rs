//! One poll cycle of one instance: every resource read page by page, each change turned into
//! one event, the watermark advanced only once a resource was read to its end.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};

use crate::change::classify;
use crate::crash_point::{self, CrashPoint};
use crate::event::{event_id, ChangeVersion, Event};
use crate::instance::Instance;
use crate::ports::{
    Clock, Connector, ConnectorError, PageRequest, PollLogEntry, PollStore, StoreError,
};
use crate::resource_poll::ResourcePoll;

/// Page size asked for when a resource sets none.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Distinct reasons kept per resource in the poll log.
const MAX_NOTES: usize = 5;

/// Tunables of a poll; the defaults suit production.
#[derive(Debug, Clone)]
pub struct PollerSettings {
    /// Read this far behind the watermark, for clock skew and vendor indexing lag.
    pub lookback: Duration,
    /// Attempts per page for rate limits, 5xx, timeouts and network errors.
    pub max_attempts: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// A vendor's Retry-After is honoured up to this long; longer fails the resource for now.
    pub max_retry_after: Duration,
    /// Guard against a vendor whose `next` never ends.
    pub max_pages: u32,
    /// How long a poll may hold the instance's lease before another may take over.
    pub lease_ttl: Duration,
}

impl Default for PollerSettings {
    fn default() -> Self {
        Self {
            lookback: Duration::from_secs(60),
            max_attempts: 5,
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
            max_pages: 100_000,
            lease_ttl: Duration::from_secs(15 * 60),
        }
    }
}

/// Why a poll did not run at all (a failing resource is not one: it is in the poll log).
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("instance {0} is already being polled")]
    Busy(crate::instance::InstanceId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Everything a poll needs from outside.
pub struct PollContext<'a> {
    pub connector: &'a dyn Connector,
    pub store: &'a dyn PollStore,
    pub clock: &'a dyn Clock,
    pub settings: &'a PollerSettings,
}

/// Polls every configured resource of `instance` once, under the instance's lease.
pub async fn poll_instance(
    instance: &Instance,
    ctx: &PollContext<'_>,
) -> Result<Vec<PollLogEntry>, PollError> {
    let holder = uuid::Uuid::new_v4().to_string();
    let now = ctx.clock.now();
    if !ctx
        .store
        .acquire_lease(instance.id, &holder, now, ctx.settings.lease_ttl)
        .await?
    {
        return Err(PollError::Busy(instance.id));
    }
    let mut log = Vec::new();
    let mut failure = None;
    for (name, resource) in &instance.spec.events.resources {
        match poll_resource(instance, name, resource, ctx).await {
            Ok(entry) => log.push(entry),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    crash_point::hit(CrashPoint::PollBeforeLeaseRelease);
    ctx.store.release_lease(instance.id, &holder).await?;
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(log),
    }
}

/// The instant a resource is read from: the watermark less `pollDelay` and the lookback.
pub fn lower_bound(
    watermark: DateTime<Utc>,
    resource: &ResourcePoll,
    settings: &PollerSettings,
) -> DateTime<Utc> {
    let back = Duration::from_secs(resource.poll_delay_secs) + settings.lookback;
    watermark - chrono::Duration::from_std(back).unwrap_or(chrono::Duration::zero())
}

/// Polls one resource; vendor failures end up in the log entry, store failures are returned.
async fn poll_resource(
    instance: &Instance,
    name: &str,
    resource: &ResourcePoll,
    ctx: &PollContext<'_>,
) -> Result<PollLogEntry, StoreError> {
    let started = ctx.clock.now();
    let watermark = ctx
        .store
        .watermark(instance.id, name)
        .await?
        .unwrap_or(instance.created_date);
    let since = lower_bound(watermark, resource, ctx.settings);
    let url = resource.url.expand(since, &resource.url_zone);
    let mut entry = PollLogEntry {
        instance_id: instance.id.0,
        resource: name.to_owned(),
        started,
        finished: started,
        since,
        pages: 0,
        records: 0,
        events: 0,
        skipped: 0,
        notes: Vec::new(),
        error: None,
    };
    let page_size = resource.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    let until = resource.filter_by_current_date.then_some(started);
    let mut cursor: Option<String> = None;
    loop {
        if entry.pages >= ctx.settings.max_pages {
            entry.error = Some(format!(
                "stopped after {} pages: the vendor's paging does not end",
                entry.pages
            ));
            break;
        }
        let request = PageRequest {
            resource: name,
            url: &url,
            page_size,
            cursor: cursor.as_deref(),
            until,
        };
        let page = match fetch_with_retries(ctx, &request).await {
            Ok(page) => page,
            Err(e) => {
                entry.error = Some(format!("page {} of {url}: {e}", entry.pages + 1));
                break;
            }
        };
        crash_point::hit(CrashPoint::PollAfterFetch);
        entry.pages += 1;
        entry.records += page.records.len() as u64;
        let next = page.next;
        let events = page_events(
            instance,
            name,
            resource,
            page.records,
            since,
            started,
            &mut entry,
        );
        // The last page's events and the watermark are stored in one transaction, so "before
        // the watermark advance" is the moment before that commit.
        let advance_to = next.is_none().then_some(started);
        if advance_to.is_some() {
            crash_point::hit(CrashPoint::PollBeforeWatermark);
        }
        entry.events += ctx
            .store
            .commit_page(instance.id, name, events, advance_to, ctx.clock.now())
            .await?;
        crash_point::hit(match advance_to {
            Some(_) => CrashPoint::PollAfterWatermark,
            None => CrashPoint::PollAfterPageStored,
        });
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    entry.finished = ctx.clock.now();
    ctx.store.record_poll(&entry).await?;
    crash_point::hit(CrashPoint::PollAfterLogRecord);
    Ok(entry)
}

/// Turns a page's records into events, skipping those outside the poll's window.
fn page_events(
    instance: &Instance,
    name: &str,
    resource: &ResourcePoll,
    records: Vec<serde_json::Value>,
    since: DateTime<Utc>,
    started: DateTime<Utc>,
    entry: &mut PollLogEntry,
) -> Vec<Event> {
    // Nothing from before the instance existed is an event. Vendors often write whole seconds,
    // so a change in the second of registration counts as after it.
    let registered = instance.created_date.trunc_subsecs(0);
    let mut events = Vec::with_capacity(records.len());
    for record in records {
        let change = match classify(&record, resource) {
            Ok(c) => c,
            Err(e) => {
                entry.skipped += 1;
                note(entry, e.to_string());
                continue;
            }
        };
        if let Some(text) = &change.note {
            note(entry, format!("sent as UPDATED: {text}"));
        }
        if let Some(updated) = change.updated {
            let too_old =
                updated < registered || (resource.filter_by_updated_date && updated < since);
            let too_new = resource.filter_by_current_date && updated > started;
            if too_old || too_new {
                entry.skipped += 1;
                continue;
            }
        }
        let version = match change.updated {
            Some(at) => ChangeVersion::UpdatedAt(at),
            None => ChangeVersion::of_content(&record),
        };
        events.push(Event {
            id: event_id(
                instance.id,
                name,
                &change.object_id,
                change.event_type,
                &version,
            ),
            instance_id: instance.id,
            element_key: instance.spec.element.as_str().to_owned(),
            object_type: name.to_owned(),
            object_id: change.object_id,
            event_type: change.event_type,
            date: change.updated.unwrap_or(started),
            raw: record,
        });
    }
    events
}

fn note(entry: &mut PollLogEntry, text: String) {
    if entry.notes.len() < MAX_NOTES && !entry.notes.contains(&text) {
        entry.notes.push(text);
    }
}

/// One page, retried on transient failures with exponential backoff, honouring Retry-After.
async fn fetch_with_retries(
    ctx: &PollContext<'_>,
    request: &PageRequest<'_>,
) -> Result<crate::ports::Page, ConnectorError> {
    let mut attempt = 1;
    loop {
        match ctx.connector.fetch_page(request).await {
            Ok(page) => return Ok(page),
            Err(e) if e.is_transient() && attempt < ctx.settings.max_attempts => {
                let delay = retry_delay(&e, attempt, ctx.settings);
                match delay {
                    Some(d) => ctx.clock.sleep(d).await,
                    None => return Err(e),
                }
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The wait before attempt `attempt + 1`; None when the vendor asks for longer than allowed.
pub fn retry_delay(
    error: &ConnectorError,
    attempt: u32,
    settings: &PollerSettings,
) -> Option<Duration> {
    let backoff = settings
        .base_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(settings.max_backoff);
    match error {
        ConnectorError::RateLimited {
            retry_after: Some(after),
        } => (*after <= settings.max_retry_after).then_some(*after),
        _ => Some(backoff),
    }
}
