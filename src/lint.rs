//! Rule linting: whether each rule file loads, and if not, exactly why.
//! Pure: the CLI reads the files, this module judges their text.

use serde::Serialize;

use crate::engine::{LoadedRule, RuleLoader};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LintStatus {
    Loaded,
    NotLoaded,
}

/// The lint verdict on one rule file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintEntry {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The rule language: `sigma`, `sigma-correlation`, `kql` or `sentinel`.
    pub kind: &'static str,
    pub status: LintStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Why the rule did not load.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A loaded rule's limitation worth knowing (e.g. it can see no events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Lint one rule file: an entry per rule it holds (Sigma detection and
/// correlation rules, a KQL rule), or one entry saying why the file does not load. Loaded rules are
/// returned beside their entries so correlations can be checked against the
/// whole set.
pub fn lint_file(
    path: &str,
    text: &str,
    loader: &RuleLoader,
) -> Vec<(LintEntry, Option<LoadedRule>)> {
    match loader.load_file(path, text) {
        Ok(rules) => rules
            .into_iter()
            .map(|rule| {
                let entry = match &rule {
                    LoadedRule::Sigma(r) => LintEntry {
                        path: path.to_string(),
                        id: r.id.clone(),
                        title: Some(r.title.clone()),
                        kind: "sigma",
                        status: LintStatus::Loaded,
                        line: None,
                        reason: None,
                        note: r.routes.is_empty().then(|| {
                            format!("logsource `{}` has no source in rulecheck; the rule sees no events", r.logsource)
                        }),
                    },
                    LoadedRule::Correlation(c) => LintEntry {
                        path: path.to_string(),
                        id: c.id.clone(),
                        title: Some(c.title.clone()),
                        kind: "sigma-correlation",
                        status: LintStatus::Loaded,
                        line: None,
                        reason: None,
                        note: None,
                    },
                    LoadedRule::Kql(k) => LintEntry {
                        path: path.to_string(),
                        id: k.id.clone(),
                        title: Some(k.title.clone()),
                        kind: k.kind,
                        status: LintStatus::Loaded,
                        line: None,
                        reason: None,
                        note: match (&k.missing_table, &k.unrendered_tables[..]) {
                            (Some(t), _) => Some(format!("table `{t}` has no source in rulecheck; the rule sees no events")),
                            (None, []) => None,
                            (None, tables) => Some(format!(
                                "rulecheck generates no rows of {}; results that need them are empty",
                                tables.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
                            )),
                        },
                    },
                };
                let techniques = match &rule {
                    LoadedRule::Sigma(r) => &r.techniques,
                    LoadedRule::Correlation(c) => &c.techniques,
                    LoadedRule::Kql(k) => &k.techniques,
                };
                let mut entry = entry;
                let retired = crate::attack::retired_notes(techniques);
                if !retired.is_empty() {
                    let retired = format!("tagged with a retired technique: {}", retired.join("; "));
                    entry.note = Some(match entry.note.take() {
                        Some(n) => format!("{n}; {retired}"),
                        None => retired,
                    });
                }
                (entry, Some(rule))
            })
            .collect(),
        Err(errors) => {
            // The rule did not load, but its id and title usually still parse.
            let loose: Option<serde_norway::Value> = serde_norway::from_str(text).ok();
            let field = |k: &str| loose.as_ref().and_then(|v| v.get(k)).and_then(|v| v.as_str()).map(str::to_string);
            let kind = if path.ends_with(".kql") {
                "kql"
            } else if loose.as_ref().is_some_and(|v| v.get("query").is_some() && v.get("detection").is_none()) {
                "sentinel"
            } else if text.contains("\ncorrelation:") {
                "sigma-correlation"
            } else {
                "sigma"
            };
            let entry = LintEntry {
                path: path.to_string(),
                id: field("id"),
                title: field("title").or_else(|| field("name")),
                kind,
                status: LintStatus::NotLoaded,
                line: errors[0].line(),
                reason: Some(reasons(&errors)),
                note: None,
            };
            vec![(entry, None)]
        }
    }
}

/// Why a file did not load: its one problem, or every problem with its line.
fn reasons(errors: &[crate::diagnostic::SourceError]) -> String {
    let one = |e: &crate::diagnostic::SourceError| match &e.help {
        Some(h) => format!("{} ({h})", e.message),
        None => e.message.clone(),
    };
    match errors {
        [e] => one(e),
        many => many
            .iter()
            .map(|e| match e.line() {
                Some(line) => format!("line {line}: {}", one(e)),
                None => one(e),
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loaded_rules_carry_id_title_and_routing_notes() {
        let loader = RuleLoader::new(&crate::engine::Placeholders::default());
        let text = "title: T\nid: x-1\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n  s:\n    Image|endswith: /curl\n  condition: s\n";
        let e = lint_file("r.yml", text, &loader).remove(0).0;
        assert_eq!(e.status, LintStatus::Loaded);
        assert_eq!(e.id.as_deref(), Some("x-1"));
        assert!(
            e.note
                .unwrap()
                .contains("product=linux category=process_creation")
        );
    }

    #[test]
    fn rules_tagged_with_retired_techniques_say_which_and_what_replaced_them() {
        let loader = RuleLoader::new(&crate::engine::Placeholders::default());
        let text = "title: T\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    Image|endswith: '\\powershell.exe'\n  condition: s\ntags:\n  - attack.t1086\n";
        let e = lint_file("r.yml", text, &loader).remove(0).0;
        assert_eq!(e.status, LintStatus::Loaded);
        assert_eq!(
            e.note.as_deref(),
            Some(
                "tagged with a retired technique: T1086 (PowerShell) is revoked in ATT&CK v18.1; use T1059.001"
            )
        );
    }

    #[test]
    fn rules_that_do_not_load_keep_their_title_line_and_reason() {
        let loader = RuleLoader::new(&crate::engine::Placeholders::default());
        let text = "title: Broken\nid: x-2\nlogsource:\n  product: windows\ndetection:\n  s:\n    Image|endswith|bogus: x\n  condition: s\n";
        let e = lint_file("r.yml", text, &loader).remove(0).0;
        assert_eq!(e.status, LintStatus::NotLoaded);
        assert_eq!(e.title.as_deref(), Some("Broken"));
        assert!(e.reason.clone().unwrap().contains("bogus"), "{e:?}");
    }
}
