//! Poll URL expansion: runs once per resource per poll, so it must cost next to nothing.

use chrono::{TimeZone, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use pollhook_core::time_zone::TimeZoneSpec;
use pollhook_core::url_template::UrlTemplate;

const SAGE_CRM: &str =
    "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'";
const SAGE_ACCOUNTING: &str =
    "/hubs/finance/customers?where=lastModifiedDate>='${date:yyyy-MM-dd'T'HH:mm:ss'Z'}' and attributes='created_at,updated_at";

fn expansion(c: &mut Criterion) {
    let at = Utc
        .with_ymd_and_hms(2024, 5, 1, 10, 20, 30)
        .single()
        .expect("valid instant");
    let gmt = TimeZoneSpec::parse("GMT").expect("GMT");
    let paris = TimeZoneSpec::parse("Europe/Paris").expect("Paris");
    let crm = UrlTemplate::parse(SAGE_CRM).expect("seed parses");
    let accounting = UrlTemplate::parse(SAGE_ACCOUNTING).expect("seed parses");

    c.bench_function("url_template/parse sagecrm seed", |b| {
        b.iter(|| UrlTemplate::parse(black_box(SAGE_CRM)))
    });
    let mut out = String::with_capacity(256);
    c.bench_function("url_template/expand_into sagecrm seed (GMT)", |b| {
        b.iter(|| {
            out.clear();
            crm.expand_into(black_box(at), &gmt, &mut out);
            black_box(out.len())
        })
    });
    c.bench_function("url_template/expand sagecrm seed (new String)", |b| {
        b.iter(|| crm.expand(black_box(at), &gmt))
    });
    c.bench_function(
        "url_template/expand_into sageone seed (Europe/Paris)",
        |b| {
            b.iter(|| {
                out.clear();
                accounting.expand_into(black_box(at), &paris, &mut out);
                black_box(out.len())
            })
        },
    );
}

criterion_group!(benches, expansion);
criterion_main!(benches);
