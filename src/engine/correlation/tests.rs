use super::*;

fn rule(yaml: &str) -> CorrelationRule {
    let doc: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
    CorrelationRule::parse("c.yml", yaml, doc).unwrap()
}

/// A match at `secs` seconds with event index `event` and `user`/`host` fields.
fn m(secs: i64, event: usize, user: &str, host: &str) -> Match {
    Match {
        time: secs * 1_000_000,
        events: vec![event],
        fields: [
            ("User".to_string(), user.to_string()),
            ("Host".to_string(), host.to_string()),
        ]
        .into(),
    }
}

const EVENT_COUNT: &str = "title: Many failures\ncorrelation:\n  type: event_count\n  rules: [failed]\n  group-by: [User]\n  timespan: 10s\n  condition:\n    gte: 3\ntags: [attack.t1110]\n";

#[test]
fn event_count_fires_per_group_within_the_timespan() {
    let r = rule(EVENT_COUNT);
    assert_eq!(r.techniques, vec!["T1110".parse().unwrap()]);
    let inputs = vec![vec![
        m(0, 0, "alice", "a"),
        m(4, 1, "alice", "a"),
        m(8, 2, "bob", "a"),
        m(9, 3, "alice", "a"),
        m(30, 4, "alice", "a"),
    ]];
    let firings = r.evaluate(&inputs);
    assert_eq!(firings.len(), 1);
    assert_eq!(firings[0].events, vec![0, 1, 3]);
    assert_eq!(
        firings[0].group,
        vec![("User".to_string(), Some("alice".to_string()))]
    );
}

#[test]
fn the_timespan_boundary_is_inclusive() {
    let r = rule(EVENT_COUNT);
    let at_boundary = vec![vec![
        m(0, 0, "u", "h"),
        m(5, 1, "u", "h"),
        m(10, 2, "u", "h"),
    ]];
    assert_eq!(
        r.evaluate(&at_boundary).len(),
        1,
        "exactly timespan apart is inside"
    );
    let mut just_over = at_boundary.clone();
    just_over[0][2].time += 1; // one microsecond past the window
    assert!(r.evaluate(&just_over).is_empty());
}

#[test]
fn multiple_groups_are_counted_separately() {
    let r = rule(EVENT_COUNT);
    let inputs = vec![vec![
        m(0, 0, "alice", "a"),
        m(1, 1, "bob", "a"),
        m(2, 2, "alice", "a"),
        m(3, 3, "bob", "a"),
        m(4, 4, "carol", "a"),
        m(5, 5, "bob", "a"),
    ]];
    let firings = r.evaluate(&inputs);
    assert_eq!(firings.len(), 1, "only bob reaches 3");
    assert_eq!(firings[0].events, vec![1, 3, 5]);
}

#[test]
fn value_count_counts_distinct_values_per_group() {
    let r = rule(
        "title: Spray\ncorrelation:\n  type: value_count\n  rules: [failed]\n  group-by: [Host]\n  timespan: 1m\n  condition:\n    field: User\n    gte: 3\n",
    );
    let inputs = vec![vec![
        m(0, 0, "alice", "a"),
        m(1, 1, "alice", "a"),
        m(2, 2, "bob", "a"),
        m(3, 3, "carol", "b"),
        m(4, 4, "dave", "a"),
    ]];
    let firings = r.evaluate(&inputs);
    assert_eq!(firings.len(), 1);
    assert_eq!(firings[0].events, vec![0, 1, 2, 4]);
    // A range condition: 2 ≤ distinct < 3 holds for host b? No: b has one user.
    let ranged = rule(
        "title: Spray\ncorrelation:\n  type: value_count\n  rules: [failed]\n  group-by: [Host]\n  timespan: 1m\n  condition:\n    field: User\n    gt: 1\n    lt: 3\n",
    );
    assert!(
        ranged
            .evaluate(&inputs)
            .iter()
            .all(|f| f.group[0].1.as_deref() == Some("a"))
    );
}

#[test]
fn temporal_needs_every_rule_in_the_window_in_any_order() {
    let r = rule(
        "title: Recon\ncorrelation:\n  type: temporal\n  rules: [whoami, ipconfig]\n  group-by: [User]\n  timespan: 5m\n",
    );
    let inputs = vec![vec![m(100, 0, "u", "h")], vec![m(10, 1, "u", "h")]];
    let firings = r.evaluate(&inputs);
    assert_eq!(firings.len(), 1);
    assert_eq!(firings[0].events, vec![0, 1]);
    let apart = vec![vec![m(400, 0, "u", "h")], vec![m(10, 1, "u", "h")]];
    assert!(r.evaluate(&apart).is_empty());
    let other_user = vec![vec![m(100, 0, "u", "h")], vec![m(10, 1, "v", "h")]];
    assert!(r.evaluate(&other_user).is_empty());
}

#[test]
fn temporal_ordered_needs_the_rules_in_order() {
    let r = rule(
        "title: Brute then success\ncorrelation:\n  type: temporal_ordered\n  rules: [failed, success]\n  group-by: [User]\n  timespan: 1h\n",
    );
    let in_order = vec![vec![m(0, 0, "u", "h")], vec![m(60, 1, "u", "h")]];
    assert_eq!(r.evaluate(&in_order).len(), 1);
    let reversed = vec![vec![m(60, 0, "u", "h")], vec![m(0, 1, "u", "h")]];
    assert!(r.evaluate(&reversed).is_empty());
}

#[test]
fn aliases_group_different_fields_of_different_rules() {
    let r = rule(
        "title: Same user\ncorrelation:\n  type: temporal\n  rules: [a, b]\n  group-by: [who]\n  timespan: 1m\n  aliases:\n    who:\n      a: User\n      b: Host\n",
    );
    assert_eq!(r.needed_fields("b"), vec!["Host".to_string()]);
    let inputs = vec![vec![m(0, 0, "x", "-")], vec![m(1, 1, "-", "x")]];
    assert_eq!(r.evaluate(&inputs).len(), 1);
}

#[test]
fn invalid_correlations_are_located_errors() {
    let bad = |yaml: &str| {
        let doc: serde_norway::Value = serde_norway::from_str(yaml).unwrap();
        CorrelationRule::parse("c.yml", yaml, doc).unwrap_err()
    };
    let e = bad("title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1h\n");
    assert!(e.message.contains("need a `condition`"), "{e}");
    let e = bad(
        "title: x\ncorrelation:\n  type: value_count\n  rules: [a]\n  timespan: 1h\n  condition:\n    gte: 2\n",
    );
    assert!(e.message.contains("`field`"), "{e}");
    let e = bad(
        "title: x\ncorrelation:\n  type: event_count\n  rules: [a]\n  timespan: 1 hour\n  condition:\n    gte: 2\n",
    );
    assert_eq!(e.line(), Some(5), "{e}");
    let e = bad("title: x\ncorrelation:\n  type: event_cnt\n  rules: [a]\n  timespan: 1h\n");
    assert!(e.message.contains("event_cnt"), "{e}");
}
