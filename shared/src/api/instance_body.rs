//! The shape of `POST /instances` and `PATCH /instances/{id}` bodies, for the OpenAPI document.
//!
//! The handlers read the body as a JSON value and [`InstanceSpec`](crate::instance::InstanceSpec)
//! validates it, so every problem is answered with the field it is about (a typed extractor
//! would stop at the first). These types describe what that validation accepts, as the Open
//! Connectors seed pages write it; the seed bodies are checked against them (the tests below,
//! and against the served JSON Schema by `tests/schemathesis.sh`). What a schema cannot say
//! (which keys an element requires, whether a date pattern or URL template parses) is said in
//! the descriptions and answered as a 400 naming the field.

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use crate::element::ElementKey;

/// A connector instance as Open Connectors registers it. The element's own configuration keys,
/// and which of them are required, are listed by `GET /elements/{key}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "element": {"key": "sagecrm"},
    "name": "SageCRMPolling",
    "tags": ["Docs"],
    "configuration": {
        "subdomain": "sagecrm-0.example.com",
        "username": "api-user",
        "password": "secret",
        "event.notification.enabled": true,
        "event.notification.callback.url": "https://hooks.example.com/pollhook",
        "event.poller.refresh_interval": "15",
        "event.poller.configuration": {
            "accounts": {
                "url": "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'",
                "idField": "key",
                "datesConfiguration": {
                    "updatedDateField": "Comp_UpdatedDate",
                    "updatedDateFormat": "yyyy-MM-dd'T'HH:mm:ss'Z'",
                    "updatedDateTimezone": "GMT",
                    "createdDateField": "Comp_CreatedDate",
                    "createdDateFormat": "yyyy-MM-dd'T'HH:mm:ss'Z'",
                    "createdDateTimezone": "GMT"
                }
            }
        }
    }
}))]
pub struct InstanceBody {
    pub element: ElementChoice,
    /// 1 to 255 characters, not all blank, no control characters.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: String,
    pub configuration: Configuration,
    /// Element data besides the configuration: `code`, the OAuth authorization code that
    /// `sageone` exchanges for tokens at registration. Null is the same as none.
    pub provider_data: Option<BTreeMap<String, ProviderValue>>,
    /// At most 50 tags of at most 100 printable characters. Null is the same as none.
    #[schema(max_items = 50)]
    pub tags: Option<Vec<Tag>>,
}

/// What `POST /instances` takes: an [`InstanceBody`] with the keys its element requires. The
/// requirements are built from the lists registration checks ([`ElementKey::fields`]), so they
/// cannot drift from it.
pub struct NewInstance;

impl PartialSchema for NewInstance {
    fn schema() -> RefOr<Schema> {
        let mut by_element = OneOfBuilder::new().description(Some(
            "The configuration keys (and providerData) the chosen element requires.",
        ));
        for element in ElementKey::ALL {
            let configuration = element.fields().iter().fold(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property_names(Some(non_empty_key())),
                |o, field| {
                    let o = if is_url_key(field.key) {
                        // Only a string can be a URL; numbers and booleans are refused.
                        o.property(
                            field.key,
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .description(Some(field.label)),
                        )
                    } else {
                        o
                    };
                    if field.required {
                        o.required(field.key)
                    } else {
                        o
                    }
                },
            );
            let mut body = ObjectBuilder::new()
                .schema_type(Type::Object)
                .title(Some(element.as_str()))
                .property(
                    "element",
                    ObjectBuilder::new()
                        .schema_type(Type::Object)
                        .property(
                            "key",
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .enum_values(Some([element.as_str()])),
                        )
                        .required("key"),
                )
                .property("configuration", configuration);
            if element.needs_authorization_code() {
                body = body
                    .property(
                        "providerData",
                        ObjectBuilder::new()
                            .schema_type(Type::Object)
                            .property(
                                "code",
                                ObjectBuilder::new()
                                    .schema_type(Type::String)
                                    .min_length(Some(1))
                                    .description(Some("The OAuth authorization grant code")),
                            )
                            .required("code"),
                    )
                    .required("providerData");
            }
            by_element = by_element.item(body);
        }
        AllOfBuilder::new()
            .item(Ref::from_schema_name(InstanceBody::name()))
            .item(by_element)
            .into()
    }
}

