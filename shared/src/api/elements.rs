//! `/elements`: the element catalogue, so API users and the console start an instance from
//! fields and poller configurations that are known to work.
//!
//! The catalogue holds no secret, but like every other call of Open Connectors (and of the rest
//! of this API) it needs an `Authorization` header: the account's secrets or an `Element` token.

use axum::http::StatusCode;
use axum::Json;

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::params::PathParams;
use super::request_id::RequestId;
use crate::element::ElementKey;
use crate::element_catalogue::{self, ElementDescription};

/// `GET /elements`: every element, in catalogue order.
#[utoipa::path(
    get,
    path = "/elements",
    operation_id = "listElements",
    summary = "List elements",
    description = "Every connector pollhook knows: its configuration fields (type, required, secret) and, per hub resource, a poller configuration that registers and polls as it is.",
    tag = "elements",
    responses(
        (status = 200, description = "Every element, in catalogue order", body = [ElementDescription]),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
    ),
)]
pub async fn list(_caller: Caller) -> Json<&'static [ElementDescription]> {
    Json(element_catalogue::catalogue())
}

/// `GET /elements/{key}`: one element; 404 naming the key when there is none.
#[utoipa::path(
    get,
    path = "/elements/{key}",
    operation_id = "getElement",
    summary = "Get an element",
    description = "One connector of the catalogue.",
    tag = "elements",
    params(("key" = String, Path, description = "The element's key, as `element.key` spells it", example = "sagecrm")),
    responses(
        (status = 200, description = "The element: its fields and a poller configuration per resource", body = ElementDescription),
        (status = 401, description = "No valid `Authorization` header", body = ErrorBody),
        (status = 404, description = "No element has this key", body = ErrorBody),
    ),
)]
pub async fn get_one(
    _caller: Caller,
    request_id: RequestId,
    PathParams(key): PathParams<String>,
) -> Result<Json<&'static ElementDescription>, ApiError> {
    element_catalogue::find(&key).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            &request_id,
            format!(
                "no element with key '{key}' (known: {})",
                ElementKey::known_list()
            ),
        )
    })
}
