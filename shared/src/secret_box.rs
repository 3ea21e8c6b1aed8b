//! Encryption of stored secrets (AES-256-GCM), so a copied database file reveals no credentials.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;

/// Format byte in front of every sealed value, so the scheme can change without guessing.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;

/// Why a key or a sealed value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretBoxError {
    #[error("secret key must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`): {0}")]
    BadKey(String),
    #[error("stored secrets cannot be decrypted: the secret key differs from the one they were written with")]
    WrongKey,
    #[error("stored secrets are corrupt: {0}")]
    Corrupt(&'static str),
}

/// A 256-bit key that seals and opens values; nonces are random per value.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Reads a base64 key as `POLLHOOK_SECRET_KEY` or a key file holds it.
    pub fn from_base64(encoded: &str) -> Result<Self, SecretBoxError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| SecretBoxError::BadKey(e.to_string()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| SecretBoxError::BadKey(format!("got {} bytes", b.len())))?;
        Ok(Self::from_key(&key))
    }

    /// A new random key, base64-encoded, for a key file created on first start.
    pub fn generate_key_base64() -> String {
        let key: [u8; 32] = rand::random();
        base64::engine::general_purpose::STANDARD.encode(key)
    }

    /// Encrypts `plaintext`: version byte, nonce, then ciphertext with its tag.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = Nonce::from_slice(&nonce_bytes);
        // AES-GCM encryption fails only for inputs beyond 64 GiB; the stored maps are kilobytes.
        let ciphertext = self.cipher.encrypt(nonce, plaintext).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same key.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SecretBoxError> {
        let (&version, rest) = sealed
            .split_first()
            .ok_or(SecretBoxError::Corrupt("empty value"))?;
        if version != VERSION {
            return Err(SecretBoxError::Corrupt("unknown format version"));
        }
        if rest.len() < NONCE_LEN + 16 {
            return Err(SecretBoxError::Corrupt("value too short"));
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SecretBoxError::WrongKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_hides_the_plaintext() {
        let b = SecretBox::from_base64(&SecretBox::generate_key_base64()).expect("key");
        let sealed = b.seal(b"hunter2-password");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(b.open(&sealed).expect("opens"), b"hunter2-password");
        assert_ne!(b.seal(b"x"), b.seal(b"x"), "nonces are random");
    }

    #[test]
    fn a_different_key_or_tampering_is_detected() {
        let a = SecretBox::from_key(&[1; 32]);
        let b = SecretBox::from_key(&[2; 32]);
        let mut sealed = a.seal(b"secret");
        assert_eq!(b.open(&sealed), Err(SecretBoxError::WrongKey));
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(a.open(&sealed), Err(SecretBoxError::WrongKey));
        assert!(matches!(a.open(&[]), Err(SecretBoxError::Corrupt(_))));
    }

    #[test]
    fn bad_keys_say_what_a_key_is() {
        let err = SecretBox::from_base64("c2hvcnQ=")
            .expect_err("short key")
            .to_string();
        assert!(err.contains("32 bytes"), "{err}");
        assert!(SecretBox::from_base64("not base64!").is_err());
    }
}
