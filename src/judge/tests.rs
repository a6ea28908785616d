use super::*;
use crate::test_support::{bundle, expect};

#[test]
fn hit_on_an_expected_step_is_detected() {
    let v = judge(&expect(&["T1059.001"]), None, &bundle(), &[1]);
    assert_eq!(v.outcome, Outcome::Detected);
    assert_eq!(v.expected_steps, ["ps"]);
    assert_eq!(v.hits[0].event, 2);
    assert_eq!(v.hits[0].kind, HitKind::Expected);
    assert_eq!(v.reason, "hit 1 event of step ps (T1059.001)");
}

#[test]
fn parent_technique_tags_cover_sub_technique_steps() {
    assert_eq!(
        judge(&expect(&["T1059"]), None, &bundle(), &[1]).outcome,
        Outcome::Detected
    );
}

#[test]
fn no_hit_on_an_expected_step_is_missed_and_names_it() {
    let v = judge(&expect(&["T1059.001"]), None, &bundle(), &[2]);
    assert_eq!(v.outcome, Outcome::Missed);
    assert_eq!(v.reason, "no hit on step ps (T1059.001)");
    assert!(v.outcome.is_failure());
}

#[test]
fn benign_hits_are_false_positives_even_when_detected() {
    let v = judge(&expect(&["T1059.001"]), None, &bundle(), &[0, 1]);
    assert_eq!(v.outcome, Outcome::FalsePositive);
    let mut allowed = expect(&["T1059.001"]);
    allowed.allow_benign_hits = true;
    assert_eq!(
        judge(&allowed, None, &bundle(), &[0, 1]).outcome,
        Outcome::Detected
    );
}

#[test]
fn hits_on_unclaimed_techniques_are_incidental() {
    let v = judge(&expect(&["T1003.001"]), None, &bundle(), &[2]);
    assert_eq!(v.outcome, Outcome::Incidental);
    assert!(!v.outcome.is_failure());
}

#[test]
fn unrouted_rules_with_expectations_error_and_others_do_not_apply() {
    assert_eq!(
        judge(
            &expect(&["T1059.001"]),
            Some(BLIND_LOGSOURCE),
            &bundle(),
            &[]
        )
        .outcome,
        Outcome::Errored
    );
    assert_eq!(
        judge(
            &expect(&["T1003.001"]),
            Some(BLIND_LOGSOURCE),
            &bundle(),
            &[]
        )
        .outcome,
        Outcome::NotApplicable
    );
    assert_eq!(
        judge(&expect(&[]), None, &bundle(), &[]).outcome,
        Outcome::NotApplicable
    );
}
