//! A reader that stops early (`rulecheck … | head`) is not an error: exit 0,
//! nothing on stderr.

use std::io::Read;
use std::process::Stdio;

use super::*;

#[test]
fn closing_stdout_early_exits_0_quietly() {
    let dir = fixture_project();
    // Enough hits that the JSON report is far larger than a pipe buffer, so the
    // write is certain to fail once the reader has gone.
    let mut spec = String::from(
        "name: many shells\ntechniques: [T1059.003]\ntactics: [execution]\nplatform: windows\nsteps:\n",
    );
    for i in 0..600 {
        spec.push_str(&format!(
            "  - id: s{i}\n    technique: T1059.003\n    delay: 10ms\n    process_create:\n      image: C:\\Windows\\System32\\whoami.exe\n      command_line: whoami /all\n"
        ));
    }
    std::fs::write(dir.path().join("ttps/many.yaml"), spec).unwrap();
    rulecheck(dir.path()).arg("generate").assert().success();
    let args = [
        "eval",
        "rules/proc_creation_win_whoami_all.yml",
        "bundles/many.jsonl",
        "--format",
        "json",
    ];
    let full = rulecheck(dir.path()).args(args).output().unwrap();
    assert!(
        full.stdout.len() > 4 * 64 * 1024,
        "report is only {} bytes",
        full.stdout.len()
    );

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rulecheck"))
        .current_dir(dir.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here, closing the pipe.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(out.stderr.is_empty(), "stderr: {}", stderr(&out));
}
