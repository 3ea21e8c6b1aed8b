//! The AWS store: every port on one DynamoDB table (see `items` for the key layout).
//!
//! Single-table so a Lambda needs one table name, one IAM resource and one client; every item
//! of an instance shares its partition, so deleting an instance is one partition sweep.

mod data_key;
mod delivery;
mod event_log;
mod instances;
mod items;
mod outbox;
mod polling;
mod table;
mod tenants;

pub use data_key::secret_box_from_kms;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;

use crate::credentials::digest;
use crate::ports::StoreError;
use crate::secret_box::{SecretBox, SecretBoxError};
use items::{b, get_b, key, EXPIRES_AT, KEY_CHECK_SK, META_PK, PK, SK};
use table::{built, unavailable};

/// Known plaintext sealed in the table: opening it proves the key is the right one.
const KEY_CANARY: &[u8] = b"pollhook-secret-key-check";

/// A DynamoDB table holding tenants, instances, polling state and the queue; cheap to clone.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    secrets: SecretBox,
}

impl std::fmt::Debug for DynamoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DynamoStore({})", self.table)
    }
}

impl DynamoStore {
    /// A store on `table` with a client built from `config` (whose endpoint may point at an
    /// emulator). No request is made: Lambda cold starts stay short.
    pub async fn connect(
        config: &aws_config::SdkConfig,
        table: &str,
        secrets: SecretBox,
    ) -> Result<DynamoStore, StoreError> {
        if table.is_empty() {
            return Err(StoreError::Unavailable(
                "DynamoDB table name is empty".into(),
            ));
        }
        Ok(Self {
            client: Client::new(config),
            table: table.to_owned(),
            secrets,
        })
    }

    /// Creates the table (on-demand billing, TTL on `expires_at`) unless it exists, for tests
    /// and local setup; deployments create it from the SAM template.
    pub async fn create_table_if_missing(&self) -> Result<(), StoreError> {
        let attribute = |name: &str| {
            built(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build(),
            )
        };
        let key_part = |name: &str, kind| {
            built(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(kind)
                    .build(),
            )
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(attribute(PK)?)
            .attribute_definitions(attribute(SK)?)
            .key_schema(key_part(PK, KeyType::Hash)?)
            .key_schema(key_part(SK, KeyType::Range)?)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => return Err(unavailable("CreateTable", e)),
        }
        self.wait_until_active().await?;
        self.enable_ttl().await
    }

    async fn wait_until_active(&self) -> Result<(), StoreError> {
        for _ in 0..120 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| unavailable("DescribeTable", e))?;
            let status = described.table().and_then(|t| t.table_status());
            if status == Some(&aws_sdk_dynamodb::types::TableStatus::Active) {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        Err(StoreError::Unavailable(format!(
            "DynamoDB table {} did not become active within a minute",
            self.table
        )))
    }

    async fn enable_ttl(&self) -> Result<(), StoreError> {
        let current = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| unavailable("DescribeTimeToLive", e))?;
        let status = current
            .time_to_live_description()
            .and_then(|d| d.time_to_live_status());
        if matches!(
            status,
            Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
        ) {
            return Ok(());
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(built(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(EXPIRES_AT)
                    .build(),
            )?)
            .send()
            .await
            .map(drop)
            .map_err(|e| unavailable("UpdateTimeToLive", e))
    }

    /// Checks that `secrets` is the key this table was written with (sealing a canary on first
    /// use), so a wrong key fails at start rather than on the first instance read.
    pub async fn check_key(&self) -> Result<(), StoreError> {
        let canary_key = key(META_PK, KEY_CHECK_SK);
        // Twice at most: if another process seals its canary between our read and our write,
        // the second read checks against theirs.
        for _ in 0..2 {
            if let Some(item) = self
                .get_item("GetItem key check", canary_key.clone())
                .await?
            {
                return match self.secrets.open(get_b(&item, "sealed_canary")?) {
                    Ok(plain) if plain == KEY_CANARY => Ok(()),
                    Ok(_) | Err(SecretBoxError::WrongKey) => Err(StoreError::Corrupt(
                        "the secret key is not the one this table was written with".into(),
                    )),
                    Err(e) => Err(StoreError::Corrupt(e.to_string())),
                };
            }
            let mut item = canary_key.clone();
            item.insert("sealed_canary".into(), b(self.secrets.seal(KEY_CANARY)));
            match self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await
            {
                Ok(_) => return Ok(()),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(unavailable("PutItem key check", e)),
            }
        }
        Err(StoreError::Unavailable(
            "the key check item keeps changing".into(),
        ))
    }

    /// Creates or re-keys an organization and one of its users (operators and tests).
    pub async fn upsert_account(
        &self,
        organization_id: &str,
        user_id: &str,
        organization_secret: &str,
        user_secret: &str,
    ) -> Result<(), StoreError> {
        tenants::upsert_account(
            self,
            organization_id,
            user_id,
            &digest(organization_secret),
            &digest(user_secret),
        )
        .await
    }
}
