//! `/instances`: register, read, change and remove connector instances.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::auth::Caller;
use super::body::JsonBody;
use super::error::{ApiError, ErrorBody, StoreResultExt};
use super::instance_body::{InstancePatch, NewInstance};
use super::instance_view::{CreatedInstance, DeletedInstance, InstanceView, RotatedSecret};
use super::paging::{parse_cursor, parse_limit};
use super::params::{PathParams, QueryParams};
use super::request_id::RequestId;
use super::ApiState;
use crate::credentials::{digest, generate_secret};
use crate::elements::vendor_endpoints::vendor_endpoints;
use crate::field_error::ValidationErrors;
use crate::instance::CALLBACK_URL;
use crate::instance::{Instance, InstanceId, InstanceSpec};
use crate::list_cursor::ListCursor;
use crate::ports::StoreError;
use crate::schedule::ScheduleError;
use crate::signature::WebhookSecret;
use crate::webhook_secrets;

/// How many fresh ids to try if a random id collides (practically never).
const ID_ATTEMPTS: usize = 5;

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
    check_addresses(state, request_id, &spec, None).await?;
    if let Some(authorizer) = &state.authorizer {
        authorizer
            .authorize(&mut spec)
            .await
            .map_err(|e| ApiError::invalid(request_id, e.into()))?;
    }
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

