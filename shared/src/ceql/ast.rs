//! The syntax tree a `where=` clause parses to; connectors translate it to vendor filters.

use std::fmt::{self, Write as _};

/// A comparison operator as CEQL writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// The CEQL spelling, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
        }
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A literal on the right of an operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A quoted string, escapes resolved.
    Str(String),
    /// A number, kept as written so no precision is lost on the way to the vendor.
    Number(String),
    Bool(bool),
    Null,
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write_quoted(f, s),
            Literal::Number(n) => f.write_str(n),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Null => f.write_str("null"),
        }
    }
}

/// Writes `s` as a CEQL string that reads back as `s` (so a printed filter can be sent again):
/// `'` doubled, and `\` doubled where the lexer would read it as an escape, i.e. before `'`,
/// `\` or the closing quote.
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("'")?;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => f.write_str("''")?,
            '\\' if matches!(chars.peek(), None | Some('\'' | '\\')) => f.write_str("\\\\")?,
            c => f.write_char(c)?,
        }
    }
    f.write_str("'")
}

/// A parsed filter. `And`/`Or` hold flat lists so long chains never nest deeply.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare {
        field: String,
        op: CompareOp,
        value: Literal,
    },
    In {
        field: String,
        values: Vec<Literal>,
        negated: bool,
    },
    Like {
        field: String,
        pattern: String,
        negated: bool,
    },
    IsNull {
        field: String,
        negated: bool,
    },
}

impl Expr {
    /// The top-level conjuncts: the expression itself unless it is an `And`.
    pub fn conjuncts(&self) -> &[Expr] {
        match self {
            Expr::And(items) => items,
            other => std::slice::from_ref(other),
        }
    }

    /// The field a predicate tests; None for `And`/`Or`.
    pub fn field(&self) -> Option<&str> {
        match self {
            Expr::Compare { field, .. }
            | Expr::In { field, .. }
            | Expr::Like { field, .. }
            | Expr::IsNull { field, .. } => Some(field),
            Expr::And(_) | Expr::Or(_) => None,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str| -> fmt::Result {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " {sep} ")?;
                }
                match item {
                    Expr::And(_) | Expr::Or(_) => write!(f, "({item})")?,
                    _ => write!(f, "{item}")?,
                }
            }
            Ok(())
        };
        match self {
            Expr::And(items) => join(f, items, "and"),
            Expr::Or(items) => join(f, items, "or"),
            Expr::Compare { field, op, value } => write!(f, "{field} {op} {value}"),
            Expr::In {
                field,
                values,
                negated,
            } => {
                let list: Vec<String> = values.iter().map(ToString::to_string).collect();
                let not = if *negated { "not " } else { "" };
                write!(f, "{field} {not}in ({})", list.join(", "))
            }
            Expr::Like {
                field,
                pattern,
                negated,
            } => {
                let not = if *negated { "not " } else { "" };
                write!(f, "{field} {not}like {}", Literal::Str(pattern.clone()))
            }
            Expr::IsNull { field, negated } => {
                let not = if *negated { "not " } else { "" };
                write!(f, "{field} is {not}null")
            }
        }
    }
}
