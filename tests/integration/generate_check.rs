//! `rulecheck generate --check` detects drift and writes nothing.

use super::*;

#[test]
fn check_passes_on_fresh_bundles() {
    let dir = generated_project();
    let out = rulecheck(dir.path())
        .args(["generate", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stdout(&out).contains("2 bundles up to date"));
}

#[test]
fn check_names_drifted_missing_and_stale_bundles_and_writes_nothing() {
    let dir = generated_project();
    let spec = dir.path().join("ttps/whoami-discovery.yaml");
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("whoami /all", "whoami /groups");
    std::fs::write(&spec, text).unwrap();
    std::fs::remove_file(dir.path().join("bundles/encoded-powershell.jsonl")).unwrap();
    std::fs::write(dir.path().join("bundles/old.jsonl"), "x\n").unwrap();
    let drifted_before = std::fs::read(dir.path().join("bundles/whoami-discovery.jsonl")).unwrap();

    let out = rulecheck(dir.path())
        .args(["generate", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let text = stdout(&out);
    assert!(text.contains("drifted: bundles/whoami-discovery.jsonl differs from what ttps/whoami-discovery.yaml generates"), "{text}");
    assert!(
        text.contains("missing: bundles/encoded-powershell.jsonl"),
        "{text}"
    );
    assert!(
        text.contains("stale: bundles/old.jsonl has no spec"),
        "{text}"
    );
    assert!(!dir.path().join("bundles/encoded-powershell.jsonl").exists());
    assert_eq!(
        std::fs::read(dir.path().join("bundles/whoami-discovery.jsonl")).unwrap(),
        drifted_before
    );
}
