use super::*;
use crate::bundle::Variant;
use crate::judge::Verdict;
use crate::testrun::{BundleRef, Expected};

fn mutation(step: &str, mutator: &str) -> Mutation {
    Mutation {
        step: step.into(),
        mutator: mutator.into(),
        field: "command_line".into(),
        before: "whoami /all".into(),
        after: "whoami -all".into(),
    }
}

fn result(number: Option<u32>, outcome: Outcome, mutations: Vec<Mutation>) -> RuleResult {
    RuleResult {
        rule: RuleRef {
            path: "rules/whoami.yml".into(),
            line: Some(1),
            id: None,
            title: "Whoami".into(),
        },
        kind: TestKind::Synthetic,
        bundle: BundleRef {
            path: format!("bundles/variants/w.v{}.jsonl", number.unwrap_or(0)),
            spec: "w".into(),
            variant: number.map(|number| Variant {
                number,
                requested_seed: 1,
                mutations,
            }),
            profile: None,
        },
        expected: Expected {
            techniques: vec!["T1033".parse().unwrap()],
            steps: vec!["whoami".into()],
            allow_benign_hits: false,
            overrides: vec![],
            match_count: None,
        },
        verdict: Verdict {
            outcome,
            expected_steps: vec!["whoami".into()],
            hits: vec![],
            reason: String::new(),
        },
    }
}

#[test]
fn scores_count_variants_and_name_the_mutations_of_misses() {
    let results = vec![
        // The spec's own bundle is not a variant: not counted.
        result(None, Outcome::Missed, vec![]),
        result(Some(1), Outcome::Detected, vec![mutation("whoami", "case")]),
        result(
            Some(3),
            Outcome::Missed,
            vec![
                mutation("whoami", "switch-character"),
                mutation("other", "caret"),
            ],
        ),
        result(
            Some(2),
            Outcome::Missed,
            vec![
                mutation("whoami", "switch-character"),
                mutation("whoami", "case"),
            ],
        ),
        // Outcomes that say nothing about detection are not counted.
        result(Some(4), Outcome::NotApplicable, vec![]),
    ];
    let scores = robustness(&results);
    assert_eq!(scores.len(), 1);
    let s = &scores[0];
    assert_eq!((s.variants, s.detected), (3, 1));
    assert_eq!(
        s.evaded_by,
        BTreeMap::from([("case".to_string(), 1), ("switch-character".to_string(), 2)])
    );
    let numbers: Vec<u32> = s.missed.iter().map(|m| m.number).collect();
    assert_eq!(numbers, [2, 3]);
    // Only mutations of the steps the rule was expected to detect.
    assert_eq!(
        s.missed[1].mutations,
        [mutation("whoami", "switch-character")]
    );
}

#[test]
fn no_variants_no_scores() {
    assert!(robustness(&[result(None, Outcome::Detected, vec![])]).is_empty());
}
