//! The Create Instance form as data: filled from the element catalogue, read back from a
//! post, turned into the Open Connectors body `POST /instances` takes, and the API's field
//! errors mapped back onto the form's inputs.
//!
//! Secret values are read from a post but never kept in the form: a form shown again after
//! a refused create asks for them again rather than carrying them in the page.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::csrf::FormFields;
use crate::element_catalogue::{ConfigField, ElementDescription, FieldType};
use crate::field_error::FieldError;
use crate::instance::POLLER_CONFIGURATION;

/// Most resource sections a post may carry (the catalogue's plus copies).
pub const MAX_RESOURCES: usize = 100;
/// Form name of the fieldset that holds every resource, for errors about them all.
pub const RESOURCES: &str = "resources";
/// Form name of errors that belong to no one field.
pub const GENERAL: &str = "general";

/// The inputs of one resource's polling configuration, each with its form name suffix,
/// label, and where it sits in a poller entry.
pub const RESOURCE_INPUTS: &[ResourceInput] = &[
    ResourceInput::new("idField", "ID field", Place::Top),
    ResourceInput::new("updatedDateField", "Updated date field", Place::Dates),
    ResourceInput::new("updatedDateFormat", "Updated date format", Place::Dates),
    ResourceInput::new(
        "updatedDateTimezone",
        "Updated date time zone",
        Place::Dates,
    ),
    ResourceInput::new("createdDateField", "Created date field", Place::Dates),
    ResourceInput::new("createdDateFormat", "Created date format", Place::Dates),
    ResourceInput::new(
        "createdDateTimezone",
        "Created date time zone",
        Place::Dates,
    ),
    ResourceInput::new("pageSize", "Page size", Place::Number),
    ResourceInput::new("pollDelay", "Poll delay (seconds)", Place::Number),
    ResourceInput::new(
        "createdCheckTolerance",
        "Created check tolerance (seconds)",
        Place::Number,
    ),
];

/// Where a resource input's value goes in `event.poller.configuration.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A string at the top of the entry.
    Top,
    /// A string under `datesConfiguration`.
    Dates,
    /// A whole number at the top of the entry.
    Number,
}

#[derive(Debug, Clone, Copy)]
pub struct ResourceInput {
    pub key: &'static str,
    pub label: &'static str,
    pub place: Place,
}

impl ResourceInput {
    const fn new(key: &'static str, label: &'static str, place: Place) -> Self {
        Self { key, label, place }
    }
}

/// The two boolean switches of a resource, with what applies when they are absent.
pub const FILTER_BY_UPDATED: &str = "filterByUpdatedDate";
pub const FILTER_BY_CURRENT: &str = "filterByCurrentDate";

/// One resource section of the form.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceForm {
    pub name: String,
    /// The catalogue's label; None for a resource copied under a new name.
    pub label: Option<String>,
    /// Its checkbox: poll this resource.
    pub poll: bool,
    pub url: String,
    /// Values of [`RESOURCE_INPUTS`], by key.
    pub inputs: BTreeMap<&'static str, String>,
    pub filter_by_updated: bool,
    pub filter_by_current: bool,
}

