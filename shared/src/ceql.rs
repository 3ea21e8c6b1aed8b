//! CEQL, the `where=` filter language of Open Connectors hub URLs, parsed to an AST that each
//! connector translates to its vendor's own filter.
//!
//! Tolerant where the seed pages are sloppy: a string whose closing quote is missing runs to
//! the end of the input (`attributes='created_at,updated_at`).

mod ast;
mod lexer;
mod parser;

pub use ast::{CompareOp, Expr, Literal};
pub use parser::MAX_DEPTH;

/// Why a filter could not be parsed; `position` is a 0-based character offset into the filter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}")]
pub struct CeqlError {
    pub position: usize,
    pub message: String,
}

impl CeqlError {
    fn new(position: usize, message: impl Into<String>) -> Self {
        Self {
            position,
            message: message.into(),
        }
    }
}

/// Parses a `where=` value (already percent-decoded).
pub fn parse(input: &str) -> Result<Expr, CeqlError> {
    let tokens = lexer::tokenize(input)?;
    parser::Parser::new(tokens, input.chars().count()).parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(field: &str, op: CompareOp, value: Literal) -> Expr {
        Expr::Compare {
            field: field.into(),
            op,
            value,
        }
    }

    fn s(v: &str) -> Literal {
        Literal::Str(v.into())
    }

    #[test]
    fn parses_the_sage_crm_seed() {
        let e = parse("Comp_UpdatedDate>'2024-05-01T10:20:30Z'").unwrap();
        assert_eq!(
            e,
            cmp("Comp_UpdatedDate", CompareOp::Gt, s("2024-05-01T10:20:30Z"))
        );
    }

    #[test]
    fn parses_the_sloppy_sage_accounting_seed() {
        let e =
            parse("lastModifiedDate>='2024-05-01T10:20:30Z' and attributes='created_at,updated_at")
                .unwrap();
        assert_eq!(
            e,
            Expr::And(vec![
                cmp("lastModifiedDate", CompareOp::Ge, s("2024-05-01T10:20:30Z")),
                cmp("attributes", CompareOp::Eq, s("created_at,updated_at")),
            ])
        );
    }

    #[test]
    fn every_operator() {
        for (text, op) in [
            ("=", CompareOp::Eq),
            ("!=", CompareOp::Ne),
            ("<>", CompareOp::Ne),
            (">", CompareOp::Gt),
            (">=", CompareOp::Ge),
            ("<", CompareOp::Lt),
            ("<=", CompareOp::Le),
        ] {
            assert_eq!(
                parse(&format!("a {text} 1")).unwrap(),
                cmp("a", op, Literal::Number("1".into()))
            );
        }
    }

    #[test]
    fn literals_and_escapes() {
        assert_eq!(
            parse("a = 'O''Brien'").unwrap(),
            cmp("a", CompareOp::Eq, s("O'Brien"))
        );
        assert_eq!(
            parse(r"a = 'O\'Brien'").unwrap(),
            cmp("a", CompareOp::Eq, s("O'Brien"))
        );
        assert_eq!(
            parse("a = -1.5").unwrap(),
            cmp("a", CompareOp::Eq, Literal::Number("-1.5".into()))
        );
        assert_eq!(
            parse("a = TRUE").unwrap(),
            cmp("a", CompareOp::Eq, Literal::Bool(true))
        );
        assert_eq!(
            parse("a != null").unwrap(),
            cmp("a", CompareOp::Ne, Literal::Null)
        );
    }

    #[test]
    fn like_in_is_null_and_precedence() {
        let e = parse("(name like 'A%' or id in ('1', '2')) and x is not null or y not in (3)")
            .unwrap();
        let expected = Expr::Or(vec![
            Expr::And(vec![
                Expr::Or(vec![
                    Expr::Like {
                        field: "name".into(),
                        pattern: "A%".into(),
                        negated: false,
                    },
                    Expr::In {
                        field: "id".into(),
                        values: vec![s("1"), s("2")],
                        negated: false,
                    },
                ]),
                Expr::IsNull {
                    field: "x".into(),
                    negated: true,
                },
            ]),
            Expr::In {
                field: "y".into(),
                values: vec![Literal::Number("3".into())],
                negated: true,
            },
        ]);
        assert_eq!(e, expected);
        assert_eq!(
            e.to_string(),
            "((name like 'A%' or id in ('1', '2')) and x is not null) or y not in (3)"
        );
    }

    #[test]
    fn long_chains_stay_flat() {
        let text = vec!["a = 1"; 10_000].join(" and ");
        match parse(&text).unwrap() {
            Expr::And(items) => assert_eq!(items.len(), 10_000),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_position() {
        for (input, want) in [
            (
                "Comp_UpdatedDate>",
                "expected a value after '>' at position 17",
            ),
            (
                "a = 1 and",
                "expected a condition after 'and'/'or' at position 9",
            ),
            ("a 'x'", "expected an operator"),
            (
                "(a = 1",
                "expected ')' to close the '(' at position 0 at position 6",
            ),
            (
                "a = 1 b = 2",
                "expected 'and', 'or' or the end of the filter, found 'b' at position 6",
            ),
            ("a in 1", "expected '(' after 'in'"),
            ("a = 1 # 2", "unexpected character '#' at position 6"),
            ("", "at position 0"),
            ("and = 1", "expected a field name"),
            ("a is 1", "expected 'null' after 'is'"),
        ] {
            let err = parse(input).expect_err(input).to_string();
            assert!(err.contains(want), "{input}: {err}");
        }
    }

    #[test]
    fn deep_nesting_is_capped() {
        let ok = format!("{}a = 1{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("{}a = 1{}", "(".repeat(100_000), ")".repeat(100_000));
        let err = parse(&deep).expect_err("too deep");
        assert!(err.message.contains("nested deeper than 64"), "{err}");
        assert_eq!(err.position, MAX_DEPTH);
    }
}
