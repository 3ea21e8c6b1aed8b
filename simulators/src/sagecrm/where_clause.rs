//! The SData `where=` filter language as Sage CRM documents it: `eq ne gt ge lt le`, `like`
//! (`%`/`_` wildcards), `in (...)`, `between X and Y`, `and`, `or`, `not`, parentheses,
//! `'strings'`, numbers, `null` and `@date@` literals. Field names are case-insensitive;
//! dates compare as instants.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use chrono::{FixedOffset, Offset};

use crate::dates::{parse_instant, parse_instant_in};

/// Why a `where` or `orderBy` did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct WhereError(pub String);

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A literal with its possible readings worked out once, not per record.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'`: compared as an instant, a number or case-insensitive text, whichever the
    /// record's value also reads as.
    Text {
        lower: String,
        instant: Option<DateTime<Utc>>,
        number: Option<f64>,
    },
    /// `@2014-03-14@` or `@2014-03-14T10:00:00@`.
    Date(DateTime<Utc>),
    Number(f64),
    Null,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare {
        field: String,
        op: Op,
        value: Literal,
    },
    In {
        field: String,
        values: Vec<Literal>,
    },
    Between {
        field: String,
        low: Literal,
        high: Literal,
    },
    Like {
        field: String,
        pattern: Vec<char>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Date(String),
    Number(f64),
    Open,
    Close,
    Comma,
}

