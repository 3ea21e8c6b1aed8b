//! Instance bodies (`POST /instances`, `PATCH /instances/{id}`) and the `idField` paths in
//! them.

use std::sync::OnceLock;

use pollhook_core::field_error::ValidationErrors;
use pollhook_core::id_field::IdField;
use pollhook_core::instance::InstanceSpec;
use proptest::prelude::*;
use serde_json::Value;

use crate::bounded::bounded;
use crate::ceql::FILTER_TOKENS;
use crate::garbage::{apply_edits, arbitrary, edits, json_value, mutated};
use crate::{chars, config};

pub const SEEDS: &[&str] = &[
    include_str!("../../../tests/fixtures/sagecrm-seed.json"),
    include_str!("../../../tests/fixtures/sageone-seed.json"),
    include_str!("../../../tests/fixtures/sagecrm-seed-template.json"),
    include_str!("../../../tests/fixtures/sageone-seed-template.json"),
];

#[rustfmt::skip]
const BODY_TOKENS: &[&str] = &[
    "\"", "\\\"", "\\u0000", "\\ud800", "{", "}", "[", "]", ":", ",", "null", "true", "1e999",
    "-0", "${", "'", "yyyy", "q", " or ", "(", "%",
];

fn seed_values() -> &'static [Value] {
    static VALUES: OnceLock<Vec<Value>> = OnceLock::new();
    VALUES.get_or_init(|| {
        SEEDS
            .iter()
            .filter_map(|s| serde_json::from_str(s).ok())
            .collect()
    })
}

/// The seed registered, for PATCH cases.
pub fn seed_spec() -> &'static InstanceSpec {
    static SPEC: OnceLock<InstanceSpec> = OnceLock::new();
    SPEC.get_or_init(
        || match seed_values().first().map(InstanceSpec::from_body) {
            Some(Ok(spec)) => spec,
            other => panic!("the Sage CRM seed registers: {other:?}"),
        },
    )
}

/// The body's own top-level keys: a missing one is refused under its name.
const TOP_LEVEL: &[&str] = &[
    "element",
    "configuration",
    "providerData",
    "tags",
    "name",
    "body",
];

/// Every refusal names a field: a non-blank path whose first step is a key of the body (or
/// one it lacks, or `body` itself), and a date format refused for its content names the
/// position at fault.
fn check_field_errors(body: &Value, errors: &ValidationErrors) -> Result<(), TestCaseError> {
    prop_assert!(!errors.0.is_empty(), "refused without a reason");
    let mut keys: Vec<&str> = body
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.extend(TOP_LEVEL);
    for e in &errors.0 {
        prop_assert!(!e.field.trim().is_empty(), "no field named: {:?}", e);
        prop_assert!(!e.message.trim().is_empty(), "no message: {:?}", e);
        let rooted = keys.iter().any(|k| {
            e.field == *k
                || e.field
                    .strip_prefix(k)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        });
        prop_assert!(
            rooted,
            "field {:?} is not in the body (keys {:?})",
            e.field,
            keys
        );
        let about_the_pattern =
            !e.message.starts_with("expected") && !e.message.starts_with("unknown key");
        if e.field.ends_with("DateFormat") && about_the_pattern {
            prop_assert!(e.message.contains("position"), "{}", e);
        }
    }
    Ok(())
}

/// Reads `bytes` as the API does (JSON first), registers them, and applies them as a patch.
fn body_case(bytes: &[u8]) -> Result<(), TestCaseError> {
    let body = match serde_json::from_slice::<Value>(bytes) {
        Err(e) => {
            // The API answers with this error's line and column.
            prop_assert!(e.line() >= 1 || e.to_string().contains("line"), "{}", e);
            return Ok(());
        }
        Ok(body) => body,
    };
    let shown = String::from_utf8_lossy(bytes);
    let created = bounded("InstanceSpec::from_body", &shown, || {
        InstanceSpec::from_body(&body)
    })?;
    if let Err(errors) = created {
        check_field_errors(&body, &errors)?;
    }
    let patched = bounded("InstanceSpec::apply_patch", &shown, || {
        seed_spec().apply_patch(&body)
    })?;
    if let Err(errors) = patched {
        check_field_errors(&body, &errors)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(3_000))]

    #[test]
    fn instance_body_arbitrary_bytes(
        bytes in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..512),
            json_value().prop_map(|v| v.to_string().into_bytes()),
        ],
    ) {
        body_case(&bytes)?;
    }

    #[test]
    fn instance_body_mutated_text(text in mutated(SEEDS, BODY_TOKENS, ("[", "]"))) {
        body_case(text.as_bytes())?;
    }

    #[test]
    fn instance_body_edited(
        seed in 0..SEEDS.len(),
        edits in edits(FILTER_TOKENS),
    ) {
        let body = apply_edits(&seed_values()[seed % seed_values().len()], &edits, ("(", ")"));
        body_case(body.to_string().as_bytes())?;
    }
}

const ID_FIELDS: &[&str] = &[
    "key",
    "id",
    "data.id",
    "$.items[0].id",
    "Comp_UpdatedDate",
    "$key",
];

#[rustfmt::skip]
const ID_FIELD_TOKENS: &[&str] = &["$.", ".", "..", "[", "]", "[0]", "[x]", "[-1]", " ", "é"];

/// A refused path points at the char at fault (or just past the end, for a trailing `.`).
fn check_id_field_error(raw: &str, message: &str) -> Result<(), TestCaseError> {
    let cs = chars(raw);
    if message.starts_with("must name a field") {
        prop_assert!(
            raw.strip_prefix("$.").unwrap_or(raw).is_empty(),
            "{:?}: {}",
            raw,
            message
        );
        return Ok(());
    }
    let position: Option<usize> = message
        .rsplit_once("position ")
        .and_then(|(_, n)| n.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok());
    let Some(position) = position else {
        return Err(TestCaseError::fail(format!(
            "{raw:?}: no position in {message:?}"
        )));
    };
    let at = cs.get(position).copied();
    let fits = if message.starts_with("empty segment") {
        at.is_none_or(|c| c == '.')
    } else if message.starts_with("whitespace") {
        at.is_some_and(|c| c.is_whitespace() || c.is_control())
    } else if message.starts_with("unexpected ']'") {
        at == Some(']')
    } else if message.starts_with("expected '.' or '['") {
        at.is_some_and(|c| c != '.' && c != '[')
    } else {
        at == Some('[')
    };
    prop_assert!(fits, "{:?}: {} (char there: {:?})", raw, message, at);
    Ok(())
}

proptest! {
    #![proptest_config(config(3_000))]

    #[test]
    fn id_field_arbitrary_and_mutated(
        raw in prop_oneof![
            arbitrary("[a-z$.\\[\\]0-9 é]{0,20}"),
            mutated(ID_FIELDS, ID_FIELD_TOKENS, ("[", "]")),
        ],
    ) {
        if let Err(message) = bounded("IdField::parse", &raw, || IdField::parse(&raw))? {
            check_id_field_error(&raw, &message)?;
        }
    }
}
