//! A connector instance as Open Connectors users write it: parsed, validated, redacted.
//!
//! The raw `configuration` map is the single source of truth (stored as given, with
//! `event.poller.configuration` normalised to an object); typed settings are derived from it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::callback_url::CallbackUrl;
use crate::element::ElementKey;
use crate::field_error::ValidationErrors;
use crate::json_bool::as_bool;
use crate::json_kind::kind;
use crate::refresh_interval::RefreshInterval;
use crate::resource_poll::{parse_poller_configuration, ResourcePoll};
use crate::secret_fields::{is_secret_key, REDACTED};

pub const EVENTS_ENABLED: &str = "event.notification.enabled";
pub const CALLBACK_URL: &str = "event.notification.callback.url";
pub const SIGNATURE_KEY: &str = "event.notification.signature.key";
pub const REFRESH_INTERVAL: &str = "event.poller.refresh_interval";
pub const POLLER_CONFIGURATION: &str = "event.poller.configuration";
pub const VENDOR_TYPE: &str = "event.vendor.type";
/// Why pollhook switched notifications off (a 410 Gone); cleared when they are switched on.
pub const DISABLED_REASON: &str = "event.notification.disabled.reason";
/// Why an element's authorization is incomplete (e.g. the OAuth token endpoint was unreachable).
pub const AUTHORIZATION_PENDING: &str = "oauth.authorization.pending";

const TOP_LEVEL_KEYS: &[&str] = &["element", "configuration", "providerData", "tags", "name"];
const MAX_NAME: usize = 255;
const MAX_TAGS: usize = 50;
const MAX_TAG: usize = 100;
const MAX_CONFIG_VALUE: usize = 16 * 1024;

/// The event side of an instance, derived from its configuration.
#[derive(Debug, Clone)]
pub struct EventSettings {
    pub enabled: bool,
    pub callback_url: Option<CallbackUrl>,
    pub refresh_interval: RefreshInterval,
    pub resources: BTreeMap<String, ResourcePoll>,
}

impl EventSettings {
    /// How often the instance is polled; None when events are off or nothing is configured
    /// to poll, so a scheduler leaves it alone.
    pub fn poll_interval(&self) -> Option<RefreshInterval> {
        (self.enabled && !self.resources.is_empty()).then_some(self.refresh_interval)
    }
}

/// [`EventSettings::poll_interval`] read straight from a stored (already validated)
/// configuration, without parsing its resources: what a scheduler re-reads for every instance.
pub fn stored_poll_interval(configuration: &Map<String, Value>) -> Option<RefreshInterval> {
    let enabled = configuration
        .get(EVENTS_ENABLED)
        .and_then(as_bool)
        .unwrap_or(false);
    let polled = matches!(
        configuration.get(POLLER_CONFIGURATION),
        Some(Value::Object(resources)) if !resources.is_empty()
    );
    if !(enabled && polled) {
        return None;
    }
    Some(
        configuration
            .get(REFRESH_INTERVAL)
            .and_then(|v| RefreshInterval::from_json(v).ok())
            .unwrap_or(RefreshInterval::DEFAULT),
    )
}

/// What the user asked for: everything of an instance except what pollhook assigns.
#[derive(Debug, Clone)]
pub struct InstanceSpec {
    pub name: String,
    pub element: ElementKey,
    pub configuration: Map<String, Value>,
    pub provider_data: Map<String, Value>,
    pub tags: Vec<String>,
    pub events: EventSettings,
}

