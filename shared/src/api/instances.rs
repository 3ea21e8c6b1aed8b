//! `/instances`: register, read, change and remove connector instances.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::auth::Caller;
use super::body::JsonBody;
use super::error::{ApiError, StoreResultExt};
use super::request_id::RequestId;
use super::ApiState;
use crate::credentials::{digest, generate_secret};
use crate::field_error::FieldError;
use crate::instance::CALLBACK_URL;
use crate::instance::{Instance, InstanceId, InstanceSpec};
use crate::ports::StoreError;
use crate::schedule::ScheduleError;
use crate::signature::WebhookSecret;
use crate::webhook_secrets;

/// How many fresh ids to try if a random id collides (practically never).
const ID_ATTEMPTS: usize = 5;

/// The Open Connectors view of an instance, secrets redacted; `token` only at creation.
fn view(instance: &Instance, token: Option<&str>) -> Value {
    let spec = &instance.spec;
    let mut body = json!({
        "id": instance.id.0,
        "name": spec.name,
        "element": {"key": spec.element.as_str(), "name": spec.element.display_name()},
        "tags": spec.tags,
        "createdDate": instance.created_date.to_rfc3339_opts(SecondsFormat::Millis, true),
        "updatedDate": instance.updated_date.to_rfc3339_opts(SecondsFormat::Millis, true),
        "configuration": spec.redacted_configuration(),
        "providerData": spec.redacted_provider_data(),
        "eventsEnabled": spec.events.enabled,
        "valid": spec.is_authorized(),
        "disabled": false,
        "events": {
            "refreshInterval": spec.events.refresh_interval.minutes(),
            "callbackUrl": spec.events.callback_url.as_ref().map(|u| u.as_str()),
            "resources": spec.events.resources.keys().collect::<Vec<_>>(),
        },
    });
    if let Some(token) = token {
        body["token"] = Value::String(token.to_owned());
    }
    body
}

fn require_account(caller: &Caller, request_id: &RequestId) -> Result<(), ApiError> {
    if caller.is_account() {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            request_id,
            "Authorization: this call needs the User and Organization secrets, not an Element token",
        ))
    }
}

fn not_found(request_id: &RequestId, raw_id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        request_id,
        format!("no instance with id '{raw_id}'"),
    )
}

/// Loads the instance at `raw_id` if the caller may see it; 404 otherwise, whoever owns it.
pub(crate) async fn load(
    state: &ApiState,
    caller: &Caller,
    request_id: &RequestId,
    raw_id: &str,
) -> Result<Instance, ApiError> {
    let id = InstanceId::parse(raw_id).ok_or_else(|| not_found(request_id, raw_id))?;
    if caller.instance.is_some_and(|own| own != id) {
        return Err(not_found(request_id, raw_id));
    }
    state
        .instances
        .get(&caller.organization_id, id)
        .await
        .or_store(request_id)?
        .ok_or_else(|| not_found(request_id, raw_id))
}

/// A registered instance with what is shown once: its `Element` token and webhook secret.
pub(crate) struct Created {
    pub instance: Instance,
    pub token: String,
    pub webhook_secret: WebhookSecret,
}

/// Registers an instance for `organization_id` from an Open Connectors body: the one code
/// path of `POST /instances` and the console's Create Instance.
pub(crate) async fn create_instance(
    state: &ApiState,
    request_id: &RequestId,
    organization_id: String,
    body: &Value,
) -> Result<Created, ApiError> {
    let mut spec = InstanceSpec::from_body(body).map_err(|e| ApiError::invalid(request_id, e))?;
    if let Some(authorizer) = &state.authorizer {
        authorizer
            .authorize(&mut spec)
            .await
            .map_err(|e| ApiError::invalid(request_id, e.into()))?;
    }
    check_callback(state, request_id, &spec, None).await?;
    let webhook_secret = webhook_secrets::install_new(&mut spec.configuration);
    let token = generate_secret();
    let now = Utc::now();
    let mut instance = Instance {
        id: InstanceId::generate(),
        organization_id,
        spec,
        token_digest: digest(&token),
        created_date: now,
        updated_date: now,
    };
    for attempt in 1..=ID_ATTEMPTS {
        match state.instances.insert(&instance).await {
            Ok(()) => break,
            Err(StoreError::Conflict(_)) if attempt < ID_ATTEMPTS => {
                instance.id = InstanceId::generate()
            }
            Err(e) => return Err(ApiError::store(request_id, e)),
        }
    }
    if let Err(e) = sync_schedule(state, &instance).await {
        // No schedule, no instance: a registration either polls or is refused.
        let _ = state
            .instances
            .delete(&instance.organization_id, instance.id)
            .await;
        return Err(schedule_error(request_id, e));
    }
    tracing::info!(request_id = %request_id.0, instance_id = %instance.id, element = %instance.spec.element, "instance created");
    Ok(Created {
        instance,
        token,
        webhook_secret,
    })
}

pub async fn create(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    require_account(&caller, &request_id)?;
    let created = create_instance(&state, &request_id, caller.organization_id, &body).await?;
    let mut body = view(&created.instance, Some(&created.token));
    body["webhookSecret"] = Value::String(created.webhook_secret.as_str().to_owned());
    Ok(Json(body))
}

