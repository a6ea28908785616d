//! KQL rules (`.kql` and Sentinel YAML) in `test`, `eval` and `lint`, and the
//! interactive `rulecheck kql` command.

use super::*;

const LSASS: &str = "bundles/T1003.001-lsass-dump-comsvcs.jsonl";

#[test]
fn kql_command_prints_each_inputs_result_table() {
    let out = rulecheck(&repo())
        .args([
            "kql",
            "DeviceProcessEvents | where FileName =~ 'rundll32.exe' | project FileName, AccountName, ProcessCommandLine",
            LSASS,
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!("kql_table", transcript(&out));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn kql_json_names_column_types_and_the_events_behind_each_row() {
    let out = rulecheck(&repo())
        .args([
            "kql",
            "--format",
            "json",
            "DeviceProcessEvents | summarize Processes = count(), First = min(Timestamp) by AccountName | order by AccountName asc",
            LSASS,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    let result = &report["results"][0];
    assert_eq!(result["input"], LSASS);
    let types: Vec<&str> = result["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["string", "long", "datetime"]);
    let row = &result["rows"][0];
    assert_eq!(row["values"]["AccountName"], "bob.keller");
    assert_eq!(row["values"]["Processes"], 3);
    // The three process rows are events of the bundle; the summary row stands on all of them.
    assert_eq!(row["events"].as_array().unwrap().len(), 3);
}

#[test]
fn kql_query_errors_are_located_and_exit_2() {
    let out = rulecheck(&repo())
        .args(["kql", "DeviceProcessEvents\n| wher FileName == 'x'", LSASS])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = stderr(&out);
    assert!(err.contains("<query>:2:3"), "{err}");
    assert!(err.contains("unknown operator `wher`"), "{err}");

    let out = rulecheck(&repo())
        .args([
            "kql",
            "DeviceProcessEvents | where NoSuchColumn == 1",
            LSASS,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown column or name `NoSuchColumn`"));

    let out = rulecheck(&repo())
        .args(["kql", "DeviceProcessEvents | take 1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no input"), "{}", transcript(&out));
}

#[test]
fn kql_file_option_runs_a_sentinel_rule_query() {
    let out = rulecheck(&repo())
        .args([
            "kql",
            "-f",
            "rules/kql/sentinel/event_log_cleared_with_wevtutil_or_powershell.yaml",
            "bundles/T1070.001-wevtutil-clear-event-logs.jsonl",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let logs: Vec<&str> = report["results"][0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"]["Log"].as_str().unwrap())
        .collect();
    assert_eq!(
        logs,
        [
            "Security",
            "System",
            "\"Windows PowerShell\"",
            "Application"
        ]
    );
}

#[test]
fn every_shipped_kql_rule_detects_its_technique_and_nothing_benign() {
    let out = rulecheck(&repo())
        .args(["test", "rules/kql", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let rules: std::collections::BTreeSet<&str> = results
        .iter()
        .map(|r| r["rule"]["path"].as_str().unwrap())
        .collect();
    assert!(rules.len() >= 8, "{rules:?}");
    for rule in &rules {
        assert!(
            results
                .iter()
                .any(|r| r["rule"]["path"] == *rule && r["outcome"] == "detected"),
            "{rule} detects nothing"
        );
    }
    assert!(
        rules.iter().any(|r| r.ends_with(".yaml")),
        "a Sentinel rule ships"
    );
}

#[test]
fn breaking_a_kql_rule_is_a_miss_naming_rule_and_step() {
    let dir = tempfile::tempdir().unwrap();
    let rule = repo().join("rules/kql/defender/comsvcs_minidump_process_memory.kql");
    let text = std::fs::read_to_string(rule).unwrap();
    std::fs::write(
        dir.path().join("minidump.kql"),
        text.replace("\"MiniDump\", ", "\"MiniDumpW\", "),
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "minidump.kql", "--bundles"])
        .arg(repo().join(LSASS))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let text = stdout(&out);
    assert!(text.contains("missed"), "{text}");
    assert!(text.contains("comsvcs_minidump (T1003.001)"), "{text}");
}

#[test]
fn sentinel_trigger_threshold_decides_whether_the_rule_fires() {
    let dir = tempfile::tempdir().unwrap();
    let rule = repo().join("rules/kql/sentinel/event_log_cleared_with_wevtutil_or_powershell.yaml");
    let text = std::fs::read_to_string(rule).unwrap();
    let bundle = repo().join("bundles/T1070.001-wevtutil-clear-event-logs.jsonl");
    for (threshold, code, outcome) in [("3", 0, "detected"), ("4", 1, "missed")] {
        std::fs::write(
            dir.path().join("clear.yaml"),
            text.replace(
                "triggerThreshold: 0",
                &format!("triggerThreshold: {threshold}"),
            ),
        )
        .unwrap();
        let out = rulecheck(dir.path())
            .args(["test", "clear.yaml", "--format", "json", "--bundles"])
            .arg(&bundle)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", transcript(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["results"][0]["outcome"], outcome,
            "threshold {threshold}"
        );
    }
}

#[test]
fn a_kql_rule_on_a_table_rulecheck_does_not_generate_is_errored_where_expected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("signin.kql"),
        "// techniques: T1003.001\nOfficeActivity\n| where Operation == 'MailItemsAccessed'\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "signin.kql", "--format", "json", "--bundles"])
        .arg(repo().join(LSASS))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("table `OfficeActivity` has no source in rulecheck"),
        "{}",
        transcript(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &report["results"][0];
    assert_eq!(result["outcome"], "errored");
    assert!(
        result["reason"]
            .as_str()
            .unwrap()
            .contains("OfficeActivity"),
        "{result}"
    );
}

#[test]
fn lint_reports_kql_rules_like_sigma_rules() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(
        rules.join("good.kql"),
        "// title: Good\n// techniques: T1105\nDeviceProcessEvents | where FileName =~ 'certutil.exe'\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("bad.kql"),
        "// title: Bad\n// techniques: T1105\nDeviceProcessEvents\n| where FileName =~ 'certutil.exe'\n| extend X = frobnicate(FileName)\n| where ProcessCmdLine has 'urlcache'\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("sentinel.yaml"),
        "id: s-1\nname: Sentinel rule\nrelevantTechniques: [T1105]\nquery: |\n  SecurityEvent\n  | where EventID == 4688\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["lint", "rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entry = |path: &str| {
        report["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["path"] == path)
            .unwrap()
            .clone()
    };
    let good = entry("rules/good.kql");
    assert_eq!(
        (good["kind"].as_str(), good["status"].as_str()),
        (Some("kql"), Some("loaded"))
    );
    let sentinel = entry("rules/sentinel.yaml");
    assert_eq!(sentinel["kind"], "sentinel");
    assert_eq!(sentinel["title"], "Sentinel rule");
    let bad = entry("rules/bad.kql");
    assert_eq!(bad["status"], "not_loaded");
    assert_eq!(bad["line"], 5);
    assert!(
        bad["reason"].as_str().unwrap().contains("frobnicate"),
        "{bad}"
    );
}

#[test]
fn kql_reads_table_rows_exported_from_defender_or_log_analytics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("export.json"),
        concat!(
            r#"{"Timestamp":"2026-05-01T10:00:00Z","DeviceName":"ws1","FileName":"rundll32.exe","ProcessCommandLine":"rundll32 comsvcs.dll, MiniDump 624 x.dmp full","Type":"DeviceProcessEvents"}"#,
            "\n",
            r#"{"Timestamp":"2026-05-01T10:05:00Z","DeviceName":"ws1","FileName":"notepad.exe","ProcessCommandLine":"notepad","Type":"DeviceProcessEvents"}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args([
            "kql",
            "--format",
            "json",
            "DeviceProcessEvents | where ProcessCommandLine has 'MiniDump' and Timestamp > ago(1h) | project FileName",
            "export.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = report["results"][0]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["values"]["FileName"], "rundll32.exe");
    assert_eq!(rows[0]["events"], serde_json::json!([1]));
}
