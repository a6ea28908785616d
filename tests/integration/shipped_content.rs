//! The content shipped in this repository: every spec's bundle is up to date,
//! every rule detects its techniques, and breaking a rule is caught.

use std::collections::BTreeSet;

use super::*;

#[test]
fn shipped_bundles_are_up_to_date_with_their_specs() {
    let out = rulecheck(&repo())
        .args(["generate", "--check"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "run `cargo run -- generate`:\n{}",
        transcript(&out)
    );
}

#[test]
fn shipped_rules_detect_every_shipped_technique() {
    let out = rulecheck(&repo())
        .args(["test", "rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();

    // Techniques each bundle's narrative shows, and those some rule detected there.
    let mut shown = BTreeSet::new();
    for entry in std::fs::read_dir(repo().join("bundles")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        for t in header["techniques"].as_array().unwrap() {
            shown.insert(t.as_str().unwrap().to_string());
        }
    }
    let detected: BTreeSet<String> = results
        .iter()
        .filter(|r| r["outcome"] == "detected")
        .flat_map(|r| r["hits"].as_array().unwrap().iter())
        .filter(|h| h["kind"] == "expected")
        .map(|h| h["technique"].as_str().unwrap().to_string())
        .collect();
    let undetected: Vec<_> = shown.difference(&detected).collect();
    assert!(
        undetected.is_empty(),
        "no shipped rule detects {undetected:?}"
    );
    assert!(
        shown.len() >= 90,
        "at least 90 techniques are shipped, found {}",
        shown.len()
    );

    // Every Enterprise tactic has a technique some shipped rule detects, by
    // the ATT&CK table's own technique → tactic mapping (not by the tactics a
    // spec's author listed).
    let matrix = rulecheck::attack::matrix();
    let covered: BTreeSet<&str> = detected
        .iter()
        .flat_map(|t| {
            matrix
                .technique(t)
                .unwrap_or_else(|| panic!("{t} is not a current ATT&CK technique"))
                .tactics
                .iter()
                .map(String::as_str)
        })
        .collect();
    let uncovered: Vec<&str> = rulecheck::technique::Tactic::ALL
        .iter()
        .map(|t| t.short_name())
        .filter(|t| !covered.contains(t))
        .collect();
    assert!(
        uncovered.is_empty(),
        "no shipped technique detected for tactics {uncovered:?}"
    );
}

#[test]
fn breaking_a_shipped_rule_fails_the_run_and_names_rule_technique_and_bundle() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("rules"), &dir.path().join("rules"));
    let rule = "rules/windows/process_creation/proc_creation_win_powershell_encoded_hidden.yml";
    let path = dir.path().join(rule);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("'\\powershell.exe'"));
    std::fs::write(&path, text.replace("'\\powershell.exe'", "'\\pwsh-x.exe'")).unwrap();
    if let Ok(config) = std::fs::read(repo().join("rulecheck.yaml")) {
        std::fs::write(dir.path().join("rulecheck.yaml"), config).unwrap();
    }
    let bundles = repo().join("bundles");
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--bundles"])
        .arg(&bundles)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let text = stdout(&out);
    let chain = "chain-phishing-doc-encoded-powershell-runkey.jsonl";
    let failure = text
        .lines()
        .find(|l| l.contains(rule) && l.contains(" missed in ") && l.contains(chain))
        .unwrap_or_else(|| panic!("no failure line for {rule} on {chain}:\n{text}"));
    assert!(failure.contains("T1059.001"), "{failure}");
}
