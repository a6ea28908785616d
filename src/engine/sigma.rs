//! Sigma rules through the `sigma-rust` crate: loading with located errors,
//! logsource routing, and evaluation over prepared bundle events.

use serde_json::Value;

use super::logsource::{LogsourceKey, LogsourceTable, Route};
use super::prefilter::{self, Requirement};
use super::sigma_prep::{self, Placeholders};
use super::view;
use crate::bundle::Bundle;
use crate::diagnostic::SourceError;
use crate::digest::Digest;
use crate::technique::TechniqueId;

/// A loaded Sigma rule with the metadata the judge and reports need.
#[derive(Debug)]
pub struct SigmaRule {
    pub path: String,
    pub id: Option<String>,
    /// The rule's `name`, by which correlation rules may refer to it.
    pub name: Option<String>,
    pub title: String,
    pub level: Option<String>,
    /// Techniques from `attack.tNNNN[.NNN]` tags, sorted and de-duplicated.
    pub techniques: Vec<TechniqueId>,
    pub logsource: LogsourceKey,
    /// Empty when rulecheck has no source for the logsource (the rule sees nothing).
    pub routes: Vec<Route>,
    /// SigmaHQ's `regression_tests_path`: an `info.yml` relative to the rule
    /// repository's root, describing real logs the rule must match.
    pub regression_tests_path: Option<String>,
    /// Line of the rule's `detection:` in its file, where reports point.
    pub line: Option<usize>,
    /// The literals an event must hold for this rule to match it, for the
    /// prefilter of [`SigmaMatcher`](super::matcher::SigmaMatcher).
    pub requirement: Requirement,
    /// Digest of the rule's source document, set by the loader: the rule's
    /// key in the result cache (`None`: never cached).
    pub digest: Option<Digest>,
    rule: sigma_rust::Rule,
}

