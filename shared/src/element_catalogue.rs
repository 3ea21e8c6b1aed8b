//! The element catalogue: what each connector asks of a user, and where its polling can start.
//!
//! `GET /elements` and the console read it so that a new instance starts from a configuration
//! that registers and polls as it is. It is built from the lists registration itself uses, so
//! it cannot drift from them: the fields and their labels and `required` flags come from
//! [`ElementKey::fields`] (what the validator enforces), the `secret` flags from
//! [`is_secret_key`] (what is encrypted at rest and shown as `********`). What it adds is
//! presentation (a field's input type, default and help) and one default poller
//! configuration per hub resource, written as the seed pages write theirs.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::element::ElementKey;
use crate::instance::{CALLBACK_URL, EVENTS_ENABLED, REFRESH_INTERVAL, SIGNATURE_KEY};
use crate::refresh_interval::RefreshInterval;
use crate::secret_fields::is_secret_key;

/// One connector as the catalogue describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ElementDescription {
    /// The `element.key` of instance bodies (`sagecrm`).
    pub key: String,
    pub name: String,
    pub description: String,
    /// The element's own fields first, then the event fields every element shares.
    pub configuration: Vec<ConfigField>,
    /// `providerData` entries registration needs besides the configuration (the OAuth
    /// authorization code of `sageone`); empty for the others.
    pub provider_data: Vec<ConfigField>,
    /// The hub resources one can poll, each with a configuration that works unchanged.
    pub resources: Vec<ResourceDescription>,
}

impl ElementDescription {
    /// The resource named `name`, if the element lists it.
    pub fn resource(&self, name: &str) -> Option<&ResourceDescription> {
        self.resources.iter().find(|r| r.name == name)
    }
}

/// How a field is entered; a form picks its input from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    /// A secret: entered hidden, stored encrypted, shown as `********`.
    Password,
    Url,
    Number,
    Boolean,
    /// One of [`ConfigField::options`].
    Select,
}

/// One configuration key of an instance body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ConfigField {
    /// The key in `configuration` (or in `providerData`), e.g. `oauth.api.key`.
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub required: bool,
    /// Stored encrypted and shown masked once registered.
    pub secret: bool,
    /// What pollhook assumes when the key is absent; None when there is nothing to assume.
    pub default: Option<Value>,
    /// The allowed values of a `select`; empty otherwise.
    pub options: Vec<String>,
    pub help: Option<String>,
}

/// One hub resource and the poller configuration to start from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "api", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescription {
    /// The name under `event.poller.configuration` (`accounts`).
    pub name: String,
    pub label: String,
    /// One entry of `event.poller.configuration`: `{"url", "idField", "datesConfiguration"}`.
    #[cfg_attr(feature = "api", schema(value_type = crate::api::instance_body::ResourcePoller))]
    pub default_poller: Value,
}

/// Every element, in the order [`ElementKey::ALL`] lists them.
pub fn catalogue() -> &'static [ElementDescription] {
    static CATALOGUE: LazyLock<Vec<ElementDescription>> =
        LazyLock::new(|| ElementKey::ALL.into_iter().map(describe).collect());
    &CATALOGUE
}

/// The description of the element whose key is `key` (as `element.key` spells it).
pub fn find(key: &str) -> Option<&'static ElementDescription> {
    catalogue().iter().find(|e| e.key == key)
}

/// The date format of every Sage default: the one both seed pages use.
const ISO_SECONDS: &str = "yyyy-MM-dd'T'HH:mm:ss'Z'";

fn describe(element: ElementKey) -> ElementDescription {
    let mut configuration: Vec<ConfigField> = element
        .fields()
        .iter()
        .map(|f| ConfigField {
            key: f.key.to_owned(),
            label: f.label.to_owned(),
            field_type: if is_secret_key(Some(element), f.key) {
                FieldType::Password
            } else if f.key.ends_with(".url") {
                FieldType::Url
            } else {
                FieldType::Text
            },
            required: f.required,
            secret: is_secret_key(Some(element), f.key),
            default: element_default(f.key),
            options: Vec::new(),
            help: element_help(element, f.key).map(str::to_owned),
        })
        .collect();
    configuration.extend(event_fields(element));
    ElementDescription {
        key: element.as_str().to_owned(),
        name: element.display_name().to_owned(),
        description: description(element).to_owned(),
        configuration,
        provider_data: provider_data(element),
        resources: resources(element),
    }
}

