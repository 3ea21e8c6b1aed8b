//! Unit tests: error messages, hand-written parse cases, and no panics on arbitrary input.

use chrono::DateTime;
use proptest::prelude::*;

use super::*;

fn utc() -> TimeZoneSpec {
    TimeZoneSpec::utc()
}

fn compile(p: &str) -> DatePattern {
    DatePattern::compile(p)
        .expect("pattern compiles")
        .with_two_digit_year_start(1950)
}

#[test]
fn reports_unknown_letter_with_position() {
    let err = DatePattern::compile("yyyy-qq").expect_err("q is not a letter");
    assert_eq!(
        err,
        PatternError::UnknownLetter {
            letter: 'q',
            position: 5
        }
    );
    assert_eq!(err.to_string(), "unknown pattern letter 'q' at position 5");
    let err = DatePattern::compile("é yyyy b").expect_err("b is not a letter");
    assert!(err
        .to_string()
        .contains("unknown pattern letter 'b' at position 7"));
}

#[test]
fn reports_unterminated_quote() {
    let err = DatePattern::compile("yyyy-MM-dd'T").expect_err("open quote");
    assert_eq!(err.to_string(), "unterminated quote at position 10");
}

#[test]
fn refuses_xxxx_and_huge_counts() {
    assert!(matches!(
        DatePattern::compile("XXXX"),
        Err(PatternError::InvalidCount { count: 4, .. })
    ));
    let long = "y".repeat(MAX_COUNT + 1);
    assert!(matches!(
        DatePattern::compile(&long),
        Err(PatternError::CountTooLarge { .. })
    ));
    assert!(DatePattern::compile(&"y".repeat(MAX_COUNT)).is_ok());
}

#[test]
fn formats_quotes_and_seed_pattern() {
    let at = DateTime::from_timestamp_millis(1_704_067_205_005).expect("instant");
    let p = compile("yyyy-MM-dd'T'HH:mm:ss'Z'");
    assert_eq!(p.format(at, &utc()), "2024-01-01T00:00:05Z");
    assert_eq!(p.as_str(), "yyyy-MM-dd'T'HH:mm:ss'Z'");
    assert_eq!(
        compile("hh 'o''clock' a").format(at, &utc()),
        "12 o'clock AM"
    );
    assert_eq!(compile("S|SSS|SSSSSS").format(at, &utc()), "5|005|000005");
    assert_eq!(compile("").format(at, &utc()), "");
}

#[test]
fn parses_hand_written_cases() {
    let p = compile("yyyy-MM-dd'T'HH:mm:ss'Z'");
    let got = p.parse("2024-02-29T23:59:58Z", &utc()).expect("parses");
    assert_eq!(got.timestamp_millis(), 1_709_251_198_000);
    let paris = TimeZoneSpec::parse("Europe/Paris").expect("zone");
    let p = compile("dd MMM yyyy HH:mm z");
    let got = p
        .parse("01 jul 2024 12:00 cest", &paris)
        .expect("names ignore case");
    assert_eq!(got.timestamp_millis(), 1_719_828_000_000);
    let got = compile("yyyyMMdd")
        .parse("20240704", &utc())
        .expect("adjacent");
    assert_eq!(got.timestamp_millis(), 1_720_051_200_000);
    let got = compile("dd/MM/yy")
        .parse("01/01/49", &utc())
        .expect("two digits");
    assert_eq!(got.timestamp_millis(), 2_493_072_000_000);
    let got = compile("yyyy-MM-dd HH:mmXXX").parse("2024-01-01 10:00+02:00", &paris);
    assert_eq!(got.map(|d| d.timestamp_millis()), Ok(1_704_096_000_000));
}

#[test]
fn explains_parse_errors() {
    let p = compile("yyyy-MM-dd");
    let err = p.parse("2024-13-01", &utc()).expect_err("month 13");
    assert_eq!(
        err.to_string(),
        "'2024-13-01': expected month 1-12 at position 5"
    );
    let err = p.parse("2023-02-29", &utc()).expect_err("no leap day");
    assert_eq!(
        err.to_string(),
        "'2023-02-29': expected day of month 1-28 at position 8"
    );
    let err = p.parse("2024/01/01", &utc()).expect_err("wrong separator");
    assert_eq!(err.to_string(), "'2024/01/01': expected '-' at position 4");
    let err = p.parse("", &utc()).expect_err("empty");
    assert!(
        err.to_string().contains("expected year at position 0"),
        "{err}"
    );
    assert!(compile("").parse("x", &utc()).is_err());
}

#[test]
fn survives_extreme_inputs() {
    let at = DateTime::from_timestamp_millis(8_000_000_000_000_000).expect("far future");
    let p = compile("yyyyyyyyyyyyyyyyyyyy G Y");
    assert_eq!(p.format(at, &utc()), "00000000000000255479 AD 255479");
    let week_years = compile("Y-MM-dd HH:mm");
    for text in [
        "-292000000-01-01 00:00",
        "999999999999999-12-31 23:59",
        "9999999999999999-01-01 00:00",
    ] {
        assert!(week_years.parse(text, &utc()).is_err(), "{text}");
    }
    let zoned = compile("HH:mm z");
    for text in [
        "10:00 GMT+",
        "10:00 GMT+2",
        "10:00 +24",
        "10:00 Mars",
        "10:00 é",
    ] {
        assert!(zoned.parse(text, &utc()).is_err(), "{text}");
    }
}

proptest! {
    #[test]
    fn compile_never_panics(pattern in "\\PC{0,40}") {
        if let Ok(p) = DatePattern::compile(&pattern) {
            let at = DateTime::from_timestamp_millis(-62_000_000_000_000).expect("instant");
            let _ = p.format(at, &utc());
            let _ = p.parse(&pattern, &utc());
        }
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,40}", which in 0usize..5) {
        let patterns = [
            "yyyy-MM-dd'T'HH:mm:ss'Z'",
            "EEE, dd MMM yyyy HH:mm:ss z",
            "yyyyMMddHHmmssSSS",
            "YYYY-'W'ww-u XXX",
            "yy D k K h a G Z",
        ];
        let p = compile(patterns[which]);
        let _ = p.parse(&text, &utc());
    }

    #[test]
    fn digits_never_panic(text in "[0-9 +:GMTZ-]{0,30}") {
        let p = compile("yyyyMMddHHmmss z");
        let _ = p.parse(&text, &utc());
    }
}