pub async fn list(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let instances = state
        .instances
        .list(&caller.organization_id)
        .await
        .or_store(&request_id)?;
    let visible = instances
        .iter()
        .filter(|i| caller.instance.is_none_or(|own| own == i.id))
        .map(|i| view(i, None))
        .collect();
    Ok(Json(Value::Array(visible)))
}

pub async fn get(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    Ok(Json(view(&instance, None)))
}

pub async fn patch(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path(raw_id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let mut instance = load(&state, &caller, &request_id, &raw_id).await?;
    let patched = instance
        .spec
        .apply_patch(&body)
        .map_err(|e| ApiError::invalid(&request_id, e))?;
    check_callback(&state, &request_id, &patched, Some(&instance.spec)).await?;
    let mut patched = patched;
    if patched.provider_data.get("code") != instance.spec.provider_data.get("code") {
        // A new authorization code: exchange it, as at registration.
        if let Some(authorizer) = &state.authorizer {
            authorizer
                .authorize(&mut patched)
                .await
                .map_err(|e| ApiError::invalid(&request_id, e.into()))?;
        }
    }
    instance.spec = patched;
    instance.updated_date = Utc::now();
    let found = state
        .instances
        .update(&instance)
        .await
        .or_store(&request_id)?;
    if !found {
        return Err(not_found(&request_id, &raw_id));
    }
    sync_schedule(&state, &instance)
        .await
        .map_err(|e| schedule_error(&request_id, e))?;
    Ok(Json(view(&instance, None)))
}

pub async fn delete(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    let removed = state
        .instances
        .delete(&caller.organization_id, instance.id)
        .await
        .or_store(&request_id)?;
    if !removed {
        return Err(not_found(&request_id, &raw_id));
    }
    if let Some(schedules) = &state.schedules {
        if let Err(e) = schedules.remove(instance.id).await {
            // The instance is gone; a schedule left behind finds nothing to poll and is harmless.
            tracing::warn!(request_id = %request_id.0, instance_id = %instance.id, error = %e, "schedule not removed");
        }
    }
    tracing::info!(request_id = %request_id.0, instance_id = %instance.id, "instance deleted");
    Ok(Json(json!({"id": instance.id.0, "deleted": true})))
}

/// Refuses a callback URL on a private, loopback, link-local or metadata address (unless the
/// operator allows them); unchanged URLs are not re-checked.
async fn check_callback(
    state: &ApiState,
    request_id: &RequestId,
    spec: &InstanceSpec,
    before: Option<&InstanceSpec>,
) -> Result<(), ApiError> {
    let Some(url) = &spec.events.callback_url else {
        return Ok(());
    };
    if before.and_then(|b| b.events.callback_url.as_ref()) == Some(url) {
        return Ok(());
    }
    state
        .guard
        .check_registration(url.url())
        .await
        .map_err(|e| {
            ApiError::invalid(
                request_id,
                FieldError::new(format!("configuration.{CALLBACK_URL}"), e.to_string()).into(),
            )
        })
}

pub async fn rotate_webhook_secret(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let rotated = rotate_secret(&state, &caller, &request_id, &raw_id).await?;
    Ok(Json(json!({
        "id": rotated.instance_id.0,
        "webhookSecret": rotated.secret.as_str(),
        "previousSecretExpiresAt": rotated.previous_expires.to_rfc3339_opts(SecondsFormat::Secs, true),
    })))
}

/// A new webhook secret (shown once) and when the one it replaced stops signing.
pub(crate) struct Rotated {
    pub instance_id: InstanceId,
    pub secret: WebhookSecret,
    pub previous_expires: DateTime<Utc>,
}

/// Rotates an instance's webhook secret: the API's rotate route and the console's button.
pub(crate) async fn rotate_secret(
    state: &ApiState,
    caller: &Caller,
    request_id: &RequestId,
    raw_id: &str,
) -> Result<Rotated, ApiError> {
    let mut instance = load(state, caller, request_id, raw_id).await?;
    let now = Utc::now();
    let (secret, previous_expires) = webhook_secrets::rotate(&mut instance.spec.configuration, now);
    instance.updated_date = now;
    let found = state
        .instances
        .update(&instance)
        .await
        .or_store(request_id)?;
    if !found {
        return Err(not_found(request_id, raw_id));
    }
    Ok(Rotated {
        instance_id: instance.id,
        secret,
        previous_expires,
    })
}

/// Keeps the instance's poll schedule in step with it: polling every `refresh_interval`
/// minutes while its events are on, no schedule while they are off.
async fn sync_schedule(state: &ApiState, instance: &Instance) -> Result<(), ScheduleError> {
    let Some(schedules) = &state.schedules else {
        return Ok(());
    };
    let events = &instance.spec.events;
    if events.enabled && !events.resources.is_empty() {
        schedules
            .upsert(instance.id, events.refresh_interval.minutes())
            .await?;
        schedules.set_enabled(instance.id, true).await
    } else {
        schedules.remove(instance.id).await
    }
}

fn schedule_error(request_id: &RequestId, error: ScheduleError) -> ApiError {
    tracing::error!(request_id = %request_id.0, error = %error, "schedule not updated");
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        request_id,
        format!("the poll schedule could not be updated: {error}"),
    )
}
