//! One resource's polling configuration (`event.poller.configuration.<resource>`), parsed.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::date_pattern::DatePattern;
use crate::field_error::ValidationErrors;
use crate::id_field::IdField;
use crate::json_kind::kind;
use crate::time_zone::TimeZoneSpec;
use crate::url_template::UrlTemplate;

/// Open Connectors' default date format when a resource names a date field without one.
pub const DEFAULT_DATE_FORMAT: &str = "yyyy-MM-dd'T'HH:mm:ss'Z'";

const RESOURCE_KEYS: &[&str] = &[
    "url",
    "idField",
    "datesConfiguration",
    "pageSize",
    "pollDelay",
    "filterByUpdatedDate",
    "filterByCurrentDate",
    "createdCheckTolerance",
];
const DATES_KEYS: &[&str] = &[
    "updatedDateField",
    "updatedDateFormat",
    "updatedDateTimezone",
    "createdDateField",
    "createdDateFormat",
    "createdDateTimezone",
];
const MAX_PAGE_SIZE: u64 = 1000;
/// One day: a larger delay or tolerance is a typo for milliseconds, not a wish.
const MAX_SECONDS: u64 = 86_400;

/// A record date: which field holds it, and how the vendor writes it.
#[derive(Debug, Clone)]
pub struct DateField {
    pub field: IdField,
    pub format: DatePattern,
    pub zone: TimeZoneSpec,
}

/// Everything the poller needs to read one resource.
#[derive(Debug, Clone)]
pub struct ResourcePoll {
    pub url: UrlTemplate,
    pub id_field: IdField,
    pub updated: Option<DateField>,
    pub created: Option<DateField>,
    /// Zone `${date:...}` is expanded in: the updated date's zone, UTC when absent.
    pub url_zone: TimeZoneSpec,
    pub page_size: Option<u32>,
    /// Seconds subtracted from the last poll date, for vendors that index late.
    pub poll_delay_secs: u64,
    pub filter_by_updated_date: bool,
    /// Upper-bound the query at the poll's start, so records created mid-poll come next time.
    pub filter_by_current_date: bool,
    pub created_check_tolerance_secs: u64,
}

/// Parses the whole `event.poller.configuration` object; errors are reported under `path`.
pub fn parse_poller_configuration(
    value: &Map<String, Value>,
    path: &str,
    errors: &mut ValidationErrors,
) -> BTreeMap<String, ResourcePoll> {
    let mut resources = BTreeMap::new();
    if value.is_empty() {
        errors.push(path, "must configure at least one resource to poll");
    }
    for (name, config) in value {
        let field = format!("{path}.{name}");
        if name.trim().is_empty() || name.chars().any(char::is_control) || name.len() > 100 {
            errors.push(&field, "resource name must be 1-100 printable characters");
            continue;
        }
        match config {
            Value::Object(map) => {
                if let Some(poll) = ResourcePoll::parse(map, &field, errors) {
                    resources.insert(name.clone(), poll);
                }
            }
            other => errors.push(field, format!("expected an object, got {}", kind(other))),
        }
    }
    resources
}

impl ResourcePoll {
    /// Parses one resource; pushes every problem found and returns None if any.
    pub fn parse(
        map: &Map<String, Value>,
        path: &str,
        errors: &mut ValidationErrors,
    ) -> Option<Self> {
        let before = errors.0.len();
        reject_unknown(map, RESOURCE_KEYS, path, errors);
        let url = match map.get("url") {
            None | Some(Value::Null) => {
                errors.push(
                    format!("{path}.url"),
                    "required: the URL to query for changes",
                );
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                errors.push(format!("{path}.url"), "must not be empty");
                None
            }
            Some(Value::String(s)) => check_url_shape(s, &format!("{path}.url"), errors)
                .then(|| UrlTemplate::parse(s))
                .and_then(|r| {
                    r.map_err(|e| errors.push(format!("{path}.url"), e.to_string()))
                        .ok()
                }),
            Some(other) => {
                errors.push(
                    format!("{path}.url"),
                    format!("expected a string, got {}", kind(other)),
                );
                None
            }
        };
        let id_field = match map.get("idField") {
            None | Some(Value::Null) => IdField::parse("id").ok(),
            Some(Value::String(s)) => IdField::parse(s)
                .map_err(|e| errors.push(format!("{path}.idField"), e))
                .ok(),
            Some(other) => {
                errors.push(
                    format!("{path}.idField"),
                    format!("expected a string, got {}", kind(other)),
                );
                None
            }
        };
        let (updated, created) = match map.get("datesConfiguration") {
            None | Some(Value::Null) => (None, None),
            Some(Value::Object(dates)) => {
                let dpath = format!("{path}.datesConfiguration");
                reject_unknown(dates, DATES_KEYS, &dpath, errors);
                (
                    date_field(dates, "updated", &dpath, errors),
                    date_field(dates, "created", &dpath, errors),
                )
            }
            Some(other) => {
                errors.push(
                    format!("{path}.datesConfiguration"),
                    format!("expected an object, got {}", kind(other)),
                );
                (None, None)
            }
        };
        let page_size =
            optional_uint(map, "pageSize", path, 1, MAX_PAGE_SIZE, errors).map(|n| n as u32);
        let poll_delay_secs =
            optional_uint(map, "pollDelay", path, 0, MAX_SECONDS, errors).unwrap_or(0);
        let created_check_tolerance_secs =
            optional_uint(map, "createdCheckTolerance", path, 0, MAX_SECONDS, errors).unwrap_or(0);
        let filter_by_updated_date =
            optional_bool(map, "filterByUpdatedDate", path, errors).unwrap_or(true);
        let filter_by_current_date =
            optional_bool(map, "filterByCurrentDate", path, errors).unwrap_or(false);
        if errors.0.len() > before {
            return None;
        }
        let url_zone = updated
            .as_ref()
            .map(|d| d.zone.clone())
            .unwrap_or_else(TimeZoneSpec::utc);
        Some(Self {
            url: url?,
            id_field: id_field?,
            updated,
            created,
            url_zone,
            page_size,
            poll_delay_secs,
            filter_by_updated_date,
            filter_by_current_date,
            created_check_tolerance_secs,
        })
    }
}

