//! The traits the domain needs from the outside world; adapters (SQLite, DynamoDB) implement them.

use async_trait::async_trait;

use crate::credentials::SecretDigest;
use crate::instance::{Instance, InstanceId};

/// Why a store could not answer; the message is for operators, never shown with secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("an instance with id {0} already exists")]
    Conflict(InstanceId),
}

/// An account that may act for an organization: a user of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub organization_id: String,
    pub user_id: String,
    /// Digest of the user's secret, compared in constant time by the caller.
    pub user_secret_digest: SecretDigest,
}

/// Organizations and their users, looked up by secret digest.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// The users of the organization whose secret has this digest.
    async fn accounts_for_organization(&self, organization_secret: &SecretDigest) -> Result<Vec<Account>, StoreError>;
}

/// Registered instances, always scoped to one organization.
#[async_trait]
pub trait InstanceStore: Send + Sync {
    /// Stores a new instance; `Conflict` if its id is taken.
    async fn insert(&self, instance: &Instance) -> Result<(), StoreError>;
    async fn get(&self, organization_id: &str, id: InstanceId) -> Result<Option<Instance>, StoreError>;
    /// The instance an `Element` token belongs to.
    async fn get_by_token(&self, token: &SecretDigest) -> Result<Option<Instance>, StoreError>;
    /// An organization's instances, oldest first.
    async fn list(&self, organization_id: &str) -> Result<Vec<Instance>, StoreError>;
    /// Replaces a stored instance; false if it no longer exists.
    async fn update(&self, instance: &Instance) -> Result<bool, StoreError>;
    /// Removes an instance; false if it did not exist.
    async fn delete(&self, organization_id: &str, id: InstanceId) -> Result<bool, StoreError>;
}
