//! What the instance routes answer, as types: the OpenAPI document is derived from the same
//! structs the handlers serialize, so a field added to one is in the other.

use chrono::SecondsFormat;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::instance::Instance;

/// Open Connectors' view of an instance, secrets redacted.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceView {
    /// Assigned at registration; what `/instances/{id}` takes.
    #[schema(minimum = 1, example = 4503599627370495_u64)]
    pub id: u64,
    pub name: String,
    pub element: ElementRef,
    pub tags: Vec<String>,
    #[schema(format = DateTime)]
    pub created_date: String,
    #[schema(format = DateTime)]
    pub updated_date: String,
    /// The configuration as registered, secrets shown as `********` and pollhook's webhook
    /// secrets left out.
    #[schema(value_type = Object)]
    pub configuration: Map<String, Value>,
    /// `providerData` as registered, the authorization code shown as `********`.
    #[schema(value_type = Object)]
    pub provider_data: Map<String, Value>,
    /// `event.notification.enabled`.
    pub events_enabled: bool,
    /// False while the element's authorization is incomplete (an OAuth code not yet exchanged).
    pub valid: bool,
    /// Always false: kept for Open Connectors clients that read it.
    pub disabled: bool,
    pub events: EventsView,
}

/// The element an instance belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ElementRef {
    /// `sagecrm`, `sageone` or `http`.
    pub key: String,
    pub name: String,
}

/// The event settings derived from an instance's configuration.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventsView {
    /// Minutes between polls (`event.poller.refresh_interval`).
    pub refresh_interval: u32,
    /// Where events are sent; null when none is set.
    pub callback_url: Option<String>,
    /// The polled resources (keys of `event.poller.configuration`).
    pub resources: Vec<String>,
}

impl InstanceView {
    pub fn of(instance: &Instance) -> Self {
        let spec = &instance.spec;
        InstanceView {
            id: instance.id.0,
            name: spec.name.clone(),
            element: ElementRef {
                key: spec.element.as_str().to_owned(),
                name: spec.element.display_name().to_owned(),
            },
            tags: spec.tags.clone(),
            created_date: instance
                .created_date
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            updated_date: instance
                .updated_date
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            configuration: spec.redacted_configuration(),
            provider_data: spec.redacted_provider_data(),
            events_enabled: spec.events.enabled,
            valid: spec.is_authorized(),
            disabled: false,
            events: EventsView {
                refresh_interval: spec.events.refresh_interval.minutes(),
                callback_url: spec
                    .events
                    .callback_url
                    .as_ref()
                    .map(|u| u.as_str().to_owned()),
                resources: spec.events.resources.keys().cloned().collect(),
            },
        }
    }
}

/// `POST /instances`' answer: the instance and what is shown only this once.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedInstance {
    #[serde(flatten)]
    pub instance: InstanceView,
    /// The instance's `Element` token, for `Authorization: Element <token>`.
    pub token: String,
    /// Signs the Standard Webhooks headers of this instance's notifications.
    pub webhook_secret: String,
}

/// `DELETE /instances/{id}`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeletedInstance {
    pub id: u64,
    /// Always true.
    pub deleted: bool,
}

/// `POST /instances/{id}/webhook-secret/rotate`'s answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RotatedSecret {
    pub id: u64,
    /// The new secret, shown only this once.
    pub webhook_secret: String,
    /// Until then notifications are signed with the previous secret as well.
    #[schema(format = DateTime)]
    pub previous_secret_expires_at: String,
}