/// The element keys registration parses as URLs (`base.url`, `oauth.callback.url`, ...).
fn is_url_key(key: &str) -> bool {
    key.ends_with(".url")
}

impl ToSchema for NewInstance {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((InstanceBody::name().into_owned(), InstanceBody::schema()));
        <InstanceBody as ToSchema>::schemas(schemas);
    }
}

/// `{"key": "sagecrm"}`: which connector the instance uses.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ElementChoice {
    pub key: ElementKeyName,
}

/// The connectors pollhook knows (`GET /elements` describes each).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ElementKeyName {
    /// Sage CRM: `subdomain`, `username`, `password`.
    Sagecrm,
    /// Sage Business Cloud Accounting: `oauth.api.key`, `oauth.api.secret`,
    /// `oauth.callback.url`, and `providerData.code`.
    Sageone,
    /// Any JSON REST API at `base.url`.
    Http,
}

/// Text without control characters (Unicode's Cc, what `char::is_control` refuses).
const NO_CONTROL_CHARACTERS: &str = "^[^\\x00-\\x1F\\x7F-\\x9F]*$";

/// One tag: at most 100 printable characters.
#[derive(Debug, Deserialize)]
pub struct Tag(pub String);

impl PartialSchema for Tag {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(100))
            .pattern(Some(NO_CONTROL_CHARACTERS))
            .into()
    }
}

impl ToSchema for Tag {}

/// The element's credentials and settings (keys as `GET /elements/{key}` lists them) and the
/// event settings every element shares. Keys are strings; values are strings, booleans or
/// numbers, except `event.poller.configuration`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Configuration {
    /// Turns polling and notifications on.
    #[serde(rename = "event.notification.enabled")]
    #[schema(nullable = false)]
    pub events_enabled: Option<Flag>,
    /// Where notifications are POSTed (http or https); required when events are enabled.
    #[serde(rename = "event.notification.callback.url")]
    #[schema(nullable = false)]
    pub callback_url: Option<String>,
    /// Signs notifications with `Elements-Webhook-Signature` (HMAC-SHA256) when set.
    #[serde(rename = "event.notification.signature.key")]
    #[schema(nullable = false, min_length = 1)]
    pub signature_key: Option<String>,
    /// Minutes between polls, 1 to 1440 (default 15).
    #[serde(rename = "event.poller.refresh_interval")]
    #[schema(nullable = false)]
    pub refresh_interval: Option<Minutes>,
    /// The resources to poll, by hub resource name; required when events are enabled.
    #[serde(rename = "event.poller.configuration")]
    #[schema(nullable = false)]
    pub poller_configuration: Option<PollerConfiguration>,
    /// `polling`, the only kind pollhook runs.
    #[serde(rename = "event.vendor.type")]
    #[schema(nullable = false)]
    pub vendor_type: Option<VendorType>,
    /// The element's own keys, e.g. `subdomain` or `oauth.api.key`.
    #[serde(flatten)]
    pub element_fields: BTreeMap<String, ConfigValue>,
}

/// A configuration value: a string (at most 16 KiB), a boolean or a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ConfigValue {
    Text(String),
    Flag(bool),
    Number(f64),
}

/// The scalars of [`ConfigValue`]; the derive cannot bound an untagged variant's length.
fn config_scalars() -> OneOfBuilder {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(16 * 1024)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(ObjectBuilder::new().schema_type(Type::Number))
}

impl PartialSchema for ConfigValue {
    fn schema() -> RefOr<Schema> {
        config_scalars()
            .description(Some("A string (at most 16 KiB), a boolean or a number."))
            .into()
    }
}

