//! Labels for imported logs: which real events are malicious, of which
//! technique and step, so imported bundles can be judged like synthetic ones.
//! Format (documented in `docs/bundle-format.md`):
//!
//! ```yaml
//! default_class: unknown          # class of events no entry matches
//! events:
//!   - match: {EventRecordID: 35579, Channel: Microsoft-Windows-Sysmon/Operational}
//!     step: disable_restore
//!     technique: T1490            # optional
//!     class: malicious            # default: malicious with a technique, else benign
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::{Bundle, Class, NarrativeStep};
use crate::diagnostic::SourceError;
use crate::engine::view::flatten;
use crate::technique::TechniqueId;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelsFile {
    #[serde(default = "unknown")]
    pub default_class: Class,
    pub events: Vec<LabelRule>,
}

fn unknown() -> Class {
    Class::Unknown
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelRule {
    /// Flattened field → value; every pair must hold (values compared as text).
    #[serde(rename = "match")]
    pub matches: BTreeMap<String, serde_norway::Value>,
    pub step: String,
    #[serde(default)]
    pub technique: Option<TechniqueId>,
    #[serde(default)]
    pub class: Option<Class>,
    #[serde(default)]
    pub description: Option<String>,
}

impl LabelRule {
    fn class(&self) -> Class {
        self.class.unwrap_or(if self.technique.is_some() {
            Class::Malicious
        } else {
            Class::Benign
        })
    }

    fn holds(&self, flat: &serde_json::Map<String, Value>) -> bool {
        self.matches.iter().all(|(field, want)| {
            let want = match want {
                serde_norway::Value::String(s) => s.clone(),
                serde_norway::Value::Number(n) => n.to_string(),
                serde_norway::Value::Bool(b) => b.to_string(),
                _ => return false,
            };
            match flat.get(field) {
                Some(Value::String(s)) => *s == want,
                Some(Value::Number(n)) => n.to_string() == want,
                Some(Value::Bool(b)) => b.to_string() == want,
                _ => false,
            }
        })
    }
}

impl LabelsFile {
    pub fn parse(path: &str, text: &str) -> Result<LabelsFile, SourceError> {
        let file: LabelsFile =
            serde_norway::from_str(text).map_err(|e| SourceError::from_yaml(path, text, &e))?;
        for (n, rule) in file.events.iter().enumerate() {
            if rule.matches.is_empty() {
                let line = text
                    .lines()
                    .position(|l| l.contains("match"))
                    .map_or(1, |i| i + 1);
                return Err(SourceError::at_line(
                    path,
                    text,
                    line,
                    format!("events[{n}]: `match` is empty, so it would label every event"),
                ));
            }
            if rule.class() == Class::Malicious && rule.technique.is_none() {
                let line = text
                    .lines()
                    .position(|l| l.contains(&rule.step))
                    .map_or(1, |i| i + 1);
                return Err(SourceError::at_line(
                    path,
                    text,
                    line,
                    format!("events[{n}]: a malicious event needs a `technique`"),
                ));
            }
        }
        Ok(file)
    }

    /// Label the events of an imported bundle: the first matching entry wins;
    /// unmatched events get `default_class`. Builds the narrative from the steps
    /// used and returns how many events each entry labelled.
    pub fn apply(&self, bundle: &mut Bundle) -> Vec<usize> {
        let mut counts = vec![0; self.events.len()];
        let mut narrative: Vec<NarrativeStep> = Vec::new();
        for event in &mut bundle.events {
            let flat = flatten(&event.record);
            match self.events.iter().position(|r| r.holds(&flat)) {
                Some(i) => {
                    let rule = &self.events[i];
                    counts[i] += 1;
                    event.labels.step = Some(rule.step.clone());
                    event.labels.technique = rule.technique.clone();
                    event.labels.class = rule.class();
                    if !narrative.iter().any(|s| s.id == rule.step) {
                        narrative.push(NarrativeStep {
                            id: rule.step.clone(),
                            technique: rule.technique.clone(),
                            class: rule.class(),
                            action: "imported".to_string(),
                            description: rule.description.clone(),
                            parent: None,
                            after: Vec::new(),
                        });
                    }
                }
                None => event.labels.class = self.default_class,
            }
        }
        let mut techniques: Vec<TechniqueId> = narrative
            .iter()
            .filter(|s| s.class == Class::Malicious)
            .filter_map(|s| s.technique.clone())
            .collect();
        techniques.sort();
        techniques.dedup();
        bundle.header.techniques = techniques;
        bundle.header.narrative = narrative;
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::bundle_from_records;
    use crate::engine::LogsourceTable;
    use serde_json::json;

    fn bundle() -> Bundle {
        let rec = |id: u64, target: &str| {
            json!({"Event": {"System": {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 13, "EventRecordID": id},
                "EventData": {"TargetObject": target}}})
        };
        bundle_from_records(
            "x",
            vec![rec(1, "A"), rec(2, "B"), rec(3, "C")],
            &LogsourceTable::builtin(),
        )
    }

    #[test]
    fn labels_events_by_field_values_and_builds_the_narrative() {
        let labels = LabelsFile::parse(
            "l.yaml",
            "default_class: benign\nevents:\n  - match: {EventRecordID: 1}\n    step: disable\n    technique: T1490\n  - match: {TargetObject: C}\n    step: admin\n",
        )
        .unwrap();
        let mut b = bundle();
        assert_eq!(labels.apply(&mut b), vec![1, 1]);
        assert_eq!(b.events[0].labels.class, Class::Malicious);
        assert_eq!(b.events[0].labels.step.as_deref(), Some("disable"));
        assert_eq!(b.events[1].labels.class, Class::Benign);
        assert_eq!(b.events[2].labels.step.as_deref(), Some("admin"));
        assert_eq!(b.header.techniques, vec!["T1490".parse().unwrap()]);
        assert_eq!(b.header.narrative.len(), 2);
    }

    #[test]
    fn bad_labels_files_are_located_errors() {
        let err = LabelsFile::parse(
            "l.yaml",
            "events:\n  - match: {EventRecordID: 1}\n    step: s\n    class: malicious\n",
        )
        .unwrap_err();
        assert!(err.message.contains("needs a `technique`"), "{err}");
        let err = LabelsFile::parse("l.yaml", "events:\n  - match: {}\n    step: s\n").unwrap_err();
        assert!(err.message.contains("every event"), "{err}");
        let err =
            LabelsFile::parse("l.yaml", "events:\n  - match: {a: 1}\n    stepp: s\n").unwrap_err();
        assert_eq!(err.line(), Some(3), "{err}");
    }
}
