//! Robustness of rules over variant bundles (`generate --variants`): for each
//! rule, technique and spec, in how many of the spec's variants the rule
//! detected the technique, and which mutations were present where it did not.
//! A rule that catches the spec's own bundle but misses variants with
//! `caret` or `encoded-powershell` mutations matches a spelling, not the
//! behaviour.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::judge::Outcome;
use crate::mutate::Mutation;
use crate::technique::TechniqueId;
use crate::testrun::{RuleRef, RuleResult, TestKind};

/// One rule's score on one technique of one spec.
#[derive(Debug, Clone, Serialize)]
pub struct Robustness {
    pub rule: RuleRef,
    pub technique: TechniqueId,
    pub spec: String,
    /// Variant bundles of the spec in which the rule was expected to detect.
    pub variants: usize,
    /// Of those, the variants it detected.
    pub detected: usize,
    /// Missed variants per mutator found in them (on the steps the rule was
    /// expected to detect): the spellings the rule does not cover.
    pub evaded_by: BTreeMap<String, usize>,
    pub missed: Vec<MissedVariant>,
}

/// A variant the rule missed, with the mutations of the steps it was
/// expected to detect.
#[derive(Debug, Clone, Serialize)]
pub struct MissedVariant {
    pub bundle: String,
    pub number: u32,
    pub mutations: Vec<Mutation>,
}

/// The robustness of every rule that was expected to detect something in a
/// variant bundle, ordered by rule file, line, technique and spec.
pub fn robustness(results: &[RuleResult]) -> Vec<Robustness> {
    type Key = (String, Option<usize>, String, TechniqueId, String);
    let mut scores: BTreeMap<Key, Robustness> = BTreeMap::new();
    for r in results {
        let Some(variant) = &r.bundle.variant else {
            continue;
        };
        let detected = match r.verdict.outcome {
            Outcome::Detected => true,
            Outcome::Missed => false,
            _ => continue,
        };
        if r.kind != TestKind::Synthetic {
            continue;
        }
        for technique in &r.expected.techniques {
            let key = (
                r.rule.path.clone(),
                r.rule.line,
                r.rule.title.clone(),
                technique.clone(),
                r.bundle.spec.clone(),
            );
            let score = scores.entry(key).or_insert_with(|| Robustness {
                rule: r.rule.clone(),
                technique: technique.clone(),
                spec: r.bundle.spec.clone(),
                variants: 0,
                detected: 0,
                evaded_by: BTreeMap::new(),
                missed: Vec::new(),
            });
            score.variants += 1;
            if detected {
                score.detected += 1;
                continue;
            }
            let mutations: Vec<Mutation> = variant
                .mutations
                .iter()
                .filter(|m| r.expected.steps.contains(&m.step))
                .cloned()
                .collect();
            let mut mutators: Vec<&str> = mutations.iter().map(|m| m.mutator.as_str()).collect();
            mutators.sort_unstable();
            mutators.dedup();
            for m in mutators {
                *score.evaded_by.entry(m.to_string()).or_default() += 1;
            }
            score.missed.push(MissedVariant {
                bundle: r.bundle.path.clone(),
                number: variant.number,
                mutations,
            });
        }
    }
    let mut out: Vec<Robustness> = scores.into_values().collect();
    for score in &mut out {
        score.missed.sort_by_key(|m| m.number);
    }
    out
}

#[cfg(test)]
mod tests;
