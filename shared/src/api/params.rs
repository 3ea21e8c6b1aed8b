//! Path and query parameters whose rejections answer with the API's JSON error body.
//!
//! axum's own `Path` and `Query` answer a bad parameter (a path segment that is not UTF-8 once
//! percent-decoded, a query parameter given twice) with a text/plain 400, which breaks the
//! promise that every error is an [`ErrorBody`](super::error::ErrorBody). Schemathesis found both.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::request_id::RequestId;

/// The route's path parameters, as [`Path`] reads them.
pub struct PathParams<T>(pub T);

/// The query string's parameters, as [`Query`] reads them.
pub struct QueryParams<T>(pub T);

impl<T, S> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(path_error(parts, state, rejection).await),
        }
    }
}

impl<T, S> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(query_error(parts, state, rejection).await),
        }
    }
}

async fn request_id<S: Send + Sync>(parts: &mut Parts, state: &S) -> RequestId {
    RequestId::from_request_parts(parts, state)
        .await
        .unwrap_or_else(|e| match e {})
}

async fn path_error<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    rejection: PathRejection,
) -> ApiError {
    let request_id = request_id(parts, state).await;
    let status = match rejection.status() {
        // Anything but the caller's fault (a route wired to the wrong parameters) is ours.
        s if s.is_client_error() => s,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    ApiError::field(status, &request_id, "path", rejection.body_text())
}

async fn query_error<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    rejection: QueryRejection,
) -> ApiError {
    let request_id = request_id(parts, state).await;
    let text = rejection.body_text();
    let (field, message) = match duplicated_parameter(&text) {
        Some(name) => (name, "given more than once; send it once".to_owned()),
        None => ("query string".to_owned(), text),
    };
    ApiError::field(StatusCode::BAD_REQUEST, &request_id, &field, message)
}

/// The parameter serde_urlencoded reports as repeated ("duplicate field `limit`"), so the
/// error can name it like every other bad parameter.
fn duplicated_parameter(text: &str) -> Option<String> {
    let rest = text.split("duplicate field `").nth(1)?;
    let name = rest.split('`').next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::duplicated_parameter;

    #[test]
    fn a_repeated_parameter_is_named() {
        assert_eq!(
            duplicated_parameter("Failed to deserialize query string: duplicate field `limit`"),
            Some("limit".to_owned())
        );
        assert_eq!(
            duplicated_parameter("Failed to deserialize query string: invalid type"),
            None
        );
    }
}
