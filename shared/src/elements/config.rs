//! Reading an instance's string settings: values may arrive as strings, numbers or booleans.

use serde_json::{Map, Value};

/// A non-blank setting, trimmed.
pub fn setting(configuration: &Map<String, Value>, key: &str) -> Option<String> {
    let text = match configuration.get(key)? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// The field name a missing or bad setting is reported under.
pub fn field(key: &str) -> String {
    format!("configuration.{key}")
}
