//! Query parameters that page a list: `limit`, and `after` (where the previous page ended).
//! Every list answers a bad one with a 400 that names the parameter.

use axum::http::StatusCode;

use super::error::ApiError;
use super::request_id::RequestId;
use crate::list_cursor::ListCursor;

/// The most items one page may hold.
pub const MAX_LIMIT: u32 = 1000;

/// `limit` as given: a whole number from 1 to [`MAX_LIMIT`]; None when absent.
pub(super) fn parse_limit(
    raw: Option<&str>,
    request_id: &RequestId,
) -> Result<Option<u32>, ApiError> {
    raw.map(|raw| {
        raw.parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::field(
                    StatusCode::BAD_REQUEST,
                    request_id,
                    "limit",
                    format!("'{raw}' is not a whole number from 1 to {MAX_LIMIT}"),
                )
            })
    })
    .transpose()
}

/// `after` of the instance listing: a token from a previous page's `Link` header.
pub(super) fn parse_cursor(
    raw: Option<&str>,
    request_id: &RequestId,
) -> Result<Option<ListCursor>, ApiError> {
    raw.map(|raw| {
        ListCursor::parse(raw).ok_or_else(|| {
            ApiError::field(
                StatusCode::BAD_REQUEST,
                request_id,
                "after",
                format!(
                    "'{raw}' is not a page token: pass the `after` of the previous page's \
                     `Link: <...>; rel=\"next\"` header as it is"
                ),
            )
        })
    })
    .transpose()
}
