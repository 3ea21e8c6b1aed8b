//! Inputs the fuzzing found, fixed, and kept: one test per bug.

use pollhook_core::ceql;
use pollhook_core::date_pattern::{DateParseError, DatePattern};
use pollhook_core::id_field::IdField;
use pollhook_core::instance::InstanceSpec;
use pollhook_core::time_zone::TimeZoneSpec;
use serde_json::Value;

use crate::instance::{seed_spec, SEEDS};

/// A year past chrono's range was refused without saying where; it now points at the year.
#[test]
fn a_date_out_of_range_names_the_year_position() {
    let pattern = DatePattern::compile("dd/MM/yyyy").expect("pattern compiles");
    let err = pattern
        .parse("01/02/999999999", &TimeZoneSpec::utc())
        .expect_err("beyond chrono's years");
    assert_eq!(
        err,
        DateParseError::OutOfRange {
            text: "01/02/999999999".into(),
            position: 6
        }
    );
    assert!(err.to_string().contains("year at position 6"), "{err}");
    // The fuzz case: the last of three year fields starts at 23 and reads 1103270.
    let pattern = DatePattern::compile("yyyy-MM-dy-MM-dy-MM-dd'T'HH:mm:ss'Z'").expect("compiles");
    let err = pattern
        .parse(
            "103270-07-11103270-07-11103270-07-11T00:00:00Z",
            &TimeZoneSpec::utc(),
        )
        .expect_err("past year 262143");
    assert!(
        matches!(err, DateParseError::OutOfRange { position: 23, .. }),
        "{err:?}"
    );
}

/// A filter printed from its tree did not read back when a string ended in a backslash or
/// held one before a quote: the printer now doubles such backslashes.
#[test]
fn printed_filters_with_backslashes_read_back() {
    for text in [
        r"Comp_UpdatedDate>'20\",
        r"$ like '\\''' or A = ''",
        r"a = 'C:\dir\\' and b = '\\\'x'",
    ] {
        let expr = ceql::parse(text).expect(text);
        let printed = expr.to_string();
        assert_eq!(
            ceql::parse(&printed),
            Ok(expr),
            "{text} printed as {printed}"
        );
    }
    let expr = ceql::parse(r"a = 'x\").expect("an unterminated string runs to the end");
    assert_eq!(expr.to_string(), r"a = 'x\\'");
}

/// An unknown top-level key that is blank was reported under the field "", naming nothing.
#[test]
fn a_blank_top_level_key_is_reported_under_body() {
    for key in ["", " "] {
        let mut body: Value = serde_json::from_str(SEEDS[0]).expect("seed is JSON");
        body[key] = Value::Bool(true);
        let errors = InstanceSpec::from_body(&body).expect_err("unknown key");
        assert_eq!(errors.0.len(), 1, "{errors}");
        assert_eq!(errors.0[0].field, "body");
        assert!(
            errors.0[0]
                .message
                .contains(&format!("unknown key {key:?}")),
            "{errors}"
        );
        let errors = seed_spec().apply_patch(&body).expect_err("unknown key");
        assert_eq!(errors.0[0].field, "body");
    }
}

/// idField positions were byte offsets, unlike every other parser's char positions.
#[test]
fn id_field_errors_count_chars_not_bytes() {
    for (raw, want) in [
        ("é[1", "unclosed '[' at position 1"),
        ("$.é b", "whitespace at position 3"),
        ("日本..x", "empty segment at position 3"),
    ] {
        let err = IdField::parse(raw).expect_err(raw);
        assert!(err.contains(want), "{raw}: {err}");
    }
}

/// Parsing counted the chars before every field to remember its position, so a pattern with
/// many fields (a 1 MiB body allows 200,000) took time quadratic in the text: 24 ms for the
/// 12,000 fields the fuzzing found, 3.6 CPU-seconds for 200,000 (0.05 s now), on every record
/// of every poll. Positions are now counted only for an error.
#[test]
fn a_date_with_many_fields_parses_in_linear_time() {
    let pattern = DatePattern::compile(&"yyyy-".repeat(200_000)).expect("pattern compiles");
    let text = "2024-".repeat(200_000);
    let started = std::time::Instant::now();
    let parsed = pattern.parse(&text, &TimeZoneSpec::utc());
    let elapsed = started.elapsed();
    assert!(parsed.is_ok(), "{parsed:?}");
    assert!(
        elapsed < std::time::Duration::from_secs(2),
        "took {elapsed:?}"
    );
}
