use super::*;

fn entry(outcome: Outcome, hits: &[&str]) -> Entry {
    Entry {
        outcome,
        hits: hits.iter().map(|h| h.to_string()).collect(),
    }
}

fn file(entries: &[(&str, &str, Entry)]) -> FileSnapshot {
    let mut f = FileSnapshot::default();
    for (rule, bundle, e) in entries {
        f.rules
            .entry(rule.to_string())
            .or_default()
            .insert(bundle.to_string(), e.clone());
    }
    f
}

fn run(bundles: &[&str]) -> BTreeSet<String> {
    bundles.iter().map(|b| b.to_string()).collect()
}

#[test]
fn render_and_parse_round_trip_with_a_header() {
    let f = file(&[
        (
            "Encoded PowerShell",
            "b/a.jsonl",
            entry(Outcome::Detected, &["9 hta_powershell", "12 stage"]),
        ),
        (
            "Encoded PowerShell",
            "b/c.jsonl",
            entry(Outcome::Missed, &[]),
        ),
    ]);
    let text = f.render("rules/x.yml");
    assert!(
        text.starts_with("# rulecheck snapshot: the accepted results of the rules in rules/x.yml.")
    );
    assert_eq!(FileSnapshot::parse("x.snap.yaml", &text).unwrap(), f);
    // Stable: rendering twice gives the same bytes.
    assert_eq!(text, f.render("rules/x.yml"));
    let err = FileSnapshot::parse("x.snap.yaml", "R:\n  b: {outcome: sideways}\n").unwrap_err();
    assert_eq!(err.line(), Some(2), "{err}");
}

#[test]
fn diff_names_outcome_and_hit_changes_on_the_bundles_that_ran() {
    let accepted = file(&[
        (
            "R",
            "a.jsonl",
            entry(Outcome::Detected, &["9 ps", "12 stage"]),
        ),
        ("R", "b.jsonl", entry(Outcome::Detected, &["3 ps"])),
        ("R", "not-run.jsonl", entry(Outcome::Detected, &["1 ps"])),
    ]);
    let current = file(&[
        (
            "R",
            "a.jsonl",
            entry(Outcome::Detected, &["9 ps", "13 beacon"]),
        ),
        ("R", "c.jsonl", entry(Outcome::FalsePositive, &["2 office"])),
    ]);
    let changes = diff(
        "r.yml",
        Some(&accepted),
        &current,
        &run(&["a.jsonl", "b.jsonl", "c.jsonl"]),
    );
    let described: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.bundle.as_deref().unwrap(), c.description.as_str()))
        .collect();
    assert_eq!(
        described,
        [
            ("a.jsonl", "no longer hits 12 stage; now hits 13 beacon"),
            ("b.jsonl", "detected → not applicable; no longer hits 3 ps"),
            (
                "c.jsonl",
                "not applicable → false positive; now hits 2 office"
            ),
        ]
    );
    assert!(diff("r.yml", Some(&accepted), &accepted, &run(&["a.jsonl"])).is_empty());
    let missing = diff("r.yml", None, &current, &run(&["a.jsonl"]));
    assert!(missing[0].description.contains("--accept"));
}

#[test]
fn new_and_removed_rules_are_changes() {
    let accepted = file(&[("Old", "a.jsonl", entry(Outcome::Detected, &["1 x"]))]);
    let mut current = file(&[]);
    current.rules.insert("New".into(), BTreeMap::new());
    let changes = diff("r.yml", Some(&accepted), &current, &run(&["a.jsonl"]));
    let rules: Vec<&str> = changes.iter().map(|c| c.rule.as_deref().unwrap()).collect();
    assert_eq!(rules, ["New", "Old"]);
}

#[test]
fn accepting_a_partial_run_keeps_the_other_bundles() {
    let accepted = file(&[
        ("R", "a.jsonl", entry(Outcome::Detected, &["1 x"])),
        ("R", "other.jsonl", entry(Outcome::Detected, &["2 y"])),
    ]);
    let current = file(&[("R", "a.jsonl", entry(Outcome::Missed, &[]))]);
    let merged = accepted.merged(&current, &run(&["a.jsonl"]));
    assert_eq!(merged.rules["R"]["a.jsonl"].outcome, Outcome::Missed);
    assert_eq!(merged.rules["R"]["other.jsonl"].outcome, Outcome::Detected);
}

#[test]
fn snapshot_paths_stay_inside_the_snapshot_directory() {
    assert_eq!(
        snapshot_path("rules/windows/x.yml"),
        "rules/windows/x.yml.snap.yaml"
    );
    assert_eq!(snapshot_path("./rules/x.kql"), "rules/x.kql.snap.yaml");
    assert_eq!(snapshot_path("/tmp/../r.yml"), "tmp/__/r.yml.snap.yaml");
}