/// The YAML documents of a file, each as the whole file with every line
/// outside the document blanked, so that parse errors keep the file's line
/// numbers. Documents holding only comments or blank lines are dropped.
pub(crate) fn split_documents(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut bounds = Vec::new();
    let mut start = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_end() == "---" {
            bounds.push((start, i));
            start = i + 1;
        }
    }
    bounds.push((start, lines.len()));
    bounds
        .into_iter()
        .filter(|(a, b)| {
            lines[*a..*b]
                .iter()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .map(|(a, b)| {
            lines
                .iter()
                .enumerate()
                .map(|(i, l)| if i >= a && i < b { *l } else { "" })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// Techniques from `attack.tNNNN[.NNN]` tags, sorted and de-duplicated; a
/// malformed technique tag is an error at its line.
pub(crate) fn techniques_from_tags<'a>(
    path: &str,
    text: &str,
    tags: impl IntoIterator<Item = &'a String>,
) -> Result<Vec<TechniqueId>, SourceError> {
    let mut techniques = Vec::new();
    for tag in tags {
        let lower = tag.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("attack.t") else {
            continue;
        };
        if !rest.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        match TechniqueId::from_sigma_tag(&lower) {
            Some(t) => techniques.push(t),
            None => {
                let line = text
                    .lines()
                    .position(|l| l.contains(tag.as_str()))
                    .map_or(1, |i| i + 1);
                return Err(SourceError::at_line(
                    path,
                    text,
                    line,
                    format!("tag `{tag}` is not a valid ATT&CK technique id"),
                )
                .with_help("technique tags look like attack.t1059 or attack.t1059.001"));
            }
        }
    }
    techniques.sort();
    techniques.dedup();
    Ok(techniques)
}

/// Parse one Sigma detection rule document (already read as YAML, so syntax
/// errors carry their position): the rewrites of
/// [`sigma_prep`](super::sigma_prep), then `sigma-rust`.
pub(crate) fn parse_sigma_value(
    path: &str,
    text: &str,
    mut doc: serde_norway::Value,
    table: &LogsourceTable,
    placeholders: &Placeholders,
) -> Result<SigmaRule, SourceError> {
    let spec_help = "see the Sigma specification: https://sigmahq.io/sigma-specification/";
    sigma_prep::prepare(&mut doc, placeholders).map_err(|m| located(path, text, m))?;
    let requirement = doc
        .get("detection")
        .map_or(Requirement::Always, prefilter::requirement);
    let rule: sigma_rust::Rule = serde_norway::from_value(doc)
        .map_err(|e| located(path, text, e.to_string()).with_help(spec_help))?;
    let techniques = techniques_from_tags(path, text, rule.tags.iter().flatten())?;
    let logsource = LogsourceKey::new(
        rule.logsource.product.as_deref(),
        rule.logsource.category.as_deref(),
        rule.logsource.service.as_deref(),
    );
    let routes = table.routes_for(&logsource);
    Ok(SigmaRule {
        path: path.to_string(),
        line: None,
        id: rule.id.clone(),
        name: rule.name.clone(),
        title: rule.title.clone(),
        level: rule
            .level
            .as_ref()
            .map(|l| format!("{l:?}").to_ascii_lowercase()),
        techniques,
        logsource,
        routes,
        requirement,
        digest: None,
        regression_tests_path: rule
            .custom_fields
            .get("regression_tests_path")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        rule,
    })
}

/// An error about a rule whose position the parser did not keep: point at the
/// first line mentioning the first name quoted in the message (a modifier, a
/// field, a selection), or at the whole file when nothing is quoted.
pub(crate) fn located(path: &str, text: &str, message: String) -> SourceError {
    let quoted = message
        .split(['\'', '`'])
        .nth(1)
        .filter(|q| !q.trim().is_empty());
    let line = quoted.and_then(|q| {
        let needles = [format!("|{q}"), format!("{q}:"), q.to_string()];
        needles.iter().find_map(|n| {
            text.lines()
                .position(|l| !l.trim_start().starts_with('#') && l.contains(n.as_str()))
        })
    });
    match line {
        Some(i) => SourceError::at_line(path, text, i + 1, message),
        None => SourceError::new(path, text, None, message),
    }
}

/// A bundle event made ready for rules: flattened once, with a Sigma view per
/// field mapping that applies to it.
pub struct PreparedEvent {
    pub source: String,
    pub event_id: Option<u64>,
    /// Defender XDR `ActionType`, for routes that select on it.
    pub action_type: Option<String>,
    /// When the event happened (µs since the epoch), for correlations.
    pub time: Option<i64>,
    pub flat: serde_json::Map<String, Value>,
    unmapped: sigma_rust::Event,
    /// Per field mapping of the table: the record as rules behind that
    /// mapping see it, as fields (for the prefilter) and as a `sigma-rust`
    /// event; `None` where the mapping does not apply to this event.
    mapped: Vec<Option<(serde_json::Map<String, Value>, sigma_rust::Event)>>,
}

impl PreparedEvent {
    /// The event as rules reached through a route with `mapping` see it.
    pub(crate) fn view(
        &self,
        mapping: Option<usize>,
    ) -> Option<(&serde_json::Map<String, Value>, &sigma_rust::Event)> {
        match mapping {
            None => Some((&self.flat, &self.unmapped)),
            Some(i) => self.mapped.get(i)?.as_ref().map(|(f, e)| (f, e)),
        }
    }
}

/// Flatten and convert every event of a bundle once.
pub fn prepare(bundle: &Bundle, table: &LogsourceTable) -> Vec<PreparedEvent> {
    bundle
        .events
        .iter()
        .map(|e| {
            let flat = view::flatten(&e.record);
            let event_id = view::event_id(&flat);
            let source = e.labels.source.clone();
            let action_type = flat
                .get("ActionType")
                .and_then(Value::as_str)
                .map(str::to_string);
            let mapped = table
                .mappings()
                .iter()
                .enumerate()
                .map(|(i, fields)| {
                    table
                        .mapping_applies(i, &source, event_id, action_type.as_deref())
                        .then(|| {
                            let view = view::apply_mapping(&flat, fields);
                            (view.clone(), to_sigma_event(view))
                        })
                })
                .collect();
            PreparedEvent {
                unmapped: to_sigma_event(flat.clone()),
                source,
                event_id,
                action_type,
                time: view::event_time(&flat),
                flat,
                mapped,
            }
        })
        .collect()
}

fn to_sigma_event(flat: serde_json::Map<String, Value>) -> sigma_rust::Event {
    // Only fails for non-object values; a flattened record is always an object.
    sigma_rust::Event::try_from(Value::Object(flat)).unwrap_or_default()
}

impl SigmaRule {
    /// Whether `reference` (an id or name, as correlations use) names this rule.
    pub fn is_named(&self, reference: &str) -> bool {
        self.id.as_deref() == Some(reference) || self.name.as_deref() == Some(reference)
    }

    /// The value of `field` in an event as this rule sees it (through the
    /// field mapping of the route that delivers the event), as text.
    pub fn field_value(&self, event: &PreparedEvent, field: &str) -> Option<String> {
        let value = match self.route_for(event).and_then(|r| r.fields.get(field)) {
            Some(source) => view::mapped_value(&event.flat, source)?,
            None => event.flat.get(field)?.clone(),
        };
        match &value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Indices of the events this rule matches, by evaluating it on every
    /// event its logsource routes to it. [`SigmaMatcher`](super::matcher::SigmaMatcher)
    /// gives the same answer for many rules at once, faster; this is the
    /// reference it is tested against.
    pub fn hits(&self, events: &[PreparedEvent]) -> Vec<usize> {
        events
            .iter()
            .enumerate()
            .filter(|(_, e)| self.matches(e))
            .map(|(i, _)| i)
            .collect()
    }

    /// The route that delivers `event` to this rule: the first that accepts it.
    pub fn route_for(&self, event: &PreparedEvent) -> Option<&Route> {
        self.routes
            .iter()
            .find(|r| r.accepts(&event.source, event.event_id, event.action_type.as_deref()))
    }

    fn matches(&self, event: &PreparedEvent) -> bool {
        self.route_for(event)
            .and_then(|route| event.view(route.mapping))
            .is_some_and(|(_, view)| self.rule.is_match(view))
    }

    /// Whether the rule matches the event's unmapped record, whatever its
    /// logsource: the plain `sigma-rust` loop benchmarks compare against.
    pub fn matches_unrouted(&self, event: &PreparedEvent) -> bool {
        self.rule.is_match(&event.unmapped)
    }

    /// Exact `sigma-rust` evaluation on one view of an event.
    pub(crate) fn is_match(&self, view: &sigma_rust::Event) -> bool {
        self.rule.is_match(view)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RuleLoader;

    fn load(path: &str, text: &str) -> Result<SigmaRule, SourceError> {
        RuleLoader::new(&Placeholders::default()).load_sigma(path, text)
    }

    const RULE: &str = r#"
title: Encoded PowerShell
id: 9b0d5a2e-0000-4000-8000-000000000001
status: test
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\powershell.exe'
        CommandLine|contains: ' -enc '
    condition: selection
tags:
    - attack.execution
    - attack.t1059.001
level: high
"#;

    #[test]
    fn loads_metadata_techniques_and_routes() {
        let rule = load("r.yml", RULE).unwrap();
        assert_eq!(rule.title, "Encoded PowerShell");
        assert_eq!(rule.techniques, vec!["T1059.001".parse().unwrap()]);
        assert_eq!(rule.routes.len(), 3, "Sysmon, Security and Defender");
        assert_eq!(rule.level.as_deref(), Some("high"));
    }

    #[test]
    fn malformed_yaml_is_located() {
        let err = load("bad.yml", "title: x\ndetection: [\n").unwrap_err();
        assert!(err.to_string().starts_with("bad.yml:"), "{err}");
    }

    #[test]
    fn bad_technique_tags_are_errors() {
        let text = RULE.replace("attack.t1059.001", "attack.t1059.01");
        let err = load("r.yml", &text).unwrap_err();
        assert!(err.message.contains("attack.t1059.01"), "{err}");
        assert!(err.line().is_some());
    }
}

#[cfg(test)]
mod located_tests {
    use super::*;
    use crate::engine::RuleLoader;

    #[test]
    fn semantic_errors_point_at_the_line_that_names_the_culprit() {
        let loader = RuleLoader::new(&Placeholders::default());
        let text = "title: T\n# a comment about |bogus\nlogsource:\n  product: windows\ndetection:\n  s:\n    Image|bogus: x\n  condition: s\n";
        let err = loader.load_sigma("r.yml", text).unwrap_err();
        assert_eq!(err.line(), Some(7), "{err}");
        let text = "title: T\nlogsource:\n  product: windows\ndetection:\n  s:\n    Image: x\n  condition: s and t\n";
        let err = loader.load_sigma("r.yml", text).unwrap_err();
        assert!(err.message.contains("undefined"), "{err}");
    }

    #[test]
    fn regex_flags_expand_and_keywords_load_and_match() {
        let loader = RuleLoader::new(&Placeholders::default());
        let text = "title: T\nlogsource:\n  product: windows\ndetection:\n  re:\n    CommandLine|re|i: 'COPY\\s+C:'\n  dc:\n    Computer|expand: '%DomainControllers%'\n  kw:\n    - sekurlsa\n  condition: re and not dc and kw\n";
        let rule = loader.load_sigma("r.yml", text).unwrap();
        let event = |cmd: &str, computer: &str| {
            let flat: serde_json::Map<String, Value> =
                serde_json::from_value(serde_json::json!({"CommandLine": cmd, "Computer": computer, "Other": "x sekurlsa::logonpasswords"})).unwrap();
            to_sigma_event(flat)
        };
        assert!(rule.rule.is_match(&event("cmd /c copy  c:\\x", "WS-0142")));
        assert!(!rule.rule.is_match(&event("cmd /c copy  c:\\x", "DC01")));
        assert!(!rule.rule.is_match(&event("cmd /c move c:\\x", "WS-0142")));
    }

    #[test]
    fn null_matches_absent_fields_as_siems_do() {
        let loader = RuleLoader::new(&Placeholders::default());
        let text = "title: T\nlogsource:\n  product: windows\ndetection:\n  s:\n    Image|endswith: '\\certutil.exe'\n  f:\n    CurrentDirectory: null\n  condition: s and not f\n";
        let rule = loader.load_sigma("r.yml", text).unwrap();
        let event = |v: serde_json::Value| to_sigma_event(serde_json::from_value(v).unwrap());
        // No CurrentDirectory at all (a 4688 record): the null filter holds, so no alert.
        assert!(
            !rule
                .rule
                .is_match(&event(serde_json::json!({"Image": "C:\\certutil.exe"})))
        );
        assert!(!rule.rule.is_match(&event(
            serde_json::json!({"Image": "C:\\certutil.exe", "CurrentDirectory": null})
        )));
        assert!(rule.rule.is_match(&event(
            serde_json::json!({"Image": "C:\\certutil.exe", "CurrentDirectory": "D:\\"})
        )));
    }

    #[test]
    fn one_rule_reads_defender_rows_through_the_mapping() {
        let loader = RuleLoader::new(&Placeholders::default());
        let rule = loader
            .load_sigma(
                "r.yml",
                "title: T\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    Image|endswith: '\\powershell.exe'\n    ParentImage|endswith: '\\WINWORD.EXE'\n    User|endswith: '\\alice.mercer'\n  condition: s\n",
            )
            .unwrap();
        let row = |action: &str| {
            crate::test_support::unlabelled_event(
                "DeviceProcessEvents",
                serde_json::json!({
                    "Timestamp": "2026-03-02T09:14:39.5974810Z", "ActionType": action,
                    "FolderPath": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                    "AccountDomain": "northwind", "AccountName": "alice.mercer",
                    "InitiatingProcessFolderPath": "c:\\program files\\microsoft office\\root\\office16\\winword.exe"
                }),
            )
        };
        let mut bundle = crate::bundle::bundle_from_records("d", vec![], &loader.logsources);
        bundle.events = vec![row("ProcessCreated"), row("OpenProcess")];
        let events = prepare(&bundle, &loader.logsources);
        assert_eq!(rule.hits(&events), vec![0]);
        assert!(events[0].time.is_some());
    }
}
