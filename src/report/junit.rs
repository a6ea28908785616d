//! The JUnit XML report of `rulecheck test`, for CI systems that show test
//! results (GitHub check annotations, GitLab, Jenkins): a test suite per rule
//! file, a test case per (rule, bundle) result, failures for failing outcomes.
//!
//! Deterministic: no timestamps, durations or host names, so the report of the
//! same inputs is byte-identical on every run.

use std::collections::{BTreeMap, BTreeSet};

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Problem, Summary};
use crate::judge::Outcome;
use crate::snapshot::GateReport;
use crate::testrun::RuleResult;

/// The suite holding one errored case per invalid input.
pub const INPUTS_SUITE: &str = "rulecheck inputs";

/// The suite holding one failed case per change from the accepted snapshots.
pub const SNAPSHOTS_SUITE: &str = "rulecheck snapshots";

pub fn render_junit(
    results: &[RuleResult],
    summary: &Summary,
    problems: &[Problem],
    snapshots: Option<&GateReport>,
) -> String {
    let name = match summary.shard {
        Some(shard) => format!("rulecheck (shard {shard})"),
        None => "rulecheck".to_string(),
    };
    let mut report = Report::new(name);

    let several = files_with_several_rules(results);
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in super::table::shown(results) {
        let suite = suites
            .entry(r.rule.path.as_str())
            .or_insert_with(|| TestSuite::new(r.rule.path.as_str()));
        suite.add_test_case(test_case(r, several.contains(r.rule.path.as_str())));
    }
    report.add_test_suites(suites.into_values());

    if let Some(s) = snapshots.filter(|s| s.fails()) {
        let mut suite = TestSuite::new(SNAPSHOTS_SUITE);
        suite.add_test_cases(s.changes.iter().map(|c| {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type("snapshot-changed")
                .set_message(c.description.as_str());
            let mut case = TestCase::new(super::snapshot::change_line(c), status);
            case.set_classname(c.path.as_str());
            case
        }));
        report.add_test_suite(suite);
    }

    if !problems.is_empty() {
        let mut suite = TestSuite::new(INPUTS_SUITE);
        suite.add_test_cases(problems.iter().map(problem_case));
        report.add_test_suite(suite);
    }

    report
        .to_string()
        .expect("an in-memory JUnit report serialises")
}

/// Rule files that hold more than one rule (among the results), whose cases
/// need the rule's title to tell them apart.
fn files_with_several_rules(results: &[RuleResult]) -> BTreeSet<&str> {
    let mut rules: BTreeMap<&str, BTreeSet<(&str, Option<usize>)>> = BTreeMap::new();
    for r in results {
        rules
            .entry(r.rule.path.as_str())
            .or_default()
            .insert((r.rule.title.as_str(), r.rule.line));
    }
    rules
        .into_iter()
        .filter(|(_, titles)| titles.len() > 1)
        .map(|(path, _)| path)
        .collect()
}