impl InstanceSpec {
    /// Parses a `POST /instances` body; every problem is reported with its field.
    pub fn from_body(body: &Value) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let Some(obj) = body.as_object() else {
            errors.push(
                "body",
                format!("expected a JSON object, got {}", kind(body)),
            );
            return Err(errors);
        };
        reject_unknown_keys(obj, &mut errors);
        let element = parse_element(obj.get("element"), &mut errors);
        let name = parse_name(obj.get("name"), &mut errors);
        let tags = parse_tags(obj.get("tags"), &mut errors);
        let provider_data = parse_provider_data(obj.get("providerData"), &mut errors);
        let configuration = match obj.get("configuration") {
            None | Some(Value::Null) => {
                errors.push(
                    "configuration",
                    "required: the element's credentials and event settings",
                );
                None
            }
            Some(Value::Object(map)) => normalise_configuration(map, false, &mut errors),
            Some(other) => {
                errors.push(
                    "configuration",
                    format!("expected an object, got {}", kind(other)),
                );
                None
            }
        };
        let (Some(element), Some(name), Some(configuration)) = (element, name, configuration)
        else {
            return Err(errors);
        };
        Self::assemble(name, element, configuration, provider_data, tags, errors)
    }

    /// Applies a `PATCH /instances/{id}` body: `name`, `tags`, `providerData` replace;
    /// `configuration` keys merge (null removes one). The result is validated as a whole.
    pub fn apply_patch(&self, patch: &Value) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let Some(obj) = patch.as_object() else {
            errors.push(
                "body",
                format!("expected a JSON object, got {}", kind(patch)),
            );
            return Err(errors);
        };
        reject_unknown_keys(obj, &mut errors);
        if let Some(element) = obj.get("element") {
            if let Some(key) = parse_element(Some(element), &mut errors) {
                if key != self.element {
                    errors.push(
                        "element.key",
                        format!(
                            "cannot be changed from '{}'; create a new instance instead",
                            self.element
                        ),
                    );
                }
            }
        }
        let name = match obj.get("name") {
            None => Some(self.name.clone()),
            some => parse_name(some, &mut errors),
        };
        let tags = match obj.get("tags") {
            None => self.tags.clone(),
            some => parse_tags(some, &mut errors),
        };
        let provider_data = match obj.get("providerData") {
            None => self.provider_data.clone(),
            some => parse_provider_data(some, &mut errors),
        };
        let configuration = match obj.get("configuration") {
            None => Some(self.configuration.clone()),
            Some(Value::Object(changes)) => normalise_configuration(changes, true, &mut errors)
                .map(|changes| {
                    let mut merged = self.configuration.clone();
                    if changes.get(EVENTS_ENABLED).and_then(as_bool) == Some(true) {
                        merged.remove(DISABLED_REASON);
                    }
                    for (k, v) in changes {
                        if v.is_null() {
                            merged.remove(&k);
                        } else {
                            merged.insert(k, v);
                        }
                    }
                    merged
                }),
            Some(other) => {
                errors.push(
                    "configuration",
                    format!("expected an object, got {}", kind(other)),
                );
                None
            }
        };
        let (Some(name), Some(configuration)) = (name, configuration) else {
            return Err(errors);
        };
        Self::assemble(
            name,
            self.element,
            configuration,
            provider_data,
            tags,
            errors,
        )
    }

    /// Rebuilds a spec from what a store kept; stored data was valid when written.
    pub fn from_stored(
        name: String,
        element: &str,
        configuration: Map<String, Value>,
        provider_data: Map<String, Value>,
        tags: Vec<String>,
    ) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let Some(element) = ElementKey::parse(element) else {
            errors.push(
                "element.key",
                format!("unknown element '{element}' in the store"),
            );
            return Err(errors);
        };
        Self::assemble(name, element, configuration, provider_data, tags, errors)
    }

    fn assemble(
        name: String,
        element: ElementKey,
        configuration: Map<String, Value>,
        provider_data: Map<String, Value>,
        tags: Vec<String>,
        mut errors: ValidationErrors,
    ) -> Result<Self, ValidationErrors> {
        check_element_fields(element, &configuration, &provider_data, &mut errors);
        let events = parse_events(&configuration, &mut errors);
        check_resources_translate(element, &events, &mut errors);
        errors.into_result(()).map(|()| Self {
            name,
            element,
            configuration,
            provider_data,
            tags,
            events,
        })
    }

    /// The configuration with every secret value replaced, safe to show or log. Keys only
    /// pollhook writes (the webhook secrets) are left out: they are shown once, when issued.
    pub fn redacted_configuration(&self) -> Map<String, Value> {
        let mut shown = redact(&self.configuration, Some(self.element));
        shown.retain(|k, _| !k.starts_with("webhook.secret"));
        shown
    }

    /// False while the element's authorization is incomplete (see [`AUTHORIZATION_PENDING`]).
    pub fn is_authorized(&self) -> bool {
        !self.configuration.contains_key(AUTHORIZATION_PENDING)
    }

    /// providerData with secrets (e.g. the authorization code) replaced.
    pub fn redacted_provider_data(&self) -> Map<String, Value> {
        self.provider_data
            .iter()
            .map(|(k, v)| {
                let shown = if is_provider_secret(k) {
                    Value::String(REDACTED.into())
                } else {
                    v.clone()
                };
                (k.clone(), shown)
            })
            .collect()
    }

    /// Splits configuration into what may be stored in clear and what must be encrypted.
    pub fn split_secrets(&self) -> (Map<String, Value>, Map<String, Value>) {
        let mut public = Map::new();
        let mut secret = Map::new();
        for (k, v) in &self.configuration {
            if is_secret_key(Some(self.element), k) {
                secret.insert(k.clone(), v.clone());
            } else {
                public.insert(k.clone(), v.clone());
            }
        }
        (public, secret)
    }
}

