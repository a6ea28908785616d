//! `rulecheck lint`

use super::*;

#[test]
fn lint_reports_counts_and_each_rule_that_does_not_load() {
    let dir = fixture_project();
    std::fs::write(
        dir.path().join("rules/bad_modifier.yml"),
        "title: Bad Modifier\nid: 00000000-0000-4000-8000-0000000000ff\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    selection:\n        Image|endswith|sometimes: '\\x.exe'\n    condition: selection\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/linux.yml"),
        "title: Linux Curl\nlogsource:\n    product: linux\n    category: process_creation\ndetection:\n    selection:\n        Image|endswith: '/curl'\n    condition: selection\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["lint", "rules"])
        .output()
        .unwrap();
    insta::assert_snapshot!("lint_table", transcript(&out));
    assert_eq!(out.status.code(), Some(1));

    let out = rulecheck(dir.path())
        .args(["lint", "rules", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    let rules = report["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 5);
    let bad = rules
        .iter()
        .find(|r| r["path"] == "rules/bad_modifier.yml")
        .unwrap();
    assert_eq!(bad["status"], "not_loaded");
    assert_eq!(bad["kind"], "sigma");
    assert_eq!(bad["title"], "Bad Modifier");
    assert_eq!(bad["id"], "00000000-0000-4000-8000-0000000000ff");
    assert_eq!(bad["line"], 8);
    assert!(bad["reason"].as_str().unwrap().contains("sometimes"));
    let script = rules
        .iter()
        .find(|r| r["path"] == "rules/linux.yml")
        .unwrap();
    assert_eq!(script["status"], "loaded");
    assert!(script["note"].as_str().unwrap().contains("product=linux"));
}

#[test]
fn lint_exits_0_when_everything_loads_and_2_for_a_missing_path() {
    let dir = fixture_project();
    let out = rulecheck(dir.path())
        .args(["lint", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stdout(&out).contains("3 of 3 rules loaded (100.0%)"));
    let out = rulecheck(dir.path())
        .args(["lint", "rules", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nowhere: no such file or directory"));
}
