//! End-to-end tests of the `rulecheck` binary: exit codes, output, files.

mod bad_input;
mod broken_pipe;
mod ci_outputs;
mod cloud;
mod correlation;
mod coverage;
mod coverage_html;
mod determinism;
mod eval;
mod generate_check;
mod import;
mod kql;
mod kql_corpus;
mod lint;
mod mappings;
mod profiles;
mod regression_tests;
mod reports;
mod result_cache;
mod schema_conformance;
mod shipped_content;
mod sigma_scale;
mod sigmahq_corpus;
mod snapshot_gate;
mod validate;
mod variants;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// The repository root (where the shipped `ttps/`, `rules/`, `bundles/` live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpora (`../shared/corpora`, or `$RULECHECK_CORPORA`), when present.
/// Tests that need them skip with a note otherwise.
pub fn corpora() -> Option<PathBuf> {
    let dir = std::env::var_os("RULECHECK_CORPORA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpora"));
    dir.is_dir().then_some(dir)
}

/// The corpora, or `None` after a note on stderr that `what` is skipped:
/// corpus tests pass on machines without `../shared`.
pub fn corpora_or_skip(what: &str) -> Option<PathBuf> {
    let found = corpora();
    if found.is_none() {
        eprintln!("note: ../shared/corpora not found (set RULECHECK_CORPORA); {what} skipped");
    }
    found
}

pub fn fixtures() -> PathBuf {
    repo().join("tests/fixtures")
}

/// `rulecheck` run in `dir`, with a clean colour environment.
pub fn rulecheck(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("rulecheck").expect("binary is built");
    cmd.current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env_remove("GITHUB_STEP_SUMMARY");
    cmd
}

/// A temporary project holding copies of the fixture specs and rules.
pub fn fixture_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("ttps"), &dir.path().join("ttps"));
    copy_dir(&fixtures().join("rules"), &dir.path().join("rules"));
    dir
}

/// A fixture project whose bundles have been generated.
pub fn generated_project() -> tempfile::TempDir {
    let dir = fixture_project();
    rulecheck(dir.path()).arg("generate").assert().success();
    dir
}

/// Every file directly in `dir`, sorted by name, with its bytes.
pub fn files_in(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Exit code, stdout and stderr in one string, for snapshots.
pub fn transcript(output: &Output) -> String {
    format!(
        "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        output
            .status
            .code()
            .map_or("signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
