//! The table's data key, wrapped by KMS and kept in the table (envelope encryption).
//!
//! The first container to start generates it; every container after that unwraps the stored
//! one, so all of them seal and open secrets with the same key without it ever being stored in
//! the clear. Runs before [`DynamoStore::connect`](super::DynamoStore::connect), which needs
//! the resulting SecretBox, hence its own client.

use aws_sdk_dynamodb::Client;
use chrono::Utc;

use super::items::{b, get_b, key, opt_s, s, timestamp, Item, META_PK};
use super::table::unavailable;
use crate::adapters::kms::{KmsDataKeys, KmsError};
use crate::ports::StoreError;
use crate::secret_box::SecretBox;

/// Sort key of the item holding the wrapped data key, next to the key check in `META`.
const DATA_KEY_SK: &str = "DATAKEY";
/// KMS's CiphertextBlob of the data key: useless without `kms:Decrypt` on the key.
const WRAPPED_KEY: &str = "wrapped_key";
/// The ARN of the KMS key that wrapped it, so operators know which key the table needs.
const KMS_KEY_ARN: &str = "kms_key_arn";
const CREATED_AT: &str = "created_at";

/// The SecretBox for `table`'s stored secrets: unwraps the table's data key with KMS key
/// `kms_key_id` (id, ARN or alias), generating and storing one on first use. Two containers
/// starting at once end with the same key: the loser of the conditional write reads the winner's.
pub async fn secret_box_from_kms(
    config: &aws_config::SdkConfig,
    table: &str,
    kms_key_id: &str,
) -> Result<SecretBox, StoreError> {
    if table.is_empty() {
        return Err(StoreError::Unavailable(
            "DynamoDB table name is empty".into(),
        ));
    }
    let keys = KmsDataKeys::new(config, kms_key_id).map_err(|e| kms_failed(e, None))?;
    let client = Client::new(config);
    let item_key = key(META_PK, DATA_KEY_SK);
    // Twice at most: a lost race is followed by one read of the winner's key.
    for _ in 0..2 {
        if let Some(item) = read(&client, table, item_key.clone()).await? {
            let plaintext = keys
                .unwrap(get_b(&item, WRAPPED_KEY)?)
                .await
                .map_err(|e| kms_failed(e, opt_s(&item, KMS_KEY_ARN)))?;
            return Ok(SecretBox::from_key(&plaintext));
        }
        let generated = keys.generate().await.map_err(|e| kms_failed(e, None))?;
        let mut item = item_key.clone();
        item.insert(WRAPPED_KEY.into(), b(generated.wrapped.clone()));
        item.insert(KMS_KEY_ARN.into(), s(generated.key_arn.clone()));
        item.insert(CREATED_AT.into(), s(timestamp(Utc::now())));
        match client
            .put_item()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
        {
            Ok(_) => return Ok(SecretBox::from_key(&generated.plaintext)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(unavailable("PutItem data key", e)),
        }
    }
    Err(StoreError::Unavailable(
        "the data key item keeps changing".into(),
    ))
}

async fn read(client: &Client, table: &str, key: Item) -> Result<Option<Item>, StoreError> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map(|out| out.item)
        .map_err(|e| unavailable("GetItem data key", e))
}

/// A KMS failure as the store reports it: a stored key that will not unwrap is unreadable data
/// (naming the key that wrapped it); anything else is KMS or its configuration.
fn kms_failed(e: KmsError, wrapped_by: Option<&str>) -> StoreError {
    let message = match wrapped_by {
        Some(arn) => format!("{e} (the table's data key was wrapped by KMS key {arn})"),
        None => e.to_string(),
    };
    if e.is_stored_value_bad() {
        StoreError::Corrupt(message)
    } else {
        StoreError::Unavailable(message)
    }
}
