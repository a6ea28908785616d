//! CI outputs of `rulecheck test`: JUnit, SARIF and Markdown reports (on
//! stdout and as side files), the GitHub job summary, `--shard`, and no
//! progress bar in captured output.

use std::collections::BTreeSet;

use super::*;

/// The fixture project with the encoded-PowerShell rule broken, so the run
/// has a failure (missed) besides its detections and incidental hits.
fn failing_project() -> tempfile::TempDir {
    let dir = generated_project();
    let path = dir
        .path()
        .join("rules/proc_creation_win_powershell_enc.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("' -enc '", "' -not-in-any-bundle '")).unwrap();
    dir
}

/// A failing project that also holds a rule file that does not load.
fn failing_project_with_invalid_rule() -> tempfile::TempDir {
    let dir = failing_project();
    std::fs::write(
        dir.path().join("rules/broken.yml"),
        "title: Broken\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    selection:\n        Image|sometimes: x\n    condition: selection\n",
    )
    .unwrap();
    dir
}

/// `rulecheck test rules ARGS…` with no job summary configured.
fn test_run(dir: &Path, args: &[&str]) -> Output {
    rulecheck(dir)
        .env_remove(STEP_SUMMARY)
        .args(["test", "rules"])
        .args(args)
        .output()
        .unwrap()
}

const STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";

fn json_report(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = test_run(dir, &[&["--format", "json"], args].concat());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", transcript(&out)))
}

fn redact_version(text: &str) -> String {
    text.replace(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"[version]\"",
    )
}

#[test]
fn junit_snapshot() {
    let dir = failing_project();
    let out = test_run(dir.path(), &["--format", "junit"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    insta::assert_snapshot!("test_junit", transcript(&out));
}

#[test]
fn sarif_snapshot() {
    let dir = failing_project();
    let out = test_run(dir.path(), &["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    insta::assert_snapshot!("test_sarif", redact_version(&transcript(&out)));
}

#[test]
fn markdown_snapshot() {
    let dir = failing_project();
    let out = test_run(dir.path(), &["--format", "markdown"]);
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    insta::assert_snapshot!("test_markdown", transcript(&out));
}

/// Counts of a JUnit document, read back with an XML parser.
#[derive(Debug, Default, PartialEq, Eq)]
struct JunitCounts {
    suites: BTreeSet<String>,
    cases: usize,
    failures: usize,
    errors: usize,
    /// `tests`/`failures`/`errors` attributes of `<testsuites>`.
    declared: (usize, usize, usize),
}

fn read_junit(xml: &str) -> JunitCounts {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut counts = JunitCounts::default();
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> Option<String> {
        e.attributes()
            .map(Result::unwrap)
            .find(|a| a.key.as_ref() == name.as_bytes())
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuites" => {
                    let n = |k| attr(&e, k).unwrap().parse::<usize>().unwrap();
                    counts.declared = (n("tests"), n("failures"), n("errors"));
                    assert!(attr(&e, "time").is_none() && attr(&e, "timestamp").is_none());
                }
                b"testsuite" => {
                    assert!(attr(&e, "time").is_none() && attr(&e, "timestamp").is_none());
                    assert!(attr(&e, "hostname").is_none());
                    counts.suites.insert(attr(&e, "name").unwrap());
                }
                b"testcase" => counts.cases += 1,
                b"failure" => counts.failures += 1,
                b"error" => counts.errors += 1,
                _ => {}
            },
            _ => {}
        }
    }
    counts
}

#[test]
fn junit_matches_the_json_report() {
    let dir = failing_project_with_invalid_rule();
    let json = json_report(dir.path(), &[]);
    let out = test_run(dir.path(), &["--format", "junit"]);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let junit = read_junit(&stdout(&out));

    let results = json["results"].as_array().unwrap();
    let problems = json["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    let failing = results
        .iter()
        .filter(|r| {
            ["missed", "false_positive", "errored"].contains(&r["outcome"].as_str().unwrap())
        })
        .count();
    assert!(failing > 0);
    let mut suites: BTreeSet<String> = results
        .iter()
        .map(|r| r["rule"]["path"].as_str().unwrap().to_string())
        .collect();
    suites.insert("rulecheck inputs".to_string());
    assert_eq!(junit.suites, suites);
    assert_eq!(junit.cases, results.len() + problems.len());
    assert_eq!(junit.failures, failing);
    assert_eq!(junit.errors, problems.len());
    assert_eq!(
        junit.declared,
        (results.len() + problems.len(), failing, problems.len())
    );
}

#[test]
fn sarif_is_structurally_valid_for_code_scanning() {
    let dir = failing_project_with_invalid_rule();
    let out = test_run(dir.path(), &["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "rulecheck");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let declared: Vec<&str> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["shortDescription"]["text"].is_string());
            assert!(r["help"]["text"].is_string());
            r["id"].as_str().unwrap()
        })
        .collect();
    assert!(declared.contains(&"missed") && declared.contains(&"invalid-input"));

    let results = runs[0]["results"].as_array().unwrap();
    let json = json_report(dir.path(), &[]);
    let alerts = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] != "detected")
        .count()
        + json["problems"].as_array().unwrap().len();
    assert_eq!(results.len(), alerts);
    let mut fingerprints = BTreeSet::new();
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(declared[index], id, "{r:#}");
        let level = r["level"].as_str().unwrap();
        assert_eq!(level, if id == "incidental" { "note" } else { "error" });
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let location = &r["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.is_empty() && !uri.contains('\\') && !uri.starts_with('/'),
            "{uri}"
        );
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
        let print = r["partialFingerprints"]["rulecheck/v1"].as_str().unwrap();
        assert!(fingerprints.insert(print.to_string()), "repeated {print}");
    }
    // The same inputs give the same fingerprints.
    let again: serde_json::Value =
        serde_json::from_slice(&test_run(dir.path(), &["--format", "sarif"]).stdout).unwrap();
    assert_eq!(again, sarif);
}

