//! The judge: one rule's hits on one bundle, compared with the bundle's narrative.
//!
//! Outcomes (DESIGN.md): **detected** — hit an event of a step whose technique the
//! rule expects; **missed** — the bundle shows an expected technique and the rule
//! hit none of its events; **false positive** — hit a benign event; **incidental**
//! — hit only malicious events of techniques the rule does not claim;
//! **errored** — the rule cannot be evaluated on the bundle's data;
//! **not applicable** — nothing expected, nothing hit.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::bundle::{Bundle, Class};
use crate::config::Expectation;
use crate::technique::TechniqueId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Detected,
    Missed,
    FalsePositive,
    Incidental,
    Errored,
    NotApplicable,
}

impl Outcome {
    /// Whether this outcome fails a run (exit code 1).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::Missed | Outcome::FalsePositive | Outcome::Errored
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Detected => "detected",
            Outcome::Missed => "missed",
            Outcome::FalsePositive => "false_positive",
            Outcome::Incidental => "incidental",
            Outcome::Errored => "errored",
            Outcome::NotApplicable => "not_applicable",
        }
    }

    pub const ALL: [Outcome; 6] = [
        Outcome::Detected,
        Outcome::Missed,
        Outcome::FalsePositive,
        Outcome::Incidental,
        Outcome::Errored,
        Outcome::NotApplicable,
    ];
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str().replace('_', " "))
    }
}

/// Why the judge counted a hit the way it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// An event of a step the rule is expected to detect.
    Expected,
    Benign,
    /// Malicious, but of a technique the rule does not claim.
    Other,
    /// An event without a known class (imported logs).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// 1-based event number in the bundle (event N is on line N + 1).
    pub event: usize,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub technique: Option<TechniqueId>,
    pub class: Class,
    pub kind: HitKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub outcome: Outcome,
    /// Malicious narrative steps whose technique the rule expects (reported
    /// under `expected.steps`, so not serialised here).
    #[serde(skip_serializing)]
    pub expected_steps: Vec<String>,
    pub hits: Vec<Hit>,
    /// One sentence for humans: what was expected and what happened.
    pub reason: String,
}

/// The rule can see no event of the bundle: its Sigma logsource has no source
/// in rulecheck, or its KQL query reads a table the bundle cannot hold.
pub const BLIND_LOGSOURCE: &str = "the rule's logsource has no source in rulecheck";

/// Malicious narrative steps whose technique the rule is expected to detect.
fn expected_steps<'b>(
    expectation: &Expectation,
    bundle: &'b Bundle,
) -> Vec<&'b crate::bundle::NarrativeStep> {
    bundle
        .header
        .narrative
        .iter()
        .filter(|s| {
            s.class == Class::Malicious
                && s.technique
                    .as_ref()
                    .is_some_and(|t| expectation.techniques.iter().any(|e| e.covers(t)))
        })
        .collect()
}

/// A rule that could not be evaluated on the bundle (a KQL query that failed
/// on its data): errored, whatever it was expected to do.
pub fn errored(expectation: &Expectation, bundle: &Bundle, reason: String) -> Verdict {
    Verdict {
        outcome: Outcome::Errored,
        expected_steps: expected_steps(expectation, bundle)
            .iter()
            .map(|s| s.id.clone())
            .collect(),
        hits: Vec::new(),
        reason,
    }
}

/// Judge one rule on one bundle. `blind` says why the rule can see no event
/// of the bundle (`None` when it can); `hit_indices` are 0-based event indices.
pub fn judge(
    expectation: &Expectation,
    blind: Option<&str>,
    bundle: &Bundle,
    hit_indices: &[usize],
) -> Verdict {
    let expected_steps = expected_steps(expectation, bundle);
    let expected_ids: BTreeSet<&str> = expected_steps.iter().map(|s| s.id.as_str()).collect();

    let hits: Vec<Hit> = hit_indices
        .iter()
        .map(|&i| {
            let labels = &bundle.events[i].labels;
            let kind = match labels.class {
                Class::Benign => HitKind::Benign,
                Class::Unknown => HitKind::Unknown,
                Class::Malicious
                    if labels
                        .step
                        .as_deref()
                        .is_some_and(|s| expected_ids.contains(s)) =>
                {
                    HitKind::Expected
                }
                Class::Malicious => HitKind::Other,
            };
            Hit {
                event: i + 1,
                source: labels.source.clone(),
                step: labels.step.clone(),
                technique: labels.technique.clone(),
                class: labels.class,
                kind,
            }
        })
        .collect();

    let count = |k: HitKind| hits.iter().filter(|h| h.kind == k).count();
    // `ps (T1059.001), runkey (T1547.001)`: the steps hit of one kind, with techniques.
    let steps_of = |k: HitKind| {
        let steps: BTreeSet<(&str, Option<&str>)> = hits
            .iter()
            .filter(|h| h.kind == k)
            .filter_map(|h| {
                Some((
                    h.step.as_deref()?,
                    h.technique.as_ref().map(TechniqueId::as_str),
                ))
            })
            .collect();
        steps
            .into_iter()
            .map(|(step, t)| match t {
                Some(t) => format!("{step} ({t})"),
                None => step.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let describe_expected = || {
        expected_steps
            .iter()
            .map(|s| {
                format!(
                    "{} ({})",
                    s.id,
                    s.technique.as_ref().map_or("-", |t| t.as_str())
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (benign, expected, other, unknown) = (
        count(HitKind::Benign),
        count(HitKind::Expected),
        count(HitKind::Other),
        count(HitKind::Unknown),
    );

    let (outcome, reason) = if let Some(why) = blind.filter(|_| !expected_steps.is_empty()) {
        (
            Outcome::Errored,
            format!("{why}, so it cannot see the expected steps"),
        )
    } else if benign > 0 && !expectation.allow_benign_hits {
        (
            Outcome::FalsePositive,
            format!(
                "hit {benign} benign event{} (step {})",
                plural(benign),
                steps_of(HitKind::Benign)
            ),
        )
    } else if !expected_steps.is_empty() && expected > 0 {
        (
            Outcome::Detected,
            format!(
                "hit {expected} event{} of step {}",
                plural(expected),
                steps_of(HitKind::Expected)
            ),
        )
    } else if !expected_steps.is_empty() {
        (
            Outcome::Missed,
            format!("no hit on step {}", describe_expected()),
        )
    } else if other > 0 {
        let claim = if expectation.techniques.is_empty() {
            "the rule claims no technique"
        } else {
            "not a technique the rule claims"
        };
        (
            Outcome::Incidental,
            format!(
                "hit {other} event{} of step {}; {claim}",
                plural(other),
                steps_of(HitKind::Other)
            ),
        )
    } else if unknown > 0 {
        (
            Outcome::Incidental,
            format!(
                "hit {unknown} unlabelled event{}; imported logs carry no narrative to judge against",
                plural(unknown)
            ),
        )
    } else if benign > 0 {
        (
            Outcome::NotApplicable,
            format!(
                "hit {benign} benign event{} (allowed by configuration)",
                plural(benign)
            ),
        )
    } else {
        (Outcome::NotApplicable, String::new())
    };

    Verdict {
        outcome,
        expected_steps: expected_steps.iter().map(|s| s.id.clone()).collect(),
        hits,
        reason,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests;
