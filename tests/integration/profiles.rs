//! `rulecheck generate --profile`: background activity blended in, labelled
//! benign, deterministic; profile errors located; no profile, no change.

use super::*;

fn events(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_profile_blends_benign_background_deterministically() {
    let dir = fixture_project();
    let run = |out: &str| {
        let o = rulecheck(dir.path())
            .args([
                "generate",
                "--profile",
                "workstation",
                "--background-rate",
                "30",
                "--out",
                out,
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", transcript(&o));
    };
    run("a");
    run("b");
    let a = dir.path().join("a/encoded-powershell.jsonl");
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(dir.path().join("b/encoded-powershell.jsonl")).unwrap()
    );
    let lines = events(&a);
    assert_eq!(lines[0]["profile"], "workstation");
    let background: Vec<&serde_json::Value> = lines[1..]
        .iter()
        .filter(|e| e["labels"]["step"].as_str().unwrap().contains('/'))
        .collect();
    assert!(!background.is_empty());
    assert!(background.iter().all(|e| e["labels"]["class"] == "benign"));

    // Blended bundles validate clean.
    let o = rulecheck(dir.path())
        .args(["validate", "a"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o));
}

#[test]
fn without_a_profile_bundles_are_unchanged() {
    let dir = generated_project();
    let o = rulecheck(dir.path())
        .args(["generate", "--check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o));
}

#[test]
fn an_invalid_profile_file_is_reported_at_its_line_and_nothing_is_written() {
    let dir = fixture_project();
    std::fs::write(
        dir.path().join("p.yaml"),
        "name: p\nusers: [alice]\nactivities:\n  - id: a\n    rate_per_hour: -1\n    steps:\n      - id: s\n        process_create:\n          image: C:\\x.exe\n",
    )
    .unwrap();
    let o = rulecheck(dir.path())
        .args(["generate", "--profile", "p.yaml", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", transcript(&o));
    let err = stderr(&o);
    assert!(err.contains("p.yaml:5"), "{err}");
    assert!(
        err.contains("rate_per_hour -1 is not a positive number"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());

    let o = rulecheck(dir.path())
        .args(["generate", "--profile", "nowhere", "--out", "out"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", transcript(&o));
    assert!(stderr(&o).contains("neither a built-in profile"));
}

#[test]
fn background_rate_needs_a_profile_and_a_positive_number() {
    let dir = fixture_project();
    for args in [
        &["generate", "--background-rate", "2"][..],
        &["generate", "--profile", "server", "--background-rate", "0"][..],
    ] {
        let o = rulecheck(dir.path()).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", transcript(&o));
    }
}

#[test]
fn test_reports_false_positives_per_profile() {
    let dir = fixture_project();
    // A rule that fires on any process Edge starts is noisy on the workstation
    // profile's browsing, which the fixture specs do not have.
    std::fs::write(
        dir.path().join("rules/noisy_edge_child.yml"),
        "title: Any Edge Process\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    Image|endswith: '\\msedge.exe'\n  condition: s\n",
    )
    .unwrap();
    let o = rulecheck(dir.path())
        .args([
            "generate",
            "--profile",
            "workstation",
            "--background-rate",
            "30",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", transcript(&o));
    let o = rulecheck(dir.path())
        .args(["test", "rules", "--format", "json", "--no-cache"])
        .output()
        .unwrap();
    // The noisy rule's hits on benign background fail the run.
    assert_eq!(o.status.code(), Some(1), "{}", transcript(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = report["false_positives_by_profile"].as_array().unwrap();
    // Every rule (4) on the one profile of both bundles.
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert!(
        rows.iter()
            .all(|r| r["profile"] == "workstation" && r["bundles"] == 2)
    );
    let noisy = rows
        .iter()
        .find(|r| r["rule"]["path"] == "rules/noisy_edge_child.yml")
        .unwrap();
    let fp = noisy["false_positives"].as_u64().unwrap();
    let benign = noisy["benign_events"].as_u64().unwrap();
    assert!(fp > 0 && fp < benign, "{noisy}");
    assert_eq!(noisy["rate"].as_f64().unwrap(), fp as f64 / benign as f64);

    let o = rulecheck(dir.path())
        .args(["test", "rules", "--no-cache"])
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(text.contains("False positives per profile:"), "{text}");
    assert!(text.contains("workstation: 2 bundles"), "{text}");
    assert!(text.contains("rules/noisy_edge_child.yml"), "{text}");
}