fn describe(token: Option<&Token>) -> String {
    match token {
        None => "end of filter".into(),
        Some(Token::Word(w)) => format!("'{w}'"),
        Some(Token::Text(t)) => format!("string '{t}'"),
        Some(Token::Date(d)) => format!("date @{d}@"),
        Some(Token::Number(n)) => format!("number {n}"),
        Some(Token::Open) => "'('".into(),
        Some(Token::Close) => "')'".into(),
        Some(Token::Comma) => "','".into(),
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, WhereError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            '\'' => {
                let mut text = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(WhereError(format!(
                                "unterminated string literal at position {}",
                                text.len()
                            )))
                        }
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            text.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            text.push(ch);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Text(text));
            }
            '@' => {
                let start = i + 1;
                let end = chars[start..]
                    .iter()
                    .position(|&ch| ch == '@')
                    .map(|p| start + p)
                    .ok_or_else(|| {
                        WhereError("unterminated date literal (missing closing '@')".into())
                    })?;
                tokens.push(Token::Date(chars[start..end].iter().collect()));
                i = end + 1;
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit())) =>
            {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let text: String = chars[start..i].iter().collect();
                let number = text
                    .parse::<f64>()
                    .map_err(|_| WhereError(format!("invalid number '{text}'")))?;
                tokens.push(Token::Number(number));
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '$'))
                {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
            '=' | '<' | '>' | '!' => {
                let start = i;
                while i < chars.len() && matches!(chars[i], '=' | '<' | '>' | '!') {
                    i += 1;
                }
                let symbol: String = chars[start..i].iter().collect();
                return Err(WhereError(format!(
                    "operator '{symbol}' is not SData syntax; use eq, ne, gt, ge, lt or le"
                )));
            }
            other => return Err(WhereError(format!("unexpected character '{other}'"))),
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Zone of literals written without an offset (the server's local time).
    zone: FixedOffset,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword))
    }

    fn expect(&mut self, want: &Token, what: &str) -> Result<(), WhereError> {
        match self.next() {
            Some(ref t) if t == want => Ok(()),
            other => Err(WhereError(format!(
                "expected {what}, found {}",
                describe(other.as_ref())
            ))),
        }
    }

    fn or(&mut self) -> Result<Expr, WhereError> {
        let mut left = self.and()?;
        while self.peek_keyword("or") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, WhereError> {
        let mut left = self.unary()?;
        while self.peek_keyword("and") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, WhereError> {
        if self.peek_keyword("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Token::Open) {
            self.pos += 1;
            let inner = self.or()?;
            self.expect(&Token::Close, "')'")?;
            return Ok(inner);
        }
        self.condition()
    }

    fn condition(&mut self) -> Result<Expr, WhereError> {
        let field = match self.next() {
            Some(Token::Word(w)) if !is_keyword(&w) => w,
            other => {
                return Err(WhereError(format!(
                    "expected a field name, found {}",
                    describe(other.as_ref())
                )))
            }
        };
        let op = match self.next() {
            Some(Token::Word(w)) => w.to_ascii_lowercase(),
            other => {
                return Err(WhereError(format!(
                    "expected an operator after '{field}', found {}",
                    describe(other.as_ref())
                )))
            }
        };
        match op.as_str() {
            "eq" | "ne" | "gt" | "ge" | "lt" | "le" => {
                let op = match op.as_str() {
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "gt" => Op::Gt,
                    "ge" => Op::Ge,
                    "lt" => Op::Lt,
                    _ => Op::Le,
                };
                let value = self.literal()?;
                Ok(Expr::Compare { field, op, value })
            }
            "like" => match self.next() {
                Some(Token::Text(t)) => Ok(Expr::Like { field, pattern: t.to_lowercase().chars().collect() }),
                other => Err(WhereError(format!("'like' needs a string pattern, found {}", describe(other.as_ref())))),
            },
            "in" => {
                self.expect(&Token::Open, "'(' after 'in'")?;
                let mut values = vec![self.literal()?];
                loop {
                    match self.next() {
                        Some(Token::Comma) => values.push(self.literal()?),
                        Some(Token::Close) => break,
                        other => {
                            return Err(WhereError(format!(
                                "expected ',' or ')' in the 'in' list, found {}",
                                describe(other.as_ref())
                            )))
                        }
                    }
                }
                Ok(Expr::In { field, values })
            }
            "between" => {
                let low = self.literal()?;
                if !self.peek_keyword("and") {
                    return Err(WhereError(format!("expected 'and' in 'between', found {}", describe(self.peek()))));
                }
                self.pos += 1;
                let high = self.literal()?;
                Ok(Expr::Between { field, low, high })
            }
            other => Err(WhereError(format!(
                "unknown operator '{other}' after '{field}' (supported: eq, ne, gt, ge, lt, le, like, in, between)"
            ))),
        }
    }

    fn literal(&mut self) -> Result<Literal, WhereError> {
        match self.next() {
            Some(Token::Text(t)) => Ok(Literal::Text {
                instant: parse_instant_in(&t, self.zone),
                number: t.trim().parse::<f64>().ok(),
                lower: t.to_lowercase(),
            }),
            Some(Token::Date(d)) => parse_instant_in(&d, self.zone)
                .map(Literal::Date)
                .ok_or_else(|| WhereError(format!("invalid date literal @{d}@"))),
            Some(Token::Number(n)) => Ok(Literal::Number(n)),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => Ok(Literal::Null),
            other => Err(WhereError(format!(
                "expected a value, found {}",
                describe(other.as_ref())
            ))),
        }
    }
}

fn is_keyword(word: &str) -> bool {
    ["and", "or", "not"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

/// Parses a `where` value; literals without an offset are UTC.
pub fn parse(input: &str) -> Result<Expr, WhereError> {
    parse_in(input, Utc.fix())
}

/// Parses a `where` value; literals without an offset are local time at `zone`.
pub fn parse_in(input: &str, zone: FixedOffset) -> Result<Expr, WhereError> {
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(WhereError("empty filter".into()));
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        zone,
    };
    let expr = parser.or()?;
    if parser.pos < parser.tokens.len() {
        return Err(WhereError(format!(
            "unexpected {} after a complete condition",
            describe(parser.peek())
        )));
    }
    Ok(expr)
}

/// A field of `record`, by case-insensitive name.
pub fn lookup<'a>(record: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    record.get(field).or_else(|| {
        record
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(field))
            .map(|(_, v)| v)
    })
}

