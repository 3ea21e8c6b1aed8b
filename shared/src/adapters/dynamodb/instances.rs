//! Instances: one item each (public configuration as JSON, secrets and providerData sealed),
//! plus a token lookup item and an organization listing item written in the same transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::items::{
    b, get_b, get_digest, get_instance_id, get_s, inst_pk, instance_n, key, note_id_pk, opt_s,
    org_instance_sk, org_pk, parse_timestamp, s, token_pk, Item, INST_SK, NOTE_ID_SK, NOTE_PREFIX,
    ORG_INST_PREFIX, SK, TOKEN_SK,
};
use super::table::{unavailable, SortKeys, Transaction};
use super::tenants::organization_key;
use super::DynamoStore;
use crate::credentials::SecretDigest;
use crate::instance::{Instance, InstanceId, InstanceSpec};
use crate::list_cursor::ListCursor;
use crate::ports::{InstanceStore, StoreError};
use crate::secret_box::SecretBox;

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The attributes an update rewrites: everything the user may change.
fn mutable_attributes(instance: &Instance, secrets: &SecretBox) -> Result<Item, StoreError> {
    let (public, secret) = instance.spec.split_secrets();
    let sealed_doc = serde_json::json!({
        "configuration": secret,
        "providerData": instance.spec.provider_data,
    });
    Ok(HashMap::from([
        ("name_text".to_owned(), s(&instance.spec.name)),
        ("configuration_json".to_owned(), s(to_json(&public)?)),
        (
            "sealed_secrets".to_owned(),
            b(secrets.seal(to_json(&sealed_doc)?.as_bytes())),
        ),
        ("tags_json".to_owned(), s(to_json(&instance.spec.tags)?)),
        (
            "updated_date".to_owned(),
            s(super::items::timestamp(instance.updated_date)),
        ),
    ]))
}

fn to_item(instance: &Instance, secrets: &SecretBox) -> Result<Item, StoreError> {
    let mut item = key(inst_pk(instance.id), INST_SK);
    item.extend(mutable_attributes(instance, secrets)?);
    item.extend([
        ("instance_id".to_owned(), instance_n(instance.id)),
        ("organization_id".to_owned(), s(&instance.organization_id)),
        ("element_key".to_owned(), s(instance.spec.element.as_str())),
        ("token_digest".to_owned(), b(instance.token_digest.to_vec())),
        (
            "created_date".to_owned(),
            s(super::items::timestamp(instance.created_date)),
        ),
    ]);
    Ok(item)
}

fn from_item(item: &Item, secrets: &SecretBox) -> Result<Instance, StoreError> {
    let id = get_instance_id(item, "instance_id")?;
    let corrupt =
        |what: &dyn std::fmt::Display| StoreError::Corrupt(format!("instance {id}: {what}"));
    let mut configuration: Map<String, Value> =
        serde_json::from_str(get_s(item, "configuration_json")?).map_err(|e| corrupt(&e))?;
    let opened = secrets
        .open(get_b(item, "sealed_secrets")?)
        .map_err(|e| corrupt(&e))?;
    let mut sealed: Map<String, Value> =
        serde_json::from_slice(&opened).map_err(|e| corrupt(&e))?;
    if let Some(Value::Object(secret)) = sealed.remove("configuration") {
        configuration.extend(secret);
    }
    let provider_data = match sealed.remove("providerData") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let tags: Vec<String> =
        serde_json::from_str(get_s(item, "tags_json")?).map_err(|e| corrupt(&e))?;
    let spec = InstanceSpec::from_stored(
        get_s(item, "name_text")?.to_owned(),
        get_s(item, "element_key")?,
        configuration,
        provider_data,
        tags,
    )
    .map_err(|e| corrupt(&e))?;
    Ok(Instance {
        id,
        organization_id: get_s(item, "organization_id")?.to_owned(),
        spec,
        token_digest: get_digest(item, "token_digest")?,
        created_date: parse_timestamp(get_s(item, "created_date")?)?,
        updated_date: parse_timestamp(get_s(item, "updated_date")?)?,
    })
}

