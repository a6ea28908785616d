//! Sigma correlation rules (specification 2.0): `event_count`, `value_count`,
//! `temporal` and `temporal_ordered`, grouped by `group-by` fields (with
//! `aliases`) within a `timespan`, evaluated over the matches of the rules they
//! refer to — detection rules or other correlations.
//!
//! Windows are sliding and inclusive: a window starts at a match and holds
//! every match of the same group at most `timespan` later. A correlation fires
//! for a window that satisfies its condition, and counting then restarts after
//! that window's last match; its hits are the events of the fired windows.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::diagnostic::SourceError;
use crate::digest::Digest;
use crate::spec::duration::parse_duration_ms;
use crate::technique::TechniqueId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CorrelationType {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

/// A count condition: every bound given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    pub gt: Option<u64>,
    #[serde(default)]
    pub gte: Option<u64>,
    #[serde(default)]
    pub lt: Option<u64>,
    #[serde(default)]
    pub lte: Option<u64>,
    #[serde(default)]
    pub eq: Option<u64>,
    /// `value_count`: the field whose distinct values are counted.
    #[serde(default)]
    pub field: Option<String>,
}

impl Condition {
    pub fn holds(&self, n: u64) -> bool {
        self.gt.is_none_or(|b| n > b)
            && self.gte.is_none_or(|b| n >= b)
            && self.lt.is_none_or(|b| n < b)
            && self.lte.is_none_or(|b| n <= b)
            && self.eq.is_none_or(|b| n == b)
    }

    fn has_bound(&self) -> bool {
        self.gt.is_some()
            || self.gte.is_some()
            || self.lt.is_some()
            || self.lte.is_some()
            || self.eq.is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCorrelation {
    #[serde(rename = "type")]
    kind: CorrelationType,
    rules: Vec<String>,
    #[serde(rename = "group-by", default)]
    group_by: Vec<String>,
    timespan: String,
    #[serde(default)]
    condition: Option<Condition>,
    #[serde(default)]
    aliases: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    generate: Option<bool>,
}

/// The top level of a correlation document. Other Sigma metadata (status,
/// author, references …) is allowed and ignored.
#[derive(Debug, Clone, Deserialize)]
struct RawDocument {
    title: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    generate: Option<bool>,
    correlation: RawCorrelation,
}

#[derive(Debug, Clone)]
pub struct CorrelationRule {
    pub path: String,
    /// Line of the rule's `correlation:` in its file, where reports point.
    pub line: Option<usize>,
    pub id: Option<String>,
    pub name: Option<String>,
    pub title: String,
    pub techniques: Vec<TechniqueId>,
    pub kind: CorrelationType,
    /// Ids or names of the rules correlated.
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    pub timespan_ms: u64,
    pub condition: Condition,
    /// Alias → (rule id or name → field).
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// Whether the referenced rules also alert on their own.
    pub generate: bool,
    /// Digest of the rule's source document, set by the loader (`None`: never cached).
    pub digest: Option<Digest>,
}

impl CorrelationRule {
    /// Parse one correlation document (`text` is the file with other documents blanked).
    pub fn parse(
        path: &str,
        text: &str,
        doc: serde_norway::Value,
    ) -> Result<CorrelationRule, SourceError> {
        let raw: RawDocument = serde_norway::from_value(doc).map_err(|e| {
            super::sigma::located(path, text, format!("invalid correlation rule: {e}"))
        })?;
        let key_line = |key: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(&format!("{key}:")))
                .map_or(1, |i| i + 1)
        };
        let err =
            |key: &str, message: String| SourceError::at_line(path, text, key_line(key), message);
        let c = raw.correlation;
        let timespan_ms =
            parse_duration_ms(&c.timespan).map_err(|e| err("timespan", e.to_string()))?;
        if timespan_ms == 0 {
            return Err(err(
                "timespan",
                "`timespan` must be longer than zero".into(),
            ));
        }
        if c.rules.is_empty() {
            return Err(err(
                "rules",
                "a correlation needs at least one rule in `rules`".into(),
            ));
        }
        let condition = match (c.kind, c.condition) {
            (CorrelationType::EventCount | CorrelationType::ValueCount, None) => {
                return Err(err(
                    "correlation",
                    format!("{:?} correlations need a `condition`", c.kind),
                ));
            }
            (_, Some(cond)) if !cond.has_bound() => {
                return Err(err(
                    "condition",
                    "`condition` needs one of gt, gte, lt, lte, eq".into(),
                ));
            }
            // Temporal correlations default to "every referenced rule matched".
            (_, None) => Condition {
                gte: Some(c.rules.len() as u64),
                ..Condition::default()
            },
            (_, Some(cond)) => cond,
        };
        match (c.kind, &condition.field) {
            (CorrelationType::ValueCount, None) => {
                return Err(err(
                    "condition",
                    "value_count correlations need `field` in their condition".into(),
                ));
            }
            (CorrelationType::ValueCount, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(err(
                    "field",
                    "`field` only applies to value_count correlations".into(),
                ));
            }
        }
        if c.kind == CorrelationType::TemporalOrdered && condition.gte != Some(c.rules.len() as u64)
        {
            return Err(err(
                "condition",
                "temporal_ordered correlations match when every rule matched in order; give no `condition`".into(),
            ));
        }
        Ok(CorrelationRule {
            path: path.to_string(),
            line: key_line("correlation").into(),
            id: raw.id,
            name: raw.name,
            title: raw.title,
            techniques: super::sigma::techniques_from_tags(path, text, raw.tags.iter())?,
            kind: c.kind,
            rules: c.rules,
            group_by: c.group_by,
            timespan_ms,
            condition,
            aliases: c.aliases,
            generate: c.generate.or(raw.generate).unwrap_or(false),
            digest: None,
        })
    }