/// An authorization code or token handed over in providerData is a credential.
fn is_provider_secret(key: &str) -> bool {
    key == "code" || is_secret_key(None, key)
}

fn redact(map: &Map<String, Value>, element: Option<ElementKey>) -> Map<String, Value> {
    map.iter()
        .map(|(k, v)| {
            if is_secret_key(element, k) {
                (k.clone(), Value::String(REDACTED.into()))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

/// Names each unknown top-level key as the field at fault; a blank key cannot name itself, so
/// it is reported under `body`, quoted.
fn reject_unknown_keys(obj: &Map<String, Value>, errors: &mut ValidationErrors) {
    let known = TOP_LEVEL_KEYS.join(", ");
    for key in obj.keys().filter(|k| !TOP_LEVEL_KEYS.contains(&k.as_str())) {
        if key.trim().is_empty() {
            errors.push("body", format!("unknown key {key:?} (known: {known})"));
        } else {
            errors.push(key.as_str(), format!("unknown key (known: {known})"));
        }
    }
}

fn parse_element(value: Option<&Value>, errors: &mut ValidationErrors) -> Option<ElementKey> {
    let key = match value {
        None | Some(Value::Null) => {
            errors.push(
                "element.key",
                format!("required: one of {}", ElementKey::known_list()),
            );
            return None;
        }
        Some(Value::Object(map)) => map.get("key"),
        Some(other) => {
            errors.push(
                "element",
                format!(
                    "expected an object like {{\"key\": \"sagecrm\"}}, got {}",
                    kind(other)
                ),
            );
            return None;
        }
    };
    match key {
        None | Some(Value::Null) => {
            errors.push(
                "element.key",
                format!("required: one of {}", ElementKey::known_list()),
            );
            None
        }
        Some(Value::String(s)) => match ElementKey::parse(s) {
            Some(e) => Some(e),
            None => {
                errors.push(
                    "element.key",
                    format!(
                        "unknown element '{s}' (known: {})",
                        ElementKey::known_list()
                    ),
                );
                None
            }
        },
        Some(other) => {
            errors.push(
                "element.key",
                format!("expected a string, got {}", kind(other)),
            );
            None
        }
    }
}

fn parse_name(value: Option<&Value>, errors: &mut ValidationErrors) -> Option<String> {
    match value {
        None | Some(Value::Null) => {
            errors.push("name", "required: a name for the instance");
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.push("name", "must not be empty");
            None
        }
        Some(Value::String(s)) if s.chars().count() > MAX_NAME => {
            errors.push("name", format!("is longer than {MAX_NAME} characters"));
            None
        }
        Some(Value::String(s)) if s.chars().any(char::is_control) => {
            errors.push("name", "must not contain control characters");
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            errors.push("name", format!("expected a string, got {}", kind(other)));
            None
        }
    }
}

fn parse_tags(value: Option<&Value>, errors: &mut ValidationErrors) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_TAGS {
                errors.push(
                    "tags",
                    format!("at most {MAX_TAGS} tags, got {}", items.len()),
                );
                return Vec::new();
            }
            let mut tags = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s)
                        if s.chars().count() <= MAX_TAG && !s.chars().any(char::is_control) =>
                    {
                        tags.push(s.clone())
                    }
                    Value::String(_) => errors.push(
                        format!("tags[{i}]"),
                        format!("must be at most {MAX_TAG} printable characters"),
                    ),
                    other => errors.push(
                        format!("tags[{i}]"),
                        format!("expected a string, got {}", kind(other)),
                    ),
                }
            }
            tags
        }
        Some(other) => {
            errors.push(
                "tags",
                format!("expected an array of strings, got {}", kind(other)),
            );
            Vec::new()
        }
    }
}