/// A poll URL is a hub path (`/hubs/...`) or an absolute http(s) URL.
fn check_url_shape(url: &str, field: &str, errors: &mut ValidationErrors) -> bool {
    if url.starts_with('/') || url.starts_with("http://") || url.starts_with("https://") {
        if url.chars().any(|c| c.is_control()) {
            errors.push(field, "must not contain control characters");
            return false;
        }
        return true;
    }
    errors.push(
        field,
        format!(
            "'{url}' must be a path starting with '/' (e.g. /hubs/crm/accounts) or an http(s) URL"
        ),
    );
    false
}

fn reject_unknown(
    map: &Map<String, Value>,
    known: &[&str],
    path: &str,
    errors: &mut ValidationErrors,
) {
    for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
        errors.push(
            format!("{path}.{key}"),
            format!("unknown key (known: {})", known.join(", ")),
        );
    }
}

fn date_field(
    dates: &Map<String, Value>,
    which: &str,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<DateField> {
    let key = |suffix: &str| format!("{which}Date{suffix}");
    let text = |suffix: &str, errors: &mut ValidationErrors| -> Option<String> {
        match dates.get(&key(suffix)) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                errors.push(
                    format!("{path}.{}", key(suffix)),
                    format!("expected a string, got {}", kind(other)),
                );
                None
            }
        }
    };
    let field_name = text("Field", errors);
    let format = text("Format", errors);
    let zone = text("Timezone", errors);
    let format = match DatePattern::compile(format.as_deref().unwrap_or(DEFAULT_DATE_FORMAT)) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.push(format!("{path}.{}", key("Format")), e.to_string());
            None
        }
    };
    let zone = match zone.as_deref().map(TimeZoneSpec::parse) {
        None => Some(TimeZoneSpec::utc()),
        Some(Ok(z)) => Some(z),
        Some(Err(e)) => {
            errors.push(format!("{path}.{}", key("Timezone")), e.to_string());
            None
        }
    };
    let field = match field_name.as_deref().map(IdField::parse) {
        None => return None,
        Some(Ok(f)) => f,
        Some(Err(e)) => {
            errors.push(format!("{path}.{}", key("Field")), e);
            return None;
        }
    };
    Some(DateField {
        field,
        format: format?,
        zone: zone?,
    })
}

fn optional_uint(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    min: u64,
    max: u64,
    errors: &mut ValidationErrors,
) -> Option<u64> {
    let value = map.get(key)?;
    let parsed = match value {
        Value::Null => return None,
        Value::Number(n) => n.as_u64(),
        Value::String(s)
            if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            s.trim().parse::<u64>().ok()
        }
        _ => None,
    };
    match parsed {
        Some(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.push(
                format!("{path}.{key}"),
                format!("expected a whole number from {min} to {max}, got {value}"),
            );
            None
        }
    }
}

fn optional_bool(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    errors: &mut ValidationErrors,
) -> Option<bool> {
    match map.get(key)? {
        Value::Null => None,
        value => match crate::json_bool::as_bool(value) {
            Some(b) => Some(b),
            None => {
                errors.push(
                    format!("{path}.{key}"),
                    format!("expected true or false, got {value}"),
                );
                None
            }
        },
    }
}