    /// Whether `reference` (an id or name) names this rule.
    pub fn is_named(&self, reference: &str) -> bool {
        self.id.as_deref() == Some(reference) || self.name.as_deref() == Some(reference)
    }

    /// The field to read for group-by `field` in a match of the rule referred
    /// to by `reference` (an alias resolves per rule; otherwise the name itself).
    fn field_for<'a>(&'a self, field: &'a str, reference: &str) -> &'a str {
        self.aliases
            .get(field)
            .and_then(|per_rule| per_rule.get(reference))
            .map_or(field, String::as_str)
    }

    /// The fields a match of the rule `reference` must carry for this
    /// correlation: its group-by fields (through aliases) and the counted field.
    pub fn needed_fields(&self, reference: &str) -> Vec<String> {
        let mut fields: Vec<String> = self
            .group_by
            .iter()
            .map(|g| self.field_for(g, reference).to_string())
            .collect();
        if let Some(f) = &self.condition.field {
            fields.push(self.field_for(f, reference).to_string());
        }
        fields.sort();
        fields.dedup();
        fields
    }

    /// Evaluate over the matches of each referenced rule (in `rules` order).
    pub fn evaluate(&self, inputs: &[Vec<Match>]) -> Vec<Firing> {
        // Every match, tagged with the position of its rule, grouped by key.
        let mut groups: BTreeMap<Vec<Option<String>>, Vec<(usize, &Match)>> = BTreeMap::new();
        for (position, matches) in inputs.iter().enumerate() {
            let reference = &self.rules[position];
            for m in matches {
                let key = self
                    .group_by
                    .iter()
                    .map(|g| m.field(self.field_for(g, reference)))
                    .collect();
                groups.entry(key).or_default().push((position, m));
            }
        }
        let span = self.timespan_ms as i64 * 1000;
        let mut firings = Vec::new();
        for (key, mut matches) in groups {
            // Stable: equal times keep rule order, then input order.
            matches.sort_by_key(|(position, m)| (m.time, *position));
            let mut start = 0;
            while start < matches.len() {
                let t0 = matches[start].1.time;
                let end = matches[start..]
                    .iter()
                    .take_while(|(_, m)| m.time - t0 <= span)
                    .count()
                    + start;
                let window = &matches[start..end];
                let chosen: Option<Vec<&(usize, &Match)>> = match self.kind {
                    CorrelationType::EventCount => self
                        .condition
                        .holds(window.len() as u64)
                        .then(|| window.iter().collect()),
                    CorrelationType::ValueCount => {
                        let field = self.condition.field.as_deref().unwrap_or_default();
                        let values: BTreeSet<String> = window
                            .iter()
                            .filter_map(|(position, m)| {
                                m.field(self.field_for(field, &self.rules[*position]))
                            })
                            .collect();
                        self.condition
                            .holds(values.len() as u64)
                            .then(|| window.iter().collect())
                    }
                    CorrelationType::Temporal => {
                        let rules: BTreeSet<usize> = window.iter().map(|(p, _)| *p).collect();
                        self.condition
                            .holds(rules.len() as u64)
                            .then(|| window.iter().collect())
                    }
                    CorrelationType::TemporalOrdered => ordered_chain(window, self.rules.len()),
                };
                if let Some(chosen) = chosen {
                    let mut events: Vec<usize> = chosen
                        .iter()
                        .flat_map(|(_, m)| m.events.iter().copied())
                        .collect();
                    events.sort_unstable();
                    events.dedup();
                    let last = chosen.iter().map(|(_, m)| m.time).max().unwrap_or(t0);
                    let anchor = chosen.iter().max_by_key(|(_, m)| m.time).map(|(_, m)| *m);
                    firings.push(Firing {
                        time: last,
                        events,
                        group: self
                            .group_by
                            .iter()
                            .cloned()
                            .zip(key.iter().cloned())
                            .collect(),
                        fields: anchor.map(|m| m.fields.clone()).unwrap_or_default(),
                    });
                    // Counting restarts after the fired window, as an alerting
                    // engine resets its state once a correlation fires.
                    start = end;
                } else {
                    start += 1;
                }
            }
        }
        firings.sort_by_key(|f| f.time);
        firings
    }
}