fn description(element: ElementKey) -> &'static str {
    match element {
        ElementKey::SageCrm => {
            "Sage CRM over its REST API (sagecrm2), signed in as a CRM user: companies, people, \
             leads, opportunities and users."
        }
        ElementKey::SageOne => {
            "Sage Business Cloud Accounting (API v3.1) through your Sage Developer app's OAuth \
             2.0 credentials: customers, vendors and all contacts."
        }
        ElementKey::Http => {
            "Any JSON REST API at a base URL: each resource's url is a path under it, sent as \
             written (its where= unchanged), paged by page number or by a next link."
        }
    }
}

fn element_default(key: &str) -> Option<Value> {
    match key {
        crate::elements::http::PAGE_PARAM_KEY => Some(json!("page")),
        crate::elements::http::SIZE_PARAM_KEY => Some(json!("pageSize")),
        _ => None,
    }
}

fn element_help(element: ElementKey, key: &str) -> Option<&'static str> {
    Some(match (element, key) {
        (ElementKey::SageCrm, "subdomain") => {
            "The host name of your Sage CRM, without https:// or a path (sagecrm-0.example.com)."
        }
        (ElementKey::SageCrm, "username") => "The Sage CRM user pollhook signs in as.",
        (ElementKey::SageCrm, "password") => "That user's password.",
        (ElementKey::SageCrm, "base.url") => {
            "Optional: reach the API elsewhere than https://<subdomain>, e.g. a simulator; a bare \
             http://host:port gets /sdata/crmj/sagecrm2/- appended."
        }
        (ElementKey::SageOne, "oauth.api.key") => "The Client ID of your Sage Developer app.",
        (ElementKey::SageOne, "oauth.api.secret") => {
            "The Client Secret of your Sage Developer app."
        }
        (ElementKey::SageOne, "oauth.callback.url") => {
            "The Callback URL registered with the app; the authorization code must have been \
             issued for it."
        }
        (ElementKey::SageOne, "signature.secret") => "The Signing Secret of the app.",
        (ElementKey::SageOne, "apim.subscription.key") => {
            "Sent as Ocp-Apim-Subscription-Key; only APIM-fronted hosts need it."
        }
        (ElementKey::SageOne, "country") => {
            "The two-letter country code of the business (US, GB, CA, IE, ES, FR, DE); v3.1 \
             serves every country at one address, so it is kept but not sent."
        }
        (ElementKey::SageOne, "base.url") => {
            "Optional: another API base than https://api.accounting.sage.com/v3.1."
        }
        (ElementKey::SageOne, "oauth.token.url") => {
            "Optional: another token endpoint than https://oauth.accounting.sage.com/token."
        }
        (ElementKey::SageOne, "business.id") => {
            "Optional: the business to read (sent as X-Business) when the user has several."
        }
        (ElementKey::Http, "base.url") => {
            "The API's root; each resource url is a path joined to it."
        }
        (ElementKey::Http, "authorization.header") => {
            "Sent as the Authorization header of every call, e.g. Bearer <token>."
        }
        (ElementKey::Http, "records.path") => {
            "Where the records are in a response (a JSON path); by default the body itself when \
             it is an array, else items, data, records, results, $items or $resources. \
             records.path.<resource> sets it for one resource."
        }
        (ElementKey::Http, "next.path") => {
            "Where a response holds the next page's link; by default next, $next or links.next. \
             Without a link, pages are asked for by number."
        }
        (ElementKey::Http, "pagination.page.param") => "The query parameter of the page number.",
        (ElementKey::Http, "pagination.size.param") => "The query parameter of the page size.",
        _ => return None,
    })
}

