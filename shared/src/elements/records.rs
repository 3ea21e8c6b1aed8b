//! Finding the records array in a generic JSON response, by configured path or by the usual names.

use serde_json::Value;

use crate::id_field::IdField;

/// Where records usually sit when a response is an object, tried in this order.
pub const DEFAULT_RECORD_KEYS: &[&str] = &[
    "items",
    "data",
    "records",
    "results",
    "$items",
    "$resources",
];

/// A configured records path (`data.items`, `$.result[0].rows`), checked once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsPath {
    source: String,
    pointer: String,
}

impl RecordsPath {
    /// Parses the same path syntax as `idField`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        IdField::parse(raw)?;
        let body = raw.strip_prefix("$.").unwrap_or(raw);
        let mut pointer = String::new();
        for part in body.split('.') {
            let (key, indices) = part
                .split_once('[')
                .map_or((part, ""), |(k, rest)| (k, rest));
            if !key.is_empty() {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            for index in indices.split('[') {
                let index = index.trim_end_matches(']');
                if !index.is_empty() {
                    pointer.push('/');
                    pointer.push_str(index);
                }
            }
        }
        Ok(Self {
            source: raw.to_owned(),
            pointer,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

/// Takes the records array out of `body`: at `path` when given, else the body itself if it is an
/// array, else the first array under one of [`DEFAULT_RECORD_KEYS`].
pub fn take_records(body: &mut Value, path: Option<&RecordsPath>) -> Result<Vec<Value>, String> {
    if let Some(path) = path {
        return match body.pointer_mut(&path.pointer).map(Value::take) {
            Some(Value::Array(items)) => Ok(items),
            Some(Value::Null) | None => Err(format!("no records array at '{}'", path.as_str())),
            Some(other) => Err(format!(
                "'{}' holds {}, not an array of records",
                path.as_str(),
                crate::json_kind::kind(&other)
            )),
        };
    }
    match body {
        Value::Array(items) => Ok(std::mem::take(items)),
        Value::Object(map) => DEFAULT_RECORD_KEYS
            .iter()
            .find(|k| map.get(**k).is_some_and(Value::is_array))
            .and_then(|k| map.remove(*k))
            .and_then(|v| match v {
                Value::Array(items) => Some(items),
                _ => None,
            })
            .ok_or_else(|| {
                format!(
                    "no records array: the response is an object without any of {} (set records.path)",
                    DEFAULT_RECORD_KEYS.join(", ")
                )
            }),
        other => Err(format!(
            "expected an array or an object holding one, got {}",
            crate::json_kind::kind(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_paths() {
        let mut body = json!([{"id": 1}]);
        assert_eq!(take_records(&mut body, None).unwrap().len(), 1);
        let mut body = json!({"total": 3, "data": [{"id": 1}, {"id": 2}]});
        assert_eq!(take_records(&mut body, None).unwrap().len(), 2);
        let path = RecordsPath::parse("result.pages[1].rows").unwrap();
        let mut body = json!({"result": {"pages": [{}, {"rows": [{"id": "x"}]}]}});
        assert_eq!(
            take_records(&mut body, Some(&path)).unwrap(),
            vec![json!({"id": "x"})]
        );
    }

    #[test]
    fn missing_records_are_errors() {
        assert!(take_records(&mut json!({"total": 0}), None)
            .unwrap_err()
            .contains("records.path"));
        let path = RecordsPath::parse("rows").unwrap();
        assert!(take_records(&mut json!({"rows": 5}), Some(&path))
            .unwrap_err()
            .contains("not an array"));
        assert!(RecordsPath::parse("a..b").is_err());
    }
}
