//! KMS envelope encryption of stored secrets: one data key per table, wrapped by a KMS key.
//!
//! KMS never sees the stored secrets: it only wraps and unwraps the table's 256-bit data key,
//! so a container makes one KMS call at start instead of one per secret, and a copy of the
//! table is useless without `kms:Decrypt` on the key.

use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_sdk_kms::Client;
use zeroize::Zeroizing;

/// Bytes of an AES-256 data key.
pub const DATA_KEY_LEN: usize = 32;

/// Why KMS did not hand out or unwrap a data key; each message says what to check.
#[derive(Debug, thiserror::Error)]
pub enum KmsError {
    #[error("the KMS key id is empty: set POLLHOOK_KMS_KEY_ID to the key's id, ARN or alias (alias/NAME)")]
    EmptyKeyId,
    #[error("KMS key '{key_id}' was not found ({operation}): check POLLHOOK_KMS_KEY_ID (a key id, key ARN or alias/NAME) and that the key is in this account and region: {detail}")]
    KeyNotFound {
        key_id: String,
        operation: &'static str,
        detail: String,
    },
    #[error("KMS {operation} on key '{key_id}' was denied: grant the function's role kms:GenerateDataKey and kms:Decrypt on that key (IAM policy and key policy); for Decrypt, also check that the stored data key was wrapped by this key: {detail}")]
    AccessDenied {
        key_id: String,
        operation: &'static str,
        detail: String,
    },
    #[error("KMS key '{key_id}' cannot be used ({operation}): it is disabled, pending deletion, or not a symmetric ENCRYPT_DECRYPT key; enable it or point POLLHOOK_KMS_KEY_ID at a usable key: {detail}")]
    KeyUnusable {
        key_id: String,
        operation: &'static str,
        detail: String,
    },
    #[error("the wrapped data key was not wrapped by KMS key '{key_id}', or is damaged: set POLLHOOK_KMS_KEY_ID to the key that wrapped it: {detail}")]
    WrongKey { key_id: String, detail: String },
    #[error("KMS returned a {len}-byte data key for key '{key_id}' ({operation}), expected {DATA_KEY_LEN}: the wrapped value is not an AES-256 data key")]
    PlaintextLength {
        key_id: String,
        operation: &'static str,
        len: usize,
    },
    #[error("KMS {operation} answered without {field} for key '{key_id}'")]
    MissingField {
        key_id: String,
        operation: &'static str,
        field: &'static str,
    },
    #[error("KMS {operation} with key '{key_id}' failed (network, throttling or KMS itself; retried by the SDK): {detail}")]
    Unavailable {
        key_id: String,
        operation: &'static str,
        detail: String,
    },
}

/// A fresh data key: the plaintext to build the SecretBox from (zeroed when dropped) and the
/// wrapped form to store.
pub struct GeneratedKey {
    pub plaintext: Zeroizing<[u8; DATA_KEY_LEN]>,
    /// KMS's CiphertextBlob: only `kms:Decrypt` on the key turns it back into the plaintext.
    pub wrapped: Vec<u8>,
    /// The ARN of the KMS key that wrapped it (KMS's KeyId), for operators.
    pub key_arn: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GeneratedKey(wrapped by {})", self.key_arn)
    }
}

/// Generates and unwraps data keys under one KMS key (an id, ARN or alias).
#[derive(Debug, Clone)]
pub struct KmsDataKeys {
    client: Client,
    key_id: String,
}

impl KmsDataKeys {
    /// A client built from `config` (whose endpoint may point at an emulator); makes no request.
    pub fn new(config: &aws_config::SdkConfig, key_id: &str) -> Result<Self, KmsError> {
        let key_id = key_id.trim();
        if key_id.is_empty() {
            return Err(KmsError::EmptyKeyId);
        }
        Ok(Self {
            client: Client::new(config),
            key_id: key_id.to_owned(),
        })
    }

    /// The key id, ARN or alias this was built with.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// A new 256-bit data key from KMS `GenerateDataKey` (KeySpec AES_256).
    pub async fn generate(&self) -> Result<GeneratedKey, KmsError> {
        const OPERATION: &str = "GenerateDataKey";
        let out = self
            .client
            .generate_data_key()
            .key_id(&self.key_id)
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await
            .map_err(|e| self.classify(OPERATION, e))?;
        let plaintext = Zeroizing::new(
            out.plaintext
                .ok_or_else(|| self.missing(OPERATION, "Plaintext"))?
                .into_inner(),
        );
        let wrapped = out
            .ciphertext_blob
            .ok_or_else(|| self.missing(OPERATION, "CiphertextBlob"))?
            .into_inner();
        let key_arn = out.key_id.ok_or_else(|| self.missing(OPERATION, "KeyId"))?;
        Ok(GeneratedKey {
            plaintext: self.exactly_32(OPERATION, &plaintext)?,
            wrapped,
            key_arn,
        })
    }