#[test]
fn side_files_hold_what_the_formats_print() {
    let dir = failing_project();
    let out = test_run(
        dir.path(),
        &[
            "--junit-out",
            "out/junit.xml",
            "--sarif-out",
            "out/rulecheck.sarif",
            "--markdown-out",
            "summary.md",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    assert!(
        stdout(&out).contains("rule × 2 bundles") || stdout(&out).contains("rules × 2 bundles")
    );
    for (file, format) in [
        ("out/junit.xml", "junit"),
        ("out/rulecheck.sarif", "sarif"),
        ("summary.md", "markdown"),
    ] {
        let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let printed = stdout(&test_run(dir.path(), &["--format", format]));
        assert_eq!(written, printed, "{file}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_side_file_that_cannot_be_written_is_named_and_exits_2() {
    let dir = generated_project();
    // A path below a regular file cannot be created.
    let out = test_run(
        dir.path(),
        &[
            "--sarif-out",
            "rules/proc_creation_win_whoami_all.yml/x.sarif",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    assert!(
        stderr(&out).contains("cannot write rules/proc_creation_win_whoami_all.yml/x.sarif: "),
        "{}",
        stderr(&out)
    );
    // The report still goes to stdout, with the exit code it ends with.
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["exit_code"], 2);
}

#[test]
fn the_job_summary_is_appended_to_not_overwritten() {
    let dir = failing_project();
    let summary = dir.path().join("step-summary.md");
    std::fs::write(&summary, "# Earlier step\n\n").unwrap();
    for _ in 0..2 {
        let out = rulecheck(dir.path())
            .env(STEP_SUMMARY, &summary)
            .args(["test", "rules"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
    }
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# Earlier step\n\n## rulecheck\n"),
        "{text}"
    );
    assert_eq!(text.matches("## rulecheck\n").count(), 2, "{text}");
    let markdown = stdout(&test_run(dir.path(), &["--format", "markdown"]));
    assert_eq!(text, format!("# Earlier step\n\n{markdown}\n{markdown}\n"));

    // Set but empty: nothing is written anywhere.
    let out = rulecheck(dir.path())
        .env(STEP_SUMMARY, "")
        .args(["test", "rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
}

const DETECTIONS: &str = r#"title: Shell Started
name: shell_started
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\cmd.exe'
    condition: selection
---
title: Whoami Run
name: whoami_run
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\whoami.exe'
    condition: selection
"#;

const CORRELATION: &str = r#"title: Shell Then Whoami On One Host
id: 00000000-0000-4000-8000-0000000000c1
correlation:
    type: temporal_ordered
    rules:
        - shell_started
        - whoami_run
    group-by:
        - Computer
    timespan: 1m
tags:
    - attack.discovery
    - attack.t1033
level: medium
"#;

/// Every result of a JSON report as canonical text, for set comparisons.
fn result_set(report: &serde_json::Value) -> Vec<String> {
    let mut all: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    all.sort();
    all
}

#[test]
fn shards_are_disjoint_and_together_equal_the_unsharded_run() {
    let dir = generated_project();
    // Sorted, the files are: aa_detections (shard 1 of 3), the three fixture
    // rules (2, 3, 1), zz_correlation (2): the correlation's rules, which it
    // keeps silent, live in another shard.
    std::fs::write(dir.path().join("rules/aa_detections.yml"), DETECTIONS).unwrap();
    std::fs::write(dir.path().join("rules/zz_correlation.yml"), CORRELATION).unwrap();
    let whole = json_report(dir.path(), &[]);
    let whole_results = result_set(&whole);
    assert!(
        whole_results
            .iter()
            .any(|r| r.contains("Shell Then Whoami On One Host")),
        "the correlation is judged"
    );
    assert!(
        !whole_results.iter().any(|r| r.contains("\"Whoami Run\"")),
        "its rules are silent"
    );

    for n in 1..=3 {
        let mut union: Vec<String> = Vec::new();
        let mut rules = 0;
        for k in 1..=n {
            let shard = format!("{k}/{n}");
            let report = json_report(dir.path(), &["--shard", &shard]);
            assert_eq!(report["exit_code"], 0, "{shard}");
            assert_eq!(report["summary"]["shard"]["index"], k);
            assert_eq!(report["summary"]["shard"]["count"], n);
            rules += report["summary"]["rules"].as_u64().unwrap();
            let mut files: Vec<&str> = report["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["rule"]["path"].as_str().unwrap())
                .collect();
            files.dedup();
            for file in files {
                assert!(
                    !union
                        .iter()
                        .any(|r| r.contains(&format!("\"path\":\"{file}\""))),
                    "{file} reported by two shards of {n}"
                );
            }
            union.extend(result_set(&report));
        }
        union.sort();
        assert_eq!(union, whole_results, "shards of {n}");
        assert_eq!(rules, whole["summary"]["rules"].as_u64().unwrap());
    }

    let table = test_run(dir.path(), &["--shard", "2/3"]);
    assert!(
        stdout(&table).contains("\nshard 2/3: 2 rules × 2 bundles:"),
        "{}",
        stdout(&table)
    );
}

#[test]
fn regression_tests_follow_the_shards() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("sigmahq-like"), dir.path());
    let rules = dir.path().join("rules/windows/registry_set");
    let original =
        std::fs::read_to_string(rules.join("registry_set_fixture_disable_restore.yml")).unwrap();
    std::fs::write(
        rules.join("a_copy.yml"),
        original
            .replace("0000000000a1", "0000000000a2")
            .replace("Fixture - System Restore", "Fixture Copy - System Restore"),
    )
    .unwrap();
    let args = ["--only", "regression"];
    let whole = json_report(dir.path(), &args);
    assert_eq!(whole["results"].as_array().unwrap().len(), 2);
    let mut union = Vec::new();
    for (k, title) in [(1, "Fixture Copy"), (2, "Fixture - System")] {
        let report = json_report(
            dir.path(),
            &[&args[..], &["--shard", &format!("{k}/2")]].concat(),
        );
        let results = report["results"].as_array().unwrap();
        assert_eq!(results.len(), 1, "shard {k}");
        assert!(
            results[0]["rule"]["title"]
                .as_str()
                .unwrap()
                .starts_with(title),
            "shard {k}: {results:#?}"
        );
        union.extend(result_set(&report));
    }
    union.sort();
    assert_eq!(union, result_set(&whole));
}

#[test]
fn bad_shards_and_formats_are_usage_errors() {
    let dir = generated_project();
    for bad in ["0/3", "4/3", "x", "1/0"] {
        let out = test_run(dir.path(), &["--shard", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", transcript(&out));
        assert!(stderr(&out).contains("expected K/N"), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    for (command, format) in [("lint", "junit"), ("eval", "sarif"), ("kql", "markdown")] {
        let out = rulecheck(dir.path())
            .args([command, "rules/proc_creation_win_whoami_all.yml", "bundles"])
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{command}: {}",
            transcript(&out)
        );
        assert!(
            stderr(&out).contains(&format!("invalid value '{format}' for '--format")),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn no_progress_bar_in_captured_output() {
    let dir = generated_project();
    for format in ["table", "json", "junit"] {
        let out = test_run(dir.path(), &["--format", format]);
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        let err = stderr(&out);
        assert!(err.is_empty(), "{format}: {err:?}");
        assert!(!stdout(&out).contains("judging bundles"));
        assert!(!stdout(&out).contains('\r'));
    }
}
