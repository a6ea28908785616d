//! Snapshots of a rendered bundle and of the `test` report in every format.

use super::*;

#[test]
fn rendered_bundle_snapshot() {
    let dir = generated_project();
    let text =
        std::fs::read_to_string(dir.path().join("bundles/encoded-powershell.jsonl")).unwrap();
    // One pretty-printed JSON document per line keeps the snapshot reviewable.
    let pretty: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(l).unwrap())
                .unwrap()
        })
        .collect();
    insta::assert_snapshot!("bundle_encoded_powershell", pretty.join("\n"));
}

#[test]
fn test_report_table_snapshot() {
    let dir = generated_project();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    insta::assert_snapshot!("test_table", transcript(&out));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn test_report_json_snapshot() {
    let dir = generated_project();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["exit_code"], 0);
    let mut redacted = json.clone();
    redacted["rulecheck"] = "[version]".into();
    insta::assert_json_snapshot!("test_json", redacted);
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_and_never_with_no_color() {
    let dir = generated_project();
    let plain = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert!(
        !stdout(&plain).contains('\u{1b}'),
        "piped output has no colour"
    );
    let forced = rulecheck(dir.path())
        .args(["test", "rules", "--color", "always"])
        .output()
        .unwrap();
    assert!(stdout(&forced).contains('\u{1b}'), "--color always colours");
    let no_color = rulecheck(dir.path())
        .args(["test", "rules", "--color", "auto"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stdout(&no_color).contains('\u{1b}'));
}
