//! Which configuration keys hold secrets: those are encrypted at rest and never shown again.

use crate::element::ElementKey;

/// What a redacted secret reads as in responses.
pub const REDACTED: &str = "********";

/// True for keys whose values must never leave pollhook once stored.
///
/// The element's own list is the authority; the name rules catch secrets of any element
/// (tokens, passwords, signing keys) so a new connector cannot leak one by omission.
pub fn is_secret_key(element: Option<ElementKey>, key: &str) -> bool {
    if let Some(element) = element {
        if element.fields().iter().any(|f| f.key == key && f.secret) {
            return true;
        }
    }
    let key = key.to_ascii_lowercase();
    let last = key.rsplit('.').next().unwrap_or(&key);
    last.contains("password")
        || last.contains("secret")
        || key.contains("token") && !key.ends_with(".url")
        || key.ends_with("signature.key")
        || key.ends_with("subscription.key")
        || key.ends_with("private.key")
        || key.ends_with("authorization.header")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_secrets_are_secret() {
        for key in [
            "password",
            "oauth.api.secret",
            "signature.secret",
            "apim.subscription.key",
            "event.notification.signature.key",
            "oauth.user.token",
            "oauth.user.refresh_token",
        ] {
            assert!(is_secret_key(None, key), "{key}");
        }
    }

    #[test]
    fn ordinary_fields_are_not_secret() {
        for key in [
            "username",
            "subdomain",
            "oauth.api.key",
            "oauth.callback.url",
            "oauth.token.url",
            "country",
            "event.notification.callback.url",
            "event.poller.refresh_interval",
        ] {
            assert!(!is_secret_key(Some(ElementKey::SageOne), key), "{key}");
        }
    }
}