/// The event settings every element shares, as the seed pages name them.
fn event_fields(element: ElementKey) -> Vec<ConfigField> {
    let field =
        |key: &str, label: &str, field_type, default: Option<Value>, help: &str| ConfigField {
            key: key.to_owned(),
            label: label.to_owned(),
            field_type,
            required: false,
            secret: is_secret_key(Some(element), key),
            default,
            options: Vec::new(),
            help: Some(help.to_owned()),
        };
    vec![
        field(
            EVENTS_ENABLED,
            "Events Enabled",
            FieldType::Boolean,
            Some(json!(false)),
            "Poll the resources below and send each change to the callback URL.",
        ),
        field(
            CALLBACK_URL,
            "Event Notification Callback URL",
            FieldType::Url,
            None,
            "Where events are sent (POST); required when events are enabled.",
        ),
        field(
            REFRESH_INTERVAL,
            "Event poller refresh interval (mins)",
            FieldType::Number,
            Some(json!(RefreshInterval::DEFAULT.minutes())),
            "Minutes between polls, 1 to 1440.",
        ),
        field(
            SIGNATURE_KEY,
            "Event Notification Signature Key",
            FieldType::Password,
            None,
            "Optional: signs each notification as Open Connectors does \
             (Elements-Webhook-Signature: sha256=<base64 HMAC-SHA256 of the body>). Every \
             notification is also signed the Standard Webhooks way.",
        ),
    ]
}

fn provider_data(element: ElementKey) -> Vec<ConfigField> {
    if !element.needs_authorization_code() {
        return Vec::new();
    }
    vec![ConfigField {
        key: "code".to_owned(),
        label: "Authorization grant code".to_owned(),
        field_type: FieldType::Password,
        required: true,
        secret: true,
        default: None,
        options: Vec::new(),
        help: Some(
            "The code Sage's authorization page sent to the Callback URL; pollhook exchanges it \
             for tokens when the instance is created."
                .to_owned(),
        ),
    }]
}

/// One `event.poller.configuration` entry with Sage's ISO dates in GMT, as on the seed pages.
fn sage_poller(url: String, id_field: &str, updated: &str, created: &str) -> Value {
    json!({
        "url": url,
        "idField": id_field,
        "datesConfiguration": {
            "updatedDateField": updated,
            "updatedDateFormat": ISO_SECONDS,
            "updatedDateTimezone": "GMT",
            "createdDateField": created,
            "createdDateFormat": ISO_SECONDS,
            "createdDateTimezone": "GMT",
        },
    })
}

fn resource(name: &str, label: &str, default_poller: Value) -> ResourceDescription {
    ResourceDescription {
        name: name.to_owned(),
        label: label.to_owned(),
        default_poller,
    }
}

