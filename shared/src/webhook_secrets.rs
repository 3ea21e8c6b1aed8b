//! Per-instance Standard Webhooks secrets, kept in the instance's (encrypted) configuration:
//! the current one, and after a rotation the previous one, still signing for a grace period.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::signature::WebhookSecret;

pub const CURRENT_KEY: &str = "webhook.secret";
pub const PREVIOUS_KEY: &str = "webhook.secret.previous";
pub const PREVIOUS_EXPIRES_KEY: &str = "webhook.secret.previous.expires_at";
/// How long a rotated-out secret keeps signing, so receivers can switch without losing events.
pub const ROTATION_GRACE: chrono::Duration = chrono::Duration::hours(24);

/// Configuration keys only pollhook writes; a request that sets one is refused. (OAuth tokens
/// under `oauth.user.*` may be given, as Open Connectors allows, to register without a code.)
pub fn is_reserved_key(key: &str) -> bool {
    key.starts_with("webhook.secret") || key == crate::instance::DISABLED_REASON
}

/// Adds a fresh secret to a new instance's configuration and returns it (shown once).
pub fn install_new(configuration: &mut Map<String, Value>) -> WebhookSecret {
    let secret = WebhookSecret::generate();
    configuration.insert(
        CURRENT_KEY.into(),
        Value::String(secret.as_str().to_owned()),
    );
    secret
}

/// Replaces the current secret; the old one signs alongside it until `now + ROTATION_GRACE`.
pub fn rotate(
    configuration: &mut Map<String, Value>,
    now: DateTime<Utc>,
) -> (WebhookSecret, DateTime<Utc>) {
    let expires = now + ROTATION_GRACE;
    if let Some(current) = configuration.get(CURRENT_KEY).cloned() {
        configuration.insert(PREVIOUS_KEY.into(), current);
        configuration.insert(
            PREVIOUS_EXPIRES_KEY.into(),
            Value::String(expires.to_rfc3339()),
        );
    }
    (install_new(configuration), expires)
}

/// The secrets that sign a delivery at `now`: the current one, and the previous one in its grace period.
pub fn active(configuration: &Map<String, Value>, now: DateTime<Utc>) -> Vec<WebhookSecret> {
    let read = |key: &str| {
        configuration
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| WebhookSecret::parse(s).ok())
    };
    let mut secrets: Vec<WebhookSecret> = read(CURRENT_KEY).into_iter().collect();
    let previous_valid = configuration
        .get(PREVIOUS_EXPIRES_KEY)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .is_some_and(|expires| now < expires);
    if previous_valid {
        secrets.extend(read(PREVIOUS_KEY));
    }
    secrets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_old_secret_signing_for_a_day() {
        let mut config = Map::new();
        let first = install_new(&mut config);
        let now = Utc::now();
        let (second, expires) = rotate(&mut config, now);
        assert_eq!(expires, now + ROTATION_GRACE);
        let during: Vec<String> = active(&config, now)
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        assert_eq!(
            during,
            vec![second.as_str().to_owned(), first.as_str().to_owned()]
        );
        let after = active(&config, now + ROTATION_GRACE + chrono::Duration::seconds(1));
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].as_str(), second.as_str());
    }

    #[test]
    fn reserved_keys() {
        for k in [
            "webhook.secret",
            "webhook.secret.previous",
            "event.notification.disabled.reason",
        ] {
            assert!(is_reserved_key(k), "{k}");
        }
        assert!(!is_reserved_key("event.notification.signature.key"));
        assert!(!is_reserved_key("oauth.user.token"));
    }
}
