//! Parser fuzzing (issue 8, part 3): arbitrary bytes and structured garbage thrown at every
//! parser of user input: Java date patterns and the dates they read, poll URL templates, CEQL
//! `where=` filters with their translation to vendor queries, and the `POST /instances` and
//! `PATCH /instances/{id}` bodies. Every property checks the same three things: no panic; each
//! case ends within a bound (1 s, or `POLLHOOK_FUZZ_CASE_MS`; a watchdog aborts a real hang,
//! printing the input); and every error says where the problem is, as a 0-based position or a
//! field path, and that the place it names really holds what the error says.
//!
//! The normal run does about 50,000 cases in all. `POLLHOOK_FUZZ_CASES=<n>` runs `n` cases per
//! property, e.g. the bench-style run in BENCHMARKS.md ("Parser fuzzing"):
//! `POLLHOOK_FUZZ_CASES=1000000 cargo test --release -p pollhook-core --test parser_fuzz`.
//! `PROPTEST_RNG_SEED=<u64>` replays a run.

#[path = "parser_fuzz/bounded.rs"]
mod bounded;
#[path = "parser_fuzz/ceql.rs"]
mod ceql;
#[path = "parser_fuzz/dates.rs"]
mod dates;
#[path = "parser_fuzz/garbage.rs"]
mod garbage;
#[path = "parser_fuzz/instance.rs"]
mod instance;
#[path = "parser_fuzz/regressions.rs"]
mod regressions;
#[path = "parser_fuzz/templates.rs"]
mod templates;

use proptest::test_runner::Config as ProptestConfig;

/// The cases of one property: its default for the normal run, or `POLLHOOK_FUZZ_CASES`.
fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("POLLHOOK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}
