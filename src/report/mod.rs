//! Reporters: turn results into human tables and machine formats. Pure functions
//! from results to text; the CLI decides where the text goes.

pub mod coverage;
pub mod coverage_html;
pub mod eval;
pub mod event_summary;
pub mod false_positives;
pub mod json;
pub mod junit;
pub mod kql;
pub mod lint;
pub mod markdown;
pub mod robustness;
pub mod sarif;
pub mod snapshot;
pub mod table;
pub mod validate;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diagnostic::SourceError;
use crate::judge::Outcome;
use crate::testrun::RuleResult;

/// Version of the JSON report schemas (`test` and `eval`); bumped on any
/// incompatible change.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// An input that could not be used (unreadable or invalid rule, bundle, config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    pub fn from_source(e: &SourceError) -> Problem {
        Problem {
            path: e.path().to_string(),
            line: e.line(),
            message: match &e.help {
                Some(h) => format!("{} ({h})", e.message),
                None => e.message.clone(),
            },
        }
    }

    /// From any error, keeping its cause chain in the message.
    pub fn from_error(path: &str, e: &dyn std::error::Error) -> Problem {
        let mut message = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            message.push_str(&format!(": {c}"));
            cause = c.source();
        }
        Problem {
            path: path.to_string(),
            line: None,
            message: without_location(path, &message).to_string(),
        }
    }
}

/// Errors that name their file put `path:` or `path:line:` first; the problem
/// carries those separately, so drop them from the message.
fn without_location<'a>(path: &str, message: &'a str) -> &'a str {
    let Some(rest) = message.strip_prefix(path).and_then(|r| r.strip_prefix(':')) else {
        return message;
    };
    let after_line = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    match after_line.strip_prefix(':') {
        Some(r) if after_line.len() < rest.len() => r.trim_start(),
        _ => rest.trim_start(),
    }
}

/// Which part of a sharded run (`--shard K/N`) a report covers, so reports of
/// parallel CI jobs say which rules they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// K, from 1.
    pub index: usize,
    /// N, the number of shards.
    pub count: usize,
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Counts for the summary line and the JSON `summary` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub rules: usize,
    pub bundles: usize,
    pub outcomes: BTreeMap<&'static str, usize>,
    pub invalid_inputs: usize,
    /// Set when the run was one shard of several (`--shard`); `rules` then counts the shard's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// What the result cache saved; absent when the run did not use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<crate::cache::CacheStats>,
}

impl Summary {
    pub fn new(
        rules: usize,
        bundles: usize,
        results: &[RuleResult],
        problems: &[Problem],
    ) -> Summary {
        let mut outcomes: BTreeMap<&'static str, usize> =
            Outcome::ALL.iter().map(|o| (o.as_str(), 0)).collect();
        for r in results {
            *outcomes.entry(r.verdict.outcome.as_str()).or_default() += 1;
        }
        Summary {
            rules,
            bundles,
            outcomes,
            invalid_inputs: problems.len(),
            shard: None,
            cache: None,
        }
    }

    pub fn count(&self, o: Outcome) -> usize {
        self.outcomes.get(o.as_str()).copied().unwrap_or(0)
    }

    /// `12 rules × 14 bundles: 13 detected, 0 missed, …` (`shard 2/3: 4 rules × …` for a shard)
    pub fn line(&self) -> String {
        let c = |o| self.count(o);
        let mut line = self
            .shard
            .map(|s| format!("shard {s}: "))
            .unwrap_or_default();
        line += &format!(
            "{} rule{} × {} bundle{}: {} detected, {} missed, {} false positive{}, {} incidental, {} errored",
            self.rules,
            if self.rules == 1 { "" } else { "s" },
            self.bundles,
            if self.bundles == 1 { "" } else { "s" },
            c(Outcome::Detected),
            c(Outcome::Missed),
            c(Outcome::FalsePositive),
            if c(Outcome::FalsePositive) == 1 {
                ""
            } else {
                "s"
            },
            c(Outcome::Incidental),
            c(Outcome::Errored),
        );
        if self.invalid_inputs > 0 {
            line.push_str(&format!(
                "; {} input{} could not be loaded",
                self.invalid_inputs,
                if self.invalid_inputs == 1 { "" } else { "s" }
            ));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_do_not_repeat_their_location() {
        assert_eq!(
            without_location("b.jsonl", "b.jsonl:3: invalid event"),
            "invalid event"
        );
        assert_eq!(
            without_location("rules", "rules: no such file or directory"),
            "no such file or directory"
        );
        assert_eq!(without_location("x", "something else"), "something else");
    }
}
