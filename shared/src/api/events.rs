//! `/instances/{id}/events`, `/instances/{id}/polls` and `POST /instances/{id}/poll`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody, StoreResultExt};
use super::event_view::{EventDetail, EventView, PollResult, Requeued};
use super::instances::load;
use super::paging::parse_limit;
use super::params::{PathParams, QueryParams};
use super::request_id::RequestId;
use super::ApiState;
use crate::instance::{Instance, InstanceId};
use crate::ports::{EventRecord, PollLogEntry, PollNowError};

const DEFAULT_LIMIT: u32 = 100;

/// Paging of lists: `limit` (1-1000) and `after` (the `seq` of the last item of the previous page).
#[derive(Debug, Deserialize)]
pub struct Paging {
    limit: Option<String>,
    after: Option<String>,
}

impl Paging {
    fn parse(&self, request_id: &RequestId) -> Result<(u32, Option<i64>), ApiError> {
        let limit = parse_limit(self.limit.as_deref(), request_id)?.unwrap_or(DEFAULT_LIMIT);
        let after = match &self.after {
            None => None,
            Some(raw) => Some(raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    request_id,
                    "after",
                    format!("'{raw}' is not a non-negative whole number"),
                )
            })?),
        };
        Ok((limit, after))
    }
}

/// `GET /instances/{id}/events`: the instance's events in queue order.
#[utoipa::path(
    get,
    path = "/instances/{id}/events",
    operation_id = "listInstanceEvents",
    summary = "List an instance's events",
    description = "What polling found for the instance and how its delivery stands, in queue order, a page at a time.",
    tag = "events",
    params(
        ("id" = u64, Path, minimum = 1, description = "The instance's id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Most items to answer (default 100)"),
        ("after" = Option<i64>, Query, minimum = 0, description = "Only events after this `seq` (the last of the previous page)"),
    ),
    responses(
        (status = 200, description = "Events in queue order", body = [EventView]),
        (status = 400, description = "`limit` or `after` is not a valid number", body = ErrorBody),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No instance with this id that the caller may see", body = ErrorBody),
        (status = 503, description = "The store could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn list(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams(raw_id): PathParams<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let (limit, after) = paging.parse(&request_id)?;
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    let records = state
        .events
        .list_events(instance.id, after, limit)
        .await
        .or_store(&request_id)?;
    Ok(Json(records.iter().map(EventView::of).collect()))
}

/// The instance and one of its events, or 404 naming what was not found.
async fn load_event(
    state: &ApiState,
    caller: &Caller,
    request_id: &RequestId,
    raw_id: &str,
    event_id: &str,
) -> Result<(Instance, EventRecord), ApiError> {
    let instance = load(state, caller, request_id, raw_id).await?;
    let record = state
        .events
        .get_event(instance.id, event_id)
        .await
        .or_store(request_id)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                request_id,
                format!("no event '{event_id}' on instance {raw_id}"),
            )
        })?;
    Ok((instance, record))
}

