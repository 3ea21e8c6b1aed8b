//! The polling hot path formats `${gmtDate:FMT}` and parses vendor dates on every poll; these
//! benchmarks keep compile, format and parse costs visible.

use std::hint::black_box;

use chrono::DateTime;
use criterion::{criterion_group, criterion_main, Criterion};
use pollhook_core::date_pattern::DatePattern;
use pollhook_core::time_zone::TimeZoneSpec;

const SEED: &str = "yyyy-MM-dd'T'HH:mm:ss'Z'";
const LONG: &str = "EEEE, MMMM d, yyyy h:mm:ss.SSS a zzzz";

fn benches(c: &mut Criterion) {
    let instant = DateTime::from_timestamp_millis(1_719_833_696_789).expect("valid instant");
    let gmt = TimeZoneSpec::parse("GMT").expect("GMT");
    let paris = TimeZoneSpec::parse("Europe/Paris").expect("Europe/Paris");
    let seed = DatePattern::compile(SEED).expect("seed pattern");
    let long = DatePattern::compile(LONG).expect("long pattern");
    let mut out = String::with_capacity(64);

    c.bench_function("compile seed pattern", |b| {
        b.iter(|| DatePattern::compile(black_box(SEED)))
    });
    c.bench_function("format_into seed pattern GMT", |b| {
        b.iter(|| {
            out.clear();
            seed.format_into(black_box(instant), &gmt, &mut out);
        })
    });
    c.bench_function("format_into seed pattern Europe/Paris", |b| {
        b.iter(|| {
            out.clear();
            seed.format_into(black_box(instant), &paris, &mut out);
        })
    });
    c.bench_function("format_into long pattern Europe/Paris", |b| {
        b.iter(|| {
            out.clear();
            long.format_into(black_box(instant), &paris, &mut out);
        })
    });
    let text = seed.format(instant, &gmt);
    c.bench_function("parse seed pattern", |b| {
        b.iter(|| seed.parse(black_box(&text), &gmt))
    });
}

criterion_group!(date_pattern, benches);
criterion_main!(date_pattern);
