//! Instance creation for `sageone`: the one-time authorization code becomes stored tokens.

use serde_json::Value;

use super::oauth::{exchange_code, Credentials, TokenError};
use super::DEFAULT_TOKEN_URL;
use crate::elements::config::{field, setting};
use crate::elements::{ACCESS_TOKEN_KEY, EXPIRES_AT_KEY, REFRESH_TOKEN_KEY};
use crate::field_error::FieldError;
use crate::instance::InstanceSpec;

/// Exchanges `providerData.code` and writes the tokens into `spec.configuration`.
pub(crate) async fn authorize(
    spec: &mut InstanceSpec,
    client: &reqwest::Client,
) -> Result<(), FieldError> {
    let c = &spec.configuration;
    let required = |key: &str| {
        setting(c, key).ok_or_else(|| FieldError::new(field(key), "required for element 'sageone'"))
    };
    let client_id = required("oauth.api.key")?;
    let client_secret = required("oauth.api.secret")?;
    let redirect_uri = required("oauth.callback.url")?;
    let token_url = setting(c, "oauth.token.url").unwrap_or_else(|| DEFAULT_TOKEN_URL.to_owned());
    let code = match spec.provider_data.get("code") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            return Err(FieldError::new(
                "providerData.code",
                "required for element 'sageone': the OAuth authorization grant code",
            ))
        }
    };
    let credentials = Credentials {
        token_url: &token_url,
        client_id: &client_id,
        client_secret: &client_secret,
    };
    let tokens = exchange_code(client, &credentials, &code, &redirect_uri)
        .await
        .map_err(|e| refused(&token_url, e))?;
    let c = &mut spec.configuration;
    c.insert(ACCESS_TOKEN_KEY.into(), Value::String(tokens.access_token));
    c.insert(
        REFRESH_TOKEN_KEY.into(),
        Value::String(tokens.refresh_token),
    );
    c.insert(
        EXPIRES_AT_KEY.into(),
        Value::String(tokens.expires_at.to_rfc3339()),
    );
    Ok(())
}

/// Names the field a user must fix: the code, the client credentials or the token URL.
fn refused(token_url: &str, error: TokenError) -> FieldError {
    match &error {
        TokenError::Refused { error: code, .. } if code == "invalid_client" || code == "unauthorized_client" => {
            FieldError::new(
                field("oauth.api.secret"),
                format!("the client credentials (oauth.api.key, oauth.api.secret) were refused by {token_url}: {error}"),
            )
        }
        TokenError::Refused { .. } => FieldError::new(
            "providerData.code",
            format!("the authorization code was refused by {token_url}: {error}; codes are single-use and expire after 60 seconds, and oauth.callback.url must match the one used to obtain it"),
        ),
        TokenError::Unreachable(_) | TokenError::Server { .. } | TokenError::Malformed(_) => FieldError::new(
            field("oauth.token.url"),
            format!("the token endpoint {token_url} could not exchange the authorization code: {error}"),
        ),
    }
}
