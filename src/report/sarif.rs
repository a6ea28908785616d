//! The SARIF 2.1.0 report of `rulecheck test`, for GitHub code scanning: each
//! failing or incidental result, and each invalid input, becomes an alert on
//! the rule file, at the line where the rule's logic starts.
//!
//! SARIF's "rules" here are rulecheck's outcome kinds (`missed`,
//! `false-positive`, …), not the detection rules under test: code scanning
//! groups and documents alerts by them. Each result carries a fingerprint of
//! what it is about (rule, bundle, outcome) so code scanning recognises the
//! same alert across runs even when lines move.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Problem, Summary};
use crate::judge::Outcome;
use crate::snapshot::GateReport;
use crate::testrun::RuleResult;

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
const INFORMATION_URI: &str = "https://github.com/rulecheck/rulecheck";
/// The `partialFingerprints` key; bump the suffix if the hashed fields change.
const FINGERPRINT_KEY: &str = "rulecheck/v1";

/// What an alert is about: a failing or incidental outcome, or an input that
/// could not be used. In the order the reporting descriptors are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Missed,
    FalsePositive,
    Errored,
    Incidental,
    InvalidInput,
    SnapshotChanged,
}

impl Kind {
    fn of(outcome: Outcome) -> Option<Kind> {
        match outcome {
            Outcome::Missed => Some(Kind::Missed),
            Outcome::FalsePositive => Some(Kind::FalsePositive),
            Outcome::Errored => Some(Kind::Errored),
            Outcome::Incidental => Some(Kind::Incidental),
            Outcome::Detected | Outcome::NotApplicable => None,
        }
    }

    fn id(self) -> &'static str {
        match self {
            Kind::Missed => "missed",
            Kind::FalsePositive => "false-positive",
            Kind::Errored => "errored",
            Kind::Incidental => "incidental",
            Kind::InvalidInput => "invalid-input",
            Kind::SnapshotChanged => "snapshot-changed",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Missed => "MissedDetection",
            Kind::FalsePositive => "FalsePositive",
            Kind::Errored => "ErroredRule",
            Kind::Incidental => "IncidentalHit",
            Kind::InvalidInput => "InvalidInput",
            Kind::SnapshotChanged => "SnapshotChanged",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Kind::Missed => "The rule did not detect a technique it claims",
            Kind::FalsePositive => "The rule hit benign activity",
            Kind::Errored => "The rule could not be evaluated on the telemetry",
            Kind::Incidental => "The rule hit attack activity it does not claim",
            Kind::InvalidInput => "An input could not be loaded",
            Kind::SnapshotChanged => "The rule's results differ from its accepted snapshot",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Kind::Missed => {
                "The telemetry shows a technique the rule claims (an attack.tXXXX tag, or an \
                 expectation in rulecheck.yaml), and the rule hit none of that step's events; for a \
                 regression test, it matched fewer events than match_count. Fix the rule's \
                 detection logic, or correct its tags. Reproduce with `rulecheck eval RULE BUNDLE`."
            }
            Kind::FalsePositive => {
                "The rule hit an event the bundle labels benign. Narrow the detection (filters), or \
                 set allow_benign_hits for the rule in rulecheck.yaml if such hits are accepted. \
                 Reproduce with `rulecheck eval RULE BUNDLE`."
            }
            Kind::Errored => {
                "The rule's logsource (Sigma) or every table it reads (KQL) has no source in \
                 rulecheck while the bundle shows a technique it claims, or its KQL query failed on \
                 the bundle's data. Check the logsource or a field mapping, or the query."
            }
            Kind::Incidental => {
                "The rule hit only malicious events of techniques it does not claim, or unlabelled \
                 events of imported logs. Not a failure; consider tagging the technique."
            }
            Kind::InvalidInput => {
                "A rule, bundle, configuration or regression-test file could not be read or is \
                 invalid; everything else was still tested. Run `rulecheck lint` on rules for the \
                 full diagnostic."
            }
            Kind::SnapshotChanged => {
                "What the rule hits (or its outcome) on a bundle differs from the results accepted \
                 in its snapshot file. If the change is intended, run `rulecheck test --accept` \
                 and commit the snapshot; otherwise fix the rule. See docs/snapshots.md."
            }
        }
    }

    fn level(self) -> &'static str {
        match self {
            Kind::Incidental => "note",
            _ => "error",
        }
    }
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    /// Set for a shard, so each shard's upload is its own code-scanning category.
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<AutomationDetails>,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    help: Message,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
}

/// One alert before the descriptors are numbered.
struct Alert {
    kind: Kind,
    text: String,
    path: String,
    line: Option<usize>,
    /// What identifies the alert across runs (hashed into the fingerprint).
    identity: Vec<String>,
}

