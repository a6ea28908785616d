//! `rulecheck eval RULE BUNDLE`

use super::*;

#[test]
fn eval_lists_each_hit_with_time_source_event_and_label() {
    let dir = generated_project();
    let out = rulecheck(dir.path())
        .args([
            "eval",
            "rules/proc_creation_win_powershell_enc.yml",
            "bundles/encoded-powershell.jsonl",
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!("eval_table", transcript(&out));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn eval_json_carries_hits_and_verdict() {
    let dir = generated_project();
    let out = rulecheck(dir.path())
        .args([
            "eval",
            "rules/proc_creation_win_whoami_all.yml",
            "bundles/encoded-powershell.jsonl",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let input = &json["results"][0];
    assert_eq!(
        input["rule"]["path"],
        "rules/proc_creation_win_whoami_all.yml"
    );
    assert_eq!(input["outcome"], "not_applicable");
    assert_eq!(input["hits"].as_array().unwrap().len(), 0);
    assert!(input["events"].as_u64().unwrap() > 5);
}

#[test]
fn eval_exits_1_when_the_rule_misses_its_technique() {
    let dir = generated_project();
    let rule = dir.path().join("rules/proc_creation_win_whoami_all.yml");
    let text = std::fs::read_to_string(&rule)
        .unwrap()
        .replace("'/all'", "'/priv'");
    std::fs::write(&rule, text).unwrap();
    let out = rulecheck(dir.path())
        .args([
            "eval",
            "rules/proc_creation_win_whoami_all.yml",
            "bundles/whoami-discovery.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stdout(&out).contains("Outcome: missed — no hit on step shell (T1033), whoami (T1033)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn eval_reads_real_logs_of_every_format_and_names_broken_records() {
    let dir = generated_project();
    let rule = fixtures()
        .join("sigmahq-like/rules/windows/registry_set/registry_set_fixture_disable_restore.yml");
    let json_log = fixtures().join("sigmahq-like/regression_data/rules/windows/registry_set/registry_set_fixture_disable_restore/events.json");
    std::fs::copy(&rule, dir.path().join("rules/restore.yml")).unwrap();
    std::fs::copy(&json_log, dir.path().join("events.json")).unwrap();
    // The same records as JSON Lines, and as Winlogbeat-style documents.
    let records = rulecheck::logs::read_json(&std::fs::read_to_string(&json_log).unwrap()).records;
    let lines: Vec<String> = records
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    std::fs::write(dir.path().join("events.jsonl"), lines.join("\n") + "\n").unwrap();
    let beats: Vec<String> = records
        .iter()
        .map(|r| {
            let e = &r["Event"];
            serde_json::json!({"@timestamp": e["System"]["TimeCreated"]["#attributes"]["SystemTime"],
                "winlog": {"channel": e["System"]["Channel"], "event_id": e["System"]["EventID"].to_string(),
                           "provider_name": "Microsoft-Windows-Sysmon", "event_data": e["EventData"]}})
            .to_string()
        })
        .collect();
    std::fs::write(dir.path().join("beats.ndjson"), beats.join("\n") + "\n").unwrap();

    let out = rulecheck(dir.path())
        .args([
            "eval",
            "rules/restore.yml",
            "events.json",
            "events.jsonl",
            "beats.ndjson",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let inputs = json["results"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    for input in inputs {
        let events: Vec<u64> = input["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["event"].as_u64().unwrap())
            .collect();
        assert_eq!(events, [1, 3], "{}", input["bundle"]["path"]);
        assert_eq!(input["hits"][0]["source"], "sysmon");
    }

    // A broken line is reported with its position; the other records still count.
    let mut broken = lines.clone();
    broken[1] = "{\"Event\": ".to_string();
    std::fs::write(dir.path().join("events.jsonl"), broken.join("\n") + "\n").unwrap();
    let out = rulecheck(dir.path())
        .args(["eval", "rules/restore.yml", "events.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("events.jsonl: line 2: invalid JSON"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("2 of 3 events hit"),
        "{}",
        stdout(&out)
    );
}
