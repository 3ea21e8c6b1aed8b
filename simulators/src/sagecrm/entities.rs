//! Sage CRM entities (as the Open Connectors `sagecrm` element names their fields) and the
//! in-memory tables that hold their records.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::where_clause::lookup;
use crate::dates::{format_instant, parse_instant};

/// One CRM entity: its field names and how to title its records.
#[derive(Debug)]
pub struct Entity {
    /// Lower-case name used in URLs (`company`).
    pub name: &'static str,
    pub id_field: &'static str,
    pub updated_field: &'static str,
    pub created_field: &'static str,
    /// Set to 1 when a record is deleted; such records are never listed.
    pub deleted_field: &'static str,
    /// Fields joined with a space to make `$title`.
    pub title_fields: &'static [&'static str],
    /// Further fields known to exist (a `where` may name them even if no record has them).
    pub other_fields: &'static [&'static str],
}

/// The five entities the Open Connectors hub resources map to.
pub static ENTITIES: [Entity; 5] = [
    Entity {
        name: "company",
        id_field: "comp_companyid",
        updated_field: "Comp_UpdatedDate",
        created_field: "Comp_CreatedDate",
        deleted_field: "Comp_Deleted",
        title_fields: &["Comp_Name"],
        other_fields: &[
            "Comp_Name",
            "Comp_Type",
            "Comp_Status",
            "Comp_WebSite",
            "Comp_EmailAddress",
            "Comp_PrimaryPersonId",
        ],
    },
    Entity {
        name: "person",
        id_field: "pers_personid",
        updated_field: "Pers_UpdatedDate",
        created_field: "Pers_CreatedDate",
        deleted_field: "Pers_Deleted",
        title_fields: &["Pers_FirstName", "Pers_LastName"],
        other_fields: &[
            "Pers_FirstName",
            "Pers_LastName",
            "Pers_CompanyId",
            "Pers_EmailAddress",
            "Pers_Title",
        ],
    },
    Entity {
        name: "lead",
        id_field: "Lead_LeadId",
        updated_field: "Lead_UpdatedDate",
        created_field: "lead_createddate",
        deleted_field: "Lead_Deleted",
        title_fields: &["Lead_Description"],
        other_fields: &[
            "Lead_Description",
            "Lead_CompanyName",
            "Lead_Stage",
            "Lead_Status",
            "Lead_PersonLastName",
        ],
    },
    Entity {
        name: "opportunity",
        id_field: "Oppo_OpportunityId",
        updated_field: "Oppo_UpdatedDate",
        created_field: "Oppo_CreatedDate",
        deleted_field: "Oppo_Deleted",
        title_fields: &["Oppo_Description"],
        other_fields: &[
            "Oppo_Description",
            "Oppo_Stage",
            "Oppo_Status",
            "Oppo_PrimaryCompanyId",
            "Oppo_Forecast",
        ],
    },
    Entity {
        name: "user",
        id_field: "User_UserId",
        updated_field: "User_UpdatedDate",
        created_field: "User_CreatedDate",
        deleted_field: "User_Deleted",
        title_fields: &["User_FirstName", "User_LastName"],
        other_fields: &[
            "User_Logon",
            "User_FirstName",
            "User_LastName",
            "User_EmailAddress",
        ],
    },
];

/// The entity named `name` in any case.
pub fn find(name: &str) -> Option<&'static Entity> {
    ENTITIES.iter().find(|e| e.name.eq_ignore_ascii_case(name))
}

/// Why an admin write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{0}")]
    Invalid(String),
    #[error("no {0} with id {1}")]
    NotFound(&'static str, i64),
    #[error("a {0} with id {1} already exists")]
    Exists(&'static str, i64),
}

impl Entity {
    /// Whether `field` is a field of this entity: a known one or one any stored record has.
    pub fn knows_field(&self, field: &str, table: &Table) -> bool {
        let fixed = [
            self.id_field,
            self.updated_field,
            self.created_field,
            self.deleted_field,
        ];
        fixed
            .iter()
            .chain(self.other_fields)
            .any(|f| f.eq_ignore_ascii_case(field))
            || table
                .field_names
                .iter()
                .any(|f| f.eq_ignore_ascii_case(field))
    }

    /// `$title` of a record: its title fields, or its id when they are empty.
    pub fn title(&self, record: &Map<String, Value>, id: i64) -> String {
        let parts: Vec<&str> = self
            .title_fields
            .iter()
            .filter_map(|f| lookup(record, f).and_then(Value::as_str))
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            id.to_string()
        } else {
            parts.join(" ")
        }
    }

    /// Whether the record is deleted.
    pub fn is_deleted(&self, record: &Map<String, Value>) -> bool {
        // Written only by the simulator itself, always with this spelling.
        match record.get(self.deleted_field) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(Value::String(s)) => !(s.is_empty() || s == "0" || s.eq_ignore_ascii_case("n")),
            Some(_) => true,
        }
    }
}

