//! What every AWS function builds once per container from its environment: the SDK config
//! (endpoint overridable for the local emulator), the table's SecretBox (KMS envelope, or a
//! base64 key where no KMS key is configured), the DynamoDB store and the delivery queue.
//! The variables are the contract documented in infra/README.md.

use std::sync::Arc;

use crate::adapters::dynamodb::{secret_box_from_kms, DynamoStore};
use crate::adapters::sqs::SqsQueue;
use crate::ports::StoreError;
use crate::secret_box::SecretBox;

/// A missing or unusable setting, named so the operator knows what to set.
#[derive(Debug, thiserror::Error)]
pub enum AwsEnvError {
    #[error("{0} must be set")]
    Missing(&'static str),
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A non-blank environment variable.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A variable that must be set.
pub fn required(name: &'static str) -> Result<String, AwsEnvError> {
    var(name).ok_or(AwsEnvError::Missing(name))
}

/// The AWS side of a function, built once per container.
pub struct AwsEnv {
    pub config: aws_config::SdkConfig,
    pub store: Arc<DynamoStore>,
}

impl AwsEnv {
    /// Reads `POLLHOOK_TABLE`, `POLLHOOK_KMS_KEY_ID` (or `POLLHOOK_SECRET_KEY`) and
    /// `POLLHOOK_AWS_ENDPOINT`; unwraps the data key and checks it against the table.
    pub async fn from_env() -> Result<Self, AwsEnvError> {
        let table = required("POLLHOOK_TABLE")?;
        let config = sdk_config().await;
        let secrets = match (var("POLLHOOK_KMS_KEY_ID"), var("POLLHOOK_SECRET_KEY")) {
            (Some(kms_key), _) => secret_box_from_kms(&config, &table, &kms_key).await?,
            (None, Some(key)) => {
                SecretBox::from_base64(&key).map_err(|e| AwsEnvError::Invalid {
                    name: "POLLHOOK_SECRET_KEY",
                    message: e.to_string(),
                })?
            }
            (None, None) => return Err(AwsEnvError::Missing("POLLHOOK_KMS_KEY_ID")),
        };
        let store = DynamoStore::connect(&config, &table, secrets).await?;
        store.check_key().await?;
        Ok(Self {
            config,
            store: Arc::new(store),
        })
    }

    /// The delivery queue (`POLLHOOK_QUEUE_URL`) and its dead-letter queue
    /// (`POLLHOOK_DEAD_LETTER_QUEUE_URL`, optional: redrive alone moves messages there).
    pub fn queue(&self) -> Result<SqsQueue, AwsEnvError> {
        Ok(SqsQueue::new(
            &self.config,
            required("POLLHOOK_QUEUE_URL")?,
            var("POLLHOOK_DEAD_LETTER_QUEUE_URL"),
        ))
    }
}

/// The SDK config from the usual chain, pointed at `POLLHOOK_AWS_ENDPOINT` when set (tests).
pub async fn sdk_config() -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(endpoint) = var("POLLHOOK_AWS_ENDPOINT") {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}