impl DynamoStore {
    async fn instance_item(&self, id: InstanceId) -> Result<Option<Item>, StoreError> {
        self.get_item("GetItem instance", key(inst_pk(id), INST_SK))
            .await
    }

    /// Deletes everything left in an instance's partition, and the notification lookups its
    /// notifications own. Not atomic: a crash midway leaves orphans no read reaches but
    /// `claim_due`'s scan (see there).
    async fn sweep_partition(&self, id: InstanceId) -> Result<(), StoreError> {
        let pk = inst_pk(id);
        let items = self
            .query("Query instance partition", &pk, SortKeys::All, true, None)
            .await?;
        let mut keys = Vec::with_capacity(items.len());
        for item in &items {
            let sk = get_s(item, SK)?;
            if sk.starts_with(NOTE_PREFIX) {
                if let Some(note) = opt_s(item, "notification_id") {
                    keys.push(key(note_id_pk(note), NOTE_ID_SK));
                }
            }
            keys.push(key(pk.clone(), sk));
        }
        self.batch_delete("BatchWriteItem instance partition", keys)
            .await
    }
}

#[async_trait]
impl InstanceStore for DynamoStore {
    async fn insert(&self, instance: &Instance) -> Result<(), StoreError> {
        let mut token = key(token_pk(&instance.token_digest), TOKEN_SK);
        token.insert("instance_id".into(), instance_n(instance.id));
        let mut listing = key(
            org_pk(&instance.organization_id),
            org_instance_sk(instance.created_date, instance.id),
        );
        listing.insert("instance_id".into(), instance_n(instance.id));
        let writes = vec![
            self.check(
                organization_key(&instance.organization_id),
                "attribute_exists(pk)",
                Item::new(),
            )?,
            self.put(
                to_item(instance, &self.secrets)?,
                Some("attribute_not_exists(pk)"),
                Item::new(),
            )?,
            self.put(token, Some("attribute_not_exists(pk)"), Item::new())?,
            self.put(listing, None, Item::new())?,
        ];
        match self
            .transact("TransactWriteItems insert instance", writes)
            .await?
        {
            Transaction::Written => Ok(()),
            refused if refused.refused_at(0) => Err(StoreError::UnknownOrganization(
                instance.organization_id.clone(),
            )),
            // The id, or (astronomically unlikely) the token digest, is taken.
            Transaction::Refused(_) => Err(StoreError::Conflict(instance.id)),
        }
    }

    async fn get(
        &self,
        organization_id: &str,
        id: InstanceId,
    ) -> Result<Option<Instance>, StoreError> {
        match self.instance_item(id).await? {
            Some(item) if get_s(&item, "organization_id")? == organization_id => {
                from_item(&item, &self.secrets).map(Some)
            }
            _ => Ok(None),
        }
    }

    async fn get_by_token(&self, token: &SecretDigest) -> Result<Option<Instance>, StoreError> {
        let Some(lookup) = self
            .get_item("GetItem token", key(token_pk(token), TOKEN_SK))
            .await?
        else {
            return Ok(None);
        };
        self.find(get_instance_id(&lookup, "instance_id")?).await
    }

    async fn list(&self, organization_id: &str) -> Result<Vec<Instance>, StoreError> {
        let listing = self
            .query(
                "Query organization instances",
                &org_pk(organization_id),
                SortKeys::Prefix(ORG_INST_PREFIX.into()),
                true,
                None,
            )
            .await?;
        self.instances_listed(&listing).await
    }

