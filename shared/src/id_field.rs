//! `idField`: a JSON path to a record's id (`id`, `key`, `data.id`, `$.items[0].id`).

use std::fmt;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A parsed path into a vendor record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdField {
    source: String,
    segments: Vec<Segment>,
}

impl IdField {
    /// Parses dotted keys with optional `$.` prefix and `[n]` indices; the error names the
    /// 0-based char position, as every parser's errors do.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let body = raw.strip_prefix("$.").unwrap_or(raw);
        if body.is_empty() {
            return Err("must name a field, e.g. 'id' or 'data.id'".into());
        }
        let offset = raw.len() - body.len();
        let mut segments = Vec::new();
        let mut key = String::new();
        let mut chars = body.chars().enumerate().peekable();
        let mut after_index = false;
        while let Some((i, c)) = chars.next() {
            match c {
                '.' => {
                    if key.is_empty() && !after_index {
                        return Err(format!("empty segment at position {}", offset + i));
                    }
                    if !key.is_empty() {
                        segments.push(Segment::Key(std::mem::take(&mut key)));
                    }
                    after_index = false;
                    if chars.peek().is_none() {
                        return Err(format!("empty segment at position {}", offset + i + 1));
                    }
                }
                '[' => {
                    if !key.is_empty() {
                        segments.push(Segment::Key(std::mem::take(&mut key)));
                    } else if segments.is_empty() && !after_index {
                        return Err(format!("index without a field at position {}", offset + i));
                    }
                    let mut digits = String::new();
                    let mut closed = false;
                    for (_, d) in chars.by_ref() {
                        if d == ']' {
                            closed = true;
                            break;
                        }
                        digits.push(d);
                    }
                    if !closed {
                        return Err(format!("unclosed '[' at position {}", offset + i));
                    }
                    let n = digits.parse::<usize>().map_err(|_| {
                        format!(
                            "'[{digits}]' at position {} is not an array index",
                            offset + i
                        )
                    })?;
                    segments.push(Segment::Index(n));
                    after_index = true;
                }
                ']' => return Err(format!("unexpected ']' at position {}", offset + i)),
                c if c.is_whitespace() || c.is_control() => {
                    return Err(format!(
                        "whitespace at position {} is not allowed",
                        offset + i
                    ))
                }
                c => {
                    if after_index {
                        return Err(format!("expected '.' or '[' at position {}", offset + i));
                    }
                    key.push(c);
                }
            }
        }
        if !key.is_empty() {
            segments.push(Segment::Key(key));
        }
        Ok(Self {
            source: raw.to_owned(),
            segments,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The value at this path in `record`, if any.
    pub fn lookup<'a>(&self, record: &'a Value) -> Option<&'a Value> {
        self.segments
            .iter()
            .try_fold(record, |v, segment| match segment {
                Segment::Key(k) => v.get(k.as_str()),
                Segment::Index(i) => v.get(*i),
            })
    }
}

impl fmt::Display for IdField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_nested_ids() {
        let record = json!({"key": "k1", "data": {"id": 7, "items": [{"id": "a"}]}});
        let get = |p: &str| IdField::parse(p).expect(p).lookup(&record).cloned();
        assert_eq!(get("key"), Some(json!("k1")));
        assert_eq!(get("data.id"), Some(json!(7)));
        assert_eq!(get("$.data.items[0].id"), Some(json!("a")));
        assert_eq!(get("data.missing"), None);
    }

    #[test]
    fn refuses_malformed_paths() {
        for (raw, want) in [
            ("", "must name a field"),
            ("a..b", "empty segment at position 2"),
            ("a.", "empty segment at position 2"),
            ("a[x]", "not an array index"),
            ("a[1", "unclosed '['"),
            ("a b", "whitespace at position 1"),
            ("[0]", "index without a field"),
        ] {
            let err = IdField::parse(raw).expect_err(raw);
            assert!(err.contains(want), "{raw}: {err}");
        }
    }
}
