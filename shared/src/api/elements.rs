//! `/elements`: the element catalogue, so API users and the console start an instance from
//! fields and poller configurations that are known to work.
//!
//! The catalogue holds no secret, but like every other call of Open Connectors (and of the rest
//! of this API) it needs an `Authorization` header: the account's secrets or an `Element` token.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::Json;

use super::auth::Caller;
use super::error::ApiError;
use super::request_id::RequestId;
use crate::element::ElementKey;
use crate::element_catalogue::{self, ElementDescription};

/// `GET /elements`: every element, in catalogue order.
pub async fn list(_caller: Caller) -> Json<&'static [ElementDescription]> {
    Json(element_catalogue::catalogue())
}

/// `GET /elements/{key}`: one element; 404 naming the key when there is none.
pub async fn get_one(
    _caller: Caller,
    request_id: RequestId,
    Path(key): Path<String>,
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
