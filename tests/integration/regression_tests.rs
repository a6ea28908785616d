//! SigmaHQ-style regression tests (`regression_tests_path` → `info.yml` → logs),
//! on a fixture laid out like a SigmaHQ checkout.

use super::*;

fn sigmahq_like() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("sigmahq-like"), dir.path());
    dir
}

const DATA: &str =
    "regression_data/rules/windows/registry_set/registry_set_fixture_disable_restore";

#[test]
fn regression_tests_pass_when_the_rule_matches_match_count_events() {
    let dir = sigmahq_like();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--only", "regression", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let r = &results[0];
    assert_eq!(r["kind"], "regression");
    assert_eq!(r["outcome"], "detected");
    assert_eq!(r["expected"]["match_count"], 2);
    assert_eq!(r["bundle"]["path"], format!("{DATA}/events.json"));
    let events: Vec<u64> = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_u64().unwrap())
        .collect();
    assert_eq!(events, [1, 3]);
}

#[test]
fn fewer_matches_than_match_count_fail_and_say_so() {
    let dir = sigmahq_like();
    let info = dir.path().join(DATA).join("info.yml");
    let text = std::fs::read_to_string(&info)
        .unwrap()
        .replace("match_count: 2", "match_count: 3");
    std::fs::write(&info, text).unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--only", "regression"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stdout(&out).contains("missed in regression_data/"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("matched 2 events of 4; match_count is 3"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn missing_and_corrupt_regression_data_are_named_and_readable_records_kept() {
    let dir = sigmahq_like();
    let data = dir.path().join(DATA).join("events.json");
    // Break the second record (a non-matching one): the other three still count.
    let text = std::fs::read_to_string(&data).unwrap();
    let second = text.match_indices("\n{").next().unwrap().0 + 1;
    let broken = format!("{}{{\"Event\": oops\n{}", &text[..second], &text[second..]);
    std::fs::write(&data, broken).unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--only", "regression", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("events.json: line 53: invalid JSON"),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["results"][0]["outcome"], "detected");

    std::fs::remove_file(&data).unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--only", "regression"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("events.json: cannot read regression data"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn without_bundles_synthetic_tests_use_the_builtin_library() {
    let dir = sigmahq_like();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        stderr(&out).contains("testing against the built-in technique library"),
        "{}",
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["summary"]["bundles"].as_u64().unwrap() >= 12);
    let synthetic: Vec<&serde_json::Value> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "synthetic")
        .collect();
    // The fixture rule claims T1490, which the library's ransomware spec shows
    // with vssadmin/wbadmin rather than a policy value: an honest miss.
    assert!(synthetic.iter().all(|r| {
        r["bundle"]["path"]
            .as_str()
            .unwrap()
            .starts_with("builtin:")
    }));
    assert!(synthetic.iter().any(|r| r["outcome"] == "missed"));
    assert_eq!(out.status.code(), Some(1));
}
