//! Runs the Java 17 SimpleDateFormat vectors (tests/vectors/, made by generate.sh) against
//! `DatePattern`, so any drift from Java's output shows up with the exact case that broke.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use pollhook_core::date_pattern::DatePattern;
use pollhook_core::time_zone::TimeZoneSpec;
use serde_json::Value;

/// The generator fixes Java's two-digit-year window at 1950-01-01T00:00Z; we must match it.
const TWO_DIGIT_YEAR_START: i32 = 1950;
const MIN_FORMAT_CASES: usize = 2500;
const MIN_PARSE_CASES: usize = 2000;
const SHOWN_MISMATCHES: usize = 20;

fn load(name: &str) -> Vec<Value> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "vectors", name]
        .iter()
        .collect();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{name} line {}: {e}", i + 1))
        })
        .collect()
}

fn field<'a>(case: &'a Value, key: &str) -> &'a str {
    case[key]
        .as_str()
        .unwrap_or_else(|| panic!("case without string '{key}': {case}"))
}

fn millis(case: &Value) -> i64 {
    case["millis"]
        .as_i64()
        .unwrap_or_else(|| panic!("case without integer 'millis': {case}"))
}

fn compile(pattern: &str) -> Result<DatePattern, String> {
    DatePattern::compile(pattern)
        .map(|p| p.with_two_digit_year_start(TWO_DIGIT_YEAR_START))
        .map_err(|e| format!("compile error: {e}"))
}

fn zone(id: &str) -> Result<TimeZoneSpec, String> {
    TimeZoneSpec::parse(id).map_err(|e| format!("zone error: {e}"))
}

fn report(kind: &str, total: usize, mismatches: &[String]) {
    if mismatches.is_empty() {
        return;
    }
    let shown: Vec<&String> = mismatches.iter().take(SHOWN_MISMATCHES).collect();
    panic!(
        "{} of {total} {kind} cases differ from Java; first {}:\n{}",
        mismatches.len(),
        shown.len(),
        shown
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn formats_like_java() {
    let cases = load("format_cases.jsonl");
    assert!(
        cases.len() >= MIN_FORMAT_CASES,
        "only {} format cases loaded",
        cases.len()
    );
    let mut mismatches = Vec::new();
    for case in &cases {
        let (pattern, zone_id, expected) = (
            field(case, "pattern"),
            field(case, "zone"),
            field(case, "expected"),
        );
        let instant = millis(case);
        let got = (|| {
            let p = compile(pattern)?;
            let z = zone(zone_id)?;
            let at =
                DateTime::<Utc>::from_timestamp_millis(instant).ok_or("instant out of range")?;
            Ok::<_, String>(p.format(at, &z))
        })();
        if got.as_deref() != Ok(expected) {
            mismatches.push(format!(
                "  pattern {pattern:?} zone {zone_id} millis {instant}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    report("format", cases.len(), &mismatches);
}

#[test]
fn parses_like_java() {
    let cases = load("parse_cases.jsonl");
    assert!(
        cases.len() >= MIN_PARSE_CASES,
        "only {} parse cases loaded",
        cases.len()
    );
    let mut mismatches = Vec::new();
    for case in &cases {
        let (pattern, zone_id, text) = (
            field(case, "pattern"),
            field(case, "zone"),
            field(case, "text"),
        );
        let expected = millis(case);
        let got = (|| {
            let p = compile(pattern)?;
            let z = zone(zone_id)?;
            p.parse(text, &z)
                .map(|d| d.timestamp_millis())
                .map_err(|e| e.to_string())
        })();
        if got != Ok(expected) {
            mismatches.push(format!(
                "  pattern {pattern:?} zone {zone_id} text {text:?}: expected {expected}, got {got:?}"
            ));
        }
    }
    report("parse", cases.len(), &mismatches);
}
