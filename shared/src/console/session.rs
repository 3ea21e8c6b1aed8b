//! The console's session: a signed, expiring cookie instead of a server-side session map, so
//! any process (any Lambda container) that holds the same key can verify it.
//!
//! The cookie carries the organization and user ids, a random session id and an expiry, never
//! a secret. Before sign-in it carries only the session id, so the sign-in form has a CSRF
//! token bound to something too.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The cookie's name; scoped to `/console`, so the API never sees it.
pub const COOKIE_NAME: &str = "pollhook_console";
const COOKIE_PATH: &str = "/console";
/// How long a sign-in lasts: a working day; then the secrets are asked again.
pub const SIGNED_IN_FOR: chrono::Duration = chrono::Duration::hours(8);
/// How long a sign-in form stays usable.
const ANONYMOUS_FOR: chrono::Duration = chrono::Duration::hours(1);
/// Version tag in front of every cookie, so the format can change without guessing.
const VERSION: &str = "v1";

/// The key that signs session cookies and CSRF tokens. Every process serving one deployment
/// must hold the same one, or a session signed by one is refused by the next.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

impl SessionKey {
    /// A fresh key: sessions last as long as this process (local mode, tests).
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// A key derived from secrets every process of a deployment is given alike (e.g. the
    /// account secrets of a Lambda function), so sessions verify on any container.
    pub fn derive(secrets: &[&str]) -> Self {
        let mut m = mac(b"pollhook console session key v1");
        for s in secrets {
            m.update(&(s.len() as u64).to_be_bytes());
            m.update(s.as_bytes());
        }
        Self(m.finalize().into_bytes().into())
    }

    fn sign(&self, purpose: &str, message: &str) -> String {
        let mut m = mac(&self.0);
        m.update(purpose.as_bytes());
        m.update(b"\0");
        m.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    }

    fn verify(&self, purpose: &str, message: &str, signature: &str) -> bool {
        let Ok(claimed) = URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let mut m = mac(&self.0);
        m.update(purpose.as_bytes());
        m.update(b"\0");
        m.update(message.as_bytes());
        m.verify_slice(&claimed).is_ok()
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// How the console's cookies are set in this deployment.
#[derive(Debug, Clone)]
pub struct ConsoleSettings {
    pub session_key: SessionKey,
    /// Always mark cookies `Secure`, even when no `X-Forwarded-Proto: https` says the
    /// request came over TLS (for a TLS proxy that does not set it).
    pub secure_cookies: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            session_key: SessionKey::random(),
            secure_cookies: false,
        }
    }
}

/// Who signed in, as the cookie says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInAccount {
    #[serde(rename = "o")]
    pub organization_id: String,
    #[serde(rename = "u")]
    pub user_id: String,
}

/// A verified session: signed in, or only holding a sign-in form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Random per session (a new one at sign-in); what CSRF tokens are bound to.
    #[serde(rename = "s")]
    pub id: String,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub account: Option<SignedInAccount>,
    /// Unix seconds after which the cookie is refused.
    #[serde(rename = "e")]
    pub expires: i64,
}

impl Session {
    /// A session for the sign-in form only.
    pub fn anonymous(now: DateTime<Utc>) -> Self {
        Self {
            id: new_id(),
            account: None,
            expires: (now + ANONYMOUS_FOR).timestamp(),
        }
    }

    /// A fresh session after a sign-in; a new id, so a token seen before sign-in is worthless.
    pub fn signed_in(account: SignedInAccount, now: DateTime<Utc>) -> Self {
        Self {
            id: new_id(),
            account: Some(account),
            expires: (now + SIGNED_IN_FOR).timestamp(),
        }
    }

    /// The cookie's value: `v1.<payload>.<signature>`.
    pub fn encode(&self, key: &SessionKey) -> String {
        // Serializing a struct of strings and integers cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let signature = key.sign("session", &payload);
        format!("{VERSION}.{payload}.{signature}")
    }

