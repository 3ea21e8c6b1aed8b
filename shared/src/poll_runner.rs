//! Runs a poll of a stored instance: builds its connector, polls, and keeps rotated OAuth
//! tokens in the store. Shared by `POST /instances/{id}/poll` and the local scheduler.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::callback_guard::CallbackGuard;
use crate::elements::vendor_endpoints::vendor_endpoints;
use crate::elements::{
    self, OAuthTokens, TokenSink, ACCESS_TOKEN_KEY, EXPIRES_AT_KEY, REFRESH_TOKEN_KEY,
};
use crate::field_error::FieldError;
use crate::instance::{Instance, InstanceId, InstanceSpec};
use crate::metrics::{MetricsRecorder, PollOutcome};
use crate::poller::{poll_instance, PollContext, PollError, PollerSettings};
use crate::ports::{
    Clock, InstanceAuthorizer, InstanceStore, PollLogEntry, PollNowError, PollStore, PollTrigger,
};

/// Everything a poll of any instance needs.
pub struct PollRunner {
    pub instances: Arc<dyn InstanceStore>,
    pub polls: Arc<dyn PollStore>,
    /// Built with [`crate::callback_guard::guarded_client`], so every vendor name is checked
    /// where it resolves.
    pub client: reqwest::Client,
    /// Refuses vendor addresses on loopback, private, link-local or metadata addresses: IP
    /// literals are checked before each poll (the client's resolver sees only names).
    pub guard: CallbackGuard,
    pub clock: Arc<dyn Clock>,
    pub settings: PollerSettings,
    /// Where events found and poll outcomes and durations are counted; None counts nothing.
    pub metrics: Option<Arc<dyn MetricsRecorder>>,
}

impl PollRunner {
    /// Polls `instance` once; refuses when its events are off.
    pub async fn run(&self, instance: &Instance) -> Result<Vec<PollLogEntry>, PollNowError> {
        if !instance.spec.events.enabled {
            return Err(PollNowError::EventsDisabled);
        }
        for endpoint in vendor_endpoints(&instance.spec) {
            // One that does not parse is the connector's to report, as it always was.
            let Ok(url) = url::Url::parse(&endpoint.url) else {
                continue;
            };
            if let Err(e) = self.guard.check_ip_literal(&url) {
                return Err(PollNowError::Connector(format!("{}: {e}", endpoint.field)));
            }
        }
        let sink = Arc::new(StoreTokenSink {
            instances: self.instances.clone(),
            organization_id: instance.organization_id.clone(),
            id: instance.id,
        });
        let connector = elements::connector(instance, self.client.clone(), sink)
            .map_err(|e| PollNowError::Connector(e.to_string()))?;
        let ctx = PollContext {
            connector: connector.as_ref(),
            store: self.polls.as_ref(),
            clock: self.clock.as_ref(),
            settings: &self.settings,
        };
        let entries = poll_instance(instance, &ctx).await.map_err(|e| match e {
            PollError::Busy(_) => PollNowError::Busy,
            PollError::Store(s) => PollNowError::Store(s),
        })?;
        for entry in &entries {
            tracing::info!(
                instance_id = %instance.id,
                element = %instance.spec.element.as_str(),
                resource = %entry.resource,
                pages = entry.pages,
                records = entry.records,
                events = entry.events,
                skipped = entry.skipped,
                error = entry.error.as_deref().unwrap_or(""),
                "poll finished"
            );
            if let Some(metrics) = &self.metrics {
                record(metrics.as_ref(), instance.spec.element.as_str(), entry);
            }
        }
        Ok(entries)
    }
}

/// One resource's poll log entry, counted: its events, its outcome and how long it took.
fn record(metrics: &dyn MetricsRecorder, element: &str, entry: &PollLogEntry) {
    metrics.events_found(element, &entry.resource, entry.events);
    let outcome = if entry.error.is_some() {
        PollOutcome::Error
    } else {
        PollOutcome::Ok
    };
    let duration = (entry.finished - entry.started)
        .to_std()
        .unwrap_or_default();
    metrics.poll(outcome, duration);
}

#[async_trait]
impl PollTrigger for PollRunner {
    async fn poll_now(&self, instance: &Instance) -> Result<Vec<PollLogEntry>, PollNowError> {
        self.run(instance).await
    }
}

/// Saves rotated tokens into the instance's (encrypted) configuration.
struct StoreTokenSink {
    instances: Arc<dyn InstanceStore>,
    organization_id: String,
    id: InstanceId,
}

#[async_trait]
impl TokenSink for StoreTokenSink {
    async fn save(&self, tokens: &OAuthTokens) -> Result<(), String> {
        let mut instance = self
            .instances
            .get(&self.organization_id, self.id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("instance {} no longer exists", self.id))?;
        let config = &mut instance.spec.configuration;
        config.insert(
            ACCESS_TOKEN_KEY.into(),
            Value::String(tokens.access_token.clone()),
        );
        config.insert(
            REFRESH_TOKEN_KEY.into(),
            Value::String(tokens.refresh_token.clone()),
        );
        config.insert(
            EXPIRES_AT_KEY.into(),
            Value::String(tokens.expires_at.to_rfc3339()),
        );
        instance.updated_date = chrono::Utc::now();
        self.instances
            .update(&instance)
            .await
            .map_err(|e| e.to_string())
            .map(drop)
    }
}

use crate::instance::AUTHORIZATION_PENDING as AUTHORIZATION_PENDING_KEY;

/// Element work at registration, over HTTP (the sageone code exchange).
///
/// A code the vendor refuses is a 4xx and no instance. When the token endpoint cannot be
/// reached or fails, nothing says the code is bad: the instance is kept, marked pending,
/// and its polls report the missing authorization until it is re-authorized.
pub struct ElementAuthorizer {
    pub client: reqwest::Client,
}

#[async_trait]
impl InstanceAuthorizer for ElementAuthorizer {
    async fn authorize(&self, spec: &mut InstanceSpec) -> Result<(), FieldError> {
        match elements::authorize_new_instance(spec, &self.client).await {
            Err(e) if e.field == "configuration.oauth.token.url" => {
                tracing::warn!(element = %spec.element, reason = %e.message, "authorization pending: token endpoint unavailable");
                spec.configuration
                    .insert(AUTHORIZATION_PENDING_KEY.into(), Value::String(e.message));
                Ok(())
            }
            other => {
                spec.configuration.remove(AUTHORIZATION_PENDING_KEY);
                other
            }
        }
    }
}
