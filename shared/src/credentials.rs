//! The `Authorization` header as Open Connectors defines it, and how secrets are compared.
//!
//! `User <secret>, Organization <secret>` acts for an account; `Element <token>` for one
//! instance. Secrets are kept only as SHA-256 digests and compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A SHA-256 digest of a secret or token: what stores keep instead of the secret.
pub type SecretDigest = [u8; 32];

/// Digest of a secret as presented; high-entropy secrets need no slow hash.
pub fn digest(secret: &str) -> SecretDigest {
    Sha256::digest(secret.as_bytes()).into()
}

/// Constant-time equality of two digests, so timing reveals nothing of a stored secret.
pub fn digests_equal(a: &SecretDigest, b: &SecretDigest) -> bool {
    a.ct_eq(b).into()
}

/// What a caller presented, before it is checked against the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresentedCredentials {
    pub user: Option<String>,
    pub organization: Option<String>,
    pub element: Option<String>,
}

/// Why an Authorization header could not be read; each says what a valid one looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("missing Authorization header: send 'User <secret>, Organization <secret>' or 'Element <token>'")]
    Missing,
    #[error("Authorization header: unknown scheme '{0}' (expected User, Organization or Element)")]
    UnknownScheme(String),
    #[error("Authorization header: '{0}' has no value")]
    EmptyValue(String),
    #[error("Authorization header: '{0}' is given twice")]
    Repeated(String),
    #[error("Authorization header: 'User' and 'Organization' must be sent together")]
    Incomplete,
}

impl PresentedCredentials {
    /// Parses `User a, Organization b[, Element c]` (any order, schemes case-insensitive).
    pub fn parse(header: Option<&str>) -> Result<Self, CredentialsError> {
        let header = header.map(str::trim).filter(|h| !h.is_empty());
        let Some(header) = header else {
            return Err(CredentialsError::Missing);
        };
        let mut out = Self::default();
        for part in header.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (scheme, value) = part.split_once(char::is_whitespace).unwrap_or((part, ""));
            let value = value.trim();
            let slot = match scheme.to_ascii_lowercase().as_str() {
                "user" => &mut out.user,
                "organization" => &mut out.organization,
                "element" => &mut out.element,
                _ => {
                    return Err(CredentialsError::UnknownScheme(
                        scheme.chars().take(40).collect(),
                    ))
                }
            };
            if value.is_empty() {
                return Err(CredentialsError::EmptyValue(scheme.to_owned()));
            }
            if slot.is_some() {
                return Err(CredentialsError::Repeated(scheme.to_owned()));
            }
            *slot = Some(value.to_owned());
        }
        if out.user.is_some() != out.organization.is_some() {
            return Err(CredentialsError::Incomplete);
        }
        if out.user.is_none() && out.element.is_none() {
            return Err(CredentialsError::Missing);
        }
        Ok(out)
    }
}

/// A fresh random secret or token: 32 bytes, URL-safe base64.
pub fn generate_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_open_connectors_headers() {
        let c = PresentedCredentials::parse(Some("User abc, Organization def")).expect("parses");
        assert_eq!(c.user.as_deref(), Some("abc"));
        assert_eq!(c.organization.as_deref(), Some("def"));
        let c = PresentedCredentials::parse(Some("Element tok=")).expect("parses");
        assert_eq!(c.element.as_deref(), Some("tok="));
        let c =
            PresentedCredentials::parse(Some("organization o,user u, element e")).expect("parses");
        assert_eq!(
            (c.user, c.organization, c.element),
            (Some("u".into()), Some("o".into()), Some("e".into()))
        );
    }

    #[test]
    fn refuses_malformed_headers() {
        for (h, want) in [
            (None, CredentialsError::Missing),
            (Some(""), CredentialsError::Missing),
            (
                Some("Bearer x"),
                CredentialsError::UnknownScheme("Bearer".into()),
            ),
            (
                Some("User , Organization o"),
                CredentialsError::EmptyValue("User".into()),
            ),
            (Some("User a"), CredentialsError::Incomplete),
            (
                Some("User a, User b, Organization o"),
                CredentialsError::Repeated("User".into()),
            ),
        ] {
            assert_eq!(PresentedCredentials::parse(h), Err(want));
        }
    }

    #[test]
    fn digests_compare_equal_only_for_the_same_secret() {
        assert!(digests_equal(&digest("a"), &digest("a")));
        assert!(!digests_equal(&digest("a"), &digest("b")));
        assert_ne!(generate_secret(), generate_secret());
    }
}