pub fn render_sarif(
    results: &[RuleResult],
    summary: &Summary,
    problems: &[Problem],
    snapshots: Option<&GateReport>,
) -> String {
    let mut alerts: Vec<Alert> = results
        .iter()
        .filter_map(|r| {
            let kind = Kind::of(r.verdict.outcome)?;
            Some(Alert {
                kind,
                text: result_text(kind, r),
                path: r.rule.path.clone(),
                line: r.rule.line,
                identity: vec![
                    kind.id().to_string(),
                    r.rule.path.clone(),
                    r.rule.id.clone().unwrap_or_default(),
                    r.rule.title.clone(),
                    r.bundle.path.clone(),
                ],
            })
        })
        .collect();
    alerts.extend(problems.iter().map(|p| {
        let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
        Alert {
            kind: Kind::InvalidInput,
            text: format!("invalid input {}{at}: {}", p.path, p.message),
            path: p.path.clone(),
            line: p.line,
            identity: vec![
                Kind::InvalidInput.id().to_string(),
                p.path.clone(),
                p.message.clone(),
            ],
        }
    }));

    if let Some(s) = snapshots.filter(|s| s.fails()) {
        alerts.extend(s.changes.iter().map(|c| {
            Alert {
                kind: Kind::SnapshotChanged,
                text: format!("{}: {}", c.path, super::snapshot::change_line(c)),
                path: c.path.clone(),
                // Point at the rule's logic, as the other results about it do.
                line: results
                    .iter()
                    .find(|r| {
                        r.rule.path == c.path && c.rule.as_deref().is_none_or(|t| r.rule.title == t)
                    })
                    .and_then(|r| r.rule.line),
                identity: vec![
                    Kind::SnapshotChanged.id().to_string(),
                    c.path.clone(),
                    c.rule.clone().unwrap_or_default(),
                    c.bundle.clone().unwrap_or_default(),
                    c.description.clone(),
                ],
            }
        }));
    }

    let mut kinds: Vec<Kind> = alerts.iter().map(|a| a.kind).collect();
    kinds.sort();
    kinds.dedup();
    let rules = kinds
        .iter()
        .map(|&k| ReportingDescriptor {
            id: k.id(),
            name: k.name(),
            short_description: Message {
                text: k.short().to_string(),
            },
            help: Message {
                text: k.help().to_string(),
            },
            default_configuration: Configuration { level: k.level() },
        })
        .collect();

    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let results = alerts
        .into_iter()
        .map(|a| {
            let mut fingerprint = fingerprint_of(&a.identity);
            // Two alerts about the same thing (a rule title repeated in one
            // file) still get distinct, stable fingerprints: by occurrence.
            let n = seen.entry(fingerprint.clone()).or_default();
            if *n > 0 {
                fingerprint = fingerprint_of(&[fingerprint.clone(), n.to_string()]);
            }
            *n += 1;
            SarifResult {
                rule_id: a.kind.id(),
                rule_index: kinds.binary_search(&a.kind).expect("kind is listed"),
                level: a.kind.level(),
                message: Message { text: a.text },
                locations: vec![location(&a.path, a.line)],
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
            }
        })
        .collect();

    let log = Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "rulecheck",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules,
                },
            },
            automation_details: summary.shard.map(|s| AutomationDetails {
                id: format!("rulecheck/shard-{}-of-{}/", s.index, s.count),
            }),
            results,
        }],
    };
    let mut out = serde_json::to_string_pretty(&log).expect("reports serialise");
    out.push('\n');
    out
}

/// "<rule title> missed <techniques (steps)> in <bundle>: <reason>", and the
/// like for the other outcomes.
fn result_text(kind: Kind, r: &RuleResult) -> String {
    let title = &r.rule.title;
    let bundle = &r.bundle.path;
    let reason = &r.verdict.reason;
    match kind {
        Kind::Missed => format!("{title} missed {} in {bundle}: {reason}", expected(r)),
        Kind::FalsePositive => format!("{title} hit benign events in {bundle}: {reason}"),
        Kind::Errored => format!("{title} errored on {bundle}: {reason}"),
        Kind::Incidental => format!("{title} hit unclaimed events in {bundle}: {reason}"),
        Kind::InvalidInput | Kind::SnapshotChanged => {
            unreachable!("outcomes are never invalid inputs or snapshot changes")
        }
    }
}

/// `T1059.001 (steps ps, runkey)`, `match_count 2`, or what little is known.
fn expected(r: &RuleResult) -> String {
    let mut parts: Vec<String> = Vec::new();
    let techniques: Vec<&str> = r.expected.techniques.iter().map(|t| t.as_str()).collect();
    if !techniques.is_empty() {
        parts.push(techniques.join(", "));
    }
    if !r.expected.steps.is_empty() {
        parts.push(format!("(steps {})", r.expected.steps.join(", ")));
    }
    if let Some(n) = r.expected.match_count {
        parts.push(format!("(match_count {n})"));
    }
    if parts.is_empty() {
        "its expected events".to_string()
    } else {
        parts.join(" ")
    }
}