/// For `temporal_ordered`: the window's first match must be of the first rule,
/// then a later (or simultaneous) match of each following rule, in order.
fn ordered_chain<'w, 'm>(
    window: &'w [(usize, &'m Match)],
    rules: usize,
) -> Option<Vec<&'w (usize, &'m Match)>> {
    let first = window.first()?;
    if first.0 != 0 {
        return None;
    }
    let mut chosen = vec![first];
    let mut next = 1;
    for item in &window[1..] {
        if next == rules {
            break;
        }
        if item.0 == next {
            chosen.push(item);
            next += 1;
        }
    }
    (next == rules).then_some(chosen)
}

/// One match a correlation counts: an event of a detection rule, or a firing
/// of a correlation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Microseconds since the Unix epoch.
    pub time: i64,
    /// Bundle event indices (0-based) behind the match.
    pub events: Vec<usize>,
    /// Field values available for grouping and value counting.
    pub fields: BTreeMap<String, String>,
}

impl Match {
    fn field(&self, name: &str) -> Option<String> {
        self.fields.get(name).cloned()
    }
}

/// A satisfied window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub time: i64,
    pub events: Vec<usize>,
    /// The group-by values of the window.
    pub group: Vec<(String, Option<String>)>,
    /// Fields of the window's latest match, so chained correlations can group too.
    pub fields: BTreeMap<String, String>,
}

impl Firing {
    /// As a match of a correlation that refers to this one: its group values
    /// override the latest match's fields.
    pub fn as_match(&self) -> Match {
        let mut fields = self.fields.clone();
        for (k, v) in &self.group {
            if let Some(v) = v {
                fields.insert(k.clone(), v.clone());
            }
        }
        Match {
            time: self.time,
            events: self.events.clone(),
            fields,
        }
    }
}

#[cfg(test)]
mod tests;
