//! The deliverer: drains the queue, POSTs each notification to its instance's callback,
//! signed, and schedules retries; a worker loop around one testable step, as svix's worker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::Semaphore;

use crate::callback_guard::CallbackGuard;
use crate::crash_point::{self, CrashPoint};
use crate::instance::{Instance, CALLBACK_URL, DISABLED_REASON, EVENTS_ENABLED, SIGNATURE_KEY};
use crate::metrics::{DeliveryOutcome, MetricsRecorder};
use crate::notification;
use crate::ports::{
    AttemptOutcome, AttemptRecord, Clock, DeliveryQueue, InstanceStore, PendingNotification,
    StoreError,
};
use crate::retry_schedule::{parse_retry_after, RetrySchedule};
use crate::signature::{open_connectors_signature, standard_webhooks_header};
use crate::webhook_secrets;

/// Why the last attempt did not succeed, kept short for the events API.
const MAX_ERROR: usize = 500;

/// How deliveries are paced.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    pub schedule: RetrySchedule,
    /// Attempts in flight at once, across all instances.
    pub concurrency: usize,
    /// How long a claim lasts; longer than the HTTP timeout, so a live attempt is never taken twice.
    pub lease: Duration,
    /// How often the queue is looked at when idle.
    pub tick: Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            schedule: RetrySchedule::default(),
            concurrency: 16,
            lease: Duration::from_secs(120),
            tick: Duration::from_millis(200),
        }
    }
}

/// Everything a delivery needs.
pub struct Deliverer {
    pub queue: Arc<dyn DeliveryQueue>,
    pub instances: Arc<dyn InstanceStore>,
    /// Built with [`crate::callback_guard::guarded_client`]: no redirects, guarded DNS, a timeout.
    pub client: reqwest::Client,
    pub guard: CallbackGuard,
    pub clock: Arc<dyn Clock>,
    pub settings: DeliverySettings,
    pub user_agent: String,
    /// Wakes the loop when work is queued, so delivery starts without waiting for the tick.
    pub wake: Option<Arc<tokio::sync::Notify>>,
    /// Where attempt outcomes and latencies are counted; None counts nothing.
    pub metrics: Option<Arc<dyn MetricsRecorder>>,
}

