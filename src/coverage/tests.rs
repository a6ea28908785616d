use super::*;
use crate::bundle::Bundle;
use crate::judge::judge;
use crate::test_support::{bundle, bundle_of, expect, step};
use crate::testrun::{BundleRef, Expected, RuleRef};

/// One rule's judged result on a bundle, hitting the given 0-based events.
fn result(rule: &str, techniques: &[&str], path: &str, b: &Bundle, hits: &[usize]) -> RuleResult {
    let expectation = expect(techniques);
    let verdict = judge(&expectation, None, b, hits);
    RuleResult {
        rule: RuleRef {
            path: rule.into(),
            line: None,
            id: None,
            title: rule.into(),
        },
        kind: TestKind::Synthetic,
        bundle: BundleRef {
            path: path.into(),
            spec: b.header.spec.clone(),
            variant: None,
            profile: None,
        },
        expected: Expected {
            techniques: expectation.techniques,
            steps: verdict.expected_steps.clone(),
            allow_benign_hits: false,
            overrides: vec![],
            match_count: None,
        },
        verdict,
    }
}

#[test]
fn scores_are_the_share_of_bundles_where_a_rule_detected_the_technique() {
    let a = bundle();
    let b = bundle();
    let results = vec![
        // ps.yml detects T1059.001 in a.jsonl only; run.yml misses T1547.001 everywhere.
        result("ps.yml", &["T1059"], "a.jsonl", &a, &[1]),
        result("ps.yml", &["T1059"], "b.jsonl", &b, &[]),
        result("run.yml", &["T1547.001"], "a.jsonl", &a, &[]),
        result("run.yml", &["T1547.001"], "b.jsonl", &b, &[]),
        result("lsass.yml", &["T1003.001"], "a.jsonl", &a, &[]),
    ];
    let headers = vec![
        ("a.jsonl".to_string(), &a.header),
        ("b.jsonl".to_string(), &b.header),
    ];
    let c = coverage(&results, &headers, 3);
    let ids: Vec<&str> = c.techniques.iter().map(|t| t.id.as_str()).collect();
    // T1059 (claimed) is reported under the sub-technique bundles show.
    assert_eq!(ids, ["T1003.001", "T1059.001", "T1547.001"]);

    let ps = c.technique("T1059.001").unwrap();
    assert_eq!(ps.status, Status::Partial);
    assert_eq!(ps.score, Some(0.5));
    assert_eq!(ps.detecting_rules, ["ps.yml"]);
    assert_eq!(ps.claiming_rules, ["ps.yml"]);
    assert_eq!(ps.bundles[0].detected_by, ["ps.yml"]);
    assert_eq!(ps.bundles[1].missed_steps, ["ps"]);
    assert_eq!(ps.bundles[1].outcomes[0].outcome, Outcome::Missed);

    let run = c.technique("T1547.001").unwrap();
    assert_eq!((run.status, run.score), (Status::Missed, Some(0.0)));

    let lsass = c.technique("T1003.001").unwrap();
    assert_eq!((lsass.status, lsass.score), (Status::Untested, None));
    assert!(lsass.bundles.is_empty());
}

#[test]
fn a_technique_with_bundles_and_no_rule_is_missed() {
    let b = bundle_of(vec![step(
        "x",
        Some("T1105"),
        crate::bundle::Class::Malicious,
    )]);
    let c = coverage(&[], &[("x.jsonl".to_string(), &b.header)], 0);
    let t = c.technique("T1105").unwrap();
    assert_eq!(t.status, Status::Missed);
    assert!(t.claiming_rules.is_empty());
    assert_eq!(t.bundles[0].missed_steps, ["x"]);
}