    /// The plaintext of a wrapped data key, by KMS `Decrypt` naming this key, so a value
    /// wrapped by any other key is refused rather than silently accepted.
    pub async fn unwrap(&self, wrapped: &[u8]) -> Result<Zeroizing<[u8; DATA_KEY_LEN]>, KmsError> {
        const OPERATION: &str = "Decrypt";
        let out = self
            .client
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(wrapped))
            .send()
            .await
            .map_err(|e| self.classify(OPERATION, e))?;
        let plaintext = Zeroizing::new(
            out.plaintext
                .ok_or_else(|| self.missing(OPERATION, "Plaintext"))?
                .into_inner(),
        );
        self.exactly_32(OPERATION, &plaintext)
    }

    fn exactly_32(
        &self,
        operation: &'static str,
        plaintext: &[u8],
    ) -> Result<Zeroizing<[u8; DATA_KEY_LEN]>, KmsError> {
        let mut key = Zeroizing::new([0u8; DATA_KEY_LEN]);
        if plaintext.len() != DATA_KEY_LEN {
            return Err(KmsError::PlaintextLength {
                key_id: self.key_id.clone(),
                operation,
                len: plaintext.len(),
            });
        }
        key.copy_from_slice(plaintext);
        Ok(key)
    }

    fn missing(&self, operation: &'static str, field: &'static str) -> KmsError {
        KmsError::MissingField {
            key_id: self.key_id.clone(),
            operation,
            field,
        }
    }

    /// Sorts a KMS failure by what the operator has to fix, from the error code (the same
    /// codes for both operations; AccessDeniedException is not in the SDK's model).
    fn classify<E, R>(&self, operation: &'static str, e: SdkError<E, R>) -> KmsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let code = e.as_service_error().and_then(ProvideErrorMetadata::code);
        let key_id = self.key_id.clone();
        // KMS's own words when it answered; the whole error chain when it did not.
        let detail = match (
            code,
            e.as_service_error().and_then(ProvideErrorMetadata::message),
        ) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            (None, _) => DisplayErrorContext(&e).to_string(),
        };
        match code {
            Some("NotFoundException") => KmsError::KeyNotFound {
                key_id,
                operation,
                detail,
            },
            Some("AccessDeniedException") => KmsError::AccessDenied {
                key_id,
                operation,
                detail,
            },
            Some(
                "DisabledException"
                | "KMSInvalidStateException"
                | "InvalidKeyUsageException"
                | "KeyUnavailableException",
            ) => KmsError::KeyUnusable {
                key_id,
                operation,
                detail,
            },
            Some("IncorrectKeyException" | "InvalidCiphertextException") => {
                KmsError::WrongKey { key_id, detail }
            }
            _ => KmsError::Unavailable {
                key_id,
                operation,
                detail,
            },
        }
    }
}

impl KmsError {
    /// True when the stored wrapped key itself is at fault (not the configuration or KMS).
    pub fn is_stored_value_bad(&self) -> bool {
        matches!(
            self,
            KmsError::WrongKey { .. } | KmsError::PlaintextLength { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_key_and_what_to_check() {
        let err = KmsError::KeyNotFound {
            key_id: "alias/pollhook-secrets".into(),
            operation: "GenerateDataKey",
            detail: "NotFoundException".into(),
        }
        .to_string();
        assert!(err.contains("alias/pollhook-secrets"), "{err}");
        assert!(err.contains("POLLHOOK_KMS_KEY_ID"), "{err}");
        let err = KmsError::PlaintextLength {
            key_id: "k".into(),
            operation: "Decrypt",
            len: 16,
        }
        .to_string();
        assert!(
            err.contains("16-byte") && err.contains("expected 32"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_empty_key_id_is_refused_before_any_request() {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let err = KmsDataKeys::new(&config, "  ").expect_err("empty");
        assert!(matches!(err, KmsError::EmptyKeyId));
        assert!(err.to_string().contains("POLLHOOK_KMS_KEY_ID"));
    }
}