impl Deliverer {
    /// Claims what is due (up to the free concurrency) and delivers it; returns how many were
    /// attempted. Attempts run concurrently so one slow receiver does not hold up the others.
    pub async fn run_once(self: &Arc<Self>, permits: &Arc<Semaphore>) -> Result<usize, StoreError> {
        let free = permits.available_permits();
        if free == 0 {
            return Ok(0);
        }
        let claimed = self
            .queue
            .claim_due(
                self.clock.now(),
                u32::try_from(free).unwrap_or(u32::MAX),
                self.settings.lease,
            )
            .await?;
        let count = claimed.len();
        for pending in claimed {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                break;
            };
            let me = self.clone();
            tokio::spawn(async move {
                let (instance_id, notification_id) = (pending.instance_id, pending.id.clone());
                if let Err(e) = me.deliver(pending).await {
                    tracing::error!(
                        instance_id = %instance_id,
                        notification_id = %notification_id,
                        error = %e,
                        "delivery could not record its outcome; the claim expires and it is retried"
                    );
                }
                drop(permit);
                // A permit is free and the resource's next notification may be due: look now.
                if let Some(wake) = &me.wake {
                    wake.notify_one();
                }
            });
        }
        Ok(count)
    }

    /// Runs until `shutdown` resolves; in-flight attempts finish or are retried after restart.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let permits = Arc::new(Semaphore::new(self.settings.concurrency.max(1)));
        loop {
            let attempted = match self.run_once(&permits).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "delivery queue unavailable");
                    0
                }
            };
            if attempted > 0 {
                // More may be due at once; let the spawned attempts run, then look again.
                tokio::task::yield_now().await;
                continue;
            }
            let woken = async {
                match &self.wake {
                    Some(n) => n.notified().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = &mut shutdown => break,
                _ = woken => {}
                _ = tokio::time::sleep(self.settings.tick) => {}
            }
        }
    }

    /// One attempt at one notification, and its outcome recorded; None if its instance is gone.
    pub async fn deliver(
        &self,
        pending: PendingNotification,
    ) -> Result<Option<AttemptOutcome>, StoreError> {
        self.attempt(pending, false).await
    }

    /// As [`Self::deliver`], but a failure is final: the external queue has no receive left.
    pub async fn deliver_last(
        &self,
        pending: PendingNotification,
    ) -> Result<Option<AttemptOutcome>, StoreError> {
        self.attempt(pending, true).await
    }

    async fn attempt(
        &self,
        pending: PendingNotification,
        last: bool,
    ) -> Result<Option<AttemptOutcome>, StoreError> {
        crash_point::hit(CrashPoint::DeliverAfterClaim);
        let started = self.clock.now();
        let timer = Instant::now();
        let instance = self.instances.find(pending.instance_id).await?;
        let Some(instance) = instance else {
            return Ok(None); // deleted: its queue went with it
        };
        let (status_code, error, retry_after) = match self.post(&instance, &pending).await {
            Ok((status, retry_after)) if (200..300).contains(&status) => {
                (Some(status), None, retry_after)
            }
            Ok((status, retry_after)) => (
                Some(status),
                Some(format!("callback answered {status}")),
                retry_after,
            ),
            Err(e) => (None, Some(truncate(e)), None),
        };
        crash_point::hit(CrashPoint::DeliverAfterPostSent);
        let attempt = AttemptRecord {
            attempted_at: started,
            status_code,
            latency_ms: u64::try_from((self.clock.now() - started).num_milliseconds())
                .unwrap_or_default(),
            error: error.clone(),
        };
        let outcome = if error.is_none() {
            AttemptOutcome::Delivered
        } else if status_code == Some(410) {
            self.disable(&instance).await?;
            AttemptOutcome::Dead
        } else if last {
            AttemptOutcome::Dead
        } else {
            let delay = self.settings.schedule.next_delay(
                pending.attempts + 1,
                retry_after,
                rand::random(),
            );
            match delay.and_then(|d| chrono::Duration::from_std(d).ok()) {
                Some(d) => AttemptOutcome::RetryAt(self.clock.now() + d),
                None => AttemptOutcome::Dead,
            }
        };
        tracing::info!(
            instance_id = %instance.id,
            notification_id = %pending.id,
            resource = %pending.resource,
            event_count = pending.events.len(),
            attempt = pending.attempts + 1,
            status = status_code.unwrap_or(0),
            latency_ms = attempt.latency_ms,
            outcome = ?outcome,
            error = error.as_deref().unwrap_or(""),
            "delivery attempt"
        );
        if let Some(metrics) = &self.metrics {
            let counted = match outcome {
                AttemptOutcome::Delivered => DeliveryOutcome::Delivered,
                AttemptOutcome::RetryAt(_) => DeliveryOutcome::Failed,
                AttemptOutcome::Dead => DeliveryOutcome::Dead,
            };
            metrics.delivery(counted, timer.elapsed());
        }
        self.queue
            .finish_attempt(&pending.id, &attempt, &outcome)
            .await?;
        crash_point::hit(CrashPoint::DeliverAfterResultStored);
        Ok(Some(outcome))
    }

    /// POSTs the notification; Ok with the status and any Retry-After, Err for no HTTP answer.
    async fn post(
        &self,
        instance: &Instance,
        pending: &PendingNotification,
    ) -> Result<(u16, Option<Duration>), String> {
        let config = &instance.spec.configuration;
        if !instance.spec.events.enabled {
            return Err(format!(
                "notifications are disabled for this instance ({EVENTS_ENABLED} is false)"
            ));
        }
        let Some(url) = &instance.spec.events.callback_url else {
            return Err(format!("no callback URL ({CALLBACK_URL})"));
        };
        self.guard
            .check_ip_literal(url.url())
            .map_err(|e| e.to_string())?;
        let body = notification::body(
            &pending.id,
            instance.id.0,
            instance.spec.element.as_str(),
            &pending.events,
        );
        let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        let now = self.clock.now();
        let secrets = webhook_secrets::active(config, now);
        let mut request = self
            .client
            .post(url.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::USER_AGENT, &self.user_agent)
            .header("webhook-id", &pending.id)
            .header("webhook-timestamp", now.timestamp().to_string())
            .header("Elements-Webhook-Id", &pending.id);
        if !secrets.is_empty() {
            let refs: Vec<_> = secrets.iter().collect();
            request = request.header(
                "webhook-signature",
                standard_webhooks_header(&refs, &pending.id, now.timestamp(), &body),
            );
        }
        if let Some(key) = config.get(SIGNATURE_KEY).and_then(Value::as_str) {
            request = request.header(
                "Elements-Webhook-Signature",
                open_connectors_signature(key, &body),
            );
        }
        let started = Instant::now();
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| describe(&e, started))?;
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, now));
        Ok((response.status().as_u16(), retry_after))
    }

    /// A 410 Gone: the receiver wants no more. Notifications are switched off, and say why.
    async fn disable(&self, instance: &Instance) -> Result<(), StoreError> {
        let reason = format!(
            "callback answered 410 Gone at {}; notifications disabled",
            self.clock.now().to_rfc3339()
        );
        if let Some(mut fresh) = self.instances.find(instance.id).await? {
            fresh
                .spec
                .configuration
                .insert(EVENTS_ENABLED.into(), Value::Bool(false));
            fresh
                .spec
                .configuration
                .insert(DISABLED_REASON.into(), Value::String(reason.clone()));
            fresh.spec.events.enabled = false;
            fresh.updated_date = self.clock.now();
            self.instances.update(&fresh).await?;
        }
        self.queue
            .bury_pending(instance.id, &reason)
            .await
            .map(drop)
    }
}

fn describe(e: &reqwest::Error, started: Instant) -> String {
    if e.is_timeout() {
        format!(
            "callback did not answer within {} ms",
            started.elapsed().as_millis()
        )
    } else if e.is_connect() {
        format!("cannot connect to the callback: {}", source_chain(e))
    } else {
        source_chain(e)
    }
}

fn source_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn truncate(mut text: String) -> String {
    if text.len() > MAX_ERROR {
        let mut cut = MAX_ERROR;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}
