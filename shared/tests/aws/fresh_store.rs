//! A DynamoDB store on a table of its own, ready for the API: the tests that drive instances
//! through the Router start from this.

use pollhook_core::adapters::dynamodb::DynamoStore;
use pollhook_core::secret_box::SecretBox;

/// A store on a new table `table`, its secret key checked, holding the account `acme` / `alice`
/// whose Organization and User secrets are `o` and `u`.
pub async fn store_with_account(
    config: &aws_config::SdkConfig,
    table: &str,
    key: [u8; 32],
) -> DynamoStore {
    let store = DynamoStore::connect(config, table, SecretBox::from_key(&key))
        .await
        .expect("store");
    store.create_table_if_missing().await.expect("table");
    store.check_key().await.expect("key");
    store
        .upsert_account("acme", "alice", "o", "u")
        .await
        .expect("account");
    store
}