impl Expr {
    /// Rewrites field names to the spelling records use, so matching finds them with one map
    /// lookup instead of a case-insensitive scan of every field of every record.
    pub fn canonicalize_fields(&mut self, resolve: &dyn Fn(&str) -> Option<String>) {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                a.canonicalize_fields(resolve);
                b.canonicalize_fields(resolve);
            }
            Expr::Not(e) => e.canonicalize_fields(resolve),
            Expr::Compare { field, .. }
            | Expr::In { field, .. }
            | Expr::Between { field, .. }
            | Expr::Like { field, .. } => {
                if let Some(exact) = resolve(field) {
                    *field = exact;
                }
            }
        }
    }

    /// Every field name the filter mentions.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Expr::And(a, b) | Expr::Or(a, b) => {
                let mut fields = a.fields();
                fields.extend(b.fields());
                fields
            }
            Expr::Not(e) => e.fields(),
            Expr::Compare { field, .. }
            | Expr::In { field, .. }
            | Expr::Between { field, .. }
            | Expr::Like { field, .. } => {
                vec![field.as_str()]
            }
        }
    }

    /// Whether `record` satisfies the filter (SQL semantics: comparisons with null are false).
    pub fn matches(&self, record: &Map<String, Value>) -> bool {
        match self {
            Expr::And(a, b) => a.matches(record) && b.matches(record),
            Expr::Or(a, b) => a.matches(record) || b.matches(record),
            Expr::Not(e) => !e.matches(record),
            Expr::Compare { field, op, value } => {
                let actual = lookup(record, field).unwrap_or(&Value::Null);
                if let Literal::Null = value {
                    return match op {
                        Op::Eq => actual.is_null(),
                        Op::Ne => !actual.is_null(),
                        _ => false,
                    };
                }
                match compare(actual, value) {
                    Some(ordering) => match op {
                        Op::Eq => ordering == Ordering::Equal,
                        Op::Ne => ordering != Ordering::Equal,
                        Op::Gt => ordering == Ordering::Greater,
                        Op::Ge => ordering != Ordering::Less,
                        Op::Lt => ordering == Ordering::Less,
                        Op::Le => ordering != Ordering::Greater,
                    },
                    None => false,
                }
            }
            Expr::In { field, values } => {
                let actual = lookup(record, field).unwrap_or(&Value::Null);
                values
                    .iter()
                    .any(|v| compare(actual, v) == Some(Ordering::Equal))
            }
            Expr::Between { field, low, high } => {
                let actual = lookup(record, field).unwrap_or(&Value::Null);
                matches!(
                    compare(actual, low),
                    Some(Ordering::Greater | Ordering::Equal)
                ) && matches!(
                    compare(actual, high),
                    Some(Ordering::Less | Ordering::Equal)
                )
            }
            Expr::Like { field, pattern } => match lookup(record, field) {
                Some(Value::String(s)) => {
                    like(&s.to_lowercase().chars().collect::<Vec<_>>(), pattern)
                }
                Some(Value::Number(n)) => like(&n.to_string().chars().collect::<Vec<_>>(), pattern),
                _ => false,
            },
        }
    }
}

/// Orders a record value against a literal; `None` when they are not comparable (or null).
fn compare(actual: &Value, literal: &Literal) -> Option<Ordering> {
    match (actual, literal) {
        (Value::Null, _) | (_, Literal::Null) => None,
        (Value::String(s), Literal::Date(d)) => parse_instant(s).map(|t| t.cmp(d)),
        (_, Literal::Date(_)) => None,
        (Value::Number(n), Literal::Number(m)) => n.as_f64().and_then(|n| n.partial_cmp(m)),
        (Value::String(s), Literal::Number(m)) => {
            s.trim().parse::<f64>().ok().and_then(|n| n.partial_cmp(m))
        }
        (_, Literal::Number(_)) => None,
        (Value::Number(n), Literal::Text { number, .. }) => {
            n.as_f64().zip(*number).and_then(|(n, m)| n.partial_cmp(&m))
        }
        (
            Value::String(s),
            Literal::Text {
                lower,
                instant,
                number,
            },
        ) => {
            if let Some(t) = instant.and_then(|i| parse_instant(s).map(|t| t.cmp(&i))) {
                return Some(t);
            }
            if let (Some(m), Ok(n)) = (number, s.trim().parse::<f64>()) {
                return n.partial_cmp(m);
            }
            Some(s.to_lowercase().cmp(lower))
        }
        (Value::Bool(b), Literal::Text { lower, .. }) => Some(b.to_string().cmp(lower)),
        _ => None,
    }
}

