//! Garbage generators: arbitrary text, mutations of valid inputs (truncations, insertions of
//! quotes, braces, unicode and control chars, deletions, huge repeats, deep nesting), and edits
//! of a valid JSON body at any node. Mutations are data, so proptest shrinks a failing case to
//! the fewest, smallest edits of the seed.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use serde_json::{Map, Value};

/// No mutated input grows past this many chars: big enough for "huge repeats", small enough
/// that tens of thousands of debug-build cases stay fast.
const MAX_CHARS: usize = 100_000;

/// Tokens that break parsers in general: quotes, braces, escapes, separators, unicode that is
/// wide, invisible, bidi or a surrogate-pair, and control chars.
#[rustfmt::skip]
const NASTY: &[&str] = &[
    "'", "''", "\"", "\\", "\\'", "{", "}", "${", "(", ")", "[", "]", ",", ":", "=", "%", "&",
    "?", "#", "/", "-", "+", ".", " ", "\t", "\n", "\r", "\0", "\u{7f}", "\u{1b}", "\u{a0}",
    "\u{200b}", "\u{202e}", "\u{feff}", "é", "ß", "İ", "ﬀ", "日本", "𝄞", "🦀", "\u{10ffff}",
];

/// What a mutation does to the chars of a seed; indices wrap to the current length.
#[derive(Debug, Clone)]
pub enum Mutation {
    Truncate(Index),
    Insert(Index, String),
    Delete(Index, Index),
    /// Repeats the `len` chars at the index `times` times (capped at [`MAX_CHARS`]).
    Repeat(Index, usize, usize),
    Replace(Index, char),
    /// Wraps the whole text in `depth` pairs of the parser's nesting brackets.
    Nest(usize),
}

/// A token: a generally nasty one, one of the parser's own, or any char.
fn token(own: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(NASTY).prop_map(str::to_owned),
        4 => select(own).prop_map(str::to_owned),
        2 => any::<char>().prop_map(String::from),
    ]
    .boxed()
}

fn mutation(own: &'static [&'static str]) -> BoxedStrategy<Mutation> {
    prop_oneof![
        2 => any::<Index>().prop_map(Mutation::Truncate),
        6 => (any::<Index>(), token(own)).prop_map(|(at, t)| Mutation::Insert(at, t)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Delete(a, b)),
        1 => (any::<Index>(), 1usize..32, 2usize..3_000)
            .prop_map(|(at, len, times)| Mutation::Repeat(at, len, times)),
        2 => (any::<Index>(), any::<char>()).prop_map(|(at, c)| Mutation::Replace(at, c)),
        1 => (1usize..2_000).prop_map(Mutation::Nest),
    ]
    .boxed()
}

/// Applies `mutations` to `seed`; `nest` is the parser's bracket pair for [`Mutation::Nest`].
pub fn apply(seed: &str, mutations: &[Mutation], nest: (&str, &str)) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for m in mutations {
        let len = chars.len();
        match m {
            Mutation::Truncate(at) => chars.truncate(at.index(len + 1)),
            Mutation::Insert(at, t) if len + t.len() <= MAX_CHARS => {
                let at = at.index(len + 1);
                chars.splice(at..at, t.chars());
            }
            Mutation::Delete(a, b) => {
                let (a, b) = (a.index(len + 1), b.index(len + 1));
                chars.drain(a.min(b)..a.max(b));
            }
            Mutation::Repeat(at, run, times) if len > 0 => {
                let start = at.index(len);
                let piece: Vec<char> = chars[start..(start + run).min(len)].to_vec();
                let times = (*times).min((MAX_CHARS - len.min(MAX_CHARS)) / piece.len());
                let repeated: Vec<char> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * times)
                    .collect();
                chars.splice(start..start, repeated);
            }
            Mutation::Replace(at, c) if len > 0 => chars[at.index(len)] = *c,
            Mutation::Nest(depth) => {
                let (open, close) = (nest.0.chars().count(), nest.1.chars().count());
                let depth = (*depth).min((MAX_CHARS - len.min(MAX_CHARS)) / (open + close).max(1));
                let mut out: Vec<char> = nest.0.repeat(depth).chars().collect();
                out.append(&mut chars);
                out.extend(nest.1.repeat(depth).chars());
                chars = out;
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Valid `seeds` with one to seven mutations each.
pub fn mutated(
    seeds: &'static [&'static str],
    own: &'static [&'static str],
    nest: (&'static str, &'static str),
) -> BoxedStrategy<String> {
    (select(seeds), vec(mutation(own), 1..8))
        .prop_map(move |(seed, ms)| apply(seed, &ms, nest))
        .boxed()
}

/// Arbitrary text: raw bytes read as UTF-8 lossily (what a percent-decoded or JSON-decoded
/// value can hold), any chars, printable ASCII, and strings over the parser's own alphabet.
pub fn arbitrary(alphabet: &'static str) -> BoxedStrategy<String> {
    prop_oneof![
        vec(any::<u8>(), 0..256).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        vec(any::<char>(), 0..128).prop_map(|c| c.into_iter().collect()),
        "[ -~]{0,128}",
        alphabet,
    ]
    .boxed()
}

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    At(usize),
}

/// An edit of a JSON body at one of its nodes (picked by index in pre-order).
#[derive(Debug, Clone)]
pub enum Edit {
    Replace(Index, Value),
    Remove(Index),
    InsertKey(Index, String, Value),
    /// Mutates one string leaf (picked among the string leaves) as text.
    MutateString(Index, Vec<Mutation>),
    /// Replaces a node with its JSON text: legal for `event.poller.configuration`.
    Stringify(Index),
}

