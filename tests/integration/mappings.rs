//! A repository's own logsource routing and field mapping (`mappings:` in
//! rulecheck.yaml): one rule, tested against a log schema rulecheck does not
//! know by itself.

use super::*;

const RULE: &str = "title: Curl Downloads To Temp\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    selection:\n        Image|endswith: '\\curl.exe'\n        CommandLine|contains: '\\Temp\\'\n    condition: selection\n";

const MAPPINGS: &str = "sources:\n  acme-edr: [Acme EDR]\nlogsources:\n  - product: windows\n    category: process_creation\n    routes:\n      - source: acme-edr\n        fields:\n          Image: proc.path\n          CommandLine: '{proc.path} {proc.args}'\n";

#[test]
fn a_mapping_file_routes_and_renames_fields_of_a_custom_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/curl.yml"), RULE).unwrap();
    std::fs::write(dir.path().join("acme.yaml"), MAPPINGS).unwrap();
    std::fs::write(dir.path().join("rulecheck.yaml"), "mappings: acme.yaml\n").unwrap();
    std::fs::write(
        dir.path().join("edr.jsonl"),
        "{\"Channel\": \"Acme EDR\", \"proc.path\": \"C:\\\\Windows\\\\System32\\\\curl.exe\", \"proc.args\": \"-o C:\\\\Users\\\\a\\\\AppData\\\\Local\\\\Temp\\\\x.exe https://x\"}\n{\"Channel\": \"Acme EDR\", \"proc.path\": \"C:\\\\Windows\\\\System32\\\\curl.exe\", \"proc.args\": \"--version\"}\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["eval", "rules/curl.yml", "edr.jsonl", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hits = json["results"][0]["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{json}");
    assert_eq!(hits[0]["source"], "acme-edr");

    // Without the mapping file the log has no route: nothing matches.
    std::fs::remove_file(dir.path().join("rulecheck.yaml")).unwrap();
    let out = rulecheck(dir.path())
        .args(["eval", "rules/curl.yml", "edr.jsonl", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["results"][0]["hits"].as_array().unwrap().len(), 0);
}

#[test]
fn a_bad_mapping_file_is_named_with_its_line() {
    let dir = generated_project();
    std::fs::write(
        dir.path().join("m.yaml"),
        "logsources:\n  - product: windows\n    routes:\n      - source: x\n        feilds: {}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("rulecheck.yaml"), "mappings: m.yaml\n").unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(stderr(&out).contains("m.yaml:5:"), "{}", stderr(&out));
    std::fs::write(
        dir.path().join("rulecheck.yaml"),
        "mappings: nowhere.yaml\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["lint", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("nowhere.yaml: no such file or directory")
            || stderr(&out).contains("nowhere.yaml: cannot read"),
        "{}",
        stderr(&out)
    );
}

/// An `image_load` rule sees both renderings of an `image_load` step: Sysmon
/// event 7 as written, and the `DeviceImageLoadEvents` row through the
/// built-in Defender mapping (`ImageLoaded ← FolderPath`, `Image ←
/// InitiatingProcessFolderPath`, `Hashes` and `User` from templates).
#[test]
fn image_load_rules_see_sysmon_and_defender_image_loads() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ttps")).unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("ttps/dump.yaml"),
        r#"
name: rundll32 loads comsvcs
techniques: [T1003.001]
tactics: [credential-access]
platform: windows
steps:
  - id: rundll
    technique: T1003.001
    process_create: { image: C:\Windows\System32\rundll32.exe, user: bob, integrity: high }
  - id: load
    technique: T1003.001
    image_load: { process: rundll, path: C:\Windows\System32\comsvcs.dll }
  - id: other
    benign: true
    image_load: { process: rundll, path: C:\Windows\System32\dbghelp.dll }
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules/comsvcs.yml"),
        "title: Comsvcs Loaded By Rundll32\nlogsource:\n    product: windows\n    category: image_load\ndetection:\n    selection:\n        Image|endswith: '\\rundll32.exe'\n        ImageLoaded|endswith: '\\comsvcs.dll'\n        User|endswith: '\\bob.keller'\n        Hashes|contains: 'MD5='\n    condition: selection\ntags:\n    - attack.t1003.001\n",
    )
    .unwrap();
    rulecheck(dir.path()).arg("generate").assert().success();
    let out = rulecheck(dir.path())
        .args([
            "eval",
            "rules/comsvcs.yml",
            "bundles/dump.jsonl",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &json["results"][0];
    assert_eq!(result["outcome"], "detected", "{json}");
    let sources: Vec<&str> = result["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["DeviceImageLoadEvents", "sysmon"], "{json}");
}