/// SQL `LIKE` over lower-cased chars: `%` any run, `_` any one char.
fn like(text: &[char], pattern: &[char]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('%') => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '_' || c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match backtrack {
                Some((bp, bt)) => {
                    p = bp + 1;
                    t = bt + 1;
                    backtrack = Some((bp, bt + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '%')
}

/// One `orderBy` key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderKey {
    pub field: String,
    pub descending: bool,
}

/// Parses `orderBy=<field> [asc|desc][, ...]`.
pub fn parse_order_by(input: &str) -> Result<Vec<OrderKey>, WhereError> {
    let mut keys = Vec::new();
    for part in input.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let (field, descending) = match words.as_slice() {
            [field] => (*field, false),
            [field, dir] if dir.eq_ignore_ascii_case("asc") => (*field, false),
            [field, dir] if dir.eq_ignore_ascii_case("desc") => (*field, true),
            _ => {
                return Err(WhereError(format!(
                    "invalid orderBy term '{}' (expected '<field> asc|desc')",
                    part.trim()
                )))
            }
        };
        if !field
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        {
            return Err(WhereError(format!("invalid orderBy field '{field}'")));
        }
        keys.push(OrderKey {
            field: field.to_owned(),
            descending,
        });
    }
    Ok(keys)
}

/// Orders two record values for `orderBy`: nulls first, then instants, numbers or text.
pub fn order_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    let a = a.filter(|v| !v.is_null());
    let b = b.filter(|v| !v.is_null());
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => {
            if let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
                return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
            }
            if let (Value::String(x), Value::String(y)) = (a, b) {
                if let (Some(x), Some(y)) = (parse_instant(x), parse_instant(y)) {
                    return x.cmp(&y);
                }
                return x.to_lowercase().cmp(&y.to_lowercase());
            }
            a.to_string().cmp(&b.to_string())
        }
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn dates_compare_as_instants_in_any_spelling() {
        let r = record(json!({"Comp_UpdatedDate": "2024-05-01T10:00:00Z", "Comp_Name": "Acme"}));
        assert!(parse("comp_updateddate gt '2024-05-01T09:59:59Z'")
            .map(|e| e.matches(&r))
            .unwrap_or(false));
        assert!(!parse("comp_updateddate gt '2024-05-01T10:00:00Z'")
            .map(|e| e.matches(&r))
            .unwrap_or(true));
        assert!(parse("comp_updateddate ge '2024-05-01T12:00:00+02:00'")
            .map(|e| e.matches(&r))
            .unwrap_or(false));
        assert!(parse("Comp_UpdatedDate gt @2024-05-01@")
            .map(|e| e.matches(&r))
            .unwrap_or(false));
        assert!(parse("Comp_UpdatedDate lt @2024-05-01T10:00:01@")
            .map(|e| e.matches(&r))
            .unwrap_or(false));
    }

    #[test]
    fn boolean_structure_like_and_in() {
        let r = record(json!({"Comp_Name": "Acme Ltd", "comp_companyid": 43}));
        let ok = |w: &str| {
            parse(w)
                .map(|e| e.matches(&r))
                .unwrap_or_else(|e| panic!("{w}: {e}"))
        };
        assert!(ok("comp_name like 'acme%'"));
        assert!(ok("comp_name like '%ltd'"));
        assert!(ok("comp_name like 'a_me%'"));
        assert!(!ok("comp_name like 'acme'"));
        assert!(ok("comp_companyid in ('42','43')"));
        assert!(!ok("comp_companyid in (1, 2)"));
        assert!(ok(
            "(comp_name eq 'x' or comp_name eq 'ACME LTD') and comp_companyid ge 43"
        ));
        assert!(!ok("not (comp_companyid between 40 and 50)"));
        assert!(ok("comp_website eq null"));
        assert!(!ok("comp_website ne 'x'"));
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let err = |w: &str| parse(w).err().map(|e| e.0).unwrap_or_default();
        assert!(err("comp_updateddate > '2020-01-01'").contains("'>'"));
        assert!(err("comp_name eq 'abc").contains("unterminated"));
        assert!(err("comp_name eq").contains("expected a value"));
        assert!(err("comp_name equals 'x'").contains("unknown operator 'equals'"));
        assert!(err("(comp_name eq 'x'").contains("expected ')'"));
        assert!(err("comp_name eq 'x' comp_name").contains("unexpected"));
        assert!(err("d gt @2020-13-45@").contains("invalid date"));
    }

    #[test]
    fn order_by_terms() {
        assert_eq!(
            parse_order_by("comp_name desc, comp_companyid"),
            Ok(vec![
                OrderKey {
                    field: "comp_name".into(),
                    descending: true
                },
                OrderKey {
                    field: "comp_companyid".into(),
                    descending: false
                }
            ])
        );
        assert!(parse_order_by("comp_name sideways").is_err());
    }
}
