//! Poll URL templates (`${gmtDate:FMT}`, `${date:FMT}`): parsing and expanding.

use chrono::{DateTime, Utc};
use pollhook_core::url_template::{TemplateError, UrlTemplate};
use proptest::prelude::*;
use proptest::sample::select;

use crate::bounded::bounded;
use crate::dates::{check_pattern_error, instant, zone, ZONES};
use crate::garbage::{arbitrary, mutated};
use crate::{chars, config};

/// Templates as the seed pages and the README write them.
const TEMPLATES: &[&str] = &[
    "/hubs/crm/accounts?where=Comp_UpdatedDate>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}'",
    "/hubs/finance/customers?where=lastModifiedDate>='${date:yyyy-MM-dd'T'HH:mm:ss'Z'}' and attributes='created_at,updated_at",
    "https://api.example.com/items?since=${gmtDate}&local=${date}",
    "/hubs/crm/contacts?where=a>'${date:yyyy-MM-dd'T'HH:mm:ss.SSSXXX}' and b<'${gmtDate:EEE, d MMM yyyy}'",
    "x=${gmtDate:yyyy'}'}y",
    "/a?$top=5&b={x}",
];

#[rustfmt::skip]
const TEMPLATE_TOKENS: &[&str] = &[
    "${", "}", "${date}", "${gmtDate}", "${date:", "${gmtDate:", "${now}", "${gmt Date}", "$",
    ":", "'", "''", "'}'", "yyyy", "q", "XXXX",
];

/// A refused template names the `${` of the placeholder at fault; a refused date format inside
/// it names a position inside that format.
fn check_template_error(source: &str, err: &TemplateError) -> Result<(), TestCaseError> {
    let cs = chars(source);
    let position = match err {
        TemplateError::Unclosed { position }
        | TemplateError::UnknownPlaceholder { position, .. }
        | TemplateError::Pattern { position, .. } => *position,
    };
    prop_assert_eq!(
        cs.get(position..position + 2),
        Some(&['$', '{'][..]),
        "{:?}: {}",
        source,
        err
    );
    prop_assert!(
        err.to_string().contains(&format!("at position {position}")),
        "{}",
        err
    );
    if let TemplateError::Pattern { source: inner, .. } = err {
        let rest: String = cs[position..].iter().collect();
        let format_start = rest.find(':').map_or(0, |i| rest[..=i].chars().count());
        let format: String = cs[position + format_start..].iter().collect();
        check_pattern_error(&format, inner)?;
    }
    Ok(())
}

fn template_case(source: &str, at: DateTime<Utc>, zone_id: &str) -> Result<(), TestCaseError> {
    let zone = zone(zone_id);
    let outcome = bounded("UrlTemplate::parse/expand", source, || {
        UrlTemplate::parse(source).map(|t| (t.has_placeholders(), t.expand(at, &zone)))
    })?;
    match outcome {
        Err(e) => check_template_error(source, &e),
        Ok((false, expanded)) => {
            prop_assert_eq!(expanded, source);
            Ok(())
        }
        Ok((true, _)) => Ok(()),
    }
}

proptest! {
    #![proptest_config(config(4_000))]

    #[test]
    fn url_template_arbitrary(
        source in arbitrary("[${}:'a-zA-Z/?=&<>. -]{0,60}"),
        at in instant(),
        zone_id in select(ZONES),
    ) {
        template_case(&source, at, zone_id)?;
    }

    #[test]
    fn url_template_mutated(
        source in mutated(TEMPLATES, TEMPLATE_TOKENS, ("${date:", "}")),
        at in instant(),
        zone_id in select(ZONES),
    ) {
        template_case(&source, at, zone_id)?;
    }
}
