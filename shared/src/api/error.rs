//! Error responses: always JSON `{"requestId", "message", "errors"?}`, with the field named.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::request_id::RequestId;
use crate::field_error::{FieldError, ValidationErrors};
use crate::ports::StoreError;

/// An error answered to an API caller.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub request_id: String,
    pub message: String,
    pub validation: Option<ValidationErrors>,
}

impl ApiError {
    pub fn new(status: StatusCode, request_id: &RequestId, message: impl Into<String>) -> Self {
        Self {
            status,
            request_id: request_id.0.clone(),
            message: message.into(),
            validation: None,
        }
    }

    /// A problem with one named part of the request (`body`, `Content-Type`, `limit`, ...),
    /// answered in the same shape as validation errors.
    pub fn field(
        status: StatusCode,
        request_id: &RequestId,
        field: &str,
        problem: impl Into<String>,
    ) -> Self {
        let errors = ValidationErrors::from(crate::field_error::FieldError::new(field, problem));
        Self {
            status,
            request_id: request_id.0.clone(),
            message: errors.to_string(),
            validation: Some(errors),
        }
    }

    pub fn invalid(request_id: &RequestId, errors: ValidationErrors) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            request_id: request_id.0.clone(),
            message: errors.to_string(),
            validation: Some(errors),
        }
    }

    /// A store failure: logged in full for operators, answered as 503 (try again), never 500.
    pub fn store(request_id: &RequestId, error: StoreError) -> Self {
        tracing::error!(request_id = %request_id.0, error = %error, "store error");
        let status = match error {
            // The caller's organization was removed while it was authenticated.
            StoreError::UnknownOrganization(_) => StatusCode::UNAUTHORIZED,
            StoreError::Unavailable(_) | StoreError::Conflict(_) | StoreError::Corrupt(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        Self::new(
            status,
            request_id,
            format!("the store could not serve this request: {error}"),
        )
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The id the request was logged under, also sent as the `Elements-Request-Id` header.
    pub request_id: String,
    /// What went wrong; for validation errors, every field error on one line.
    pub message: String,
    /// Each problem with the field it is about, when the request was at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            request_id: self.request_id,
            message: self.message,
            errors: self.validation.map(|v| v.0),
        };
        (self.status, Json(body)).into_response()
    }
}

/// Turns a store failure into the API's answer for it, so handlers read `.or_store(&request_id)?`.
pub trait StoreResultExt<T> {
    fn or_store(self, request_id: &RequestId) -> Result<T, ApiError>;
}

impl<T> StoreResultExt<T> for Result<T, StoreError> {
    fn or_store(self, request_id: &RequestId) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::store(request_id, e))
    }
}

pub async fn not_found(request_id: RequestId, request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        &request_id,
        format!("no route for {} {}", request.method(), request.uri().path()),
    )
}

pub async fn method_not_allowed(request_id: RequestId, request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        &request_id,
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}
