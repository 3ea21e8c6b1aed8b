//! Splits a `where=` clause into tokens, each with its character position for error messages.

use super::CeqlError;

/// One lexical unit of CEQL.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// A field name or a keyword (`and`, `or`, `like`, `in`, `is`, `not`, `null`, `true`, `false`).
    Word(String),
    /// A quoted string, escapes resolved; an unterminated one runs to the end of the input.
    Str(String),
    Number(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

impl Token {
    /// How the token reads in an error message.
    pub(super) fn describe(&self) -> String {
        match self {
            Token::Word(w) => format!("'{w}'"),
            Token::Str(s) => format!("the string '{s}'"),
            Token::Number(n) => format!("the number {n}"),
            Token::Op(op) => format!("'{op}'"),
            Token::LParen => "'('".into(),
            Token::RParen => "')'".into(),
            Token::Comma => "','".into(),
        }
    }

    /// True when this is the keyword `kw`, in any letter case.
    pub(super) fn is_keyword(&self, kw: &str) -> bool {
        matches!(self, Token::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

/// A token and the 0-based character offset where it starts.
pub(super) type Spanned = (Token, usize);

/// Tokenizes `input`; the only errors are characters CEQL has no use for.
pub(super) fn tokenize(input: &str) -> Result<Vec<Spanned>, CeqlError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                tokens.push((Token::LParen, start));
                i += 1;
            }
            ')' => {
                tokens.push((Token::RParen, start));
                i += 1;
            }
            ',' => {
                tokens.push((Token::Comma, start));
                i += 1;
            }
            '\'' => {
                let (text, next) = string(&chars, i + 1);
                tokens.push((Token::Str(text), start));
                i = next;
            }
            '=' => {
                // `==` is a common slip for `=`; read it as one operator.
                i += if chars.get(i + 1) == Some(&'=') { 2 } else { 1 };
                tokens.push((Token::Op("="), start));
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                tokens.push((Token::Op("!="), start));
                i += 2;
            }
            '<' => {
                let (op, len) = match chars.get(i + 1) {
                    Some('=') => ("<=", 2),
                    Some('>') => ("!=", 2),
                    _ => ("<", 1),
                };
                tokens.push((Token::Op(op), start));
                i += len;
            }
            '>' => {
                let (op, len) = if chars.get(i + 1) == Some(&'=') {
                    (">=", 2)
                } else {
                    (">", 1)
                };
                tokens.push((Token::Op(op), start));
                i += len;
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                tokens.push((Token::Number(chars[start..i].iter().collect()), start));
            }
            c if is_word_char(c) => {
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                tokens.push((Token::Word(chars[start..i].iter().collect()), start));
            }
            other => {
                return Err(CeqlError::new(
                    start,
                    format!("unexpected character '{other}'"),
                ));
            }
        }
    }
    Ok(tokens)
}

/// Field names: letters, digits, `_`, `.`, `$` (`Comp_UpdatedDate`, `data.id`, `$key`).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '$')
}

/// Reads a string body from `i` (after the opening quote); returns it and the index after it.
/// `''` and `\'` are quotes, `\\` a backslash. Without a closing quote the string runs to
/// the end of the input: the Sage Accounting seed page ends its URL that way.
fn string(chars: &[char], mut i: usize) -> (String, usize) {
    let mut text = String::new();
    while i < chars.len() {
        match chars[i] {
            '\'' if chars.get(i + 1) == Some(&'\'') => {
                text.push('\'');
                i += 2;
            }
            '\'' => return (text, i + 1),
            '\\' if matches!(chars.get(i + 1), Some('\'' | '\\')) => {
                text.push(chars[i + 1]);
                i += 2;
            }
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    (text, i)
}