    async fn list_page(
        &self,
        organization_id: &str,
        after: Option<ListCursor>,
        limit: usize,
    ) -> Result<Vec<Instance>, StoreError> {
        // The listing's sort key is the cursor itself (creation date, then id): the page is
        // the keys from the cursor's on, less the cursor's own if its instance still exists.
        let from = match after {
            Some(cursor) => org_instance_sk(cursor.created_date, cursor.id),
            None => ORG_INST_PREFIX.to_owned(),
        };
        let to = format!("{ORG_INST_PREFIX}~");
        let listing = self
            .query(
                "Query organization instances",
                &org_pk(organization_id),
                SortKeys::Between(from.clone(), to),
                true,
                Some(limit.saturating_add(1)),
            )
            .await?;
        let mut page = Vec::with_capacity(listing.len());
        for item in listing {
            if get_s(&item, SK)? != from {
                page.push(item);
            }
        }
        page.truncate(limit);
        self.instances_listed(&page).await
    }

    async fn find(&self, id: InstanceId) -> Result<Option<Instance>, StoreError> {
        self.instance_item(id)
            .await?
            .map(|item| from_item(&item, &self.secrets))
            .transpose()
    }

    /// A scan of the whole table: for schedulers that need every instance (local tooling);
    /// on AWS each instance has its own EventBridge schedule instead.
    async fn list_all(&self) -> Result<Vec<Instance>, StoreError> {
        let items = self
            .scan(
                "Scan instances",
                "sk = :inst",
                HashMap::from([(":inst".to_owned(), s(INST_SK))]),
            )
            .await?;
        let mut all = items
            .iter()
            .map(|item| from_item(item, &self.secrets))
            .collect::<Result<Vec<_>, _>>()?;
        all.sort_by_key(|i| (i.created_date, i.id));
        Ok(all)
    }

    async fn update(&self, instance: &Instance) -> Result<bool, StoreError> {
        let mut values: Item = mutable_attributes(instance, &self.secrets)?
            .into_iter()
            .map(|(k, v)| (format!(":{k}"), v))
            .collect();
        values.insert(":org".into(), s(&instance.organization_id));
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(inst_pk(instance.id), INST_SK)))
            .update_expression(
                "SET name_text = :name_text, configuration_json = :configuration_json, \
                 sealed_secrets = :sealed_secrets, tags_json = :tags_json, updated_date = :updated_date",
            )
            .condition_expression("attribute_exists(pk) AND organization_id = :org")
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(unavailable("UpdateItem instance", e)),
        }
    }

    async fn delete(&self, organization_id: &str, id: InstanceId) -> Result<bool, StoreError> {
        let Some(item) = self.instance_item(id).await? else {
            return Ok(false);
        };
        if get_s(&item, "organization_id")? != organization_id {
            return Ok(false);
        }
        let created = parse_timestamp(get_s(&item, "created_date")?)?;
        let writes = vec![
            self.delete(
                key(inst_pk(id), INST_SK),
                Some("organization_id = :org"),
                HashMap::from([(":org".to_owned(), s(organization_id))]),
            )?,
            self.delete(
                key(token_pk(&get_digest(&item, "token_digest")?), TOKEN_SK),
                None,
                Item::new(),
            )?,
            self.delete(
                key(org_pk(organization_id), org_instance_sk(created, id)),
                None,
                Item::new(),
            )?,
        ];
        match self
            .transact("TransactWriteItems delete instance", writes)
            .await?
        {
            // Deleted by someone else in between.
            Transaction::Refused(_) => Ok(false),
            Transaction::Written => {
                // Its polling state and queue go with it: nothing polls or delivers for it again.
                self.sweep_partition(id).await?;
                Ok(true)
            }
        }
    }
}

impl DynamoStore {
    /// The instances behind an organization's listing items, in the listing's order; an
    /// instance deleted since the query is skipped.
    async fn instances_listed(&self, listing: &[Item]) -> Result<Vec<Instance>, StoreError> {
        let ids = listing
            .iter()
            .map(|l| get_instance_id(l, "instance_id"))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys = ids.iter().map(|id| key(inst_pk(*id), INST_SK)).collect();
        let mut by_id = HashMap::new();
        for item in self.batch_get("BatchGetItem instances", keys).await? {
            by_id.insert(get_instance_id(&item, "instance_id")?, item);
        }
        ids.iter()
            .filter_map(|id| by_id.get(id))
            .map(|item| from_item(item, &self.secrets))
            .collect()
    }
}