/// `GET /instances/{id}/events/{eventId}`: one event and its delivery attempts.
#[utoipa::path(
    get,
    path = "/instances/{id}/events/{eventId}",
    operation_id = "getInstanceEvent",
    summary = "Get an event",
    description = "One event, with every attempt to deliver the notification that carries it.",
    tag = "events",
    params(
        ("id" = u64, Path, minimum = 1, description = "The instance's id"),
        ("eventId" = String, Path, description = "The event's id"),
    ),
    responses(
        (status = 200, description = "The event and its delivery attempts", body = EventDetail),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No such instance that the caller may see, or no such event on it", body = ErrorBody),
        (status = 503, description = "The store could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn get_one(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams((raw_id, event_id)): PathParams<(String, String)>,
) -> Result<Json<EventDetail>, ApiError> {
    let (_, record) = load_event(&state, &caller, &request_id, &raw_id, &event_id).await?;
    let attempts = match &record.notification_id {
        Some(n) => state.delivery.attempts(n).await.or_store(&request_id)?,
        None => Vec::new(),
    };
    Ok(Json(EventDetail {
        event: EventView::of(&record),
        attempts,
    }))
}

/// `GET /instances/{id}/polls`: the poll log, one entry per resource and poll, newest first.
#[utoipa::path(
    get,
    path = "/instances/{id}/polls",
    operation_id = "listInstancePolls",
    summary = "Read the poll log",
    description = "One entry per resource and poll, newest first: what was asked, found, skipped and why, and the vendor's error if any.",
    tag = "polls",
    params(
        ("id" = u64, Path, minimum = 1, description = "The instance's id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Most items to answer (default 100)"),
    ),
    responses(
        (status = 200, description = "Poll log entries", body = [PollLogEntry]),
        (status = 400, description = "`limit` or `after` is not a valid number", body = ErrorBody),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No instance with this id that the caller may see", body = ErrorBody),
        (status = 503, description = "The store could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn polls(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams(raw_id): PathParams<String>,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<Vec<PollLogEntry>>, ApiError> {
    let (limit, _) = paging.parse(&request_id)?;
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    let entries = state
        .events
        .list_polls(instance.id, limit)
        .await
        .or_store(&request_id)?;
    Ok(Json(entries))
}

/// `POST /instances/{id}/poll`: polls the instance now, as its schedule would.
#[utoipa::path(
    post,
    path = "/instances/{id}/poll",
    operation_id = "pollInstance",
    summary = "Poll now",
    description = "Polls the instance now, as its schedule would, and answers with each resource's poll log entry. A vendor that fails is reported in its entry's `error`, not as an error answer.",
    tag = "polls",
    params(
        ("id" = u64, Path, minimum = 1, description = "The instance's id"),
    ),
    responses(
        (status = 200, description = "The poll ran; each resource's entry says what it found, or the vendor's error", body = PollResult),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No instance with this id that the caller may see", body = ErrorBody),
        (status = 409, description = "A poll of this instance is running, or its events are not enabled", body = ErrorBody),
        (status = 502, description = "The element's connector could not be set up from the instance's configuration", body = ErrorBody),
        (status = 503, description = "This deployment runs no poller, or the store could not serve the request", body = ErrorBody),
    ),
)]
pub async fn poll_now(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams(raw_id): PathParams<String>,
) -> Result<Json<PollResult>, ApiError> {
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    let entries = poll_instance(&state, &request_id, &instance).await?;
    Ok(Json(PollResult {
        instance_id: instance.id.0,
        resources: entries,
    }))
}

/// Polls an instance now through the deployment's poller: `POST /instances/{id}/poll` and
/// the console's Poll now.
pub(crate) async fn poll_instance(
    state: &ApiState,
    request_id: &RequestId,
    instance: &Instance,
) -> Result<Vec<PollLogEntry>, ApiError> {
    let Some(trigger) = &state.poller else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            request_id,
            "this deployment runs no poller",
        ));
    };
    match trigger.poll_now(instance).await {
        Ok(entries) => Ok(entries),
        Err(PollNowError::Busy) => Err(ApiError::new(
            StatusCode::CONFLICT,
            request_id,
            PollNowError::Busy.to_string(),
        )),
        Err(e @ PollNowError::EventsDisabled) => Err(ApiError::new(
            StatusCode::CONFLICT,
            request_id,
            e.to_string(),
        )),
        Err(e @ PollNowError::Connector(_)) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            request_id,
            e.to_string(),
        )),
        Err(PollNowError::Store(e)) => Err(ApiError::store(request_id, e)),
    }
}

