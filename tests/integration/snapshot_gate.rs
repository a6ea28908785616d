//! The snapshot regression gate of `rulecheck test`: `--accept` records each
//! rule file's results; a later run whose results differ fails with a diff
//! naming the rule, the bundle and the events; CI never writes.

use super::*;

const SNAPSHOT: &str = ".rulecheck/snapshots/rules/proc_creation_win_cmd_child.yml.snap.yaml";

#[test]
fn accepted_results_gate_later_runs_and_changes_are_named() {
    let dir = generated_project();
    // No snapshot directory yet: snapshots are not compared.
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(!stdout(&out).contains("Snapshot"), "{}", transcript(&out));

    let out = rulecheck(dir.path())
        .args(["test", "rules", "--accept"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(
        stdout(&out).contains("Snapshots: accepted the results of 3 rule files"),
        "{}",
        transcript(&out)
    );
    let snapshot = std::fs::read_to_string(dir.path().join(SNAPSHOT)).unwrap();
    insta::assert_snapshot!("snapshot_file", snapshot);

    // Unchanged: the run passes and says so.
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stdout(&out).contains("every result matches its accepted snapshot"));

    // Break the rule: it no longer hits, so the run fails naming rule, bundle and events.
    let rule = dir.path().join("rules/proc_creation_win_cmd_child.yml");
    let text = std::fs::read_to_string(&rule).unwrap();
    std::fs::write(&rule, text.replace("\\cmd.exe", "\\cmd-x.exe")).unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let text = stdout(&out);
    let section = &text[text.find("Snapshot changes").expect("a snapshot section")..];
    insta::assert_snapshot!("snapshot_changes", section);

    let out = rulecheck(dir.path())
        .args(["test", "rules", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let changes = json["snapshots"]["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    assert_eq!(changes[0]["path"], "rules/proc_creation_win_cmd_child.yml");
    assert!(changes[0]["accepted"]["hits"].as_array().is_some());

    // CI never writes, even when asked.
    let out = rulecheck(dir.path())
        .env("CI", "true")
        .args(["test", "rules", "--accept"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(stderr(&out).contains("refusing to write snapshots with CI=true"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(SNAPSHOT)).unwrap(),
        snapshot
    );

    // Accepting the change makes the run pass again (its remaining failures aside).
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--accept"])
        .output()
        .unwrap();
    assert!(
        stdout(&out)
            .contains("wrote .rulecheck/snapshots/rules/proc_creation_win_cmd_child.yml.snap.yaml"),
        "{}",
        transcript(&out)
    );
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["snapshots"]["changes"], serde_json::json!([]));
}

#[test]
fn a_broken_snapshot_file_is_invalid_input_with_its_line() {
    let dir = generated_project();
    rulecheck(dir.path())
        .args(["test", "rules", "--accept"])
        .assert()
        .success();
    std::fs::write(
        dir.path().join(SNAPSHOT),
        "R:\n  b.jsonl: {outcome: sideways}\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(stderr(&out).contains(":2:"), "{}", transcript(&out));
}

#[test]
fn the_snapshot_directory_comes_from_the_configuration() {
    let dir = generated_project();
    std::fs::write(dir.path().join("rulecheck.yaml"), "snapshots: accepted\n").unwrap();
    rulecheck(dir.path())
        .args(["test", "rules", "--accept"])
        .assert()
        .success();
    assert!(
        dir.path()
            .join("accepted/rules/proc_creation_win_cmd_child.yml.snap.yaml")
            .is_file()
    );
    assert!(!dir.path().join(".rulecheck/snapshots").exists());
}