impl ResourceForm {
    /// A section filled from a poller entry (the catalogue's default).
    pub fn from_poller(name: &str, label: Option<&str>, poller: &Value) -> Self {
        let text = |v: Option<&Value>| match v {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let dates = poller.get("datesConfiguration");
        let inputs = RESOURCE_INPUTS
            .iter()
            .map(|input| {
                let value = match input.place {
                    Place::Top | Place::Number => text(poller.get(input.key)),
                    Place::Dates => text(dates.and_then(|d| d.get(input.key))),
                };
                (input.key, value)
            })
            .collect();
        Self {
            name: name.to_owned(),
            label: label.map(str::to_owned),
            poll: false,
            url: text(poller.get("url")),
            inputs,
            filter_by_updated: poller
                .get(FILTER_BY_UPDATED)
                .and_then(Value::as_bool)
                .unwrap_or(true),
            filter_by_current: poller
                .get(FILTER_BY_CURRENT)
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }
    }

    /// The resource's entry of `event.poller.configuration`.
    fn poller_entry(&self) -> Value {
        let mut entry = Map::new();
        entry.insert("url".into(), Value::String(self.url.trim().to_owned()));
        let mut dates = Map::new();
        for input in RESOURCE_INPUTS {
            let value = self
                .inputs
                .get(input.key)
                .map(|v| v.trim())
                .unwrap_or_default();
            if value.is_empty() {
                continue;
            }
            match input.place {
                Place::Top => {
                    entry.insert(input.key.into(), Value::String(value.to_owned()));
                }
                Place::Dates => {
                    dates.insert(input.key.into(), Value::String(value.to_owned()));
                }
                // A number stays a number; anything else goes as typed, for the API to name.
                Place::Number => {
                    let number = value
                        .parse::<u64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| Value::String(value.to_owned()));
                    entry.insert(input.key.into(), number);
                }
            }
        }
        if !dates.is_empty() {
            entry.insert("datesConfiguration".into(), Value::Object(dates));
        }
        if !self.filter_by_updated {
            entry.insert(FILTER_BY_UPDATED.into(), Value::Bool(false));
        }
        if self.filter_by_current {
            entry.insert(FILTER_BY_CURRENT.into(), Value::Bool(true));
        }
        Value::Object(entry)
    }