impl ToSchema for ConfigValue {}

/// A `providerData` value: a string (of any length, unlike configuration values), a boolean or
/// a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ProviderValue {
    Text(String),
    Flag(bool),
    Number(f64),
}

impl PartialSchema for ProviderValue {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .description(Some("A string, a boolean or a number."))
            .into()
    }
}

impl ToSchema for ProviderValue {}

/// `true`/`false`, or the same as a string (any case).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Flag {
    Bool(bool),
    Text(String),
}

impl PartialSchema for Flag {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^\\s*([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])\\s*$")),
            )
            .description(Some("`true`/`false`, or the same as a string."))
            .into()
    }
}

impl ToSchema for Flag {}

/// 1 to 1440 written in digits (leading zeros and surrounding blanks allowed).
const MINUTES_TEXT: &str = "^\\s*0*([1-9][0-9]{0,2}|1[0-3][0-9]{2}|14[0-3][0-9]|1440)\\s*$";

/// A whole number of minutes from 1 to 1440, or the same as a string (`"15"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Minutes {
    Number(u32),
    Text(String),
}

impl PartialSchema for Minutes {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(1440)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(MINUTES_TEXT)),
            )
            .description(Some(
                "Minutes from 1 to 1440, as a number or a string of digits.",
            ))
            .into()
    }
}

impl ToSchema for Minutes {}

/// `event.vendor.type`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum VendorType {
    Polling,
}

/// The resources to poll as an object, or the same object JSON-encoded in a string (as some
/// Open Connectors clients send it).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PollerConfiguration {
    Resources(BTreeMap<String, ResourcePoller>),
    Encoded(String),
}

impl PartialSchema for PollerConfiguration {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(resources())
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^\\s*\\{")),
            )
            .description(Some(
                "The resources to poll by name (1 to 100 characters), or the same object \
JSON-encoded in a string.",
            ))
            .into()
    }
}

impl ToSchema for PollerConfiguration {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            ResourcePoller::name().into_owned(),
            ResourcePoller::schema(),
        ));
        <ResourcePoller as ToSchema>::schemas(schemas);
    }
}

/// At least one resource, by name.
fn resources() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .min_properties(Some(1))
        .property_names(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(100)),
        ))
        .additional_properties(Some(Ref::from_schema_name(ResourcePoller::name())))
}

/// How to poll one resource. Every key but `url` may be left out or null.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourcePoller {
    /// A hub path (`/hubs/crm/accounts?where=...`) or an absolute http(s) URL; may hold
    /// `${gmtDate:FMT}` or `${date:FMT}`, the last poll's instant as a Java SimpleDateFormat
    /// pattern, in GMT or in `updatedDateTimezone`.
    #[schema(min_length = 1)]
    pub url: String,
    /// JSON path of the record's id (`id`, `key`, `data.id`); default `id`.
    pub id_field: Option<String>,
    pub dates_configuration: Option<DatesConfiguration>,
    /// Records per page, 1 to 1000.
    #[schema(schema_with = page_size)]
    pub page_size: Option<WholeNumber>,
    /// Seconds subtracted from the last poll date, 0 to 86400.
    #[schema(schema_with = seconds)]
    pub poll_delay: Option<WholeNumber>,
    /// Ask the vendor only for records updated since the last poll (default true).
    #[schema(schema_with = nullable_flag)]
    pub filter_by_updated_date: Option<Flag>,
    /// Bound the query at the poll's start, so records changed during it come next time
    /// (default false).
    #[schema(schema_with = nullable_flag)]
    pub filter_by_current_date: Option<Flag>,
    /// Seconds by which created and updated dates may differ for a `CREATED` event, 0 to 86400.
    #[schema(schema_with = seconds)]
    pub created_check_tolerance: Option<WholeNumber>,
}

/// A whole number, or the same as a string of digits.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum WholeNumber {
    Number(u64),
    Text(String),
}

