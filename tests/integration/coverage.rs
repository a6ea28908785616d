//! `rulecheck coverage` (heatmap, JSON, Navigator layer, file output) and
//! `rulecheck attack update`.

use super::*;

#[test]
fn coverage_heatmap_groups_techniques_by_tactic() {
    let dir = generated_project();
    let out = rulecheck(dir.path())
        .args(["coverage", "rules"])
        .output()
        .unwrap();
    insta::assert_snapshot!("coverage_table", transcript(&out));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn coverage_json_and_navigator_layer() {
    let dir = generated_project();
    let out = rulecheck(dir.path())
        .args(["coverage", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema_version"], 1);
    let techniques = json["techniques"].as_array().unwrap();
    let ps = techniques.iter().find(|t| t["id"] == "T1059.001").unwrap();
    assert_eq!(ps["status"], "detected");
    assert_eq!(ps["tactics"], serde_json::json!(["execution"]));
    assert!(!ps["detecting_rules"].as_array().unwrap().is_empty());

    let out = rulecheck(dir.path())
        .args(["coverage", "--format", "navigator", "-o", "layer.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stderr(&out).contains("wrote layer.json"));
    let layer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("layer.json")).unwrap())
            .unwrap();
    for key in [
        "name",
        "domain",
        "versions",
        "techniques",
        "gradient",
        "legendItems",
    ] {
        assert!(layer.get(key).is_some(), "layer lacks {key}");
    }
    assert_eq!(layer["versions"]["layer"], "4.5");
    let t = layer["techniques"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["techniqueID"] == "T1059.001")
        .unwrap();
    assert_eq!(t["score"], 100);
}

#[test]
fn coverage_output_that_cannot_be_written_exits_2() {
    let dir = generated_project();
    std::fs::write(dir.path().join("file"), "").unwrap();
    let out = rulecheck(dir.path())
        .args(["coverage", "--format", "html", "-o", "file/x.html"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(stderr(&out).contains("cannot write file/x.html"));
}

#[test]
fn attack_update_regenerates_the_shipped_table() {
    let Some(corpora) = corpora_or_skip("attack update check") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = rulecheck(dir.path())
        .args(["attack", "update"])
        .arg(corpora.join("attack/enterprise-attack-v18.1.json.gz"))
        .args(["-o", "attack.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(stdout(&out).contains("14 tactics, 216 techniques, 475 sub-techniques"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("attack.yaml")).unwrap(),
        std::fs::read_to_string(repo().join("data/attack.yaml")).unwrap()
    );
}

#[test]
fn attack_update_names_what_is_wrong_with_its_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("enterprise-attack-1.0.json"),
        r#"{"type": "bundle", "objects": []}"#,
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args([
            "attack",
            "update",
            "enterprise-attack-1.0.json",
            "-o",
            "a.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("x-mitre-matrix"),
        "{}",
        transcript(&out)
    );
    assert!(!dir.path().join("a.yaml").exists());
}

#[test]
fn coverage_json_and_navigator_snapshots() {
    let dir = generated_project();
    for format in ["json", "navigator"] {
        let out = rulecheck(dir.path())
            .args(["coverage", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        let mut json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // The version is the only text that changes from release to release.
        if let Some(v) = json.get_mut("rulecheck") {
            *v = "[version]".into();
        }
        if let Some(d) = json.get_mut("description") {
            *d = d
                .as_str()
                .unwrap()
                .replace(env!("CARGO_PKG_VERSION"), "[version]")
                .into();
        }
        insta::assert_json_snapshot!(format!("coverage_{format}"), json);
    }
}