fn parse_provider_data(value: Option<&Value>, errors: &mut ValidationErrors) -> Map<String, Value> {
    match value {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                    errors.push(
                        format!("providerData.{k}"),
                        format!("expected a string, got {}", kind(v)),
                    );
                }
            }
            map.clone()
        }
        Some(other) => {
            errors.push(
                "providerData",
                format!("expected an object, got {}", kind(other)),
            );
            Map::new()
        }
    }
}

/// Checks value types and turns a JSON-encoded poller configuration into an object.
/// With `allow_null` (PATCH), null marks a key for removal.
fn normalise_configuration(
    map: &Map<String, Value>,
    allow_null: bool,
    errors: &mut ValidationErrors,
) -> Option<Map<String, Value>> {
    let before = errors.0.len();
    let mut out = Map::new();
    for (key, value) in map {
        let field = format!("configuration.{key}");
        if key.trim().is_empty() {
            errors.push("configuration", "keys must not be empty");
            continue;
        }
        let redacted = value.as_str() == Some(REDACTED);
        if crate::webhook_secrets::is_reserved_key(key) {
            // A GET's configuration sent back as a PATCH round-trips; a real value is refused.
            if !(allow_null && redacted) {
                errors.push(field, "reserved: pollhook writes this key itself");
            }
            continue;
        }
        if redacted && is_secret_key(None, key) {
            // The placeholder GET shows is never a new secret: on PATCH it keeps the stored one.
            if !allow_null {
                errors.push(
                    field,
                    format!("'{REDACTED}' is the placeholder pollhook shows for a secret: send the real value"),
                );
            }
            continue;
        }
        if key == POLLER_CONFIGURATION {
            match value {
                Value::Null if allow_null => {
                    out.insert(key.clone(), Value::Null);
                }
                Value::Object(_) => {
                    out.insert(key.clone(), value.clone());
                }
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(Value::Object(obj)) => {
                        out.insert(key.clone(), Value::Object(obj));
                    }
                    Ok(other) => errors.push(
                        field,
                        format!(
                            "the JSON-encoded string holds {}, expected an object",
                            kind(&other)
                        ),
                    ),
                    Err(e) => errors.push(field, format!("is not valid JSON: {e}")),
                },
                other => errors.push(
                    field,
                    format!(
                        "expected an object (or a JSON-encoded object string), got {}",
                        kind(other)
                    ),
                ),
            }
            continue;
        }
        match value {
            Value::Null if allow_null => {
                out.insert(key.clone(), Value::Null);
            }
            Value::String(s) if s.len() > MAX_CONFIG_VALUE => {
                errors.push(field, format!("is longer than {MAX_CONFIG_VALUE} bytes"))
            }
            Value::String(_) | Value::Bool(_) | Value::Number(_) => {
                out.insert(key.clone(), value.clone());
            }
            other => errors.push(
                field,
                format!("expected a string, boolean or number, got {}", kind(other)),
            ),
        }
    }
    (errors.0.len() == before).then_some(out)
}

fn config_str<'a>(
    configuration: &'a Map<String, Value>,
    key: &str,
) -> Option<std::borrow::Cow<'a, str>> {
    match configuration.get(key)? {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(std::borrow::Cow::Owned(b.to_string())),
        _ => None,
    }
}

