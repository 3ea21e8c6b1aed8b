//! Organizations and users in SQLite: only secret digests are stored.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};

use super::{unavailable, SqliteStore};
use crate::credentials::SecretDigest;
use crate::ports::{Account, StoreError, TenantStore};

pub(super) fn organization_exists(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT 1 FROM organizations WHERE id = ?1",
        [id],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
    .map_err(unavailable)
}

pub(super) fn upsert_account(
    conn: &Connection,
    organization: &str,
    user: &str,
    organization_digest: &SecretDigest,
    user_digest: &SecretDigest,
) -> Result<(), StoreError> {
    let now = chrono::Utc::now().to_rfc3339();
    conn.execute(
        "INSERT INTO organizations (id, secret_digest, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET secret_digest = excluded.secret_digest",
        params![organization, organization_digest.as_slice(), now],
    )
    .map_err(unavailable)?;
    conn.execute(
        "INSERT INTO users (id, organization_id, secret_digest, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(organization_id, id) DO UPDATE SET secret_digest = excluded.secret_digest",
        params![user, organization, user_digest.as_slice(), now],
    )
    .map_err(unavailable)?;
    Ok(())
}

pub(super) fn replace_secrets(
    conn: &Connection,
    organization: &str,
    user: &str,
    organization_digest: Option<SecretDigest>,
    user_digest: Option<SecretDigest>,
) -> Result<(), StoreError> {
    if let Some(d) = organization_digest {
        conn.execute(
            "UPDATE organizations SET secret_digest = ?2 WHERE id = ?1",
            params![organization, d.as_slice()],
        )
        .map_err(unavailable)?;
    }
    if let Some(d) = user_digest {
        conn.execute(
            "UPDATE users SET secret_digest = ?3 WHERE organization_id = ?1 AND id = ?2",
            params![organization, user, d.as_slice()],
        )
        .map_err(unavailable)?;
    }
    Ok(())
}

fn to_digest(bytes: Vec<u8>) -> Result<SecretDigest, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("a stored secret digest is not 32 bytes".into()))
}

#[async_trait]
impl TenantStore for SqliteStore {
    async fn accounts_for_organization(
        &self,
        organization_secret: &SecretDigest,
    ) -> Result<Vec<Account>, StoreError> {
        let org_digest = *organization_secret;
        self.call_read(move |conn, _| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT u.organization_id, u.id, u.secret_digest FROM organizations o
                     JOIN users u ON u.organization_id = o.id WHERE o.secret_digest = ?1",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([org_digest.as_slice()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                })
                .map_err(unavailable)?;
            rows.map(|row| {
                let (organization_id, user_id, d) = row.map_err(unavailable)?;
                Ok(Account {
                    organization_id,
                    user_id,
                    user_secret_digest: to_digest(d)?,
                })
            })
            .collect()
        })
        .await
    }
}
