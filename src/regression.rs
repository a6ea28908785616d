//! SigmaHQ-style regression tests: real logs a rule must match, described by an
//! `info.yml` that the rule's `regression_tests_path` points to. Judged as
//! SigmaHQ's own runner does: fewer matches than `match_count` fails, more is
//! reported, and without `match_count` at least one match is required.

use serde::Deserialize;

use crate::bundle::{Bundle, Class};
use crate::engine::{PreparedEvent, SigmaRule};
use crate::judge::{Hit, HitKind, Outcome, Verdict};
use crate::testrun::{BundleRef, Expected, RuleRef, RuleResult, TestKind};

/// The parts of SigmaHQ's `info.yml` rulecheck uses; other keys (`id`,
/// `author`, `rule_metadata`, …) are SigmaHQ's and are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct RegressionInfo {
    pub regression_tests_info: Vec<RegressionTest>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegressionTest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub data_type: DataType,
    /// Provider the data comes from (informational).
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub match_count: Option<u64>,
    /// Log file, relative to the rule repository's root.
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    Evtx,
    Json,
}

/// Judge one rule on one regression test's logs (already read into `bundle`).
pub fn judge_regression(
    rule: &SigmaRule,
    test: &RegressionTest,
    input_path: &str,
    bundle: &Bundle,
    events: &[PreparedEvent],
) -> RuleResult {
    let hit_indices = rule.hits(events);
    let matched = hit_indices.len() as u64;
    let hits: Vec<Hit> = hit_indices
        .iter()
        .map(|&i| Hit {
            event: i + 1,
            source: bundle.events[i].labels.source.clone(),
            step: None,
            technique: None,
            class: Class::Unknown,
            kind: HitKind::Unknown,
        })
        .collect();
    let events_word = |n: u64| if n == 1 { "event" } else { "events" };
    let (outcome, reason) = match test.match_count {
        Some(expected) if matched < expected => (
            Outcome::Missed,
            format!(
                "matched {matched} {} of {}; match_count is {expected}",
                events_word(matched),
                events.len()
            ),
        ),
        Some(expected) if matched > expected => (
            Outcome::Detected,
            format!(
                "matched {matched} {}, more than match_count {expected}",
                events_word(matched)
            ),
        ),
        Some(expected) => (
            Outcome::Detected,
            format!(
                "matched {matched} {} (match_count {expected})",
                events_word(matched)
            ),
        ),
        None if matched == 0 => (
            Outcome::Missed,
            format!(
                "matched none of {} events; at least one expected",
                events.len()
            ),
        ),
        None => (
            Outcome::Detected,
            format!("matched {matched} {}", events_word(matched)),
        ),
    };
    let reason = if rule.routes.is_empty() {
        format!(
            "{reason}; the rule's logsource `{}` has no source in rulecheck",
            rule.logsource
        )
    } else {
        reason
    };
    RuleResult {
        rule: RuleRef::of_sigma(rule),
        kind: TestKind::Regression,
        bundle: BundleRef {
            path: input_path.to_string(),
            spec: test
                .name
                .clone()
                .unwrap_or_else(|| "regression test".to_string()),
            variant: None,
            profile: None,
        },
        expected: Expected {
            techniques: rule.techniques.clone(),
            steps: Vec::new(),
            allow_benign_hits: false,
            overrides: Vec::new(),
            match_count: test.match_count,
        },
        verdict: Verdict {
            outcome,
            expected_steps: Vec::new(),
            hits,
            reason,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::bundle_from_records;
    use crate::engine::{Placeholders, RuleLoader, prepare};
    use serde_json::json;

    fn setup(count: usize) -> (SigmaRule, Bundle) {
        let loader = RuleLoader::new(&Placeholders::default());
        let rule = loader
            .load_sigma(
                "r.yml",
                "title: Reg\nlogsource:\n  product: windows\n  category: registry_set\ndetection:\n  s:\n    TargetObject|endswith: '\\DisableConfig'\n  condition: s\n",
            )
            .unwrap();
        let record = json!({"Event": {"System": {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 13},
            "EventData": {"TargetObject": "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\SystemRestore\\DisableConfig"}}});
        let bundle = bundle_from_records("data", vec![record; count], &loader.logsources);
        (rule, bundle)
    }

    fn test(match_count: Option<u64>) -> RegressionTest {
        RegressionTest {
            name: Some("Positive".into()),
            data_type: DataType::Json,
            provider: None,
            match_count,
            path: "x.json".into(),
        }
    }

    #[test]
    fn judged_like_sigmahq_runner() {
        let (rule, bundle) = setup(2);
        let events = prepare(
            &bundle,
            &RuleLoader::new(&Placeholders::default()).logsources,
        );
        let r = judge_regression(&rule, &test(Some(2)), "x.json", &bundle, &events);
        assert_eq!(
            (r.verdict.outcome, r.kind),
            (Outcome::Detected, TestKind::Regression)
        );
        let r = judge_regression(&rule, &test(Some(3)), "x.json", &bundle, &events);
        assert_eq!(r.verdict.outcome, Outcome::Missed);
        assert_eq!(r.verdict.reason, "matched 2 events of 2; match_count is 3");
        let r = judge_regression(&rule, &test(Some(1)), "x.json", &bundle, &events);
        assert_eq!(r.verdict.outcome, Outcome::Detected);
        assert!(r.verdict.reason.contains("more than match_count 1"));
        let r = judge_regression(&rule, &test(None), "x.json", &bundle, &events);
        assert_eq!(r.verdict.outcome, Outcome::Detected);
        let (rule, empty) = setup(0);
        let r = judge_regression(&rule, &test(None), "x.json", &empty, &[]);
        assert_eq!(r.verdict.outcome, Outcome::Missed);
    }

    #[test]
    fn info_yml_parses_sigmahq_layout() {
        let info: RegressionInfo = serde_norway::from_str(
            "id: a\nrule_metadata:\n  - id: b\n    title: t\nregression_tests_info:\n  - name: Positive Detection Test\n    type: evtx\n    provider: Microsoft-Windows-Sysmon\n    match_count: 1\n    path: regression_data/x/y.evtx\n",
        )
        .unwrap();
        assert_eq!(info.regression_tests_info[0].data_type, DataType::Evtx);
        assert_eq!(info.regression_tests_info[0].match_count, Some(1));
    }
}
