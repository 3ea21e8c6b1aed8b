//! Poll URL templates: `${gmtDate:FMT}` and `${date:FMT}` filled with the last poll instant.
//!
//! Written by hand because the syntax is Open Connectors' own: FMT is a Java date pattern whose
//! quoted text may contain `}`, so no general template crate finds the closing brace correctly.

use chrono::{DateTime, Utc};

use crate::date_pattern::{DatePattern, PatternError};
use crate::time_zone::TimeZoneSpec;

/// ISO-8601 as a Java pattern: what a bare `${date}` or `${gmtDate}` expands to.
const ISO_8601: &str = "yyyy-MM-dd'T'HH:mm:ssXXX";

/// Which clock a placeholder reads the instant in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceholderZone {
    /// `${gmtDate...}`: always GMT.
    Gmt,
    /// `${date...}`: the resource's `updatedDateTimezone` (UTC when absent).
    Resource,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Date {
        zone: PlaceholderZone,
        pattern: DatePattern,
    },
}

/// A parsed poll URL; parse once at registration, expand at every poll.
#[derive(Debug, Clone)]
pub struct UrlTemplate {
    source: String,
    parts: Vec<Part>,
}

/// Why a URL template was refused; positions are 0-based character offsets into the URL.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    #[error("unclosed '${{' at position {position}: no closing '}}' (check the quotes of the date format)")]
    Unclosed { position: usize },
    #[error("unknown placeholder '${{{name}}}' at position {position} (known: ${{gmtDate:FORMAT}}, ${{date:FORMAT}}, ${{gmtDate}}, ${{date}})")]
    UnknownPlaceholder { name: String, position: usize },
    #[error("date format of the placeholder at position {position}: {source}")]
    Pattern {
        position: usize,
        #[source]
        source: PatternError,
    },
}

impl UrlTemplate {
    /// Parses `source`, compiling every date format it holds.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let chars: Vec<char> = source.chars().collect();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '$' && chars.get(i + 1) == Some(&'{') {
                let start = i;
                let (part, next) = parse_placeholder(&chars, start)?;
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(part);
                i = next;
            } else {
                literal.push(chars[i]);
                i += 1;
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    /// The template as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True when the URL reads the poll instant at all (a URL without one re-reads everything).
    pub fn has_placeholders(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Date { .. }))
    }

    /// Expands the template for a poll whose lower bound is `at`; `${date}` reads it in `zone`.
    pub fn expand(&self, at: DateTime<Utc>, zone: &TimeZoneSpec) -> String {
        let mut out = String::with_capacity(self.source.len() + 16);
        self.expand_into(at, zone, &mut out);
        out
    }

    /// As [`expand`](Self::expand), appending to `out` (no allocation beyond its growth).
    pub fn expand_into(&self, at: DateTime<Utc>, zone: &TimeZoneSpec, out: &mut String) {
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Date {
                    zone: PlaceholderZone::Gmt,
                    pattern,
                } => pattern.format_into(at, gmt(), out),
                Part::Date {
                    zone: PlaceholderZone::Resource,
                    pattern,
                } => pattern.format_into(at, zone, out),
            }
        }
    }
}

impl std::str::FromStr for UrlTemplate {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn gmt() -> &'static TimeZoneSpec {
    static GMT: std::sync::OnceLock<TimeZoneSpec> = std::sync::OnceLock::new();
    GMT.get_or_init(|| TimeZoneSpec::parse("GMT").unwrap_or_else(|_| TimeZoneSpec::utc()))
}

