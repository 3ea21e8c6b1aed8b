//! One GET of one page over HTTP: timeouts, status codes and bodies mapped onto `ConnectorError`.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::Value;

use super::retry_after::parse_retry_after;
use crate::callback_guard::GuardError;
use crate::ports::ConnectorError;

/// Per-request ceiling, on top of whatever timeout the shared client has.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest page body read; a bigger one is a misconfigured page size or a broken vendor.
pub const MAX_BODY: usize = 64 * 1024 * 1024;
/// How much of an error body is quoted in messages.
const SNIPPET: usize = 300;

/// Sends `request` with the per-request timeout and returns the response if it is a success.
/// The ceiling wraps the call rather than using `RequestBuilder::timeout`, which would replace
/// a shorter timeout the caller's client already has.
pub async fn send(request: RequestBuilder) -> Result<Response, ConnectorError> {
    let started = Instant::now();
    let response = tokio::time::timeout(REQUEST_TIMEOUT, request.send())
        .await
        .map_err(|_| ConnectorError::Timeout(REQUEST_TIMEOUT))?
        .map_err(|e| request_error(e, started))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    let body = read_body(response).await.unwrap_or_default();
    Err(status_error(status, retry_after, &body))
}

/// Reads a success response as JSON, one page at most `MAX_BODY` long.
pub async fn json(response: Response) -> Result<Value, ConnectorError> {
    let body = tokio::time::timeout(REQUEST_TIMEOUT, read_body(response))
        .await
        .map_err(|_| ConnectorError::Timeout(REQUEST_TIMEOUT))??;
    serde_json::from_slice(&body)
        .map_err(|e| ConnectorError::MalformedPage(format!("not JSON ({e}): {}", snippet(&body))))
}

async fn read_body(mut response: Response) -> Result<Vec<u8>, ConnectorError> {
    let started = Instant::now();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| request_error(e, started))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(ConnectorError::MalformedPage(format!(
                "the page is larger than {} MiB; lower the page size",
                MAX_BODY / (1024 * 1024)
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Maps a failed status: 429 rate limit, 401/403 credentials, the rest as vendor errors.
pub fn status_error(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: &[u8],
) -> ConnectorError {
    let message = snippet(body);
    match status.as_u16() {
        429 => ConnectorError::RateLimited { retry_after },
        401 | 403 => ConnectorError::Unauthorized(format!("{status}: {message}")),
        code => ConnectorError::Server {
            status: code,
            message,
        },
    }
}

/// Maps a transport failure: timeouts (reporting the time waited since `started`), refused
/// connections, broken bodies.
pub fn request_error(error: reqwest::Error, started: Instant) -> ConnectorError {
    if let Some(refused) = guard_refusal(&error) {
        ConnectorError::AddressRefused(refused)
    } else if error.is_timeout() {
        ConnectorError::Timeout(started.elapsed())
    } else if error.is_decode() || error.is_body() {
        ConnectorError::MalformedPage(format!("the body could not be read: {error}"))
    } else {
        ConnectorError::Network(without_query(&error))
    }
}

/// The address guard's refusal, when the client's resolver refused the vendor's host.
fn guard_refusal(error: &reqwest::Error) -> Option<String> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused @ GuardError::Refused { .. }) = e.downcast_ref::<GuardError>() {
            return Some(refused.to_string());
        }
        source = e.source();
    }
    None
}

/// The error text without the URL's query, which may hold filters but never needs to be logged.
fn without_query(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        let mut shown = url.clone();
        shown.set_query(None);
        text = text.replace(url.as_str(), shown.as_str());
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The start of a body, as text, for messages.
pub fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > SNIPPET {
        format!("{}…", text.chars().take(SNIPPET).collect::<String>())
    } else if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback_guard::{guarded_client, CallbackGuard};

    #[tokio::test]
    async fn a_vendor_host_the_guard_refuses_is_not_retried() {
        let client = guarded_client(
            CallbackGuard {
                allow_private: false,
            },
            Duration::from_secs(5),
            "pollhook-test",
        );
        let started = Instant::now();
        let error = client
            .get("http://localhost:9/sdata")
            .send()
            .await
            .expect_err("refused before connecting");
        let mapped = request_error(error, started);
        assert!(
            matches!(&mapped, ConnectorError::AddressRefused(m) if m.contains("localhost")),
            "{mapped:?}"
        );
        assert!(!mapped.is_transient());
    }
}
