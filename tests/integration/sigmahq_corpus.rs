//! The SigmaHQ rule corpus loads in full (`rulecheck lint`). Skips with a note
//! when `../shared/corpora` is absent.

use super::*;

#[test]
fn every_sigmahq_rule_loads() {
    let Some(corpora) = corpora_or_skip("SigmaHQ corpus test") else {
        return;
    };
    let sigmahq = corpora.join("sigmahq");
    let folders = ["rules", "rules-emerging-threats", "rules-threat-hunting"];
    let out = rulecheck(&sigmahq)
        .arg("lint")
        .args(folders)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let not_loaded: Vec<String> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] != "loaded")
        .map(|r| format!("{}: {}", r["path"], r["reason"]))
        .collect();
    for root in report["roots"].as_array().unwrap() {
        eprintln!(
            "{}: {} of {} rules loaded",
            root["path"], root["loaded"], root["total"]
        );
        assert!(root["total"].as_u64().unwrap() > 100, "{root}");
    }
    assert!(not_loaded.is_empty(), "{not_loaded:#?}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// SigmaHQ's regression tests present in the corpus all pass. Rules whose
/// regression data is not in the corpus (held back) are reported as missing
/// data and nothing else.
#[test]
fn sigmahq_regression_tests_pass() {
    let Some(corpora) = corpora_or_skip("SigmaHQ regression test") else {
        return;
    };
    let sigmahq = corpora.join("sigmahq");
    let out = rulecheck(&sigmahq)
        .args([
            "test",
            "rules",
            "rules-emerging-threats",
            "rules-threat-hunting",
            "--only",
            "regression",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r["outcome"] != "detected")
        .map(|r| format!("{}: {}", r["rule"]["path"], r["reason"]))
        .collect();
    let other_problems: Vec<&serde_json::Value> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            !p["message"]
                .as_str()
                .unwrap()
                .contains("not found (looked under every parent directory")
        })
        .collect();
    eprintln!(
        "SigmaHQ regression tests: {} of {} passed; {} rules' data absent from the corpus",
        results.len() - failed.len(),
        results.len(),
        report["problems"].as_array().unwrap().len()
    );
    assert!(
        results.len() >= 100,
        "only {} regression tests found",
        results.len()
    );
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(other_problems.is_empty(), "{other_problems:#?}");
}

/// EVTX input: a real SigmaHQ regression file is read, and a corrupted record
/// is reported with its number while the readable ones are kept.
#[test]
fn evtx_records_are_read_and_a_corrupt_record_is_named() {
    let Some(corpora) = corpora_or_skip("EVTX test") else {
        return;
    };
    let sigmahq = corpora.join("sigmahq");
    let name = "registry_set_disable_system_restore";
    let rule = sigmahq.join(format!("rules/windows/registry/registry_set/{name}.yml"));
    let data_dir = sigmahq.join(format!(
        "regression_data/rules/windows/registry/registry_set/{name}"
    ));
    let Some(evtx) = std::fs::read_dir(&data_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "evtx"))
    else {
        eprintln!(
            "note: {} has no EVTX file; EVTX test skipped",
            data_dir.display()
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(&evtx).unwrap();
    std::fs::write(dir.path().join("good.evtx"), &bytes).unwrap();
    let out = rulecheck(dir.path())
        .arg("eval")
        .arg(&rule)
        .arg("good.evtx")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    assert!(
        stdout(&out).contains("4 of 4 events hit"),
        "{}",
        stdout(&out)
    );

    // Damage the body of the second record (records start with the magic 2a 2a 00 00).
    let magic = [0x2a, 0x2a, 0x00, 0x00];
    let second = bytes
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == magic)
        .nth(1)
        .unwrap()
        .0;
    for b in &mut bytes[second + 24..second + 80] {
        *b ^= 0xff;
    }
    std::fs::write(dir.path().join("bad.evtx"), &bytes).unwrap();
    let out = rulecheck(dir.path())
        .arg("eval")
        .arg(&rule)
        .arg("bad.evtx")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("bad.evtx: record 2: "),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("3 of 3 events hit"),
        "{}",
        stdout(&out)
    );
}
