//! `/instances/{id}/events`, `/instances/{id}/polls` and `POST /instances/{id}/poll`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::SecondsFormat;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Caller;
use super::error::{ApiError, StoreResultExt};
use super::instances::load;
use super::request_id::RequestId;
use super::ApiState;
use crate::instance::{Instance, InstanceId};
use crate::ports::{EventRecord, PollLogEntry, PollNowError};

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// Paging of lists: `limit` (1-1000) and `after` (the `seq` of the last item of the previous page).
#[derive(Debug, Deserialize)]
pub struct Paging {
    limit: Option<String>,
    after: Option<String>,
}

impl Paging {
    fn parse(&self, request_id: &RequestId) -> Result<(u32, Option<i64>), ApiError> {
        let limit = match &self.limit {
            None => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    ApiError::field(
                        StatusCode::BAD_REQUEST,
                        request_id,
                        "limit",
                        format!("'{raw}' is not a whole number from 1 to {MAX_LIMIT}"),
                    )
                })?,
        };
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

/// Open Connectors' view of one event.
pub fn event_view(record: &EventRecord) -> Value {
    let e = &record.event;
    json!({
        "id": e.id,
        "seq": record.seq,
        "instanceId": e.instance_id.0,
        "elementKey": e.element_key,
        "objectType": e.object_type,
        "objectId": e.object_id,
        "eventType": e.event_type.as_str(),
        "date": e.date.to_rfc3339_opts(SecondsFormat::Millis, true),
        "status": record.status,
        "notificationId": record.notification_id,
        "createdDate": record.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        "raw": e.raw,
    })
}

pub async fn list(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path(raw_id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    let (limit, after) = paging.parse(&request_id)?;
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    let records = state
        .events
        .list_events(instance.id, after, limit)
        .await
        .or_store(&request_id)?;
    Ok(Json(Value::Array(records.iter().map(event_view).collect())))
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

pub async fn get_one(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path((raw_id, event_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (_, record) = load_event(&state, &caller, &request_id, &raw_id, &event_id).await?;
    let attempts = match &record.notification_id {
        Some(n) => state.delivery.attempts(n).await.or_store(&request_id)?,
        None => Vec::new(),
    };
    let mut body = event_view(&record);
    body["attempts"] = json!(attempts);
    Ok(Json(body))
}

pub async fn polls(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path(raw_id): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
    let (limit, _) = paging.parse(&request_id)?;
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    let entries = state
        .events
        .list_polls(instance.id, limit)
        .await
        .or_store(&request_id)?;
    Ok(Json(json!(entries)))
}

pub async fn poll_now(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let instance = load(&state, &caller, &request_id, &raw_id).await?;
    let entries = poll_instance(&state, &request_id, &instance).await?;
    Ok(Json(
        json!({"instanceId": instance.id.0, "resources": entries}),
    ))
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
pub async fn list_all(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(Value::Array(records.iter().map(event_view).collect())))
}

/// `POST /instances/{id}/events/{eventId}/retry`: sends the notification holding it again.
pub async fn retry_one(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path((raw_id, event_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let (instance_id, requeued) =
        retry_event(&state, &caller, &request_id, &raw_id, Some(&event_id)).await?;
    Ok(Json(
        json!({"instanceId": instance_id.0, "requeued": requeued}),
    ))
}

/// `POST /instances/{id}/events/retry`: replays every dead letter of the instance.
pub async fn retry_dead(
    State(state): State<ApiState>,
    request_id: RequestId,
    caller: Caller,
    Path(raw_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (instance_id, requeued) = retry_event(&state, &caller, &request_id, &raw_id, None).await?;
    Ok(Json(
        json!({"instanceId": instance_id.0, "requeued": requeued}),
    ))
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
