//! How often an instance is polled: a whole number of minutes, 1 to 1440 (one day).

use std::fmt;

/// Minutes between two polls of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RefreshInterval(u32);

impl RefreshInterval {
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 1440;
    /// Open Connectors' default when events are on and no interval is given.
    pub const DEFAULT: RefreshInterval = RefreshInterval(15);

    /// Accepts what the seed pages send: a string (`"15"`) or a JSON number (`15`).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, String> {
        match value {
            serde_json::Value::String(s) => Self::parse(s),
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(m) => Self::from_minutes(m),
                None => Err(format!(
                    "{n} is not a positive whole number of minutes ({}-{})",
                    Self::MIN,
                    Self::MAX
                )),
            },
            other => Err(format!(
                "expected a whole number of minutes ({}-{}), got {}",
                Self::MIN,
                Self::MAX,
                crate::json_kind::kind(other)
            )),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let t = raw.trim();
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "'{raw}' is not a positive whole number of minutes ({}-{})",
                Self::MIN,
                Self::MAX
            ));
        }
        match t.parse::<u64>() {
            Ok(m) => Self::from_minutes(m),
            Err(_) => Self::from_minutes(u64::MAX),
        }
    }

    fn from_minutes(m: u64) -> Result<Self, String> {
        if (u64::from(Self::MIN)..=u64::from(Self::MAX)).contains(&m) {
            Ok(Self(m as u32))
        } else {
            Err(format!(
                "{m} minutes is out of range: must be {} to {}",
                Self::MIN,
                Self::MAX
            ))
        }
    }

    pub fn minutes(self) -> u32 {
        self.0
    }
}

impl fmt::Display for RefreshInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_and_numbers_within_bounds() {
        assert_eq!(
            RefreshInterval::from_json(&json!("15")).map(|r| r.minutes()),
            Ok(15)
        );
        assert_eq!(
            RefreshInterval::from_json(&json!(1)).map(|r| r.minutes()),
            Ok(1)
        );
        assert_eq!(
            RefreshInterval::from_json(&json!("1440")).map(|r| r.minutes()),
            Ok(1440)
        );
    }

    #[test]
    fn refuses_zero_fractions_negatives_and_words() {
        for v in [
            json!("0"),
            json!(0),
            json!("1441"),
            json!("1.5"),
            json!(1.5),
            json!(-5),
            json!("-5"),
            json!("<minutes>"),
            json!(""),
            json!(true),
            json!("99999999999999999999999"),
        ] {
            assert!(RefreshInterval::from_json(&v).is_err(), "{v}");
        }
    }
}