/// `GET /instances/events`: events of every instance the caller may see.
#[utoipa::path(
    get,
    path = "/instances/events",
    operation_id = "listEvents",
    summary = "List events of all instances",
    description = "Events of every instance the caller may see, in queue order, a page at a time.",
    tag = "events",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Most items to answer (default 100)"),
        ("after" = Option<i64>, Query, minimum = 0, description = "Only events after this `seq` (the last of the previous page)"),
    ),
    responses(
        (status = 200, description = "Events of every instance the caller may see, in queue order", body = [EventView]),
        (status = 400, description = "`limit` or `after` is not a valid number", body = ErrorBody),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 503, description = "The store could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn list_all(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    QueryParams(paging): QueryParams<Paging>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let (limit, after) = paging.parse(&request_id)?;
    let ids: Vec<_> = match caller.instance {
        Some(own) => vec![own],
        None => state
            .instances
            .list(&caller.organization_id)
            .await
            .or_store(&request_id)?
            .into_iter()
            .map(|i| i.id)
            .collect(),
    };
    let records = state
        .events
        .list_events_of(&ids, after, limit)
        .await
        .or_store(&request_id)?;
    Ok(Json(records.iter().map(EventView::of).collect()))
}

/// `POST /instances/{id}/events/{eventId}/retry`: sends the notification holding it again.
#[utoipa::path(
    post,
    path = "/instances/{id}/events/{eventId}/retry",
    operation_id = "retryEvent",
    summary = "Retry an event",
    description = "Queues the notification holding the event again, when it is DEAD or FAILED.",
    tag = "events",
    params(
        ("id" = u64, Path, minimum = 1, description = "The instance's id"),
        ("eventId" = String, Path, description = "The event's id"),
    ),
    responses(
        (status = 200, description = "The notification holding the event is queued again", body = Requeued),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No such instance that the caller may see, or no such event on it", body = ErrorBody),
        (status = 409, description = "The event is neither DEAD nor FAILED", body = ErrorBody),
        (status = 503, description = "The store could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn retry_one(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams((raw_id, event_id)): PathParams<(String, String)>,
) -> Result<Json<Requeued>, ApiError> {
    let (instance_id, requeued) =
        retry_event(&state, &caller, &request_id, &raw_id, Some(&event_id)).await?;
    Ok(Json(Requeued {
        instance_id: instance_id.0,
        requeued,
    }))
}

/// `POST /instances/{id}/events/retry`: replays every dead letter of the instance.
#[utoipa::path(
    post,
    path = "/instances/{id}/events/retry",
    operation_id = "retryDeadEvents",
    summary = "Replay dead letters",
    description = "Queues every dead letter of the instance again.",
    tag = "events",
    params(
        ("id" = u64, Path, minimum = 1, description = "The instance's id"),
    ),
    responses(
        (status = 200, description = "Every dead letter of the instance is queued again", body = Requeued),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No instance with this id that the caller may see", body = ErrorBody),
        (status = 503, description = "The store could not serve the request; try again", body = ErrorBody),
    ),
)]
pub async fn retry_dead(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    PathParams(raw_id): PathParams<String>,
) -> Result<Json<Requeued>, ApiError> {
    let (instance_id, requeued) = retry_event(&state, &caller, &request_id, &raw_id, None).await?;
    Ok(Json(Requeued {
        instance_id: instance_id.0,
        requeued,
    }))
}

/// Replays dead letters now: the one holding `event_id` (409 when it is neither DEAD nor
/// FAILED), or all of the instance's. Shared by the API's retry routes and the console.
pub(crate) async fn retry_event(
    state: &ApiState,
    caller: &Caller,
    request_id: &RequestId,
    raw_id: &str,
    event_id: Option<&str>,
) -> Result<(InstanceId, u64), ApiError> {
    let instance = match event_id {
        Some(event_id) => {
            load_event(state, caller, request_id, raw_id, event_id)
                .await?
                .0
        }
        None => load(state, caller, request_id, raw_id).await?,
    };
    let requeued = state
        .delivery
        .replay(instance.id, event_id, chrono::Utc::now())
        .await
        .or_store(request_id)?;
    if let (Some(event_id), 0) = (event_id, requeued) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            request_id,
            format!("event '{event_id}' is not DEAD or FAILED: nothing to retry"),
        ));
    }
    Ok((instance.id, requeued))
}