    /// The session a cookie value holds, if its signature is ours and it has not expired.
    pub fn decode(value: &str, key: &SessionKey, now: DateTime<Utc>) -> Option<Self> {
        let mut parts = value.split('.');
        let (Some(VERSION), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if !key.verify("session", payload, signature) {
            return None;
        }
        let json = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let session: Session = serde_json::from_slice(&json).ok()?;
        (now.timestamp() < session.expires).then_some(session)
    }

    /// The synchronizer token of this session's forms: an HMAC of its id, so it needs no
    /// storage and a token from another session (or none) is refused.
    pub fn csrf_token(&self, key: &SessionKey) -> String {
        key.sign("csrf", &self.id)
    }

    pub fn csrf_matches(&self, key: &SessionKey, presented: &str) -> bool {
        key.verify("csrf", &self.id, presented)
    }
}

fn new_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 18]>())
}

/// The session of a request's cookie, if valid.
pub fn from_headers(headers: &HeaderMap, key: &SessionKey, now: DateTime<Utc>) -> Option<Session> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == COOKIE_NAME)
        .find_map(|(_, value)| Session::decode(value.trim(), key, now))
}

/// Whether the request came over TLS, as the proxy in front says (API Gateway, a load
/// balancer) or the operator declares.
pub fn is_secure(headers: &HeaderMap, settings: &ConsoleSettings) -> bool {
    settings.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// `Set-Cookie` for a session: HttpOnly, SameSite=Strict, Secure over TLS, gone at its expiry.
pub fn set_cookie(
    session: &Session,
    key: &SessionKey,
    secure: bool,
    now: DateTime<Utc>,
) -> HeaderValue {
    let max_age = (session.expires - now.timestamp()).max(0);
    cookie_header(&session.encode(key), max_age, secure)
}

/// `Set-Cookie` that removes the session (sign out).
pub fn clear_cookie(secure: bool) -> HeaderValue {
    cookie_header("", 0, secure)
}

fn cookie_header(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{COOKIE_NAME}={value}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    );
    // The value is base64url and dots, the rest fixed ASCII: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Adds a `Set-Cookie` header to a response's headers.
pub fn append_cookie(headers: &mut HeaderMap, cookie: HeaderValue) {
    headers.append(SET_COOKIE, cookie);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> SignedInAccount {
        SignedInAccount {
            organization_id: "org".into(),
            user_id: "user".into(),
        }
    }

    #[test]
    fn a_session_round_trips_only_under_its_key_and_before_expiry() {
        let key = SessionKey::random();
        let now = Utc::now();
        let session = Session::signed_in(account(), now);
        let cookie = session.encode(&key);
        assert_eq!(Session::decode(&cookie, &key, now), Some(session.clone()));
        assert_eq!(Session::decode(&cookie, &SessionKey::random(), now), None);
        assert_eq!(
            Session::decode(
                &cookie,
                &key,
                now + SIGNED_IN_FOR + chrono::Duration::seconds(1)
            ),
            None
        );
    }

    #[test]
    fn a_changed_payload_is_refused() {
        let key = SessionKey::random();
        let now = Utc::now();
        let cookie = Session::anonymous(now).encode(&key);
        let mut parts: Vec<&str> = cookie.split('.').collect();
        let forged = Session::signed_in(account(), now);
        let forged_payload =
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap_or_default());
        parts[1] = &forged_payload;
        assert_eq!(Session::decode(&parts.join("."), &key, now), None);
        assert_eq!(Session::decode("v1.x", &key, now), None);
        assert_eq!(Session::decode("", &key, now), None);
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_session() {
        let key = SessionKey::random();
        let now = Utc::now();
        let a = Session::signed_in(account(), now);
        let b = Session::signed_in(account(), now);
        let token = a.csrf_token(&key);
        assert!(a.csrf_matches(&key, &token));
        assert!(!b.csrf_matches(&key, &token));
        assert!(!a.csrf_matches(&key, ""));
    }

    #[test]
    fn derived_keys_agree_across_processes() {
        let now = Utc::now();
        let session = Session::signed_in(account(), now);
        let cookie = session.encode(&SessionKey::derive(&["o", "u"]));
        assert!(Session::decode(&cookie, &SessionKey::derive(&["o", "u"]), now).is_some());
        assert!(Session::decode(&cookie, &SessionKey::derive(&["ou", ""]), now).is_none());
    }

    #[test]
    fn cookies_are_http_only_and_strict() {
        let text = cookie_header("x", 10, true);
        let text = text.to_str().unwrap_or_default();
        assert!(text.contains("HttpOnly") && text.contains("SameSite=Strict"));
        assert!(text.contains("; Secure"));
        let plain = cookie_header("x", 10, false);
        assert!(!plain.to_str().unwrap_or_default().contains("Secure"));
    }
}
