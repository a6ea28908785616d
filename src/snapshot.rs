//! Accepted results: per rule file, what each of its rules did on each
//! bundle (outcome and the events it hit), kept in the detection repository
//! so that a run whose results differ fails with a readable diff. Pure: the
//! CLI reads and writes the files. Format documented in `docs/snapshots.md`.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::diagnostic::SourceError;
use crate::judge::{Hit, Outcome};
use crate::testrun::RuleResult;

/// The accepted results of one rule file: rule → bundle → entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileSnapshot {
    pub rules: BTreeMap<String, BTreeMap<String, Entry>>,
}

/// What one rule did on one bundle. Results where nothing was expected or hit
/// are not recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub outcome: Outcome,
    /// `"<event number> <step>"` (or the event's source when it has no step),
    /// in event order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<String>,
}

/// One difference between the accepted and the current results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The rule file.
    pub path: String,
    /// The rule (its title), or `None` when the whole file has no snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Entry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Entry>,
    /// One sentence: what changed.
    pub description: String,
}

/// What the snapshot gate of a run found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct GateReport {
    /// Whether snapshots were compared (their directory exists, or `--accept`).
    pub enabled: bool,
    /// Whether this run recorded its results (`--accept`) rather than checked them.
    pub accepted: bool,
    /// Differences from the accepted snapshots (with `--accept`: what was accepted).
    pub changes: Vec<Change>,
    /// Snapshot files written by `--accept`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub written: Vec<String>,
}

impl GateReport {
    /// Whether the gate fails the run: changes that were not accepted.
    pub fn fails(&self) -> bool {
        self.enabled && !self.accepted && !self.changes.is_empty()
    }
}

const HEADER: &str = "# rulecheck snapshot: the accepted results of the rules in";

/// The snapshot of every rule file among `results`, by rule file path.
pub fn from_results(results: &[RuleResult]) -> BTreeMap<String, FileSnapshot> {
    // Titles shared by two rules of one file are told apart by id.
    let mut titles: BTreeMap<(&str, &str), BTreeSet<Option<&str>>> = BTreeMap::new();
    for r in results {
        titles
            .entry((&r.rule.path, &r.rule.title))
            .or_default()
            .insert(r.rule.id.as_deref());
    }
    let mut files: BTreeMap<String, FileSnapshot> = BTreeMap::new();
    for r in results {
        let file = files.entry(r.rule.path.clone()).or_default();
        let key = rule_key(
            &r.rule.title,
            r.rule.id.as_deref(),
            titles[&(r.rule.path.as_str(), r.rule.title.as_str())].len() > 1,
        );
        let rule = file.rules.entry(key).or_default();
        if r.verdict.outcome == Outcome::NotApplicable && r.verdict.hits.is_empty() {
            continue;
        }
        rule.insert(
            r.bundle.path.clone(),
            Entry {
                outcome: r.verdict.outcome,
                hits: r.verdict.hits.iter().map(hit_text).collect(),
            },
        );
    }
    files
}

fn rule_key(title: &str, id: Option<&str>, ambiguous: bool) -> String {
    match id {
        Some(id) if ambiguous => format!("{title} ({id})"),
        _ => title.to_string(),
    }
}

fn hit_text(h: &Hit) -> String {
    format!("{} {}", h.event, h.step.as_deref().unwrap_or(&h.source))
}

impl FileSnapshot {
    /// The file's text: a header naming the rule file, then stable YAML.
    pub fn render(&self, rule_path: &str) -> String {
        let body = serde_norway::to_string(self).expect("snapshots serialise");
        format!(
            "{HEADER} {rule_path}.\n# Rewrite with `rulecheck test --accept`; review changes like code.\n{body}"
        )
    }

    pub fn parse(path: &str, text: &str) -> Result<FileSnapshot, SourceError> {
        serde_norway::from_str(text)
            .map_err(|e| SourceError::from_yaml(path, text, &e))
            .map(|s: Option<FileSnapshot>| s.unwrap_or_default())
    }