fn check_element_fields(
    element: ElementKey,
    configuration: &Map<String, Value>,
    provider_data: &Map<String, Value>,
    errors: &mut ValidationErrors,
) {
    for f in element.fields() {
        let value = config_str(configuration, f.key);
        let blank = value.as_deref().is_none_or(|v| v.trim().is_empty());
        if f.required && blank {
            errors.push(
                format!("configuration.{}", f.key),
                format!("required for element '{element}' ({})", f.label),
            );
        }
    }
    if let Some(sub) = config_str(configuration, "subdomain") {
        if sub.contains("://") || sub.contains('/') {
            errors.push(
                "configuration.subdomain",
                format!("'{sub}' must be a host name only, without https:// or a path"),
            );
        } else if sub.chars().any(char::is_whitespace) {
            errors.push("configuration.subdomain", "must not contain spaces");
        }
    }
    for key in ["base.url", "oauth.callback.url", "oauth.token.url"] {
        if let Some(url) = config_str(configuration, key) {
            if !url.trim().is_empty() {
                if let Err(e) = CallbackUrl::parse(&url) {
                    errors.push(format!("configuration.{key}"), e);
                }
            }
        }
    }
    if element.needs_authorization_code() {
        let code = provider_data.get("code").and_then(Value::as_str);
        if code.is_none_or(|c| c.trim().is_empty()) {
            errors.push(
                "providerData.code",
                format!("required for element '{element}': the OAuth authorization grant code"),
            );
        }
    }
}

/// Each resource URL must be expressible as a call to the element's vendor; checked once at
/// registration (with the template expanded at a sample instant) rather than at every poll.
fn check_resources_translate(
    element: ElementKey,
    events: &EventSettings,
    errors: &mut ValidationErrors,
) {
    let sample = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH + chrono::Duration::days(19_000);
    for (name, resource) in &events.resources {
        let url = resource.url.expand(sample, &resource.url_zone);
        if let Err(message) = crate::elements::check_resource(element, name, &url) {
            errors.push(
                format!("configuration.{POLLER_CONFIGURATION}.{name}.url"),
                message,
            );
        }
    }
}

fn parse_events(
    configuration: &Map<String, Value>,
    errors: &mut ValidationErrors,
) -> EventSettings {
    let enabled = match configuration.get(EVENTS_ENABLED) {
        None => false,
        Some(v) => as_bool(v).unwrap_or_else(|| {
            errors.push(
                format!("configuration.{EVENTS_ENABLED}"),
                format!("expected true or false, got {v}"),
            );
            false
        }),
    };
    if let Some(v) = configuration.get(VENDOR_TYPE) {
        match v.as_str() {
            Some("polling") => {}
            Some("webhook") => errors.push(
                format!("configuration.{VENDOR_TYPE}"),
                "'webhook' is not supported: pollhook delivers events by polling; use 'polling'",
            ),
            _ => errors.push(
                format!("configuration.{VENDOR_TYPE}"),
                format!("expected 'polling', got {v}"),
            ),
        }
    }
    let callback_url = match config_str(configuration, CALLBACK_URL) {
        Some(raw) => CallbackUrl::parse(&raw)
            .map_err(|e| errors.push(format!("configuration.{CALLBACK_URL}"), e))
            .ok(),
        None => {
            if configuration.get(CALLBACK_URL).is_some() {
                errors.push(
                    format!("configuration.{CALLBACK_URL}"),
                    "expected a string URL",
                );
            } else if enabled {
                errors.push(
                    format!("configuration.{CALLBACK_URL}"),
                    format!("required when {EVENTS_ENABLED} is true: the URL events are sent to"),
                );
            }
            None
        }
    };
    if let Some(v) = configuration.get(SIGNATURE_KEY) {
        if v.as_str().is_none_or(|s| s.is_empty()) {
            errors.push(
                format!("configuration.{SIGNATURE_KEY}"),
                "expected a non-empty string",
            );
        }
    }
    let refresh_interval = match configuration.get(REFRESH_INTERVAL) {
        None => RefreshInterval::DEFAULT,
        Some(v) => RefreshInterval::from_json(v).unwrap_or_else(|e| {
            errors.push(format!("configuration.{REFRESH_INTERVAL}"), e);
            RefreshInterval::DEFAULT
        }),
    };
    let path = format!("configuration.{POLLER_CONFIGURATION}");
    let resources = match configuration.get(POLLER_CONFIGURATION) {
        Some(Value::Object(map)) => parse_poller_configuration(map, &path, errors),
        Some(_) => BTreeMap::new(),
        None => {
            if enabled {
                errors.push(
                    path,
                    format!("required when {EVENTS_ENABLED} is true: the resources to poll, e.g. {{\"accounts\": {{\"url\": \"/hubs/crm/accounts\"}}}}"),
                );
            }
            BTreeMap::new()
        }
    };
    EventSettings {
        enabled,
        callback_url,
        refresh_interval,
        resources,
    }
}

