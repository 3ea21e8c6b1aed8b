//! Sage's OAuth 2.0 token endpoint: authorization-code exchange and refresh with rotation.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::elements::OAuthTokens;

/// Sage's access tokens last 5 minutes; used when a response omits `expires_in`.
const DEFAULT_EXPIRES_IN: i64 = 300;

/// Why the token endpoint gave no tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// 4xx: the code or refresh token was refused (`invalid_grant`, a wrong secret ...).
    #[error("{error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        status: u16,
        error: String,
        description: Option<String>,
    },
    #[error("cannot reach the token endpoint: {0}")]
    Unreachable(String),
    #[error("the token endpoint answered {status}: {body}")]
    Server { status: u16, body: String },
    #[error("the token endpoint answered something that is not a token response: {0}")]
    Malformed(String),
}

/// Reads a token response; a refresh that returns no new refresh token keeps `previous_refresh`.
pub fn tokens_from_response(
    body: &Value,
    now: DateTime<Utc>,
    previous_refresh: Option<&str>,
) -> Result<OAuthTokens, TokenError> {
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let access_token =
        text("access_token").ok_or_else(|| TokenError::Malformed("no access_token".into()))?;
    let refresh_token = text("refresh_token")
        .or(previous_refresh)
        .ok_or_else(|| TokenError::Malformed("no refresh_token".into()))?;
    let expires_in = match body.get("expires_in") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(DEFAULT_EXPIRES_IN),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(DEFAULT_EXPIRES_IN),
        _ => DEFAULT_EXPIRES_IN,
    };
    Ok(OAuthTokens {
        access_token: access_token.to_owned(),
        refresh_token: refresh_token.to_owned(),
        expires_at: now + Duration::seconds(expires_in.clamp(0, 366 * 86_400)),
    })
}

/// Reads an OAuth error body (`{"error":"invalid_grant","error_description":...}`).
pub fn refusal(status: u16, body: &[u8]) -> TokenError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |key: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    TokenError::Refused {
        status,
        error: field("error")
            .unwrap_or_else(|| format!("HTTP {status}: {}", String::from_utf8_lossy(body).trim())),
        description: field("error_description"),
    }
}

#[cfg(feature = "elements")]
pub use client::{exchange_code, refresh, Credentials};

#[cfg(feature = "elements")]
mod client {
    use chrono::Utc;

    use super::{refusal, tokens_from_response, TokenError};
    use crate::elements::transport::{snippet, REQUEST_TIMEOUT};
    use crate::elements::OAuthTokens;

    /// The client credentials and endpoint an instance authenticates with.
    pub struct Credentials<'a> {
        pub token_url: &'a str,
        pub client_id: &'a str,
        pub client_secret: &'a str,
    }

    /// Exchanges an authorization code (usable once, within 60 s) for tokens.
    pub async fn exchange_code(
        client: &reqwest::Client,
        credentials: &Credentials<'_>,
        code: &str,
        redirect_uri: &str,
    ) -> Result<OAuthTokens, TokenError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("client_id", credentials.client_id),
            ("client_secret", credentials.client_secret),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        post(client, credentials.token_url, &form, None).await
    }

    /// Trades a refresh token for new tokens; the old refresh token stops working.
    pub async fn refresh(
        client: &reqwest::Client,
        credentials: &Credentials<'_>,
        refresh_token: &str,
    ) -> Result<OAuthTokens, TokenError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", credentials.client_id),
            ("client_secret", credentials.client_secret),
            ("refresh_token", refresh_token),
        ];
        post(client, credentials.token_url, &form, Some(refresh_token)).await
    }

    async fn post(
        client: &reqwest::Client,
        url: &str,
        form: &[(&str, &str)],
        previous_refresh: Option<&str>,
    ) -> Result<OAuthTokens, TokenError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let call = async {
            let response = client
                .post(url)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .header(reqwest::header::ACCEPT, "application/json")
                .body(body)
                .send()
                .await?;
            let status = response.status().as_u16();
            Ok::<_, reqwest::Error>((status, response.bytes().await?))
        };
        // Wrapped rather than `RequestBuilder::timeout`, so a shorter client timeout still holds.
        let (status, bytes) = tokio::time::timeout(REQUEST_TIMEOUT, call)
            .await
            .map_err(|_| {
                TokenError::Unreachable(format!("no answer within {}s", REQUEST_TIMEOUT.as_secs()))
            })?
            .map_err(|e| TokenError::Unreachable(error_text(&e)))?;
        match status {
            200..=299 => {
                let value = serde_json::from_slice(&bytes)
                    .map_err(|_| TokenError::Malformed(snippet(&bytes)))?;
                tokens_from_response(&value, Utc::now(), previous_refresh)
            }
            400..=499 => Err(refusal(status, &bytes)),
            _ => Err(TokenError::Server {
                status,
                body: snippet(&bytes),
            }),
        }
    }

    fn error_text(error: &reqwest::Error) -> String {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_token_responses() {
        let now = Utc::now();
        let t = tokens_from_response(
            &json!({"access_token": "a", "refresh_token": "r", "expires_in": 300, "token_type": "bearer"}),
            now,
            None,
        )
        .unwrap();
        assert_eq!(
            (t.access_token.as_str(), t.refresh_token.as_str()),
            ("a", "r")
        );
        assert_eq!(t.expires_at, now + Duration::seconds(300));
        let kept = tokens_from_response(&json!({"access_token": "a2"}), now, Some("r")).unwrap();
        assert_eq!(kept.refresh_token, "r");
        assert!(tokens_from_response(&json!({"error": "x"}), now, None).is_err());
    }

    #[test]
    fn reads_refusals() {
        let e = refusal(
            400,
            br#"{"error":"invalid_grant","error_description":"code expired"}"#,
        );
        assert_eq!(e.to_string(), "invalid_grant (code expired)");
        assert_eq!(refusal(401, b"nope").to_string(), "HTTP 401: nope");
    }
}