fn location(path: &str, line: Option<usize>) -> Location {
    let (uri, uri_base_id) = artifact_uri(path);
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri, uri_base_id },
            region: Region {
                start_line: line.unwrap_or(1).max(1),
            },
        },
    }
}

/// A relative path becomes a URI relative to `%SRCROOT%` (the checkout) with
/// forward slashes; an absolute one a `file://` URI. Characters outside the
/// URI grammar are percent-encoded.
fn artifact_uri(path: &str) -> (String, Option<&'static str>) {
    let slashed = path.replace('\\', "/");
    let windows_drive = slashed.as_bytes().get(1) == Some(&b':');
    if slashed.starts_with('/') {
        (format!("file://{}", percent_encode(&slashed)), None)
    } else if windows_drive {
        (format!("file:///{}", percent_encode(&slashed)), None)
    } else {
        let mut relative = slashed.as_str();
        while let Some(rest) = relative.strip_prefix("./") {
            relative = rest;
        }
        (percent_encode(relative), Some("%SRCROOT%"))
    }
}

fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Hex SHA-256 of the fields, NUL-separated so no two field lists collide.
fn fingerprint_of(fields: &[String]) -> String {
    let mut hasher = Sha256::new();
    for f in fields {
        hasher.update(f.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::junit::tests::result;

    fn render(results: &[RuleResult], problems: &[Problem]) -> serde_json::Value {
        let summary = Summary::new(1, 1, results, problems);
        serde_json::from_str(&render_sarif(results, &summary, problems, None)).unwrap()
    }

    #[test]
    fn no_results_is_a_valid_empty_run() {
        let log = render(&[], &[]);
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["$schema"], SARIF_SCHEMA);
        assert_eq!(log["runs"][0]["tool"]["driver"]["name"], "rulecheck");
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"],
            serde_json::json!([])
        );
        assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
        assert!(log["runs"][0].get("automationDetails").is_none());
    }

    #[test]
    fn only_problems_declare_only_invalid_input_and_point_at_line_1_without_one() {
        let problems = [Problem {
            path: "bundles/x.jsonl".into(),
            line: None,
            message: "bad".into(),
        }];
        let log = render(&[], &problems);
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0]["id"], "invalid-input");
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["ruleId"], "invalid-input");
        assert_eq!(result["ruleIndex"], 0);
        assert_eq!(result["level"], "error");
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uri"], "bundles/x.jsonl");
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(location["region"]["startLine"], 1);
    }

    #[test]
    fn failures_are_errors_incidental_notes_and_detected_absent() {
        let results = [
            result("rules/a.yml", "A", Outcome::Missed, "hit none"),
            result("rules/b.yml", "B", Outcome::Incidental, "hit T1033"),
            result("rules/c.yml", "C", Outcome::Detected, "hit"),
        ];
        let log = render(&results, &[]);
        let found = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0]["level"], "error");
        assert_eq!(
            found[0]["message"]["text"],
            "A missed T1059.001 (steps ps) in bundles/b.jsonl: hit none"
        );
        assert_eq!(
            found[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            7
        );
        assert_eq!(found[1]["level"], "note");
        assert_eq!(found[1]["ruleId"], "incidental");
        let ids: Vec<&str> = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["missed", "incidental"]);
        assert_eq!(found[1]["ruleIndex"], 1);
    }

    #[test]
    fn fingerprints_are_stable_and_unique_even_for_repeated_titles() {
        let results = [
            result("rules/a.yml", "Same", Outcome::Missed, "one"),
            result("rules/a.yml", "Same", Outcome::Missed, "two"),
        ];
        let first = render(&results, &[]);
        let again = render(&results, &[]);
        assert_eq!(first, again);
        let prints: Vec<&str> = first["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap())
            .collect();
        assert_eq!(prints.len(), 2);
        assert_ne!(prints[0], prints[1]);
        assert_eq!(prints[0].len(), 64);
    }

    #[test]
    fn uris_are_relative_with_forward_slashes_or_file_uris() {
        assert_eq!(
            artifact_uri("./rules\\win\\a b.yml"),
            ("rules/win/a%20b.yml".to_string(), Some("%SRCROOT%"))
        );
        assert_eq!(
            artifact_uri("/abs/r#1.yml"),
            ("file:///abs/r%231.yml".to_string(), None)
        );
        assert_eq!(
            artifact_uri("C:\\rules\\a.yml"),
            ("file:///C:/rules/a.yml".to_string(), None)
        );
    }

    #[test]
    fn a_shard_is_its_own_category() {
        let mut summary = Summary::new(0, 0, &[], &[]);
        summary.shard = Some(crate::report::Shard { index: 2, count: 3 });
        let log: serde_json::Value =
            serde_json::from_str(&render_sarif(&[], &summary, &[], None)).unwrap();
        assert_eq!(
            log["runs"][0]["automationDetails"]["id"],
            "rulecheck/shard-2-of-3/"
        );
    }
}