/// An instance's id: a positive integer as Open Connectors uses, below 2^53 so JSON keeps it exact.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct InstanceId(pub u64);

impl InstanceId {
    /// A fresh random id; random rather than sequential so ids reveal nothing across tenants.
    pub fn generate() -> Self {
        Self(rand::random::<u64>() % ((1 << 53) - 1) + 1)
    }

    /// Parses an id from a URL path; None for anything but a positive integer.
    pub fn parse(raw: &str) -> Option<Self> {
        raw.parse::<u64>().ok().filter(|&n| n > 0).map(Self)
    }
}

impl std::fmt::Display for InstanceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A registered instance: the user's spec plus what pollhook assigned.
#[derive(Debug, Clone)]
pub struct Instance {
    pub id: InstanceId,
    pub organization_id: String,
    pub spec: InstanceSpec,
    /// Digest of the `Element` token; the token itself is shown once, at creation.
    pub token_digest: crate::credentials::SecretDigest,
    pub created_date: chrono::DateTime<chrono::Utc>,
    pub updated_date: chrono::DateTime<chrono::Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed() -> InstanceSpec {
        let body = json!({
            "element": {"key": "sagecrm"},
            "name": "crm",
            "configuration": {
                "subdomain": "crm.example.com", "username": "u", "password": "real-password",
                "event.notification.enabled": true,
                "event.notification.callback.url": "https://hooks.example.com/in",
                "event.notification.signature.key": "real-key",
                "event.poller.configuration": {"accounts": {"url": "/hubs/crm/accounts"}}
            }
        });
        InstanceSpec::from_body(&body).expect("valid")
    }

    #[test]
    fn the_stored_poll_interval_agrees_with_the_parsed_one() {
        let spec = seed();
        let cases = [
            json!({}),
            json!({"event.poller.refresh_interval": "5"}),
            json!({"event.poller.refresh_interval": 60}),
            json!({"event.notification.enabled": "true", "event.poller.refresh_interval": "1"}),
            json!({"event.notification.enabled": false}),
            json!({"event.notification.enabled": "false", "event.poller.refresh_interval": "5"}),
        ];
        for patch in cases {
            let patched = spec
                .apply_patch(&json!({ "configuration": patch }))
                .expect("valid patch");
            assert_eq!(
                stored_poll_interval(&patched.configuration),
                patched.events.poll_interval(),
                "{patch}"
            );
        }
        let (public, _) = spec.split_secrets();
        assert_eq!(
            stored_poll_interval(&public),
            Some(RefreshInterval::DEFAULT),
            "the public part of a stored configuration is enough"
        );
    }

    #[test]
    fn a_redacted_placeholder_in_a_patch_keeps_the_stored_secret() {
        let spec = seed();
        let patched = spec
            .apply_patch(&json!({"configuration": {
                "password": REDACTED,
                "event.notification.signature.key": REDACTED,
                "webhook.secret": REDACTED,
                "username": "v"
            }}))
            .expect("round trip accepted");
        assert_eq!(patched.configuration["password"], "real-password");
        assert_eq!(patched.configuration[SIGNATURE_KEY], "real-key");
        assert_eq!(patched.configuration["username"], "v");
        let refused = spec
            .apply_patch(&json!({"configuration": {"webhook.secret": "whsec_mine"}}))
            .expect_err("reserved");
        assert!(refused
            .to_string()
            .contains("configuration.webhook.secret: reserved"));
    }

    #[test]
    fn switching_notifications_back_on_clears_the_reason_they_were_off() {
        let mut spec = seed();
        spec.configuration
            .insert(EVENTS_ENABLED.into(), Value::Bool(false));
        spec.configuration
            .insert(DISABLED_REASON.into(), json!("callback answered 410 Gone"));
        let on = spec
            .apply_patch(&json!({"configuration": {EVENTS_ENABLED: true}}))
            .expect("patch");
        assert!(on.events.enabled);
        assert!(!on.configuration.contains_key(DISABLED_REASON));
    }
}
