//! Webhook signing, two ways: Open Connectors' `Elements-Webhook-Signature`, so existing
//! Cloud Elements receivers keep working, and Standard Webhooks (standardwebhooks.com, the
//! format Svix uses), so a receiver can verify with an off-the-shelf library.
//!
//! HMAC comes from the `hmac` crate and comparisons are constant time (`Mac::verify_slice`),
//! so a receiver's verification cannot leak how much of a forged signature was right.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of a Standard Webhooks secret.
const SECRET_PREFIX: &str = "whsec_";
/// The prefix of an Open Connectors signature header value.
const OPEN_CONNECTORS_PREFIX: &str = "sha256=";
/// Bytes in a generated secret: Svix uses 24 (192 bits).
const GENERATED_SECRET_BYTES: usize = 24;

/// Why a secret or a signature was rejected.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SignatureError {
    #[error("webhook secret must start with 'whsec_' followed by base64")]
    MissingSecretPrefix,
    #[error("webhook secret after 'whsec_' is not valid base64: {0}")]
    SecretNotBase64(String),
    #[error("webhook secret is empty after 'whsec_'; generate one with at least 24 random bytes")]
    EmptySecret,
    #[error("webhook-timestamp '{0}' is not a whole number of seconds since the Unix epoch")]
    InvalidTimestamp(String),
    #[error("webhook-timestamp {timestamp} is {age} s old, more than the {tolerance} s tolerance: possibly a replay")]
    TimestampTooOld {
        timestamp: i64,
        age: i64,
        tolerance: i64,
    },
    #[error("webhook-timestamp {timestamp} is {ahead} s in the future, more than the {tolerance} s tolerance: check the sender's clock")]
    TimestampTooNew {
        timestamp: i64,
        ahead: i64,
        tolerance: i64,
    },
    #[error("signature header carries no 'v1,<base64>' signature")]
    NoSignatures,
    #[error("Open Connectors signature header must look like 'sha256=<base64>'")]
    MissingOpenConnectorsPrefix,
    #[error("no signature matches the body: wrong secret, or the body was changed in transit")]
    Mismatch,
}

/// A fresh HMAC-SHA256 keyed with `key`.
fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// Open Connectors' header value: `sha256=<base64(HMAC-SHA256(key, raw body))>`.
pub fn open_connectors_signature(key: &str, body: &[u8]) -> String {
    let mut m = mac(key.as_bytes());
    m.update(body);
    format!(
        "{OPEN_CONNECTORS_PREFIX}{}",
        STANDARD.encode(m.finalize().into_bytes())
    )
}

/// Checks an `Elements-Webhook-Signature` value as a receiver does, in constant time.
pub fn verify_open_connectors(
    key: &str,
    header_value: &str,
    body: &[u8],
) -> Result<(), SignatureError> {
    let encoded = header_value
        .trim()
        .strip_prefix(OPEN_CONNECTORS_PREFIX)
        .ok_or(SignatureError::MissingOpenConnectorsPrefix)?;
    let claimed = STANDARD
        .decode(encoded)
        .map_err(|_| SignatureError::Mismatch)?;
    let mut m = mac(key.as_bytes());
    m.update(body);
    m.verify_slice(&claimed)
        .map_err(|_| SignatureError::Mismatch)
}

/// A Standard Webhooks secret, `whsec_<base64>`: kept both as text (to show once and store)
/// and decoded (the HMAC key is the decoded bytes, not the text).
#[derive(Clone)]
pub struct WebhookSecret {
    text: String,
    key: Vec<u8>,
}

impl fmt::Debug for WebhookSecret {
    /// Never prints the key: secrets end up in logs through `{:?}` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(whsec_<redacted>)")
    }
}

impl WebhookSecret {
    /// A new random secret of 24 bytes from the OS generator, like Svix's.
    pub fn generate() -> WebhookSecret {
        let mut key = vec![0u8; GENERATED_SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let text = format!("{SECRET_PREFIX}{}", STANDARD.encode(&key));
        WebhookSecret { text, key }
    }

    /// Parses `whsec_<base64>`. The prefix is required: it is what tells a Standard
    /// Webhooks secret from an Open Connectors signature key pasted in the wrong place.
    pub fn parse(s: &str) -> Result<WebhookSecret, SignatureError> {
        let s = s.trim();
        let encoded = s
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SignatureError::MissingSecretPrefix)?;
        if encoded.is_empty() {
            return Err(SignatureError::EmptySecret);
        }
        let key = STANDARD
            .decode(encoded)
            .map_err(|e| SignatureError::SecretNotBase64(e.to_string()))?;
        if key.is_empty() {
            return Err(SignatureError::EmptySecret);
        }
        Ok(WebhookSecret {
            text: s.to_string(),
            key,
        })
    }