/// Reads an id given in a body: a positive integer or its decimal string.
pub fn parse_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// The records of one entity, by id (so lists come out in id order).
#[derive(Debug, Default)]
pub struct Table {
    pub records: BTreeMap<i64, Map<String, Value>>,
    /// Every field name ever stored, for `where` validation.
    field_names: HashSet<String>,
}

/// Removes `field` (any case) from `body`, returning its value.
fn take_field(body: &mut Map<String, Value>, field: &str) -> Option<Value> {
    let key = body.keys().find(|k| k.eq_ignore_ascii_case(field))?.clone();
    body.remove(&key)
}

/// Normalises a date given in a body to `yyyy-MM-ddTHH:mm:ssZ` (null stays null).
fn normalise_date(field: &str, value: Value) -> Result<Value, WriteError> {
    match &value {
        Value::Null => Ok(Value::Null),
        Value::String(s) => parse_instant(s)
            .map(|t| Value::String(format_instant(t)))
            .ok_or_else(|| WriteError::Invalid(format!("{field}: '{s}' is not an ISO-8601 date"))),
        _ => Err(WriteError::Invalid(format!(
            "{field}: expected an ISO-8601 string"
        ))),
    }
}

impl Table {
    fn remember_fields(&mut self, record: &Map<String, Value>) {
        for key in record.keys() {
            if !self.field_names.contains(key) {
                self.field_names.insert(key.clone());
            }
        }
    }

    /// Creates a record from `body`; id and dates come from `now` unless the body has them
    /// (a body with only a created date gets the same updated date).
    pub fn create(
        &mut self,
        entity: &Entity,
        mut body: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<(i64, Map<String, Value>), WriteError> {
        let id = match take_field(&mut body, entity.id_field) {
            Some(v) => {
                let id = parse_id(&v).ok_or_else(|| {
                    WriteError::Invalid(format!("{}: expected a positive integer", entity.id_field))
                })?;
                if self.records.contains_key(&id) {
                    return Err(WriteError::Exists(entity.name, id));
                }
                id
            }
            None => self.records.keys().next_back().map_or(1, |last| last + 1),
        };
        let created = match take_field(&mut body, entity.created_field) {
            Some(v) => normalise_date(entity.created_field, v)?,
            None => Value::String(format_instant(now)),
        };
        let updated = match take_field(&mut body, entity.updated_field) {
            Some(v) => normalise_date(entity.updated_field, v)?,
            None => created.clone(),
        };
        body.insert(entity.id_field.to_owned(), Value::from(id));
        body.insert(entity.created_field.to_owned(), created);
        body.insert(entity.updated_field.to_owned(), updated);
        self.remember_fields(&body);
        self.records.insert(id, body.clone());
        Ok((id, body))
    }

    /// Merges `changes` into record `id` (keys matched in any case) and bumps its updated
    /// date to `now` unless `changes` sets it.
    pub fn patch(
        &mut self,
        entity: &Entity,
        id: i64,
        mut changes: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<Map<String, Value>, WriteError> {
        if let Some(v) = take_field(&mut changes, entity.id_field) {
            if parse_id(&v) != Some(id) {
                return Err(WriteError::Invalid(format!(
                    "{} cannot be changed",
                    entity.id_field
                )));
            }
        }
        let updated = match take_field(&mut changes, entity.updated_field) {
            Some(v) => normalise_date(entity.updated_field, v)?,
            None => Value::String(format_instant(now)),
        };
        if let Some(v) = take_field(&mut changes, entity.created_field) {
            changes.insert(
                entity.created_field.to_owned(),
                normalise_date(entity.created_field, v)?,
            );
        }
        let record = self
            .records
            .get_mut(&id)
            .ok_or(WriteError::NotFound(entity.name, id))?;
        for (key, value) in changes {
            let existing = record
                .keys()
                .find(|k| k.eq_ignore_ascii_case(&key))
                .cloned();
            record.insert(existing.unwrap_or(key), value);
        }
        record.insert(entity.updated_field.to_owned(), updated);
        let record = record.clone();
        self.remember_fields(&record);
        Ok(record)
    }

    /// Marks record `id` deleted (`*_Deleted` = 1) and bumps its updated date.
    pub fn delete(
        &mut self,
        entity: &Entity,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Map<String, Value>, WriteError> {
        let record = self
            .records
            .get_mut(&id)
            .ok_or(WriteError::NotFound(entity.name, id))?;
        record.insert(entity.deleted_field.to_owned(), Value::from(1));
        record.insert(
            entity.updated_field.to_owned(),
            Value::String(format_instant(now)),
        );
        Ok(record.clone())
    }
}

/// All tables of one simulator.
#[derive(Debug, Default)]
pub struct Store {
    tables: HashMap<&'static str, Table>,
}

impl Store {
    /// The table of `entity` (created empty on first use).
    pub fn table(&mut self, entity: &Entity) -> &mut Table {
        self.tables.entry(entity.name).or_default()
    }

    /// Drops every record.
    pub fn clear(&mut self) {
        self.tables.clear();
    }
}
