//! Sigma correlation rules end to end: multi-document files, references by
//! name, judging of the correlated events, broken references.

use super::*;

const CORRELATION: &str = r#"title: Shell Started
name: shell_started
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\cmd.exe'
    condition: selection
---
title: Whoami Run
name: whoami_run
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
---
title: Shell Then Whoami On One Host
id: 00000000-0000-4000-8000-0000000000c1
correlation:
    type: temporal_ordered
    rules:
        - shell_started
        - whoami_run
    group-by:
        - Computer
    timespan: 1m
tags:
    - attack.discovery
    - attack.t1033
level: medium
"#;

#[test]
fn a_correlation_detects_its_technique_from_the_correlated_events() {
    let dir = generated_project();
    std::fs::write(dir.path().join("rules/corr_shell_whoami.yml"), CORRELATION).unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let corr: Vec<&serde_json::Value> = results
        .iter()
        .filter(|r| r["rule"]["title"] == "Shell Then Whoami On One Host")
        .collect();
    assert_eq!(corr.len(), 1, "{corr:#?}");
    assert_eq!(corr[0]["outcome"], "detected");
    assert_eq!(corr[0]["bundle"]["spec"], "whoami-discovery");
    // The correlated rules do not alert on their own (generate: false).
    assert!(!results.iter().any(|r| r["rule"]["title"] == "Whoami Run"));

    let out = rulecheck(dir.path())
        .args(["lint", "rules", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "rules/corr_shell_whoami.yml")
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sigma", "sigma", "sigma-correlation"]);
}

#[test]
fn outside_the_timespan_the_correlation_misses() {
    let dir = generated_project();
    // The fixture's whoami runs 3 s after its shell.
    std::fs::write(
        dir.path().join("rules/corr.yml"),
        CORRELATION.replace("timespan: 1m", "timespan: 2s"),
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["eval", "rules/corr.yml", "bundles/whoami-discovery.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stdout(&out)
            .contains("(Shell Then Whoami On One Host) on bundles/whoami-discovery.jsonl: 0 of"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_correlation_naming_an_unknown_rule_is_invalid_input() {
    let dir = generated_project();
    std::fs::write(
        dir.path().join("rules/corr.yml"),
        CORRELATION.replace("- whoami_run", "- whoami_runs"),
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out)
            .contains("refers to `whoami_runs`, which is not the id or name of any loaded rule"),
        "{}",
        stderr(&out)
    );
    let out = rulecheck(dir.path())
        .args(["lint", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("whoami_runs"), "{}", stdout(&out));
}
