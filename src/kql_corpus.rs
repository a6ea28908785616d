//! Measuring the KQL engine over a corpus of real queries (one JSON object a
//! line with a `query`, as `../shared/corpora/kql/queries.jsonl`): how many
//! parse, how many run without error against generated bundles, and why the
//! others do not. Used by a corpus test and by `examples/kql_corpus.rs`.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Deserialize;

use crate::bundle::Bundle;
use crate::engine::kql::parser::parse_script;
use crate::engine::kql::runtime::Runtime;
use crate::engine::kql_rule::{ExternalFixtures, bundle_now, database};

/// One query of the corpus.
#[derive(Debug, Clone, Deserialize)]
pub struct CorpusQuery {
    #[serde(default)]
    pub repo: String,
    #[serde(default)]
    pub path: String,
    pub query: String,
}

/// Read a JSON Lines corpus; a malformed line is an error naming its number.
pub fn read_corpus(text: &str) -> Result<Vec<CorpusQuery>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// Where a query stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Parse,
    Run,
}

/// One query that did not parse or run, with the first error's message.
#[derive(Debug, Clone)]
pub struct Failure {
    pub index: usize,
    pub stage: Stage,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct Measurement {
    pub total: usize,
    pub parsed: usize,
    pub ran: usize,
    /// Queries that ran, reading `externaldata` served as empty tables (no
    /// fixture for its URL): they ran, but over less data than they meant to.
    pub ran_with_empty_externaldata: usize,
    /// Queries whose evaluation panicked: always a bug, counted among run failures.
    pub panics: usize,
    pub failures: Vec<Failure>,
}

impl Measurement {
    pub fn parse_share(&self) -> f64 {
        share(self.parsed, self.total)
    }

    pub fn run_share(&self) -> f64 {
        share(self.ran, self.total)
    }

    /// The commonest failure messages at a stage, most frequent first (ties by message).
    pub fn top_reasons(&self, stage: Stage, n: usize) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for f in self.failures.iter().filter(|f| f.stage == stage) {
            *counts.entry(&f.message).or_default() += 1;
        }
        let mut sorted: Vec<(String, usize)> = counts
            .into_iter()
            .map(|(m, c)| (m.to_string(), c))
            .collect();
        sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        sorted.truncate(n);
        sorted
    }

    /// A plain-text report: the shares and the top reasons of each stage.
    pub fn report(&self, top: usize) -> String {
        let mut out = format!(
            "parsed {} of {} ({:.1}%)\nran without error {} of {} ({:.1}%)\n",
            self.parsed,
            self.total,
            100.0 * self.parse_share(),
            self.ran,
            self.total,
            100.0 * self.run_share()
        );
        if self.ran_with_empty_externaldata > 0 {
            out.push_str(&format!(
                "  of which {} read `externaldata` without a fixture (served empty)\n",
                self.ran_with_empty_externaldata
            ));
        }
        if self.panics > 0 {
            out.push_str(&format!("PANICS: {}\n", self.panics));
        }
        for (stage, name) in [(Stage::Parse, "parse"), (Stage::Run, "run")] {
            let reasons = self.top_reasons(stage, top);
            if !reasons.is_empty() {
                out.push_str(&format!("top {name} failures:\n"));
                for (message, count) in reasons {
                    out.push_str(&format!("  {count:4}  {message}\n"));
                }
            }
        }
        out
    }
}

fn share(n: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    }
}

/// Parse every query and run those that parse against `bundle`, `now()`
/// pinned to its reference time. Every statement of a query must run.
/// `externaldata` URLs read `fixtures`; those without one are served as
/// empty tables (counted in `empty_externaldata`), since a corpus's URLs are
/// not known in advance.
pub fn measure(
    queries: &[CorpusQuery],
    bundle: &Bundle,
    fixtures: &ExternalFixtures,
) -> Measurement {
    let db = database(
        bundle,
        &ExternalFixtures {
            missing_as_empty: true,
            ..fixtures.clone()
        },
    );
    let now = bundle_now(bundle);
    let mut m = Measurement {
        total: queries.len(),
        ..Measurement::default()
    };
    for (index, q) in queries.iter().enumerate() {
        let script = match parse_script(&q.query) {
            Ok(s) => s,
            Err(errors) => {
                m.failures.push(Failure {
                    index,
                    stage: Stage::Parse,
                    message: errors[0].message.clone(),
                });
                continue;
            }
        };
        m.parsed += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let rt = Runtime::new(&db, now);
            script
                .iter()
                .try_for_each(|query| rt.run_query(query).map(|_| ()))
        }));
        match outcome {
            Ok(Ok(())) => {
                m.ran += 1;
                if q.query.contains("externaldata") {
                    m.ran_with_empty_externaldata += 1;
                }
            }
            Ok(Err(e)) => m.failures.push(Failure {
                index,
                stage: Stage::Run,
                message: e.message,
            }),
            Err(_) => {
                m.panics += 1;
                m.failures.push(Failure {
                    index,
                    stage: Stage::Run,
                    message: "panic".to_string(),
                });
            }
        }
    }
    m
}

/// Several bundles as one: every event, the latest reference time. The
/// corpus runs against all generated telemetry at once.
pub fn merge_bundles(mut bundles: Vec<Bundle>) -> Option<Bundle> {
    let mut merged = bundles.pop()?;
    for b in bundles {
        if b.header.reference_time > merged.header.reference_time {
            merged.header.reference_time = b.header.reference_time.clone();
        }
        merged.events.extend(b.events);
    }
    merged.header.event_count = merged.events.len();
    Some(merged)
}
