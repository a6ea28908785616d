//! The result cache of `rulecheck test`: an unchanged repository is re-tested
//! from the cache, and any change to a rule, a bundle, a mapping or the
//! binary re-evaluates exactly what it touches.

use super::*;

/// The JSON report of `rulecheck test rules` run by `binary` in `dir`, with
/// extra arguments.
fn run_with(binary: &Path, dir: &Path, extra: &[&str]) -> serde_json::Value {
    let out = std::process::Command::new(binary)
        .current_dir(dir)
        .env_remove("CI")
        .args(["test", "rules", "--only", "synthetic", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    // 1 is a run whose rules missed: still a report.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        transcript(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run(dir: &Path, extra: &[&str]) -> serde_json::Value {
    run_with(&assert_cmd::cargo::cargo_bin("rulecheck"), dir, extra)
}

/// (reused, evaluated) from a report's summary.
fn cache_counts(report: &serde_json::Value) -> (u64, u64) {
    let cache = &report["summary"]["cache"];
    (
        cache["reused"].as_u64().unwrap(),
        cache["evaluated"].as_u64().unwrap(),
    )
}

#[test]
fn an_unchanged_repository_is_re_tested_from_the_cache_with_the_same_results() {
    let dir = generated_project();
    let first = run(dir.path(), &[]);
    // 3 rules × 2 bundles.
    assert_eq!(cache_counts(&first), (0, 6));
    let cache = dir.path().join(".rulecheck/cache");
    assert!(cache.join("CACHEDIR.TAG").is_file());
    assert_eq!(
        std::fs::read_to_string(cache.join(".gitignore")).unwrap(),
        "*\n"
    );
    let second = run(dir.path(), &[]);
    assert_eq!(cache_counts(&second), (6, 0));
    assert_eq!(first["results"], second["results"]);
}

#[test]
fn editing_a_rule_re_evaluates_that_rule_only() {
    let dir = generated_project();
    let before = run(dir.path(), &[]);
    let rule = dir.path().join("rules/proc_creation_win_cmd_child.yml");
    let text = std::fs::read_to_string(&rule).unwrap();
    std::fs::write(&rule, text.replace("\\cmd.exe", "\\cmd-x.exe")).unwrap();
    let after = run(dir.path(), &[]);
    assert_eq!(cache_counts(&after), (4, 2));
    assert_ne!(before["results"], after["results"], "the edit changed hits");
    let fresh = run(dir.path(), &["--no-cache"]);
    assert_eq!(after["results"], fresh["results"]);
}

#[test]
fn editing_a_bundle_re_evaluates_that_bundle_only() {
    let dir = generated_project();
    run(dir.path(), &[]);
    let bundle = dir.path().join("bundles/whoami-discovery.jsonl");
    let text = std::fs::read_to_string(&bundle).unwrap();
    // A different host name in every record; the narrative is unchanged.
    let edited = text.replace("WS-", "LT-");
    assert_ne!(text, edited);
    std::fs::write(&bundle, edited).unwrap();
    let after = run(dir.path(), &[]);
    assert_eq!(cache_counts(&after), (3, 3));
    assert_eq!(
        after["results"],
        run(dir.path(), &["--no-cache"])["results"]
    );
}

#[test]
fn changing_the_mappings_re_evaluates_everything() {
    let dir = generated_project();
    let before = run(dir.path(), &[]);
    // The repository's own process_creation route replaces the built-in
    // one, so the rules no longer see the Sysmon events: results change.
    std::fs::write(
        dir.path().join("mappings.yaml"),
        "sources:\n  acme-edr: [Acme EDR]\nlogsources:\n  - product: windows\n    category: process_creation\n    routes:\n      - source: acme-edr\n        fields:\n          Image: proc.path\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rulecheck.yaml"),
        "mappings: mappings.yaml\n",
    )
    .unwrap();
    let after = run(dir.path(), &[]);
    assert_eq!(cache_counts(&after), (0, 6));
    assert_ne!(before["results"], after["results"]);
    assert_eq!(
        after["results"],
        run(dir.path(), &["--no-cache"])["results"]
    );
}

#[test]
fn another_binary_re_evaluates_everything() {
    let dir = generated_project();
    run(dir.path(), &[]);
    // The same program with one more byte at the end: a different binary.
    let copy = dir.path().join("rulecheck-copy");
    let mut bytes = std::fs::read(assert_cmd::cargo::cargo_bin("rulecheck")).unwrap();
    bytes.push(0);
    std::fs::write(&copy, bytes).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let after = run_with(&copy, dir.path(), &[]);
    assert_eq!(cache_counts(&after), (0, 6));
}

#[test]
fn no_cache_reads_and_writes_nothing_and_cache_dir_moves_it() {
    let dir = generated_project();
    let report = run(dir.path(), &["--no-cache"]);
    assert!(report["summary"].get("cache").is_none(), "{report}");
    assert!(!dir.path().join(".rulecheck/cache").exists());

    let elsewhere = dir.path().join("elsewhere");
    let elsewhere_arg = elsewhere.to_str().unwrap();
    assert_eq!(
        cache_counts(&run(dir.path(), &["--cache-dir", elsewhere_arg])),
        (0, 6)
    );
    assert_eq!(
        cache_counts(&run(dir.path(), &["--cache-dir", elsewhere_arg])),
        (6, 0)
    );
    assert!(!dir.path().join(".rulecheck/cache").exists());
}

#[test]
fn a_damaged_entry_is_reported_and_rewritten() {
    let dir = generated_project();
    let first = run(dir.path(), &[]);
    let cache = dir.path().join(".rulecheck/cache");
    let entries: Vec<PathBuf> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(entries.len(), 2, "one entry per bundle");
    std::fs::write(&entries[0], "{\"format\": 1, \"results\": {\"x\"").unwrap();

    let out = rulecheck(dir.path())
        .args(["test", "rules", "--only", "synthetic", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("ignoring damaged cache entry"),
        "{}",
        transcript(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cache_counts(&report), (3, 3));
    assert_eq!(report["results"], first["results"]);
    // Rewritten whole: the next run reuses everything.
    assert_eq!(cache_counts(&run(dir.path(), &[])), (6, 0));
}