fn test_case(r: &RuleResult, with_title: bool) -> TestCase {
    let name = if with_title {
        format!("{} ({})", r.bundle.path, r.rule.title)
    } else {
        r.bundle.path.clone()
    };
    let outcome = r.verdict.outcome;
    let status = if outcome.is_failure() {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status
            .set_type(outcome.as_str())
            .set_message(r.verdict.reason.as_str())
            .set_description(details(r));
        status
    } else {
        TestCaseStatus::success()
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(r.rule.path.as_str());
    if outcome == Outcome::Incidental {
        case.set_system_out(r.verdict.reason.as_str());
    }
    case
}

/// The body of a failure: what was expected and what the rule hit.
fn details(r: &RuleResult) -> String {
    let at = r.rule.line.map(|l| format!(":{l}")).unwrap_or_default();
    let techniques: Vec<&str> = r.expected.techniques.iter().map(|t| t.as_str()).collect();
    let mut text = format!(
        "rule: {} ({}{at})\nbundle: {}\nexpected: {}",
        r.rule.title,
        r.rule.path,
        r.bundle.path,
        if techniques.is_empty() {
            "-".to_string()
        } else {
            techniques.join(" ")
        }
    );
    if !r.expected.steps.is_empty() {
        text.push_str(&format!(" (steps {})", r.expected.steps.join(", ")));
    }
    if let Some(n) = r.expected.match_count {
        text.push_str(&format!(" (match_count {n})"));
    }
    text.push_str(&format!("\nhits: {}", r.verdict.hits.len()));
    text
}

fn problem_case(p: &Problem) -> TestCase {
    let name = match p.line {
        Some(line) => format!("{}:{line}", p.path),
        None => p.path.clone(),
    };
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status
        .set_type("invalid-input")
        .set_message(p.message.as_str());
    let mut case = TestCase::new(name, status);
    case.set_classname(INPUTS_SUITE);
    case
}

/// Results for the unit tests of every CI report.
#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::judge::Verdict;
    use crate::testrun::{BundleRef, Expected, RuleRef, TestKind};

    pub(crate) fn result(path: &str, title: &str, outcome: Outcome, reason: &str) -> RuleResult {
        RuleResult {
            rule: RuleRef {
                path: path.into(),
                line: Some(7),
                id: None,
                title: title.into(),
            },
            kind: TestKind::Synthetic,
            bundle: BundleRef {
                path: "bundles/b.jsonl".into(),
                spec: "b".into(),
                variant: None,
                profile: None,
            },
            expected: Expected {
                techniques: vec!["T1059.001".parse().unwrap()],
                steps: vec!["ps".into()],
                allow_benign_hits: false,
                overrides: vec![],
                match_count: None,
            },
            verdict: Verdict {
                outcome,
                expected_steps: vec!["ps".into()],
                hits: vec![],
                reason: reason.into(),
            },
        }
    }

    fn render(results: &[RuleResult], problems: &[Problem]) -> String {
        let summary = Summary::new(1, 1, results, problems);
        render_junit(results, &summary, problems, None)
    }

    #[test]
    fn no_results_and_no_problems_is_an_empty_report() {
        let xml = render(&[], &[]);
        assert!(
            xml.contains(
                r#"<testsuites name="rulecheck" tests="0" skipped="0" failures="0" errors="0">"#
            ),
            "{xml}"
        );
        assert!(!xml.contains("<testsuite "));
        assert!(!xml.contains("time="));
        assert!(!xml.contains("timestamp="));
    }

    #[test]
    fn only_problems_give_one_errored_case_each() {
        let problems = [
            Problem {
                path: "rules/bad.yml".into(),
                line: Some(3),
                message: "unknown modifier <x> & \"y\"".into(),
            },
            Problem {
                path: "bundles".into(),
                line: None,
                message: "no bundles".into(),
            },
        ];
        let xml = render(&[], &problems);
        assert!(xml.contains(r#"<testsuite name="rulecheck inputs" tests="2" skipped="0" errors="2" failures="0">"#), "{xml}");
        assert!(
            xml.contains(r#"<testcase name="rules/bad.yml:3" classname="rulecheck inputs">"#),
            "{xml}"
        );
        // Escaped, not broken XML.
        assert!(
            xml.contains("unknown modifier &lt;x&gt; &amp; &quot;y&quot;"),
            "{xml}"
        );
    }

    #[test]
    fn failures_carry_outcome_and_reason_and_incidental_passes_with_its_reason() {
        let results = [
            result("rules/a.yml", "A", Outcome::Missed, "hit none of step ps"),
            result(
                "rules/b.yml",
                "B",
                Outcome::Incidental,
                "hit step x (T1033)",
            ),
            result("rules/c.yml", "C", Outcome::NotApplicable, "nothing"),
        ];
        let xml = render(&results, &[]);
        assert!(
            xml.contains(r#"<failure message="hit none of step ps" type="missed">"#),
            "{xml}"
        );
        assert!(
            xml.contains("<system-out>hit step x (T1033)</system-out>"),
            "{xml}"
        );
        // Not applicable without hits is not a case.
        assert!(!xml.contains("rules/c.yml"), "{xml}");
        assert!(xml.contains(r#"tests="2""#), "{xml}");
    }

    #[test]
    fn a_file_of_several_rules_names_each_case_with_the_title() {
        let mut second = result("rules/multi.yml", "Second", Outcome::Detected, "ok");
        second.rule.line = Some(20);
        let results = [
            result("rules/multi.yml", "First", Outcome::Detected, "ok"),
            second,
        ];
        let xml = render(&results, &[]);
        assert!(xml.contains(r#"name="bundles/b.jsonl (First)""#), "{xml}");
        assert!(xml.contains(r#"name="bundles/b.jsonl (Second)""#), "{xml}");
    }
}
