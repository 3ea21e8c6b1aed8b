//! Recursive-descent parser over the tokens; nesting depth is capped so input cannot blow the stack.

use super::ast::{CompareOp, Expr, Literal};
use super::lexer::{Spanned, Token};
use super::CeqlError;

/// Deepest parenthesis nesting accepted; real filters use two or three levels.
pub const MAX_DEPTH: usize = 64;

pub(super) struct Parser {
    tokens: Vec<Spanned>,
    pos: usize,
    /// Character length of the input: where "end of input" errors point.
    end: usize,
    depth: usize,
}

impl Parser {
    pub(super) fn new(tokens: Vec<Spanned>, end: usize) -> Self {
        Self {
            tokens,
            pos: 0,
            end,
            depth: 0,
        }
    }

    /// Parses the whole input as one expression.
    pub(super) fn parse(mut self) -> Result<Expr, CeqlError> {
        if self.tokens.is_empty() {
            return Err(CeqlError::new(
                0,
                "expected a condition such as field > 'value'",
            ));
        }
        let expr = self.or()?;
        match self.peek() {
            None => Ok(expr),
            Some((tok, at)) => Err(CeqlError::new(
                at,
                format!(
                    "expected 'and', 'or' or the end of the filter, found {}",
                    tok.describe()
                ),
            )),
        }
    }

    fn peek(&self) -> Option<(&Token, usize)> {
        self.tokens.get(self.pos).map(|(t, p)| (t, *p))
    }

