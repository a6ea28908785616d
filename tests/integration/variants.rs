//! `generate --variants N`: mutated bundles beside the spec's own, recorded
//! in their headers, byte-identical run after run, and never touching the
//! spec's own bundle.

use super::*;

fn header(bytes: &[u8]) -> serde_json::Value {
    let text = std::str::from_utf8(bytes).unwrap();
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

#[test]
fn variants_are_deterministic_recorded_and_leave_the_bundle_alone() {
    let a = generated_project();
    let own = std::fs::read(a.path().join("bundles/encoded-powershell.jsonl")).unwrap();
    rulecheck(a.path())
        .args(["generate", "--variants", "4", "--seed", "7"])
        .assert()
        .success();
    let first = files_in(&a.path().join("bundles/variants"));
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "encoded-powershell.v1.jsonl",
            "encoded-powershell.v2.jsonl",
            "encoded-powershell.v3.jsonl",
            "encoded-powershell.v4.jsonl",
            "whoami-discovery.v1.jsonl",
            "whoami-discovery.v2.jsonl",
            "whoami-discovery.v3.jsonl",
            "whoami-discovery.v4.jsonl",
        ]
    );
    let mut mutations = 0;
    for (name, bytes) in &first {
        let h = header(bytes);
        let k: u64 = name
            .rsplit_once(".v")
            .unwrap()
            .1
            .trim_end_matches(".jsonl")
            .parse()
            .unwrap();
        assert_eq!(h["variant"]["number"], k, "{name}");
        assert_eq!(h["variant"]["requested_seed"], 7, "{name}");
        for m in h["variant"]["mutations"].as_array().unwrap() {
            mutations += 1;
            for key in ["step", "mutator", "field", "before", "after"] {
                assert!(m[key].is_string(), "{name}: {m}");
            }
        }
    }
    assert!(mutations > 0, "no variant mutated anything");
    // Not all variants are alike.
    assert_ne!(first[0].1, first[1].1);

    // In another directory, and again: the same bytes.
    let b = fixture_project();
    rulecheck(b.path())
        .args(["generate", "--variants", "4", "--seed", "7"])
        .assert()
        .success();
    assert_eq!(first, files_in(&b.path().join("bundles/variants")));
    let again = rulecheck(a.path())
        .args(["generate", "--variants", "4", "--seed", "7"])
        .output()
        .unwrap();
    assert!(
        stdout(&again).contains("unchanged bundles/variants/whoami-discovery.v4.jsonl"),
        "{}",
        stdout(&again)
    );
    assert_eq!(first, files_in(&a.path().join("bundles/variants")));
    rulecheck(a.path())
        .args(["generate", "--check", "--variants", "4", "--seed", "7"])
        .assert()
        .success();

    // `--seed` applied to the specs' own bundles too; without it they are
    // what the specs generate, and variants do not make `generate --check` fail.
    rulecheck(a.path()).arg("generate").assert().success();
    assert_eq!(
        own,
        std::fs::read(a.path().join("bundles/encoded-powershell.jsonl")).unwrap()
    );
    rulecheck(a.path())
        .args(["generate", "--check"])
        .assert()
        .success();
    // With the specs' own seeds the variants differ from those made with 7,
    // while the specs' bundles do not.
    let drift = rulecheck(a.path())
        .args(["generate", "--check", "--variants", "4"])
        .output()
        .unwrap();
    assert_eq!(drift.status.code(), Some(1));
    assert!(
        stdout(&drift).contains("drifted: bundles/variants/whoami-discovery.v1.jsonl"),
        "{}",
        stdout(&drift)
    );
    assert!(
        !stdout(&drift).contains("drifted: bundles/whoami-discovery.jsonl"),
        "{}",
        stdout(&drift)
    );
}

#[test]
fn zero_variants_is_a_usage_error() {
    let a = fixture_project();
    rulecheck(a.path())
        .args(["generate", "--variants", "0"])
        .assert()
        .code(2);
    // Variants carry no background activity yet: asking for both is refused.
    rulecheck(a.path())
        .args(["generate", "--variants", "2", "--profile", "workstation"])
        .assert()
        .code(2);
    assert!(!a.path().join("bundles").exists(), "nothing written");
}

#[test]
fn test_reports_robustness_over_variants() {
    let a = generated_project();
    rulecheck(a.path())
        .args(["generate", "--variants", "6"])
        .assert()
        .success();
    let out = rulecheck(a.path())
        .args([
            "test",
            "rules",
            "--bundles",
            "bundles/variants",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let scores = report["robustness"].as_array().unwrap();
    let whoami = scores
        .iter()
        .find(|s| s["rule"]["path"] == "rules/proc_creation_win_whoami_all.yml")
        .unwrap();
    assert_eq!(whoami["technique"], "T1033");
    assert_eq!(whoami["spec"], "whoami-discovery");
    assert_eq!(whoami["variants"], 6);
    let missed = whoami["missed"].as_array().unwrap();
    assert_eq!(
        whoami["detected"].as_u64().unwrap() + missed.len() as u64,
        6
    );
    // The rule looks for `/all`: Sigma matches case-insensitively, so only
    // `-all` can evade it, and each miss must carry that mutation.
    assert!(
        !missed.is_empty(),
        "seed-fixed variants include a `-all` one"
    );
    for m in missed {
        assert!(
            m["mutations"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["mutator"] == "switch-character"
                    && x["after"].as_str().unwrap().contains("-all")),
            "{m}"
        );
    }
    // Misses fail the run, as on any bundle; the table shows the scores.
    assert_eq!(out.status.code(), Some(1));
    let table = rulecheck(a.path())
        .args(["test", "rules", "--bundles", "bundles/variants"])
        .output()
        .unwrap();
    let text = stdout(&table);
    assert!(text.contains("Robustness over variant bundles:"), "{text}");
    assert!(text.contains("switch-character ×"), "{text}");
    // Without variant bundles there is no robustness section.
    std::fs::remove_dir_all(a.path().join("bundles/variants")).unwrap();
    let plain = rulecheck(a.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert!(!stdout(&plain).contains("Robustness"), "{}", stdout(&plain));
}