    /// The time zone `${date:...}` in its url expands in (its updated date's).
    pub fn url_zone(&self) -> &str {
        self.inputs
            .get("updatedDateTimezone")
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// The whole form of one element.
#[derive(Debug, Clone)]
pub struct CreateForm {
    pub element: &'static ElementDescription,
    pub name: String,
    pub tags: String,
    /// Values of the non-secret configuration fields, by key (booleans as "true" or "").
    pub config: BTreeMap<String, String>,
    /// Values of the non-secret providerData fields, by key.
    pub provider: BTreeMap<String, String>,
    pub resources: Vec<ResourceForm>,
}

/// The form name of a configuration field's input.
pub fn config_name(key: &str) -> String {
    format!("config.{key}")
}

/// The form name of a providerData field's input.
pub fn provider_name(key: &str) -> String {
    format!("provider.{key}")
}

/// The form name of input `suffix` of resource section `index`.
pub fn resource_name(index: usize, suffix: &str) -> String {
    format!("resource.{index}.{suffix}")
}

/// An element id for a form name: letters, digits and dashes only, so CSS and scripts
/// select it without escaping.
pub fn id_for(form_name: &str) -> String {
    form_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

fn field_text(field: &ConfigField) -> String {
    match (&field.default, field.field_type) {
        (Some(Value::Bool(true)), FieldType::Boolean) => "true".into(),
        (Some(Value::Bool(false)), FieldType::Boolean) => String::new(),
        (Some(Value::String(s)), _) => s.clone(),
        (Some(Value::Number(n)), _) => n.to_string(),
        _ => String::new(),
    }
}

impl CreateForm {
    /// A fresh form: the catalogue's defaults, no resource selected.
    pub fn new(element: &'static ElementDescription) -> Self {
        let config = element
            .configuration
            .iter()
            .filter(|f| !f.secret)
            .map(|f| (f.key.clone(), field_text(f)))
            .collect();
        let provider = element
            .provider_data
            .iter()
            .filter(|f| !f.secret)
            .map(|f| (f.key.clone(), field_text(f)))
            .collect();
        let resources = element
            .resources
            .iter()
            .map(|r| ResourceForm::from_poller(&r.name, Some(&r.label), &r.default_poller))
            .collect();
        Self {
            element,
            name: String::new(),
            tags: String::new(),
            config,
            provider,
            resources,
        }
    }

    /// Reads a posted form back: the values to show again (secrets left out) and the body
    /// to register.
    pub fn from_post(element: &'static ElementDescription, fields: &FormFields) -> (Self, Value) {
        let mut form = Self::new(element);
        form.name = fields.get("name").unwrap_or_default().to_owned();
        form.tags = fields.get("tags").unwrap_or_default().to_owned();
        let mut configuration = Map::new();
        for f in &element.configuration {
            let name = config_name(&f.key);
            let value = match f.field_type {
                FieldType::Boolean => Some(Value::Bool(fields.has(&name))),
                // Secrets are taken as typed: spaces may be part of them.
                FieldType::Password => fields
                    .get(&name)
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String(v.to_owned())),
                _ => fields
                    .get(&name)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String(v.to_owned())),
            };
            if !f.secret {
                let shown = match (&value, f.field_type) {
                    (Some(Value::Bool(true)), _) => "true".to_owned(),
                    (Some(Value::String(s)), _) => s.clone(),
                    _ => String::new(),
                };
                form.config.insert(f.key.clone(), shown);
            }
            if let Some(v) = value {
                configuration.insert(f.key.clone(), v);
            }
        }
        let mut provider_data = Map::new();
        for f in &element.provider_data {
            let raw = fields.get(&provider_name(&f.key)).unwrap_or_default();
            let value = if f.secret { raw } else { raw.trim() };
            if !f.secret {
                form.provider.insert(f.key.clone(), value.to_owned());
            }
            if !value.is_empty() {
                provider_data.insert(f.key.clone(), Value::String(value.to_owned()));
            }
        }
        form.resources = (0..MAX_RESOURCES)
            .map_while(|i| {
                let name = fields.get(&resource_name(i, "name"))?;
                let label = element.resource(name).map(|r| r.label.as_str());
                let mut r = ResourceForm::from_poller(name, label, &Value::Null);
                r.poll = fields.has(&resource_name(i, "poll"));
                r.url = fields
                    .get(&resource_name(i, "url"))
                    .unwrap_or_default()
                    .to_owned();
                for input in RESOURCE_INPUTS {
                    let value = fields.get(&resource_name(i, input.key)).unwrap_or_default();
                    r.inputs.insert(input.key, value.to_owned());
                }
                r.filter_by_updated = fields.has(&resource_name(i, FILTER_BY_UPDATED));
                r.filter_by_current = fields.has(&resource_name(i, FILTER_BY_CURRENT));
                Some(r)
            })
            .collect();
        let polled: Map<String, Value> = form
            .resources
            .iter()
            .filter(|r| r.poll)
            .map(|r| (r.name.clone(), r.poller_entry()))
            .collect();
        if !polled.is_empty() {
            configuration.insert(POLLER_CONFIGURATION.into(), Value::Object(polled));
        }
        let tags: Vec<&str> = form
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let mut body = json!({
            "element": {"key": element.key},
            "name": form.name,
            "configuration": configuration,
        });
        if !tags.is_empty() {
            body["tags"] = json!(tags);
        }
        if !provider_data.is_empty() {
            body["providerData"] = Value::Object(provider_data);
        }
        (form, body)
    }

    /// The form name of the input an API field error is about ([`GENERAL`] when none is).
    pub fn input_for(&self, error: &FieldError) -> String {
        let field = error.field.as_str();
        match field {
            "name" => return "name".into(),
            "element" | "element.key" => return GENERAL.into(),
            _ => {}
        }
        if field == "tags" || field.starts_with("tags.") || field.starts_with("tags[") {
            return "tags".into();
        }
        if let Some(key) = field.strip_prefix("providerData.") {
            if self.element.provider_data.iter().any(|f| f.key == key) {
                return provider_name(key);
            }
            return GENERAL.into();
        }
        let Some(key) = field.strip_prefix("configuration.") else {
            return GENERAL.into();
        };
        if key == POLLER_CONFIGURATION {
            return RESOURCES.into();
        }
        if let Some(rest) = key
            .strip_prefix(POLLER_CONFIGURATION)
            .and_then(|r| r.strip_prefix('.'))
        {
            return self.resource_input_for(rest);
        }
        if self.element.configuration.iter().any(|f| f.key == key) {
            return config_name(key);
        }
        GENERAL.into()
    }

    /// `rest` is `<resource>[.<path>]`; resource names may hold dots, so the longest wins.
    fn resource_input_for(&self, rest: &str) -> String {
        let found = self
            .resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.poll)
            .filter_map(|(i, r)| {
                let after = rest.strip_prefix(r.name.as_str())?;
                (after.is_empty() || after.starts_with('.')).then_some((i, r.name.len(), after))
            })
            .max_by_key(|(_, len, _)| *len);
        let Some((index, _, after)) = found else {
            return RESOURCES.into();
        };
        let path = after.trim_start_matches('.');
        let path = path.strip_prefix("datesConfiguration.").unwrap_or(path);
        let suffix = match path {
            "url" | FILTER_BY_UPDATED | FILTER_BY_CURRENT => path,
            _ => match RESOURCE_INPUTS.iter().find(|i| i.key == path) {
                Some(input) => input.key,
                None => "poll",
            },
        };
        resource_name(index, suffix)
    }
}

