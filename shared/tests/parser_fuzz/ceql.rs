//! CEQL `where=` filters and their translation to Sage CRM / Sage Accounting queries.

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use pollhook_core::ceql::{self, CeqlError, CompareOp, Expr, Literal};
use pollhook_core::element::ElementKey;
use pollhook_core::elements::check_resource;
use proptest::prelude::*;
use proptest::sample::select;

use crate::bounded::bounded;
use crate::config;
use crate::garbage::{arbitrary, mutated};

const FILTERS: &[&str] = &[
    "lastModifiedDate >= '2024-05-01T10:20:30Z' and name like 'a%'",
    "Comp_UpdatedDate>'2024-05-01T10:20:30Z'",
    "lastModifiedDate>='2024-05-01T10:20:30Z' and attributes='created_at,updated_at",
    "(name like 'A%' or id in ('1', '2')) and x is not null or y not in (3)",
    "a = 'O''Brien' and b != -1.5 and c <> TRUE and d == null",
    "contact_type_id = 'VENDOR' and search = 'x' and updated_at > '2024-05-01'",
];

#[rustfmt::skip]
pub const FILTER_TOKENS: &[&str] = &[
    "and", " and ", " or ", "not", " in ", "like", " is ", "null", "true", "(", ")", "((",
    "))", "'", "''", "\\'", "\\\\", "=", "==", "!=", "<>", ">=", "<=", ">", "<", ",", "-",
    "1.5", "$key", "data.id", "#",
];

/// A refused filter names a position inside it, and says so in its message.
fn check_ceql_error(text: &str, err: &CeqlError) -> Result<(), TestCaseError> {
    let len = text.chars().count();
    prop_assert!(
        err.position <= len,
        "{:?}: {} (filter has {} chars)",
        text,
        err,
        len
    );
    let message = err.to_string();
    let suffix = format!(" at position {}", err.position);
    prop_assert!(message.ends_with(&suffix), "{}", message);
    Ok(())
}

/// The fields an expression tests, as its translation errors must name one of them.
fn fields(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::And(items) | Expr::Or(items) => items.iter().for_each(|e| fields(e, out)),
        other => out.extend(other.field().map(str::to_owned)),
    }
}

/// Parses `text`; a parsed filter must print back to CEQL that parses to the same tree; then
/// translates it as registration does, for both Sage connectors: a refusal either repeats the
/// parse error (with its position) or names a field the filter tests.
fn ceql_case(text: &str) -> Result<(), TestCaseError> {
    let parsed = bounded("ceql::parse", text, || ceql::parse(text))?;
    let expr = match parsed {
        Err(e) => return check_ceql_error(text, &e),
        Ok(expr) => expr,
    };
    let printed = expr.to_string();
    let reparsed = bounded("ceql::parse of a printed filter", &printed, || {
        ceql::parse(&printed)
    })?;
    prop_assert_eq!(reparsed.as_ref(), Ok(&expr), "printed as {:?}", printed);
    let mut tested = Vec::new();
    fields(&expr, &mut tested);
    let encoded = utf8_percent_encode(text, NON_ALPHANUMERIC).to_string();
    for (element, url) in [
        (
            ElementKey::SageCrm,
            format!("/hubs/crm/accounts?where={encoded}"),
        ),
        (
            ElementKey::SageOne,
            format!("/hubs/finance/customers?where={encoded}"),
        ),
    ] {
        let translated = bounded("check_resource", &url, || {
            check_resource(element, "r", &url)
        })?;
        if let Err(message) = translated {
            let trimmed = ceql::parse(text.trim());
            let named = match trimmed {
                Err(e) => message.contains(&e.to_string()),
                Ok(_) => tested.iter().any(|f| message.contains(f.as_str())),
            };
            prop_assert!(named, "{:?} via {}: {}", text, element, message);
        }
    }
    Ok(())
}

/// CEQL trees as users could write them, to print and read back.
fn ceql_tree() -> impl Strategy<Value = Expr> {
    let field = "[a-zA-Z_$][a-zA-Z0-9_.$]{0,10}".prop_filter("not a keyword", |f| {
        ![
            "and", "or", "not", "like", "in", "is", "null", "true", "false",
        ]
        .iter()
        .any(|kw| f.eq_ignore_ascii_case(kw))
    });
    let literal = prop_oneof![
        arbitrary("[a-z'\\\\ %]{0,10}").prop_map(Literal::Str),
        "-?[0-9]{1,6}(\\.[0-9]{1,3})?".prop_map(Literal::Number),
        any::<bool>().prop_map(Literal::Bool),
        Just(Literal::Null),
    ];
    let op = select(
        &[
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ][..],
    );
    let leaf = prop_oneof![
        (field.clone(), op, literal.clone()).prop_map(|(field, op, value)| Expr::Compare {
            field,
            op,
            value
        }),
        (
            field.clone(),
            proptest::collection::vec(literal, 1..4),
            any::<bool>()
        )
            .prop_map(|(field, values, negated)| Expr::In {
                field,
                values,
                negated
            }),
        (
            field.clone(),
            arbitrary("[a-z'\\\\%_]{0,10}"),
            any::<bool>()
        )
            .prop_map(|(field, pattern, negated)| Expr::Like {
                field,
                pattern,
                negated
            }),
        (field, any::<bool>()).prop_map(|(field, negated)| Expr::IsNull { field, negated }),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            proptest::collection::vec(inner, 2..4).prop_map(Expr::Or),
        ]
    })
}

proptest! {
    #![proptest_config(config(4_000))]

    #[test]
    fn ceql_arbitrary(text in arbitrary("[a-zA-Z0-9_.$ '()=<>!,-]{0,60}")) {
        ceql_case(&text)?;
    }

    #[test]
    fn ceql_mutated(text in mutated(FILTERS, FILTER_TOKENS, ("(", ")"))) {
        ceql_case(&text)?;
    }

    #[test]
    fn ceql_trees_print_and_parse_back(expr in ceql_tree()) {
        let printed = expr.to_string();
        let reparsed = bounded("ceql::parse of a printed tree", &printed, || ceql::parse(&printed))?;
        prop_assert_eq!(reparsed, Ok(expr), "printed as {:?}", printed);
        ceql_case(&printed)?;
    }
}