/// Keys the instance parser knows at some level, so edits land where they matter.
#[rustfmt::skip]
const KEYS: &[&str] = &[
    "element", "key", "configuration", "providerData", "code", "tags", "name",
    "event.notification.enabled", "event.notification.callback.url",
    "event.notification.signature.key", "event.poller.refresh_interval",
    "event.poller.configuration", "event.vendor.type", "subdomain", "username", "password",
    "base.url", "oauth.api.key", "oauth.api.secret", "oauth.callback.url", "oauth.token.url",
    "webhook.secret", "accounts", "customers", "url", "idField", "datesConfiguration",
    "pageSize", "pollDelay", "filterByUpdatedDate", "filterByCurrentDate",
    "createdCheckTolerance", "updatedDateField", "updatedDateFormat", "updatedDateTimezone",
    "createdDateField", "createdDateFormat", "createdDateTimezone", "", " ", "a.b", "\u{0}",
];

/// Strings the instance parser reads as something more than text.
#[rustfmt::skip]
const MEANINGFUL: &[&str] = &[
    "sagecrm", "sageone", "http", "polling", "webhook", "true", "false", "15", "0", "-1",
    "99999999999999999999", "GMT", "UTC", "Europe/Paris", "GMT+25:00", "key", "data.id",
    "$.items[0].id", "a..b", "[x]", "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-qq", "XXXX", "'",
    "/hubs/crm/accounts?where=a>'${gmtDate:yyyy}'", "/hubs/crm/accounts?where=a >",
    "/hubs/finance/customers?where=lastModifiedDate>='${date}' or x=1",
    "https://example.com/x?since=${date:yyyy", "http://127.0.0.1:9/cb", "ftp://x", "<REDACTED>",
    "********", "{\"accounts\":{\"url\":\"/hubs/crm/accounts\"}}", "{\"a\":", "[]",
];

fn key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(KEYS).prop_map(str::to_owned),
        1 => arbitrary("[a-zA-Z._ ]{0,12}"),
    ]
    .boxed()
}

/// A JSON value of any kind, including deep nests (past serde_json's recursion limit) and
/// numbers at the edges.
pub fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(MEANINGFUL).prop_map(|s| Value::String(s.to_owned())),
        arbitrary("[a-zA-Z0-9${}':/?=<>. -]{0,40}").prop_map(Value::String),
        (0usize..200).prop_map(|depth| (0..depth).fold(Value::Null, |v, _| Value::Array(vec![v]))),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            btree_map(key(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
    .boxed()
}

/// Edits of a body; `own` are the tokens string mutations insert.
pub fn edits(own: &'static [&'static str]) -> BoxedStrategy<Vec<Edit>> {
    let edit = prop_oneof![
        3 => (any::<Index>(), json_value()).prop_map(|(at, v)| Edit::Replace(at, v)),
        2 => any::<Index>().prop_map(Edit::Remove),
        2 => (any::<Index>(), key(), json_value()).prop_map(|(at, k, v)| Edit::InsertKey(at, k, v)),
        6 => (any::<Index>(), vec(mutation(own), 1..5)).prop_map(|(at, ms)| Edit::MutateString(at, ms)),
        1 => any::<Index>().prop_map(Edit::Stringify),
    ];
    vec(edit, 1..6).boxed()
}

/// Every node's path, in pre-order (the root is the empty path).
fn paths(value: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                prefix.push(Step::Key(k.clone()));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                prefix.push(Step::At(i));
                paths(v, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn node_mut<'a>(value: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(value, |node, step| match (node, step) {
            (Value::Object(map), Step::Key(k)) => map.get_mut(k),
            (Value::Array(items), Step::At(i)) => items.get_mut(*i),
            _ => None,
        })
}

/// Applies `edits` to a copy of `body`.
pub fn apply_edits(body: &Value, edits: &[Edit], nest: (&str, &str)) -> Value {
    let mut body = body.clone();
    for edit in edits {
        let mut all = Vec::new();
        paths(&body, &mut Vec::new(), &mut all);
        let pick = |at: &Index, among: &[Vec<Step>]| among[at.index(among.len())].clone();
        match edit {
            Edit::Replace(at, v) => {
                if let Some(node) = node_mut(&mut body, &pick(at, &all)) {
                    *node = v.clone();
                }
            }
            Edit::Remove(at) => {
                let path = pick(at, &all);
                if let Some((last, parent)) = path.split_last() {
                    match (node_mut(&mut body, parent), last) {
                        (Some(Value::Object(map)), Step::Key(k)) => {
                            map.remove(k);
                        }
                        (Some(Value::Array(items)), Step::At(i)) => {
                            items.remove(*i);
                        }
                        _ => {}
                    }
                }
            }
            Edit::InsertKey(at, k, v) => {
                if let Some(Value::Object(map)) = node_mut(&mut body, &pick(at, &all)) {
                    map.insert(k.clone(), v.clone());
                }
            }
            Edit::MutateString(at, ms) => {
                let strings: Vec<Vec<Step>> = all
                    .into_iter()
                    .filter(|p| node_mut(&mut body, p).is_some_and(|n| n.is_string()))
                    .collect();
                if strings.is_empty() {
                    continue;
                }
                if let Some(Value::String(s)) = node_mut(&mut body, &pick(at, &strings)) {
                    *s = apply(s, ms, nest);
                }
            }
            Edit::Stringify(at) => {
                if let Some(node) = node_mut(&mut body, &pick(at, &all)) {
                    *node = Value::String(node.to_string());
                }
            }
        }
    }
    body
}