/// Parses the placeholder opening at `start` (`${`); returns it and the index after its `}`.
fn parse_placeholder(chars: &[char], start: usize) -> Result<(Part, usize), TemplateError> {
    let mut i = start + 2;
    let name_start = i;
    while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
        i += 1;
    }
    let name: String = chars[name_start..i].iter().collect();
    let format = match chars.get(i) {
        None => return Err(TemplateError::Unclosed { position: start }),
        Some('}') => {
            i += 1;
            None
        }
        Some(':') => {
            let fmt_start = i + 1;
            let mut j = fmt_start;
            let mut quoted = false;
            loop {
                match chars.get(j) {
                    None => return Err(TemplateError::Unclosed { position: start }),
                    Some('\'') => quoted = !quoted,
                    Some('}') if !quoted => break,
                    Some(_) => {}
                }
                j += 1;
            }
            let fmt: String = chars[fmt_start..j].iter().collect();
            i = j + 1;
            Some(fmt)
        }
        Some(_) => {
            let mut end = i;
            while end < chars.len() && chars[end] != '}' {
                end += 1;
            }
            if end == chars.len() {
                return Err(TemplateError::Unclosed { position: start });
            }
            return Err(TemplateError::UnknownPlaceholder {
                name: chars[name_start..end].iter().collect(),
                position: start,
            });
        }
    };
    let zone = match name.as_str() {
        "gmtDate" => PlaceholderZone::Gmt,
        "date" => PlaceholderZone::Resource,
        _ => {
            return Err(TemplateError::UnknownPlaceholder {
                name,
                position: start,
            })
        }
    };
    let pattern =
        DatePattern::compile(format.as_deref().unwrap_or(ISO_8601)).map_err(|source| {
            TemplateError::Pattern {
                position: start,
                source,
            }
        })?;
    Ok((Part::Date { zone, pattern }, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 9, 7, 5, 1)
            .single()
            .expect("valid instant")
    }

    #[test]
    fn expands_the_sage_crm_seed_url() {
        let t = UrlTemplate::parse(
            "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'",
        )
        .expect("seed template parses");
        assert_eq!(
            t.expand(at(), &TimeZoneSpec::utc()),
            "/hubs/crm/accounts?where=Comp_UpdatedDate>'2024-03-09T07:05:01Z'"
        );
    }

    #[test]
    fn date_uses_the_resource_zone_and_gmt_date_ignores_it() {
        let paris = TimeZoneSpec::parse("Europe/Paris").expect("zone");
        let t = UrlTemplate::parse("a=${date:HH:mm}&b=${gmtDate:HH:mm}").expect("parses");
        assert_eq!(t.expand(at(), &paris), "a=08:05&b=07:05");
    }

    #[test]
    fn bare_placeholders_are_iso_8601() {
        let t = UrlTemplate::parse("since=${gmtDate}&local=${date}").expect("parses");
        let tokyo = TimeZoneSpec::parse("Asia/Tokyo").expect("zone");
        assert_eq!(
            t.expand(at(), &tokyo),
            "since=2024-03-09T07:05:01Z&local=2024-03-09T16:05:01+09:00"
        );
    }

    #[test]
    fn quoted_brace_does_not_close_the_placeholder() {
        let t = UrlTemplate::parse("x=${gmtDate:yyyy'}'}y").expect("parses");
        assert_eq!(t.expand(at(), &TimeZoneSpec::utc()), "x=2024}y");
    }

    #[test]
    fn literal_dollars_and_braces_pass_through() {
        let t = UrlTemplate::parse("/a?$top=5&b={x}").expect("parses");
        assert!(!t.has_placeholders());
        assert_eq!(t.expand(at(), &TimeZoneSpec::utc()), "/a?$top=5&b={x}");
    }

    #[test]
    fn errors_name_the_problem_and_position() {
        let cases = [
            ("/a?w=${gmtDate:yyyy", "unclosed '${' at position 5"),
            ("/a?w=${gmtDate:yyyy'}", "unclosed '${' at position 5"),
            ("${", "unclosed '${' at position 0"),
            ("/a?${now}", "unknown placeholder '${now}' at position 3"),
            (
                "/a?${gmt Date}",
                "unknown placeholder '${gmt Date}' at position 3",
            ),
            ("/a?${date:yyyy-qq}", "unknown pattern letter 'q'"),
        ];
        for (input, expected) in cases {
            let err = UrlTemplate::parse(input).expect_err(input).to_string();
            assert!(err.contains(expected), "{input}: {err}");
        }
    }
}