    fn next(&mut self) -> Option<Spanned> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    /// Where the token just consumed ends, approximately: for "expected ... after X" errors.
    fn position_after_previous(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map(|(_, p)| *p)
            .unwrap_or(self.end)
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.peek().is_some_and(|(t, _)| t.is_keyword(kw)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, CeqlError> {
        let mut items = vec![self.and()?];
        while self.eat_keyword("or") {
            items.push(self.and()?);
        }
        Ok(flatten(items, Expr::Or))
    }

    fn and(&mut self) -> Result<Expr, CeqlError> {
        let mut items = vec![self.primary()?];
        while self.eat_keyword("and") {
            items.push(self.primary()?);
        }
        Ok(flatten(items, Expr::And))
    }

    fn primary(&mut self) -> Result<Expr, CeqlError> {
        match self.next() {
            Some((Token::LParen, at)) => {
                if self.depth >= MAX_DEPTH {
                    return Err(CeqlError::new(
                        at,
                        format!("parentheses nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                self.depth += 1;
                let inner = self.or()?;
                self.depth -= 1;
                match self.next() {
                    Some((Token::RParen, _)) => Ok(inner),
                    Some((tok, p)) => Err(CeqlError::new(
                        p,
                        format!(
                            "expected ')' to close the '(' at position {at}, found {}",
                            tok.describe()
                        ),
                    )),
                    None => Err(CeqlError::new(
                        self.end,
                        format!("expected ')' to close the '(' at position {at}"),
                    )),
                }
            }
            Some((Token::Word(field), at)) if !is_reserved(&field) => self.predicate(field, at),
            Some((tok, at)) => Err(CeqlError::new(
                at,
                format!("expected a field name or '(', found {}", tok.describe()),
            )),
            None => Err(CeqlError::new(
                self.end,
                "expected a condition after 'and'/'or'",
            )),
        }
    }

    fn predicate(&mut self, field: String, field_at: usize) -> Result<Expr, CeqlError> {
        let negated = self.eat_keyword("not");
        match self.next() {
            Some((Token::Op(op), _)) if !negated => {
                let op = compare_op(op);
                let value = self.literal(&format!("after '{op}'"))?;
                Ok(Expr::Compare { field, op, value })
            }
            Some((tok, _)) if tok.is_keyword("like") => match self.next() {
                Some((Token::Str(pattern), _)) => Ok(Expr::Like { field, pattern, negated }),
                Some((tok, p)) => Err(CeqlError::new(
                    p,
                    format!("expected a quoted pattern after 'like', found {}", tok.describe()),
                )),
                None => Err(CeqlError::new(self.end, "expected a quoted pattern after 'like'")),
            },
            Some((tok, _)) if tok.is_keyword("in") => {
                let values = self.list()?;
                Ok(Expr::In { field, values, negated })
            }
            Some((tok, _)) if tok.is_keyword("is") && !negated => {
                let negated = self.eat_keyword("not");
                if self.eat_keyword("null") {
                    Ok(Expr::IsNull { field, negated })
                } else {
                    Err(CeqlError::new(self.position_after_previous(), "expected 'null' after 'is'"))
                }
            }
            Some((tok, p)) => Err(CeqlError::new(
                p,
                format!("expected an operator (=, !=, >, >=, <, <=, like, in, is) after '{field}', found {}", tok.describe()),
            )),
            None => Err(CeqlError::new(
                self.end.max(field_at),
                format!("expected an operator (=, !=, >, >=, <, <=, like, in, is) after '{field}'"),
            )),
        }
    }

    /// `( value, value, ... )` after `in`.
    fn list(&mut self) -> Result<Vec<Literal>, CeqlError> {
        match self.next() {
            Some((Token::LParen, _)) => {}
            Some((tok, p)) => {
                return Err(CeqlError::new(
                    p,
                    format!("expected '(' after 'in', found {}", tok.describe()),
                ))
            }
            None => return Err(CeqlError::new(self.end, "expected '(' after 'in'")),
        }
        let mut values = vec![self.literal("in the 'in' list")?];
        loop {
            match self.next() {
                Some((Token::Comma, _)) => values.push(self.literal("after ','")?),
                Some((Token::RParen, _)) => return Ok(values),
                Some((tok, p)) => {
                    return Err(CeqlError::new(
                        p,
                        format!(
                            "expected ',' or ')' in the 'in' list, found {}",
                            tok.describe()
                        ),
                    ))
                }
                None => {
                    return Err(CeqlError::new(
                        self.end,
                        "expected ')' to close the 'in' list",
                    ))
                }
            }
        }
    }

    fn literal(&mut self, context: &str) -> Result<Literal, CeqlError> {
        match self.next() {
            Some((Token::Str(s), _)) => Ok(Literal::Str(s)),
            Some((Token::Number(n), _)) => Ok(Literal::Number(n)),
            Some((tok, _)) if tok.is_keyword("true") => Ok(Literal::Bool(true)),
            Some((tok, _)) if tok.is_keyword("false") => Ok(Literal::Bool(false)),
            Some((tok, _)) if tok.is_keyword("null") => Ok(Literal::Null),
            Some((tok, p)) => Err(CeqlError::new(
                p,
                format!("expected a value {context} (a quoted string, number, true, false or null), found {}", tok.describe()),
            )),
            None => Err(CeqlError::new(self.end, format!("expected a value {context}"))),
        }
    }
}

fn flatten(mut items: Vec<Expr>, wrap: fn(Vec<Expr>) -> Expr) -> Expr {
    if items.len() == 1 {
        items.remove(0)
    } else {
        wrap(items)
    }
}

fn compare_op(op: &str) -> CompareOp {
    match op {
        "!=" => CompareOp::Ne,
        ">" => CompareOp::Gt,
        ">=" => CompareOp::Ge,
        "<" => CompareOp::Lt,
        "<=" => CompareOp::Le,
        _ => CompareOp::Eq,
    }
}

/// Keywords that cannot start a predicate, so `and and x = 1` is an error, not a field named `and`.
fn is_reserved(word: &str) -> bool {
    [
        "and", "or", "not", "like", "in", "is", "null", "true", "false",
    ]
    .iter()
    .any(|kw| word.eq_ignore_ascii_case(kw))
}
