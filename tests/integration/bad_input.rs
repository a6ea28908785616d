//! Bad input: every case exits 2 with a message naming the file (and line), keeps
//! working on the rest, and never overwrites or truncates an existing file.

use super::*;

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn malformed_rule_is_reported_with_its_line_and_the_other_rules_still_run() {
    let dir = generated_project();
    std::fs::write(
        dir.path().join("rules/broken.yml"),
        "title: Broken\nlogsource:\n    product: windows\ndetection:\n    selection:\n        Image|endswith: [unclosed\n    condition: selection\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = stderr(&out);
    assert!(err.contains("rules/broken.yml:7:"), "{err}");
    let text = stdout(&out);
    assert!(text.contains("  rules/broken.yml:7: "), "{text}");
    assert!(text.contains("3 rules × 2 bundles: 2 detected"), "{text}");
}

#[test]
fn unknown_action_kind_in_a_spec_names_file_and_line_and_keeps_the_old_bundle() {
    let dir = generated_project();
    let bundle = dir.path().join("bundles/whoami-discovery.jsonl");
    let before = std::fs::read(&bundle).unwrap();
    edit(
        &dir.path().join("ttps/whoami-discovery.yaml"),
        "  - id: whoami\n    technique: T1033\n    process_create:",
        "  - id: whoami\n    technique: T1033\n    process_start:",
    );
    let out = rulecheck(dir.path()).arg("generate").output().unwrap();
    insta::assert_snapshot!("spec_unknown_action_kind", transcript(&out));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read(&bundle).unwrap(),
        before,
        "the bundle of an invalid spec is left alone"
    );
}

#[test]
fn unknown_field_in_a_spec_is_an_error_not_a_default() {
    let dir = fixture_project();
    edit(
        &dir.path().join("ttps/whoami-discovery.yaml"),
        "    delay: 3s",
        "    dely: 3s",
    );
    let out = rulecheck(dir.path()).arg("generate").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = stderr(&out);
    assert!(
        err.contains("ttps/whoami-discovery.yaml:19:5: steps[1]: unknown field `dely`"),
        "{err}"
    );
    // The valid spec beside it is still generated.
    assert!(dir.path().join("bundles/encoded-powershell.jsonl").exists());
    assert!(!dir.path().join("bundles/whoami-discovery.jsonl").exists());
}

#[test]
fn missing_files_and_directories_are_named() {
    let dir = generated_project();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "no-such-rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(stderr(&out).contains("no-such-rules: no such file or directory"));
    let out = rulecheck(dir.path())
        .args(["eval", "rules/nope.yml", "bundles/encoded-powershell.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("rules/nope.yml: no such file or directory"),
        "{}",
        stderr(&out)
    );
    let out = rulecheck(dir.path())
        .args(["generate", "specs-missing"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("specs-missing: no such file or directory"));
}

#[test]
fn a_bundle_with_a_broken_line_is_reported_and_the_others_still_run() {
    let dir = generated_project();
    let path = dir.path().join("bundles/whoami-discovery.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    lines[2].truncate(40);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("bundles/whoami-discovery.jsonl:3: invalid event: EOF while parsing"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("3 rules × 1 bundle: 1 detected"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_bundle_of_an_unknown_format_version_is_refused_with_the_version() {
    let dir = generated_project();
    let path = dir.path().join("bundles/whoami-discovery.jsonl");
    edit(&path, "\"version\":1,", "\"version\":9,");
    let out = rulecheck(dir.path())
        .args([
            "eval",
            "rules/proc_creation_win_whoami_all.yml",
            "bundles/whoami-discovery.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("bundles/whoami-discovery.jsonl:1: bundle format version 9 is not supported; this rulecheck reads version 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_truncated_bundle_header_is_named_and_other_json_lines_are_read_as_logs() {
    let dir = generated_project();
    std::fs::write(dir.path().join("bundles/notes.jsonl"), "{\"hello\": 1}\n").unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        report["summary"]["bundles"], 3,
        "a JSON Lines log is an input too"
    );

    let path = dir.path().join("bundles/whoami-discovery.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let header_end = text.find('\n').unwrap();
    std::fs::write(
        &path,
        format!("{}\n{}", &text[..header_end - 20], &text[header_end + 1..]),
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("bundles/whoami-discovery.jsonl:1: header is not valid JSON"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn invalid_configuration_stops_the_run_with_its_location() {
    let dir = generated_project();
    std::fs::write(
        dir.path().join("rulecheck.yaml"),
        "expectations:\n  - rules: '**/*.yml'\n    reason: r\n    alow_benign_hits: true\n",
    )
    .unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out)
            .contains("rulecheck.yaml:4:5: expectations[0]: unknown field `alow_benign_hits`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = fixture_project();
    assert_eq!(
        rulecheck(dir.path())
            .arg("test")
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rulecheck(dir.path())
            .arg("frobnicate")
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rulecheck(dir.path())
            .args(["test", "--format", "xml", "rules"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        rulecheck(dir.path())
            .arg("--help")
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn without_a_bundles_dir_the_library_and_own_specs_are_used_but_an_empty_one_is_an_error() {
    let dir = fixture_project();
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--format", "json"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        err.contains("built-in technique library") && err.contains("and 2 specs from ttps/"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["bundle"]["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"ttps/encoded-powershell.yaml"), "{paths:?}");
    assert!(!dir.path().join("bundles").exists(), "nothing is written");

    std::fs::create_dir(dir.path().join("bundles")).unwrap();
    let out = rulecheck(dir.path())
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("run `rulecheck generate`"),
        "{}",
        stderr(&out)
    );
    let out = rulecheck(dir.path())
        .args(["test", "rules", "--bundles", "elsewhere"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("elsewhere: no such file or directory"),
        "{}",
        stderr(&out)
    );
}
