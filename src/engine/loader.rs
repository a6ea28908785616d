//! Loading rule files of every language rulecheck runs: Sigma detection and
//! correlation rules (YAML), `.kql` files, and Microsoft Sentinel analytics
//! rules (YAML with a `query` and no `detection`). One entry point, so the
//! CLI, lint and tests treat every language alike.

use super::correlation::CorrelationRule;
use super::kql_rule::KqlRule;
use super::logsource::LogsourceTable;
use super::sigma::{SigmaRule, parse_sigma_value, split_documents};
use super::sigma_prep::Placeholders;
use crate::diagnostic::SourceError;
use crate::digest::Digest;

/// The extensions of rule files, for directory walks.
pub const RULE_EXTENSIONS: &[&str] = &["yml", "yaml", "kql"];

/// What loading a rule needs besides its text.
#[derive(Debug, Clone)]
pub struct RuleLoader {
    pub logsources: LogsourceTable,
    pub placeholders: Placeholders,
}

/// One rule of a file.
#[derive(Debug)]
pub enum LoadedRule {
    Sigma(Box<SigmaRule>),
    Correlation(Box<CorrelationRule>),
    Kql(Box<KqlRule>),
}

impl RuleLoader {
    /// The built-in routing table and placeholders, with the repository's
    /// placeholder values (from `rulecheck.yaml`) on top.
    pub fn new(placeholders: &Placeholders) -> RuleLoader {
        Self::with_logsources(LogsourceTable::builtin(), placeholders)
    }

    /// As [`new`](Self::new), with a routing table of the caller's (e.g. the
    /// built-in one extended by a repository's mapping file).
    pub fn with_logsources(logsources: LogsourceTable, placeholders: &Placeholders) -> RuleLoader {
        RuleLoader {
            logsources,
            placeholders: Placeholders::builtin().overlaid(placeholders),
        }
    }

    /// Parse a file holding exactly one Sigma rule.
    pub fn load_sigma(&self, path: &str, text: &str) -> Result<SigmaRule, SourceError> {
        let mut rules = self.load_file(path, text).map_err(|mut e| e.remove(0))?;
        match (rules.len(), rules.pop()) {
            (1, Some(LoadedRule::Sigma(rule))) => Ok(*rule),
            _ => Err(SourceError::new(
                path,
                text,
                None,
                "expected exactly one Sigma detection rule in the file",
            )),
        }
    }

    /// Parse every rule of a file. A `.kql` file is one KQL rule. A YAML file
    /// is a Sentinel analytics rule, one Sigma rule, or several YAML documents
    /// (detection and correlation rules), as the Sigma specification allows.
    /// Any invalid rule fails the file; the errors (never empty) are every
    /// problem found, each located in the file.
    pub fn load_file(&self, path: &str, text: &str) -> Result<Vec<LoadedRule>, Vec<SourceError>> {
        if path.ends_with(".kql") {
            return load_kql(KqlRule::parse_kql_file(path, text), text);
        }
        let documents = split_documents(text);
        if documents.is_empty() {
            return Err(vec![SourceError::new(
                path,
                text,
                None,
                "the file holds no rule",
            )]);
        }
        let spec_help = "see the Sigma specification: https://sigmahq.io/sigma-specification/";
        let mut rules = Vec::with_capacity(documents.len());
        for doc in &documents {
            let value: serde_norway::Value = serde_norway::from_str(doc)
                .map_err(|e| vec![SourceError::from_yaml(path, doc, &e).with_help(spec_help)])?;
            if value.get("correlation").is_some() {
                let mut rule = CorrelationRule::parse(path, doc, value).map_err(|e| vec![e])?;
                rule.digest = Some(Digest::of(doc.as_bytes()));
                rules.push(LoadedRule::Correlation(Box::new(rule)));
            } else if is_sentinel(&value) {
                if documents.len() > 1 {
                    return Err(vec![SourceError::new(
                        path,
                        text,
                        None,
                        "a Sentinel analytics rule must be the only document of its file",
                    )]);
                }
                return load_kql(KqlRule::parse_sentinel(path, doc), doc);
            } else if let Some(action) = value.get("action").and_then(|a| a.as_str()) {
                let line = doc
                    .lines()
                    .position(|l| l.trim_start().starts_with("action:"))
                    .map_or(1, |i| i + 1);
                return Err(vec![
                    SourceError::at_line(
                        path,
                        doc,
                        line,
                        format!("rule collections (`action: {action}`) are not supported"),
                    )
                    .with_help(
                        "Sigma 2.0 dropped collection actions; write each rule as its own document",
                    ),
                ]);
            } else {
                let mut rule =
                    parse_sigma_value(path, doc, value, &self.logsources, &self.placeholders)
                        .map_err(|e| vec![e])?;
                rule.line = doc
                    .lines()
                    .position(|l| l.starts_with("detection:"))
                    .map(|i| i + 1);
                rule.digest = Some(Digest::of(doc.as_bytes()));
                rules.push(LoadedRule::Sigma(Box::new(rule)));
            }
        }
        Ok(rules)
    }
}

/// A Sentinel analytics rule has a KQL `query` where Sigma has `detection`.
fn is_sentinel(doc: &serde_norway::Value) -> bool {
    doc.get("query").is_some_and(|q| q.is_string()) && doc.get("detection").is_none()
}

/// A parsed KQL rule, checked against the table schemas before it counts as loaded.
fn load_kql(
    parsed: Result<KqlRule, Vec<SourceError>>,
    text: &str,
) -> Result<Vec<LoadedRule>, Vec<SourceError>> {
    let mut rule = parsed?;
    rule.digest = Some(Digest::of(text.as_bytes()));
    match rule.check() {
        Ok(()) => Ok(vec![LoadedRule::Kql(Box::new(rule))]),
        Err(e) => Err(vec![rule.locate(text, e)]),
    }
}

#[cfg(test)]
mod tests;
