//! The live poll URL preview of the create form: a resource's `url` expanded as a poll now
//! would expand it, with the same parser and expansion as `pollhook preview-url`.

use axum::extract::Query;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::html::secure_headers;
use super::signed_in::SignedIn;
use crate::time_zone::TimeZoneSpec;
use crate::url_template::UrlTemplate;

/// The lookback a poll subtracts from its lower bound (the default `--lookback-secs`).
pub const LOOKBACK: chrono::Duration = chrono::Duration::seconds(60);

/// Expands `template` at `at`, `${date}` in `timezone` (the resource's updatedDateTimezone,
/// UTC when empty); the error says what to fix.
pub fn expand(template: &str, timezone: &str, at: DateTime<Utc>) -> Result<String, String> {
    if template.trim().is_empty() {
        return Err("enter the resource's url".into());
    }
    let timezone = if timezone.trim().is_empty() {
        "UTC"
    } else {
        timezone.trim()
    };
    let zone = TimeZoneSpec::parse(timezone).map_err(|e| format!("time zone: {e}"))?;
    let template = UrlTemplate::parse(template).map_err(|e| e.to_string())?;
    Ok(template.expand(at, &zone))
}

/// The instant a poll started now would read from.
pub fn preview_instant(now: DateTime<Utc>) -> DateTime<Utc> {
    now - LOOKBACK
}

#[derive(Debug, Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    template: String,
    #[serde(default)]
    timezone: String,
}

/// `GET /console/preview-url?template=…&timezone=…`: `{"url"}` or `{"error"}`.
pub async fn preview(_signed_in: SignedIn, Query(q): Query<PreviewQuery>) -> Response {
    let at = preview_instant(Utc::now());
    let body = match expand(&q.template, &q.timezone, at) {
        Ok(url) => json!({"url": url, "at": at.to_rfc3339()}),
        Err(error) => json!({"error": error}),
    };
    let mut response = Json(body).into_response();
    secure_headers(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_like_the_cli() {
        let at = DateTime::parse_from_rfc3339("2024-05-01T10:20:30Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            expand(
                "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'",
                "GMT",
                at
            ),
            Ok("/hubs/crm/accounts?where=Comp_UpdatedDate>'2024-05-01T10:20:30Z'".into())
        );
        assert!(expand("/x?d=${date:qq}", "", at).is_err());
        assert!(expand("/x", "Mars/Olympus", at).is_err());
        assert!(expand("  ", "", at).is_err());
    }
}
