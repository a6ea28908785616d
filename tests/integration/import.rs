//! `rulecheck import evtx|json`: real logs become bundles, optionally labelled.

use super::*;

const DATA: &str = "sigmahq-like/regression_data/rules/windows/registry_set/registry_set_fixture_disable_restore/events.json";
const RULE: &str =
    "sigmahq-like/rules/windows/registry_set/registry_set_fixture_disable_restore.yml";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("rules")).unwrap();
    std::fs::copy(fixtures().join(RULE), dir.path().join("rules/restore.yml")).unwrap();
    std::fs::copy(fixtures().join(DATA), dir.path().join("events.json")).unwrap();
    dir
}

#[test]
fn imported_logs_are_unknown_until_labelled_then_judged_like_synthetic_bundles() {
    let dir = project();
    let out = rulecheck(dir.path())
        .args(["import", "json", "events.json", "-o", "bundles/real.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stdout(&out).contains("wrote bundles/real.jsonl (4 events from 1 file)"));
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--only", "synthetic", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["results"][0]["outcome"], "incidental", "{report}");

    std::fs::write(
        dir.path().join("labels.yaml"),
        "default_class: benign\nevents:\n  - match: {TargetObject: 'HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\SystemRestore\\DisableConfig', Details: 'DWORD (0x00000001)'}\n    step: disable_restore\n    technique: T1490\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args([
            "import",
            "json",
            "events.json",
            "-o",
            "bundles/real.jsonl",
            "--labels",
            "labels.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(
        stdout(&out).contains("labelled 1 of 4 events"),
        "{}",
        stdout(&out)
    );
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--only", "synthetic", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The rule also matches event 3 (a benign-labelled value under CurrentVersion): a false positive.
    assert_eq!(
        report["results"][0]["outcome"], "false_positive",
        "{report}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_import_input_writes_nothing() {
    let dir = project();
    let out = rulecheck(dir.path())
        .args(["import", "json", "missing.json", "-o", "b.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("missing.json: cannot read"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("b.jsonl").exists());
    let out = rulecheck(dir.path())
        .args(["import", "json", "events.json", "-o", "b.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bundles are `.jsonl` files"));
    std::fs::write(
        dir.path().join("labels.yaml"),
        "events:\n  - match: {EventRecordID: 1}\n    stepp: x\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args([
            "import",
            "json",
            "events.json",
            "-o",
            "b.jsonl",
            "--labels",
            "labels.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("labels.yaml:3:"), "{}", stderr(&out));
    assert!(!dir.path().join("b.jsonl").exists());
    let out = rulecheck(dir.path())
        .args(["import", "evtx", "events.json", "-o", "b.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("events.json: file header: not a readable EVTX file"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("b.jsonl").exists());
}
