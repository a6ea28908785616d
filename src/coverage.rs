//! ATT&CK coverage: from a test run's results, per technique, which rules
//! detect it, in which bundles it was tested, and the share of those bundles
//! where some rule detected it. Pure: results and bundle headers in, a
//! `Coverage` out; reporters draw it (terminal heatmap, JSON, Navigator
//! layer, HTML).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::bundle::{Class, Header};
use crate::judge::{HitKind, Outcome};
use crate::technique::TechniqueId;
use crate::testrun::{RuleResult, TestKind};

/// How well a technique is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Detected in every bundle that shows it.
    Detected,
    /// Detected in some of its bundles, missed in others.
    Partial,
    /// Shown by bundles, detected in none.
    Missed,
    /// Claimed by rules, but no bundle shows it.
    Untested,
}

/// One bundle showing a technique.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleCoverage {
    pub path: String,
    pub spec: String,
    /// Rules that hit an event of one of the technique's steps here.
    pub detected_by: Vec<String>,
    /// The technique's steps no rule hit here.
    pub missed_steps: Vec<String>,
    /// Every rule claiming the technique, with its outcome on this bundle.
    pub outcomes: Vec<RuleOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleOutcome {
    pub rule: String,
    pub outcome: Outcome,
}

/// One technique (or sub-technique), by its exact id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TechniqueCoverage {
    pub id: TechniqueId,
    pub status: Status,
    /// Share of `bundles` where the technique was detected; `None` when untested.
    pub score: Option<f64>,
    /// Rules that detected it in at least one bundle, by path.
    pub detecting_rules: Vec<String>,
    /// Rules whose expectations include it (tags, KQL headers, overrides), by path.
    pub claiming_rules: Vec<String>,
    pub bundles: Vec<BundleCoverage>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    pub rules: usize,
    pub bundles: usize,
    /// Sorted by technique id.
    pub techniques: Vec<TechniqueCoverage>,
}

impl Coverage {
    pub fn technique(&self, id: &str) -> Option<&TechniqueCoverage> {
        self.techniques.iter().find(|t| t.id.as_str() == id)
    }
}

/// Coverage from synthetic results (regression results have no narrative and
/// are left out) and the headers of the bundles they ran on, keyed by path.
pub fn coverage(results: &[RuleResult], bundles: &[(String, &Header)], rules: usize) -> Coverage {
    // Technique → bundle path → that bundle's steps of the technique.
    let mut shown: BTreeMap<TechniqueId, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    let mut specs: BTreeMap<&str, &str> = BTreeMap::new();
    for (path, header) in bundles {
        specs.insert(path, &header.spec);
        for step in &header.narrative {
            if let (Class::Malicious, Some(t)) = (step.class, &step.technique) {
                shown
                    .entry(t.clone())
                    .or_default()
                    .entry(path)
                    .or_default()
                    .insert(&step.id);
            }
        }
    }
    let synthetic: Vec<&RuleResult> = results
        .iter()
        .filter(|r| r.kind == TestKind::Synthetic)
        .collect();
    // Technique → rules claiming it (in any bundle's expectation).
    let mut claims: BTreeMap<TechniqueId, BTreeSet<&str>> = BTreeMap::new();
    for r in &synthetic {
        for t in &r.expected.techniques {
            claims.entry(t.clone()).or_default().insert(&r.rule.path);
        }
    }
    // Claims of a parent technique (T1059) count for the sub-techniques
    // bundles show (T1059.001), as the judge's expectations do.
    let ids: BTreeSet<TechniqueId> = shown.keys().chain(claims.keys()).cloned().collect();
    let techniques = ids
        .into_iter()
        .filter(|id| {
            // A parent claimed only through its sub-techniques' bundles is
            // reported under those; keep it only if a bundle shows it or no
            // shown sub-technique absorbs the claim.
            shown.contains_key(id) || !shown.keys().any(|s| id.covers(s) && s != id)
        })
        .map(|id| {
            let claiming: BTreeSet<&str> = claims
                .iter()
                .filter(|(claimed, _)| claimed.covers(&id))
                .flat_map(|(_, rules)| rules.iter().copied())
                .collect();
            let mut detecting: BTreeSet<&str> = BTreeSet::new();
            let bundles: Vec<BundleCoverage> = shown
                .get(&id)
                .map(|by_bundle| {
                    by_bundle
                        .iter()
                        .map(|(path, steps)| {
                            let here: Vec<&&RuleResult> = synthetic
                                .iter()
                                .filter(|r| r.bundle.path == *path)
                                .collect();
                            let mut hit_steps: BTreeSet<&str> = BTreeSet::new();
                            let mut detected_by: BTreeSet<&str> = BTreeSet::new();
                            for r in &here {
                                for h in &r.verdict.hits {
                                    if h.kind == HitKind::Expected
                                        && h.technique.as_ref() == Some(&id)
                                    {
                                        detected_by.insert(&r.rule.path);
                                        if let Some(s) = &h.step {
                                            hit_steps.insert(s);
                                        }
                                    }
                                }
                            }
                            detecting.extend(detected_by.iter().copied());
                            BundleCoverage {
                                path: path.to_string(),
                                spec: specs.get(path).copied().unwrap_or_default().to_string(),
                                detected_by: detected_by.iter().map(|s| s.to_string()).collect(),
                                missed_steps: steps
                                    .iter()
                                    .filter(|s| !hit_steps.contains(*s))
                                    .map(|s| s.to_string())
                                    .collect(),
                                outcomes: here
                                    .iter()
                                    .filter(|r| claiming.contains(r.rule.path.as_str()))
                                    .map(|r| RuleOutcome {
                                        rule: r.rule.path.clone(),
                                        outcome: r.verdict.outcome,
                                    })
                                    .collect(),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            let detected = bundles.iter().filter(|b| !b.detected_by.is_empty()).count();
            let (status, score) = match (bundles.len(), detected) {
                (0, _) => (Status::Untested, None),
                (n, d) if d == n => (Status::Detected, Some(1.0)),
                (_, 0) => (Status::Missed, Some(0.0)),
                (n, d) => (Status::Partial, Some(d as f64 / n as f64)),
            };
            TechniqueCoverage {
                id,
                status,
                score,
                detecting_rules: detecting.iter().map(|s| s.to_string()).collect(),
                claiming_rules: claiming.iter().map(|s| s.to_string()).collect(),
                bundles,
            }
        })
        .collect();
    Coverage {
        rules,
        bundles: bundles.len(),
        techniques,
    }
}

#[cfg(test)]
mod tests;