/// A whole number from `min` to `max` (a JSON number or a string of digits), or null.
fn whole_number(min: u64, max: u64, description: &str) -> Schema {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(min))
                .maximum(Some(max)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^\\s*[0-9]+\\s*$")),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(description))
        .into()
}

fn page_size() -> Schema {
    whole_number(1, 1000, "Records per page, 1 to 1000.")
}

fn seconds() -> Schema {
    whole_number(0, 86_400, "Seconds, 0 to 86400.")
}

fn nullable_flag() -> Schema {
    OneOfBuilder::new()
        .item(Ref::from_schema_name(Flag::name()))
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// Where a record keeps its dates and how the vendor writes them: a field (JSON path), a Java
/// SimpleDateFormat pattern (default `yyyy-MM-dd'T'HH:mm:ss'Z'`) and a time zone (default UTC).
/// Every key may be left out or null.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatesConfiguration {
    pub updated_date_field: Option<String>,
    pub updated_date_format: Option<String>,
    pub updated_date_timezone: Option<String>,
    pub created_date_field: Option<String>,
    pub created_date_format: Option<String>,
    pub created_date_timezone: Option<String>,
}

/// A `PATCH /instances/{id}` body: `name`, `tags` and `providerData` replace what was
/// registered; `configuration` keys are merged into it, a null removing a key. The result is
/// validated as a whole, as at registration. `element.key` cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"name": "renamed", "configuration": {"event.poller.refresh_interval": "30"}}))]
pub struct InstancePatch {
    #[schema(nullable = false)]
    pub element: Option<ElementChoice>,
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "^[^\\x00-\\x1F\\x7F-\\x9F]*$"
    )]
    pub name: Option<String>,
    #[schema(schema_with = configuration_patch)]
    pub configuration: Option<BTreeMap<String, ConfigPatchValue>>,
    /// Replaces `providerData`; null clears it.
    pub provider_data: Option<BTreeMap<String, ProviderValue>>,
    /// Replaces the tags; null clears them.
    #[schema(max_items = 50)]
    pub tags: Option<Vec<Tag>>,
}

/// The `configuration` of a PATCH: keys to merge, null values removing keys.
fn configuration_patch() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(non_empty_key()))
        .additional_properties(Some(Ref::from_schema_name(ConfigPatchValue::name())))
        .description(Some(
            "Keys to merge into the configuration; a null value removes the key.",
        ))
        .into()
}

/// A configuration key: not empty (nor blank, which registration also refuses).
fn non_empty_key() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
}

/// A configuration value in a PATCH: as at registration (`event.poller.configuration` may be
/// an object), or null to remove the key.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ConfigPatchValue {
    Remove,
    Value(ConfigValue),
    Resources(BTreeMap<String, ResourcePoller>),
}

impl PartialSchema for ConfigPatchValue {
    fn schema() -> RefOr<Schema> {
        config_scalars()
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .item(resources())
            .description(Some(
                "As at registration (an object for `event.poller.configuration`), or null to \
remove the key.",
            ))
            .into()
    }
}

impl ToSchema for ConfigPatchValue {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            ConfigPatchValue::name().into_owned(),
            ConfigPatchValue::schema(),
        ));
        schemas.push((
            ResourcePoller::name().into_owned(),
            ResourcePoller::schema(),
        ));
        <ResourcePoller as ToSchema>::schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented shape accepts the bodies of the Open Connectors seed pages as they are.
    #[test]
    fn seed_bodies_fit_the_documented_shape() {
        for seed in [
            include_str!("../../../tests/fixtures/sagecrm-seed.json"),
            include_str!("../../../tests/fixtures/sageone-seed.json"),
        ] {
            let body: InstanceBody = serde_json::from_str(seed).expect("seed fits InstanceBody");
            assert!(matches!(
                body.configuration.poller_configuration,
                Some(PollerConfiguration::Resources(_))
            ));
        }
    }
}