    /// The secret as given to the user: `whsec_...`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn mac_for(&self, msg_id: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
        let mut m = mac(&self.key);
        m.update(msg_id.as_bytes());
        m.update(b".");
        m.update(timestamp.as_bytes());
        m.update(b".");
        m.update(body);
        m
    }

    /// `v1,<base64(HMAC-SHA256(secret bytes, "{msg_id}.{timestamp}.{body}"))>`.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let m = self.mac_for(msg_id, &timestamp.to_string(), body);
        format!("v1,{}", STANDARD.encode(m.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per active secret, space-separated, so a
/// receiver holding either the old or the new secret verifies during a rotation.
/// No secrets gives an empty string, which every receiver rejects.
pub fn standard_webhooks_header(
    secrets: &[&WebhookSecret],
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|s| s.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Verifies as a Standard Webhooks receiver does: the timestamp within `tolerance_secs` of
/// `now` either way (replays and skewed clocks), then any `v1,` signature matching in
/// constant time. Signatures of other versions are ignored, as the spec asks.
pub fn verify_standard_webhooks(
    secret: &WebhookSecret,
    msg_id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::InvalidTimestamp(timestamp.to_string()))?;
    let age = now.saturating_sub(ts);
    if age > tolerance_secs {
        return Err(SignatureError::TimestampTooOld {
            timestamp: ts,
            age,
            tolerance: tolerance_secs,
        });
    }
    if -age > tolerance_secs {
        return Err(SignatureError::TimestampTooNew {
            timestamp: ts,
            ahead: -age,
            tolerance: tolerance_secs,
        });
    }
    let candidates: Vec<&str> = signature_header
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .collect();
    if candidates.is_empty() {
        return Err(SignatureError::NoSignatures);
    }
    // The signed content uses the timestamp exactly as sent, as the reference libraries do.
    let expected = secret.mac_for(msg_id, timestamp.trim(), body);
    let matched = candidates.iter().any(|c| {
        STANDARD
            .decode(c)
            .is_ok_and(|bytes| expected.clone().verify_slice(&bytes).is_ok())
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REF_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const REF_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const REF_TS: i64 = 1614265330;
    const REF_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const REF_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn reference() -> WebhookSecret {
        WebhookSecret::parse(REF_SECRET).expect("reference secret parses")
    }

    #[test]
    fn standard_webhooks_reference_vector_matches_exactly() {
        // Published in the Standard Webhooks spec and the Svix/standard-webhooks libraries'
        // tests: proves interoperability, which a round trip through our own verifier cannot.
        assert_eq!(reference().sign(REF_ID, REF_TS, REF_BODY), REF_SIG);
        assert_eq!(
            verify_standard_webhooks(
                &reference(),
                REF_ID,
                "1614265330",
                REF_SIG,
                REF_BODY,
                REF_TS,
                300
            ),
            Ok(())
        );
    }

    #[test]
    fn open_connectors_known_answer() {
        // Computed independently with Python's hmac/hashlib/base64 when this was written.
        let body = br#"{"message":{"eventId":"evt_1","instanceId":42}}"#;
        let expected = "sha256=fWKeC0sLQs8e9p3IJp2wnkIqYNZMwE88gFWe9Bi8uho=";
        assert_eq!(
            open_connectors_signature("oc-signature-key-123", body),
            expected
        );
        assert_eq!(
            verify_open_connectors("oc-signature-key-123", expected, body),
            Ok(())
        );
    }

    #[test]
    fn open_connectors_rejects_tampering_wrong_key_and_bad_format() {
        let body = b"{\"a\":1}";
        let header = open_connectors_signature("k", body);
        assert_eq!(
            verify_open_connectors("k", &header, b"{\"a\":2}"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_open_connectors("other", &header, body),
            Err(SignatureError::Mismatch)
        );
        let bare = header.trim_start_matches("sha256=");
        assert_eq!(
            verify_open_connectors("k", bare, body),
            Err(SignatureError::MissingOpenConnectorsPrefix)
        );
        assert_eq!(
            verify_open_connectors("k", "sha256=%%%", body),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn tampered_body_id_or_timestamp_is_rejected() {
        let s = reference();
        let verify = |id: &str, ts: &str, body: &[u8]| {
            verify_standard_webhooks(&s, id, ts, REF_SIG, body, REF_TS, 300)
        };
        assert_eq!(
            verify(REF_ID, "1614265330", br#"{"test": 2432232315}"#),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("msg_other", "1614265330", REF_BODY),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(REF_ID, "1614265331", REF_BODY),
            Err(SignatureError::Mismatch)
        );
        let mut flipped = REF_SIG.to_string();
        flipped.replace_range(5..6, "X");
        assert_eq!(
            verify_standard_webhooks(&s, REF_ID, "1614265330", &flipped, REF_BODY, REF_TS, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn expired_and_future_timestamps_are_rejected() {
        let s = reference();
        let sig = s.sign(REF_ID, REF_TS, REF_BODY);
        let at = |now| verify_standard_webhooks(&s, REF_ID, "1614265330", &sig, REF_BODY, now, 300);
        assert_eq!(at(REF_TS + 300), Ok(()));
        assert_eq!(at(REF_TS - 300), Ok(()));
        assert_eq!(
            at(REF_TS + 301),
            Err(SignatureError::TimestampTooOld {
                timestamp: REF_TS,
                age: 301,
                tolerance: 300
            })
        );
        assert_eq!(
            at(REF_TS - 301),
            Err(SignatureError::TimestampTooNew {
                timestamp: REF_TS,
                ahead: 301,
                tolerance: 300
            })
        );
        assert_eq!(
            verify_standard_webhooks(&s, REF_ID, "16142x", &sig, REF_BODY, REF_TS, 300),
            Err(SignatureError::InvalidTimestamp("16142x".into()))
        );
    }

    #[test]
    fn rotation_header_verifies_with_either_secret_and_not_with_a_third() {
        let old = reference();
        let new = WebhookSecret::generate();
        let header = standard_webhooks_header(&[&old, &new], REF_ID, REF_TS, REF_BODY);
        assert_eq!(header.split(' ').count(), 2);
        assert!(header.starts_with(REF_SIG));
        for s in [&old, &new] {
            assert_eq!(
                verify_standard_webhooks(s, REF_ID, "1614265330", &header, REF_BODY, REF_TS, 60),
                Ok(())
            );
        }
        let stranger = WebhookSecret::generate();
        assert_eq!(
            verify_standard_webhooks(
                &stranger,
                REF_ID,
                "1614265330",
                &header,
                REF_BODY,
                REF_TS,
                60
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn other_versions_are_ignored_and_an_empty_header_is_an_error() {
        let s = reference();
        let mixed = format!("v1a,AAAA {REF_SIG} v2,BBBB");
        assert_eq!(
            verify_standard_webhooks(&s, REF_ID, "1614265330", &mixed, REF_BODY, REF_TS, 60),
            Ok(())
        );
        for header in ["", "v1a,AAAA", "   "] {
            assert_eq!(
                verify_standard_webhooks(&s, REF_ID, "1614265330", header, REF_BODY, REF_TS, 60),
                Err(SignatureError::NoSignatures)
            );
        }
    }

    #[test]
    fn secret_parsing_names_what_is_wrong() {
        assert_eq!(
            WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").map(|_| ()),
            Err(SignatureError::MissingSecretPrefix)
        );
        assert_eq!(
            WebhookSecret::parse("whsec_").map(|_| ()),
            Err(SignatureError::EmptySecret)
        );
        assert!(matches!(
            WebhookSecret::parse("whsec_not base64!"),
            Err(SignatureError::SecretNotBase64(_))
        ));
        assert_eq!(reference().as_str(), REF_SECRET);
    }

    #[test]
    fn generated_secrets_are_24_random_bytes_and_round_trip() {
        let a = WebhookSecret::generate();
        let b = WebhookSecret::generate();
        assert_ne!(a.as_str(), b.as_str());
        let parsed = WebhookSecret::parse(a.as_str()).expect("generated secret parses");
        assert_eq!(parsed.key.len(), 24);
        assert_eq!(parsed.sign("m", 1, b"x"), a.sign("m", 1, b"x"));
    }

    #[test]
    fn debug_does_not_print_the_key() {
        let s = reference();
        let shown = format!("{s:?}");
        assert!(!shown.contains("MfKQ9r8G"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