    /// This snapshot with `current` replacing what it says about the bundles
    /// that were run; entries for other bundles are kept, so accepting a
    /// partial run does not forget the rest.
    pub fn merged(&self, current: &FileSnapshot, bundles_run: &BTreeSet<String>) -> FileSnapshot {
        let mut rules: BTreeMap<String, BTreeMap<String, Entry>> = BTreeMap::new();
        for (rule, entries) in &current.rules {
            let mut merged: BTreeMap<String, Entry> = self
                .rules
                .get(rule)
                .map(|old| {
                    old.iter()
                        .filter(|(bundle, _)| !bundles_run.contains(*bundle))
                        .map(|(b, e)| (b.clone(), e.clone()))
                        .collect()
                })
                .unwrap_or_default();
            merged.extend(entries.iter().map(|(b, e)| (b.clone(), e.clone())));
            rules.insert(rule.clone(), merged);
        }
        FileSnapshot { rules }
    }
}

/// How the current results of one rule file differ from its accepted
/// snapshot, looking only at the bundles that were run. `None` for
/// `accepted` means the file has no snapshot yet.
pub fn diff(
    path: &str,
    accepted: Option<&FileSnapshot>,
    current: &FileSnapshot,
    bundles_run: &BTreeSet<String>,
) -> Vec<Change> {
    let Some(accepted) = accepted else {
        return vec![Change {
            path: path.to_string(),
            rule: None,
            bundle: None,
            accepted: None,
            current: None,
            description:
                "no accepted snapshot: run `rulecheck test --accept` to record its results"
                    .to_string(),
        }];
    };
    let mut changes = Vec::new();
    let rules: BTreeSet<&String> = accepted.rules.keys().chain(current.rules.keys()).collect();
    for rule in rules {
        let (old, new) = (accepted.rules.get(rule), current.rules.get(rule));
        if old.is_none() || new.is_none() {
            changes.push(Change {
                path: path.to_string(),
                rule: Some(rule.clone()),
                bundle: None,
                accepted: None,
                current: None,
                description: if old.is_none() {
                    "a new rule, not in the accepted snapshot".to_string()
                } else {
                    "the rule is gone from the file".to_string()
                },
            });
            continue;
        }
        let empty = BTreeMap::new();
        let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
        let bundles: BTreeSet<&String> = old
            .keys()
            .chain(new.keys())
            .filter(|b| bundles_run.contains(*b))
            .collect();
        for bundle in bundles {
            let (before, after) = (old.get(bundle), new.get(bundle));
            if before == after {
                continue;
            }
            changes.push(Change {
                path: path.to_string(),
                rule: Some(rule.clone()),
                bundle: Some(bundle.clone()),
                accepted: before.cloned(),
                current: after.cloned(),
                description: describe(before, after),
            });
        }
    }
    changes
}

/// `detected → missed; no longer hits 9 hta_powershell; now hits 12 x`.
fn describe(before: Option<&Entry>, after: Option<&Entry>) -> String {
    let outcome = |e: Option<&Entry>| e.map_or(Outcome::NotApplicable, |e| e.outcome);
    let hits = |e: Option<&Entry>| -> Vec<String> { e.map(|e| e.hits.clone()).unwrap_or_default() };
    let (old_hits, new_hits) = (hits(before), hits(after));
    let mut parts = Vec::new();
    if outcome(before) != outcome(after) {
        parts.push(format!("{} → {}", outcome(before), outcome(after)));
    }
    let lost: Vec<&String> = old_hits.iter().filter(|h| !new_hits.contains(h)).collect();
    let gained: Vec<&String> = new_hits.iter().filter(|h| !old_hits.contains(h)).collect();
    let list = |hs: &[&String]| hs.iter().map(|h| h.as_str()).collect::<Vec<_>>().join(", ");
    if !lost.is_empty() {
        parts.push(format!("no longer hits {}", list(&lost)));
    }
    if !gained.is_empty() {
        parts.push(format!("now hits {}", list(&gained)));
    }
    if parts.is_empty() {
        parts.push("hits reordered".to_string());
    }
    parts.join("; ")
}

/// Where a rule file's snapshot lives under the snapshot directory: the rule
/// path with `.snap.yaml` appended; components that would leave the directory
/// (`..`, a leading `/`) are rewritten so every rule has a place inside it.
pub fn snapshot_path(rule_path: &str) -> String {
    let parts: Vec<&str> = rule_path
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .map(|p| if p == ".." { "__" } else { p })
        .collect();
    format!("{}.snap.yaml", parts.join("/"))
}

#[cfg(test)]
mod tests;
