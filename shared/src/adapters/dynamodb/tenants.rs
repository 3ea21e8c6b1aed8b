//! Organizations and users: only secret digests are stored, and a lookup item per organization
//! secret digest makes authentication one read plus one query.

use async_trait::async_trait;

use super::items::{
    b, get_digest, get_s, key, org_pk, org_secret_pk, s, timestamp, user_sk, Item, ORG_SK,
    USER_PREFIX,
};
use super::table::{SortKeys, Transaction};
use super::DynamoStore;
use crate::credentials::SecretDigest;
use crate::ports::{Account, StoreError, TenantStore};

/// Writes the organization, its secret lookup (dropping the old one on a re-key) and the user.
pub(super) async fn upsert_account(
    store: &DynamoStore,
    organization: &str,
    user: &str,
    organization_digest: &SecretDigest,
    user_digest: &SecretDigest,
) -> Result<(), StoreError> {
    let now = timestamp(chrono::Utc::now());
    let existing = store
        .get_item("GetItem organization", key(org_pk(organization), ORG_SK))
        .await?;
    let created = match &existing {
        Some(item) => get_s(item, "created_at")?.to_owned(),
        None => now.clone(),
    };
    let mut writes = Vec::new();
    if let Some(item) = &existing {
        let old = get_digest(item, "secret_digest")?;
        if old != *organization_digest {
            writes.push(store.delete(key(org_secret_pk(&old), ORG_SK), None, Item::new())?);
        }
    }
    let mut org = key(org_pk(organization), ORG_SK);
    org.extend([
        ("secret_digest".into(), b(organization_digest.to_vec())),
        ("created_at".into(), s(created)),
    ]);
    writes.push(store.put(org, None, Item::new())?);
    let mut lookup = key(org_secret_pk(organization_digest), ORG_SK);
    lookup.insert("organization_id".into(), s(organization));
    writes.push(store.put(lookup, None, Item::new())?);
    let mut account = key(org_pk(organization), user_sk(user));
    account.extend([
        ("user_id".into(), s(user)),
        ("secret_digest".into(), b(user_digest.to_vec())),
        ("created_at".into(), s(now)),
    ]);
    writes.push(store.put(account, None, Item::new())?);
    match store.transact("TransactWriteItems account", writes).await? {
        Transaction::Written => Ok(()),
        Transaction::Refused(_) => Err(StoreError::Unavailable(
            "DynamoDB refused an unconditional account write".into(),
        )),
    }
}

/// The organization's item, whose existence an instance insert checks.
pub(super) fn organization_key(organization: &str) -> Item {
    key(org_pk(organization), ORG_SK)
}

#[async_trait]
impl TenantStore for DynamoStore {
    async fn accounts_for_organization(
        &self,
        organization_secret: &SecretDigest,
    ) -> Result<Vec<Account>, StoreError> {
        let Some(lookup) = self
            .get_item(
                "GetItem organization secret",
                key(org_secret_pk(organization_secret), ORG_SK),
            )
            .await?
        else {
            return Ok(Vec::new());
        };
        let organization_id = get_s(&lookup, "organization_id")?.to_owned();
        let users = self
            .query(
                "Query users",
                &org_pk(&organization_id),
                SortKeys::Prefix(USER_PREFIX.into()),
                true,
                None,
            )
            .await?;
        users
            .iter()
            .map(|u| {
                Ok(Account {
                    organization_id: organization_id.clone(),
                    user_id: get_s(u, "user_id")?.to_owned(),
                    user_secret_digest: get_digest(u, "secret_digest")?,
                })
            })
            .collect()
    }
}