/// `POST /instances`: registers an instance from an Open Connectors body.
#[utoipa::path(
    post,
    path = "/instances",
    operation_id = "createInstance",
    summary = "Register an instance",
    description = "Takes an Open Connectors instance body as the seed pages write it. Answers with the instance, its `Element` token and its webhook secret, both shown only now. Every problem in the body is answered at once, each naming its field (`configuration.event.poller.configuration.accounts.datesConfiguration.updatedDateFormat`). Needs the account's secrets, not an `Element` token.",
    tag = "instances",
    request_body = NewInstance,
    responses(
        (status = 200, description = "Registered; `token` and `webhookSecret` are shown only now", body = CreatedInstance,
            links(
                ("GetInstance" = (operation_id = "getInstance", parameters(("id" = "$response.body#/id")), description = "Read the instance registered")),
                ("PatchInstance" = (operation_id = "patchInstance", parameters(("id" = "$response.body#/id")), description = "Change it")),
                ("DeleteInstance" = (operation_id = "deleteInstance", parameters(("id" = "$response.body#/id")), description = "Remove it")),
                ("PollInstance" = (operation_id = "pollInstance", parameters(("id" = "$response.body#/id")), description = "Poll it now")),
                ("ListInstanceEvents" = (operation_id = "listInstanceEvents", parameters(("id" = "$response.body#/id")), description = "List its events")),
                ("ListInstancePolls" = (operation_id = "listInstancePolls", parameters(("id" = "$response.body#/id")), description = "Read its poll log")),
                ("RetryDeadEvents" = (operation_id = "retryDeadEvents", parameters(("id" = "$response.body#/id")), description = "Replay its dead letters")),
                ("RotateWebhookSecret" = (operation_id = "rotateWebhookSecret", parameters(("id" = "$response.body#/id")), description = "Rotate its webhook secret")),
            )
        ),
        (status = 400, description = "The body is not valid; each problem names its field", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`", body = ErrorBody),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 403, description = "An `Element` token cannot register instances", body = ErrorBody),
        (status = 503, description = "The store or the poll schedules could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn create(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Json<CreatedInstance>, ApiError> {
    require_account(&caller, &request_id)?;
    let created = create_instance(&state, &request_id, caller.organization_id, &body).await?;
    Ok(Json(CreatedInstance {
        instance: InstanceView::of(&created.instance),
        token: created.token,
        webhook_secret: created.webhook_secret.as_str().to_owned(),
    }))
}

/// Paging of `GET /instances`; without `limit`, every instance, as Open Connectors answers.
#[derive(Debug, serde::Deserialize)]
pub struct InstancePaging {
    limit: Option<String>,
    after: Option<String>,
}

/// `GET /instances`: the organization's instances (only its own for an `Element` token).
#[utoipa::path(
    get,
    path = "/instances",
    operation_id = "listInstances",
    summary = "List instances",
    description = "The organization's instances, oldest first, secrets redacted; with an `Element` token, only its own. With `limit`, a page at a time: while more may follow, the answer carries `Link: </instances?limit=N&after=TOKEN>; rel=\"next\"`.",
    tag = "instances",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Most instances to answer (default: all)"),
        ("after" = Option<String>, Query, pattern = "^[0-9]+-[0-9]+$", description = "Where the previous page ended: the `after` of its `Link` header"),
    ),
    responses(
        (status = 200, description = "The instances the caller may see", body = [InstanceView],
            headers(("Link" = String, description = "`<...>; rel=\"next\"`: the next page, when `limit` was given and the page is full"))),
        (status = 400, description = "`limit` or `after` is not valid", body = ErrorBody),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 503, description = "The store or the poll schedules could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    QueryParams(paging): QueryParams<InstancePaging>,
) -> Result<Response, ApiError> {
    let limit = parse_limit(paging.limit.as_deref(), &request_id)?;
    let after = parse_cursor(paging.after.as_deref(), &request_id)?;
    let instances = match caller.instance {
        // An `Element` token sees its own instance only: one item, never a next page.
        Some(own) => state
            .instances
            .get(&caller.organization_id, own)
            .await
            .or_store(&request_id)?
            .into_iter()
            .filter(|i| after.is_none_or(|cursor| cursor.precedes(i)))
            .take(limit.map_or(1, |l| l as usize))
            .collect(),
        None => state
            .instances
            .list_page(
                &caller.organization_id,
                after,
                limit.map_or(usize::MAX, |l| l as usize),
            )
            .await
            .or_store(&request_id)?,
    };
    let next = match (limit, instances.last()) {
        (Some(limit), Some(last))
            if caller.instance.is_none() && instances.len() == limit as usize =>
        {
            Some(format!(
                "</instances?limit={limit}&after={}>; rel=\"next\"",
                ListCursor::after(last).token()
            ))
        }
        _ => None,
    };
    let body: Vec<InstanceView> = instances.iter().map(InstanceView::of).collect();
    let mut response = Json(body).into_response();
    if let Some(link) = next.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// `GET /instances/{id}`.
#[utoipa::path(
    get,
    path = "/instances/{id}",
    operation_id = "getInstance",
    summary = "Get an instance",
    description = "The instance, secrets shown as `********`.",
    tag = "instances",
    params(("id" = u64, Path, minimum = 1, description = "The instance's id")),
    responses(
        (status = 200, description = "The instance, secrets redacted", body = InstanceView),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No instance with this id that the caller may see", body = ErrorBody),
        (status = 503, description = "The store or the poll schedules could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn get(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams(raw_id): PathParams<String>,
) -> Result<Json<InstanceView>, ApiError> {
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    Ok(Json(InstanceView::of(&instance)))
}

/// `PATCH /instances/{id}`: changes name, tags, providerData or configuration keys.
#[utoipa::path(
    patch,
    path = "/instances/{id}",
    operation_id = "patchInstance",
    summary = "Change an instance",
    description = "`name`, `tags` and `providerData` replace what was registered; `configuration` keys are merged, a null removing one. The result is validated as at registration, and the poll schedule follows it.",
    tag = "instances",
    params(("id" = u64, Path, minimum = 1, description = "The instance's id")),
    request_body = InstancePatch,
    responses(
        (status = 200, description = "The instance as changed", body = InstanceView),
        (status = 400, description = "The body is not valid; each problem names its field", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 415, description = "The body is not `application/json`", body = ErrorBody),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No instance with this id that the caller may see", body = ErrorBody),
        (status = 503, description = "The store or the poll schedules could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn patch(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams(raw_id): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<InstanceView>, ApiError> {
    let mut instance = load(&state, &caller, &request_id, &raw_id).await?;
    let patched = instance
        .spec
        .apply_patch(&body)
        .map_err(|e| ApiError::invalid(&request_id, e))?;
    check_addresses(&state, &request_id, &patched, Some(&instance.spec)).await?;
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
    Ok(Json(InstanceView::of(&instance)))
}

/// `DELETE /instances/{id}`: removes the instance and its poll schedule.
#[utoipa::path(
    delete,
    path = "/instances/{id}",
    operation_id = "deleteInstance",
    summary = "Delete an instance",
    description = "Removes the instance and its poll schedule.",
    tag = "instances",
    params(("id" = u64, Path, minimum = 1, description = "The instance's id")),
    responses(
        (status = 200, description = "Removed", body = DeletedInstance),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No instance with this id that the caller may see", body = ErrorBody),
        (status = 503, description = "The store or the poll schedules could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn delete(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams(raw_id): PathParams<String>,
) -> Result<Json<DeletedInstance>, ApiError> {
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
    Ok(Json(DeletedInstance {
        id: instance.id.0,
        deleted: true,
    }))
}

/// Refuses the addresses an instance makes pollhook call (its callback URL, and its vendor
/// addresses: `base.url`, `subdomain`, `oauth.token.url`, absolute resource URLs) on loopback,
/// private, link-local or metadata addresses unless the operator allows them, before anything
/// calls them (a Sage Accounting code exchange at registration would). Unchanged ones are not
/// checked again.
async fn check_addresses(
    state: &ApiState,
    request_id: &RequestId,
    spec: &InstanceSpec,
    before: Option<&InstanceSpec>,
) -> Result<(), ApiError> {
    let previous = before.map(guarded_addresses).unwrap_or_default();
    let mut errors = ValidationErrors::default();
    for (field, url) in guarded_addresses(spec) {
        if previous.contains(&(field.clone(), url.clone())) {
            continue;
        }
        if let Err(e) = state.guard.check_registration(&url).await {
            errors.push(field, e.to_string());
        }
    }
    errors
        .into_result(())
        .map_err(|errors| ApiError::invalid(request_id, errors))
}

/// Each address `spec` makes pollhook call, with its field. A vendor address that does not
/// parse (the seed template's `<YOUR_TENANT>` placeholder) calls nothing: the poll names it.
fn guarded_addresses(spec: &InstanceSpec) -> Vec<(String, url::Url)> {
    let callback = spec
        .events
        .callback_url
        .as_ref()
        .map(|url| (format!("configuration.{CALLBACK_URL}"), url.url().clone()));
    let vendors = vendor_endpoints(spec)
        .into_iter()
        .filter_map(|e| Some((e.field, url::Url::parse(&e.url).ok()?)));
    callback.into_iter().chain(vendors).collect()
}

/// `POST /instances/{id}/webhook-secret/rotate`: a new Standard Webhooks secret; the previous
/// one keeps signing alongside it for a while, so receivers can switch without losing events.
#[utoipa::path(
    post,
    path = "/instances/{id}/webhook-secret/rotate",
    operation_id = "rotateWebhookSecret",
    summary = "Rotate the webhook secret",
    description = "A new Standard Webhooks secret, shown only now. The previous one keeps signing alongside it until `previousSecretExpiresAt`, so receivers can switch without losing events.",
    tag = "instances",
    params(("id" = u64, Path, minimum = 1, description = "The instance's id")),
    responses(
        (status = 200, description = "The new secret, shown only now", body = RotatedSecret),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No instance with this id that the caller may see", body = ErrorBody),
        (status = 503, description = "The store or the poll schedules could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn rotate_webhook_secret(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams(raw_id): PathParams<String>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let rotated = rotate_secret(&state, &caller, &request_id, &raw_id).await?;
    Ok(Json(RotatedSecret {
        id: rotated.instance_id.0,
        webhook_secret: rotated.secret.as_str().to_owned(),
        previous_secret_expires_at: rotated
            .previous_expires
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    }))
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
