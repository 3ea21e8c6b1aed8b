//! Booleans as Open Connectors bodies write them: `true` or the string `"true"`.

/// Reads a JSON boolean or a `"true"`/`"false"` string (any case); anything else is None.
pub fn as_bool(value: &serde_json::Value) -> Option<bool> {
    match value {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