fn resources(element: ElementKey) -> Vec<ResourceDescription> {
    match element {
        // The seed page's five resources, verbatim (`lead_createddate` is spelled so there).
        ElementKey::SageCrm => [
            ("accounts", "Accounts", "Comp_UpdatedDate", "Comp_CreatedDate"),
            ("contacts", "Contacts", "Pers_UpdatedDate", "Pers_CreatedDate"),
            ("leads", "Leads", "Lead_UpdatedDate", "lead_createddate"),
            (
                "opportunities",
                "Opportunities",
                "Oppo_UpdatedDate",
                "Oppo_CreatedDate",
            ),
            ("users", "Users", "User_UpdatedDate", "User_CreatedDate"),
        ]
        .into_iter()
        .map(|(name, label, updated, created)| {
            let url = format!("/hubs/crm/{name}?where={updated}>'${{gmtDate:{ISO_SECONDS}}}'");
            resource(name, label, sage_poller(url, "key", updated, created))
        })
        .collect(),
        // The seed page's `customers`, with its `attributes` quote closed, and the other
        // resources read from `/contacts`: the endpoint the shipped simulator serves, so each
        // default here is proven by a poll. (The connector maps more v3.1 endpoints; they
        // register with the same configuration under their own name.)
        ElementKey::SageOne => [
            ("customers", "Customers"),
            ("vendors", "Vendors (suppliers)"),
            ("contacts", "Contacts (customers and vendors)"),
        ]
        .into_iter()
        .map(|(name, label)| {
            let url = format!(
                "/hubs/finance/{name}?where=lastModifiedDate>='${{date:{ISO_SECONDS}}}' and attributes='created_at,updated_at'"
            );
            resource(
                name,
                label,
                sage_poller(url, "id", "updated_at", "created_at"),
            )
        })
        .collect(),
        // No hub to map: one example to copy and point at the API's own list endpoint.
        ElementKey::Http => vec![resource(
            "items",
            "Items (an example: point its url at your API's list endpoint)",
            json!({
                "url": format!("/items?updated_since=${{gmtDate:{ISO_SECONDS}}}"),
                "idField": "id",
                "datesConfiguration": {
                    "updatedDateField": "updated_at",
                    "updatedDateFormat": ISO_SECONDS,
                    "updatedDateTimezone": "GMT",
                    "createdDateField": "created_at",
                    "createdDateFormat": ISO_SECONDS,
                    "createdDateTimezone": "GMT",
                },
            }),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field_error::ValidationErrors;
    use crate::resource_poll::parse_poller_configuration;

    #[test]
    fn lists_every_element_once_and_finds_each_by_key() {
        let keys: Vec<&str> = catalogue().iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["sagecrm", "sageone", "http"]);
        for element in ElementKey::ALL {
            let found = find(element.as_str()).expect("described");
            assert_eq!(found.name, element.display_name());
            assert!(!found.resources.is_empty(), "{element}");
        }
        assert!(find("salesforce").is_none());
        assert!(find("SAGECRM").is_none(), "keys are matched as written");
    }

    #[test]
    fn fields_are_the_validators_with_its_secret_rule() {
        for element in ElementKey::ALL {
            let d = find(element.as_str()).expect("described");
            for f in element.fields() {
                let c = d
                    .configuration
                    .iter()
                    .find(|c| c.key == f.key)
                    .unwrap_or_else(|| panic!("{element}: {} missing", f.key));
                assert_eq!((c.required, c.label.as_str()), (f.required, f.label));
            }
            for c in &d.configuration {
                assert_eq!(
                    c.secret,
                    is_secret_key(Some(element), &c.key),
                    "{element}: {}",
                    c.key
                );
                assert_eq!(
                    c.field_type == FieldType::Password,
                    c.secret,
                    "{element}: {} is entered hidden exactly when secret",
                    c.key
                );
                assert!(!c.label.is_empty() && c.help.is_some(), "{}", c.key);
                assert_eq!(c.options.is_empty(), c.field_type != FieldType::Select);
            }
            let keys: std::collections::HashSet<&str> =
                d.configuration.iter().map(|c| c.key.as_str()).collect();
            assert_eq!(keys.len(), d.configuration.len(), "{element}: keys unique");
        }
    }

    #[test]
    fn the_seed_secrets_are_flagged() {
        let secret = |element: &str, key: &str| {
            find(element)
                .and_then(|d| d.configuration.iter().find(|c| c.key == key))
                .map(|c| c.secret)
        };
        assert_eq!(secret("sagecrm", "password"), Some(true));
        assert_eq!(secret("sagecrm", "username"), Some(false));
        assert_eq!(secret("sageone", "oauth.api.secret"), Some(true));
        assert_eq!(secret("sageone", "signature.secret"), Some(true));
        assert_eq!(secret("sageone", "apim.subscription.key"), Some(true));
        assert_eq!(secret("sageone", "oauth.api.key"), Some(false));
        assert_eq!(secret("http", "authorization.header"), Some(true));
        assert_eq!(secret("http", SIGNATURE_KEY), Some(true));
        assert_eq!(secret("http", CALLBACK_URL), Some(false));
    }

    #[test]
    fn serialises_as_the_console_reads_it() {
        let d = serde_json::to_value(find("sageone").expect("sageone")).expect("json");
        let secret = &d["configuration"][1];
        assert_eq!(
            secret,
            &json!({"key": "oauth.api.secret", "label": "Client Secret", "type": "password",
                    "required": true, "secret": true, "default": null, "options": [],
                    "help": "The Client Secret of your Sage Developer app."})
        );
        assert_eq!(d["providerData"][0]["key"], "code");
        assert_eq!(d["resources"][0]["name"], "customers");
        assert_eq!(d["resources"][0]["defaultPoller"]["idField"], "id");
    }

    #[test]
    fn every_default_parses_and_translates() {
        for d in catalogue() {
            let element = ElementKey::parse(&d.key).expect("key");
            let mut map = serde_json::Map::new();
            for r in &d.resources {
                map.insert(r.name.clone(), r.default_poller.clone());
            }
            let mut errors = ValidationErrors::default();
            let parsed = parse_poller_configuration(&map, "p", &mut errors);
            assert!(errors.0.is_empty(), "{}: {errors}", d.key);
            assert_eq!(parsed.len(), d.resources.len());
            let sample =
                chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::days(19_000);
            for (name, poll) in &parsed {
                let url = poll.url.expand(sample, &poll.url_zone);
                crate::elements::check_resource(element, name, &url)
                    .unwrap_or_else(|e| panic!("{}.{name}: {e}", d.key));
            }
        }
    }
}
