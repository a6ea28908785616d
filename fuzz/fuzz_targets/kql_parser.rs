//! Fuzz the KQL front end: `parse_script` must never panic, every error it
//! reports must carry a span inside the text (on char boundaries), and
//! evaluating what parses against an empty database must not panic either.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rulecheck::engine::kql::parser::parse_script;
use rulecheck::engine::kql::runtime::{Database, Runtime};
use rulecheck::engine::kql::table::Table;

/// Knows no table: every table reference is an evaluation error, while
/// `print`, `datatable`, `range`, `let` … still run.
struct EmptyDb;

impl Database for EmptyDb {
    fn table(&self, _name: &str) -> Option<Table> {
        None
    }
}

/// Only texts shorter than this are evaluated, so pathological inputs
/// (e.g. nested `range` / `mv-expand`) cannot make one run slow.
const MAX_EVAL_LEN: usize = 2048;

/// `now()`: 2026-03-02T11:00:00Z in the engine's ticks (100 ns since the Unix epoch).
const NOW_TICKS: i64 = 17_724_492_000_000_000;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_script(text) {
        Err(errors) => {
            assert!(!errors.is_empty(), "Err with no errors for {text:?}");
            for e in &errors {
                let s = e.span;
                assert!(
                    s.start <= s.end && s.end <= text.len(),
                    "span {s:?} outside text of {} bytes: {:?} ({text:?})",
                    text.len(),
                    e.message
                );
                assert!(
                    text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                    "span {s:?} not on char boundaries: {:?} ({text:?})",
                    e.message
                );
            }
        }
        Ok(queries) => {
            if text.len() < MAX_EVAL_LEN {
                let rt = Runtime::new(&EmptyDb, NOW_TICKS);
                for q in &queries {
                    let _ = rt.run_query(q);
                }
            }
        }
    }
});
