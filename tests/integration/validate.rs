//! `rulecheck validate`: exit codes, the JSON and table reports, inputs left
//! untouched; `generate` refusing incoherent specs; the shipped bundles and
//! (when present) SigmaHQ's real regression logs.

use super::*;

/// A copy of a shipped bundle in a temporary directory, with `from` replaced
/// by `to` on the first event line that holds it.
fn broken_bundle(name: &str, from: &str, to: &str) -> (tempfile::TempDir, PathBuf, usize) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo().join("bundles").join(name)).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let line = lines
        .iter()
        .skip(1)
        .position(|l| l.contains(from))
        .expect("the text to replace")
        + 2;
    lines[line - 1] = lines[line - 1].replacen(from, to, 1);
    let path = dir.path().join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    (dir, path, line)
}

const LSASS: &str = "T1003.001-lsass-dump-comsvcs.jsonl";

#[test]
fn shipped_bundles_are_coherent() {
    let out = rulecheck(&repo())
        .args(["validate", "bundles", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shipped = std::fs::read_dir(repo().join("bundles"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "jsonl")
        })
        .count();
    assert!(shipped > 10);
    assert_eq!(report["summary"]["inputs"], shipped);
    assert_eq!(report["summary"]["coherent"], shipped);
}

#[test]
fn findings_exit_1_with_constraint_and_line_and_leave_the_input_unchanged() {
    let (dir, path, line) = broken_bundle(
        LSASS,
        "\"FileName\":\"wct4A21.tmp.dmp\"",
        "\"FileName\":\"other.dmp\"",
    );
    let before = std::fs::read(&path).unwrap();
    let out = rulecheck(dir.path())
        .args(["validate", LSASS, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["summary"]["errors"], 1);
    let input = &report["inputs"][0];
    assert_eq!(input["path"], LSASS);
    assert_eq!(input["bundle_file"], true);
    let finding = &input["findings"][0];
    assert_eq!(finding["constraint"], "path-file-name");
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["events"], serde_json::json!([line - 1]));
    assert_eq!(finding["lines"], serde_json::json!([line]));
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("\"other.dmp\"")
    );

    let out = rulecheck(dir.path())
        .args(["validate", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let table = stdout(&out);
    assert!(table.contains("path-file-name"), "{table}");
    assert!(table.contains(&format!("line {line}")), "{table}");
    assert!(
        table.contains("0 of 1 input coherent; 1 finding (1 error, 0 warnings)"),
        "{table}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn coherent_input_exits_0_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("bundles").join(LSASS), dir.path().join(LSASS)).unwrap();
    let out = rulecheck(dir.path())
        .args(["validate", LSASS])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert_eq!(
        stdout(&out),
        "1 of 1 input coherent; 0 findings (0 errors, 0 warnings)\n"
    );
}

#[test]
fn unreadable_inputs_exit_2_and_win_over_findings() {
    let (dir, _, _) = broken_bundle(
        LSASS,
        "\"FileName\":\"wct4A21.tmp.dmp\"",
        "\"FileName\":\"other.dmp\"",
    );
    std::fs::write(
        dir.path().join("broken.jsonl"),
        "{\"format\":\"rulecheck-bundle\",\"version\":1}\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["validate", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("broken.jsonl"),
        "{}",
        transcript(&out)
    );
    assert!(
        stdout(&out).contains("path-file-name"),
        "{}",
        transcript(&out)
    );

    let out = rulecheck(dir.path())
        .args(["validate", "missing.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
}

#[test]
fn real_logs_are_validated_as_read_and_number_events_not_lines() {
    let dir = tempfile::tempdir().unwrap();
    // Two Sysmon records of one process, the second with a malformed SID.
    let record = |id: u64, sid: &str| {
        serde_json::json!({"Event": {"System": {"Channel": "Microsoft-Windows-Sysmon/Operational",
            "EventID": id, "Computer": "PC1", "Security": {"#attributes": {"UserID": sid}},
            "TimeCreated": {"#attributes": {"SystemTime": format!("2026-01-02T00:00:0{id}Z")}}},
            "EventData": {"ProcessGuid": "11111111-2222-3333-4444-555555555555", "ProcessId": 40,
            "Image": "C:\\Windows\\System32\\cmd.exe", "UtcTime": format!("2026-01-02 00:00:0{id}.000")}}})
    };
    let text = format!("{}\n{}\n", record(1, "S-1-5-18"), record(3, "S-1-5-x"));
    std::fs::write(dir.path().join("log.json"), &text).unwrap();
    let out = rulecheck(dir.path())
        .args(["validate", "log.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let input = &report["inputs"][0];
    assert_eq!(input["bundle_file"], false);
    assert_eq!(input["findings"].as_array().unwrap().len(), 1, "{input}");
    assert_eq!(input["findings"][0]["constraint"], "sid-format");
    assert_eq!(input["findings"][0]["events"], serde_json::json!([2]));
    assert!(input["findings"][0].get("lines").is_none());
    let table = rulecheck(dir.path())
        .args(["validate", "log.json"])
        .output()
        .unwrap();
    assert!(stdout(&table).contains("event 2"), "{}", transcript(&table));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("log.json")).unwrap(),
        text
    );
}

#[test]
fn generate_writes_nothing_for_a_spec_no_plan_makes_coherent() {
    let dir = generated_project();
    let spec = "name: Connection to port zero\ntechniques: [T1071.001]\ntactics: [command-and-control]\nplatform: windows\nseed: 5\nstart: 2026-02-10T13:00:00Z\nsteps:\n  - id: shell\n    technique: T1071.001\n    process_create:\n      image: C:\\Windows\\System32\\cmd.exe\n      command_line: cmd.exe\n  - id: beacon\n    technique: T1071.001\n    network_connect:\n      process: shell\n      destination_ip: 203.0.113.9\n      destination_port: 0\n";
    std::fs::write(dir.path().join("ttps/port-zero.yaml"), spec).unwrap();
    let existing = dir.path().join("bundles/port-zero.jsonl");
    std::fs::write(&existing, "an older bundle\n").unwrap();
    let others_before = std::fs::read(dir.path().join("bundles/whoami-discovery.jsonl")).unwrap();

    let out = rulecheck(dir.path()).arg("generate").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = stderr(&out);
    assert!(
        err.contains("spec `port-zero` gives no coherent bundle: 8 plans"),
        "{err}"
    );
    assert!(err.contains("network-port"), "{err}");
    assert!(
        err.contains("DestinationPort is 0 in a TCP connection"),
        "{err}"
    );
    assert!(
        err.contains("nothing written for ttps/port-zero.yaml"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "an older bundle\n"
    );
    // The other specs are generated as usual.
    assert!(
        stdout(&out).contains("unchanged bundles/whoami-discovery.jsonl"),
        "{}",
        transcript(&out)
    );
    assert_eq!(
        std::fs::read(dir.path().join("bundles/whoami-discovery.jsonl")).unwrap(),
        others_before
    );

    let out = rulecheck(dir.path())
        .args(["generate", "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("network-port"),
        "{}",
        transcript(&out)
    );
}

/// SigmaHQ's regression logs are real recordings: validating them must not
/// crash, and must report nothing — every constraint is a contradiction or a
/// value real Windows logs do not hold. Each file is one recording; they are
/// validated one by one (merged, unrelated recordings would contradict each
/// other's time order).
#[test]
fn sigmahq_regression_logs_are_coherent() {
    let Some(corpora) = corpora_or_skip("validate over SigmaHQ regression data") else {
        return;
    };
    let data = corpora.join("sigmahq/regression_data");
    let out = rulecheck(&data)
        .args(["validate", ".", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inputs = report["inputs"].as_array().unwrap();
    let events: u64 = inputs.iter().map(|i| i["events"].as_u64().unwrap()).sum();
    eprintln!(
        "validated {} SigmaHQ regression logs ({events} events): {} coherent",
        inputs.len(),
        report["summary"]["coherent"]
    );
    assert!(inputs.len() >= 100, "{}", report["summary"]);
    let findings: Vec<String> = inputs
        .iter()
        .flat_map(|i| {
            i["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |f| format!("{}: {} {}", i["path"], f["constraint"], f["message"]))
        })
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