impl CreateForm {
    /// The label the form shows for input `name`, for the error summary.
    pub fn label_of(&self, name: &str) -> Option<String> {
        match name {
            "name" => return Some("Name".into()),
            "tags" => return Some("Tags".into()),
            RESOURCES => return Some("Resources to poll".into()),
            _ => {}
        }
        if let Some(key) = name.strip_prefix("config.") {
            let field = self.element.configuration.iter().find(|f| f.key == key)?;
            return Some(field.label.clone());
        }
        if let Some(key) = name.strip_prefix("provider.") {
            let field = self.element.provider_data.iter().find(|f| f.key == key)?;
            return Some(field.label.clone());
        }
        let rest = name.strip_prefix("resource.")?;
        let (index, suffix) = rest.split_once('.')?;
        let resource = self.resources.get(index.parse::<usize>().ok()?)?;
        let label = match suffix {
            "url" => "URL",
            "poll" => "configuration",
            FILTER_BY_UPDATED => "Filter by updated date",
            FILTER_BY_CURRENT => "Filter by current date",
            _ => RESOURCE_INPUTS.iter().find(|i| i.key == suffix)?.label,
        };
        Some(format!("{} {label}", resource.name))
    }
}

/// API field errors grouped by the form input they belong to.
pub fn errors_by_input(form: &CreateForm, errors: &[FieldError]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in errors {
        let input = form.input_for(e);
        let message = if input == GENERAL {
            e.to_string()
        } else {
            e.message.clone()
        };
        out.entry(input).or_default().push(message);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element_catalogue::find;

    fn post(pairs: &[(&str, &str)]) -> FormFields {
        FormFields(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn sagecrm() -> &'static ElementDescription {
        find("sagecrm").expect("sagecrm in the catalogue")
    }

    #[test]
    fn a_fresh_form_starts_from_the_catalogue() {
        let form = CreateForm::new(sagecrm());
        assert_eq!(form.resources.len(), sagecrm().resources.len());
        let accounts = &form.resources[0];
        assert_eq!(accounts.name, "accounts");
        assert!(accounts.url.starts_with("/hubs/crm/accounts?where="));
        assert_eq!(accounts.inputs["idField"], "key");
        assert_eq!(accounts.inputs["updatedDateField"], "Comp_UpdatedDate");
        assert!(!accounts.poll && accounts.filter_by_updated && !accounts.filter_by_current);
        assert!(
            !form.config.contains_key("password"),
            "secrets have no value to show"
        );
    }

    #[test]
    fn a_post_becomes_the_seed_pages_body() {
        let d = sagecrm();
        let fresh = CreateForm::new(d);
        let accounts = &fresh.resources[0];
        let mut pairs: Vec<(String, String)> = [
            ("name", "crm"),
            ("tags", "Docs, crm ,"),
            ("config.subdomain", " crm.example.com "),
            ("config.username", "u"),
            ("config.password", " p w "),
            ("config.event.notification.enabled", "on"),
            (
                "config.event.notification.callback.url",
                "https://hooks.example.com/in",
            ),
            ("config.event.poller.refresh_interval", "15"),
            ("resource.0.name", "accounts"),
            ("resource.0.poll", "on"),
            ("resource.0.url", accounts.url.as_str()),
            ("resource.0.filterByUpdatedDate", "on"),
            ("resource.1.name", "contacts"),
            ("resource.1.url", "/hubs/crm/contacts"),
            ("resource.1.filterByUpdatedDate", "on"),
            ("resource.0.pageSize", "50"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for input in RESOURCE_INPUTS.iter().filter(|i| i.place != Place::Number) {
            pairs.push((
                format!("resource.0.{}", input.key),
                accounts.inputs[input.key].clone(),
            ));
        }
        let (form, body) = CreateForm::from_post(d, &FormFields(pairs));
        let config = &body["configuration"];
        assert_eq!(body["element"]["key"], "sagecrm");
        assert_eq!(body["tags"], json!(["Docs", "crm"]));
        assert_eq!(config["subdomain"], "crm.example.com");
        assert_eq!(config["password"], " p w ", "secrets are kept as typed");
        assert_eq!(config["event.notification.enabled"], true);
        let poller = &config["event.poller.configuration"];
        assert_eq!(
            poller
                .as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["accounts".to_owned()]),
            "only ticked resources"
        );
        let seed = &d.resources[0].default_poller;
        assert_eq!(poller["accounts"]["url"], seed["url"]);
        assert_eq!(
            poller["accounts"]["datesConfiguration"],
            seed["datesConfiguration"]
        );
        assert_eq!(poller["accounts"]["pageSize"], 50);
        assert!(poller["accounts"].get("filterByUpdatedDate").is_none());
        assert!(!form.config.values().any(|v| v.contains("p w")));
        assert!(form.resources[0].poll && !form.resources[1].poll);
        assert!(crate::instance::InstanceSpec::from_body(&body).is_ok());
    }

    #[test]
    fn api_errors_land_on_their_inputs() {
        let d = sagecrm();
        let (form, _) = CreateForm::from_post(
            d,
            &post(&[
                ("resource.0.name", "accounts"),
                ("resource.0.poll", "on"),
                ("resource.1.name", "accounts.old"),
                ("resource.1.poll", "on"),
            ]),
        );
        let at = |field: &str| form.input_for(&FieldError::new(field, "x"));
        assert_eq!(
            at("configuration.event.notification.callback.url"),
            "config.event.notification.callback.url"
        );
        assert_eq!(at("configuration.password"), "config.password");
        assert_eq!(at("name"), "name");
        assert_eq!(at("configuration.event.poller.configuration"), RESOURCES);
        assert_eq!(
            at("configuration.event.poller.configuration.accounts.url"),
            "resource.0.url"
        );
        assert_eq!(
            at("configuration.event.poller.configuration.accounts.datesConfiguration.updatedDateFormat"),
            "resource.0.updatedDateFormat"
        );
        assert_eq!(
            at("configuration.event.poller.configuration.accounts.old.pageSize"),
            "resource.1.pageSize"
        );
        assert_eq!(
            at("configuration.event.poller.configuration.accounts"),
            "resource.0.poll"
        );
        assert_eq!(at("configuration.nonsense"), GENERAL);
        assert_eq!(
            form.label_of("config.event.notification.callback.url")
                .as_deref(),
            Some("Event Notification Callback URL")
        );
        assert_eq!(
            form.label_of("resource.1.pageSize").as_deref(),
            Some("accounts.old Page size")
        );
        assert_eq!(form.label_of(GENERAL), None);
        assert_eq!(at("body"), GENERAL);
        assert_eq!(
            id_for("config.event.notification.callback.url"),
            "config-event-notification-callback-url"
        );
    }
}
