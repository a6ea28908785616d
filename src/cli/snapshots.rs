//! The snapshot gate's files: reading each tested rule file's accepted
//! snapshot, comparing, and (with `--accept`, never under `CI=true`) writing
//! the current results. The comparison itself is `crate::snapshot`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Ui;
use super::inputs::{display_path, read_text};
use crate::bundle::write_atomically;
use crate::report::Problem;
use crate::snapshot::{self, FileSnapshot, GateReport};
use crate::testrun::RuleResult;

/// Where snapshots live when `rulecheck.yaml` does not say.
pub const DEFAULT_DIR: &str = ".rulecheck/snapshots";

/// Whether this process runs in CI, where snapshots are never written.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Compare `results` with the snapshots under `dir`; with `accept`, record
/// them instead (the changes found are still returned, as what was
/// accepted). Files that cannot be read, parsed or written are `problems`.
pub fn gate(
    ui: &Ui,
    results: &[RuleResult],
    dir: &Path,
    accept: bool,
    problems: &mut Vec<Problem>,
) -> GateReport {
    let mut report = GateReport {
        enabled: accept || dir.is_dir(),
        accepted: accept,
        ..GateReport::default()
    };
    if !report.enabled {
        return report;
    }
    if accept && in_ci() {
        let message =
            "refusing to write snapshots with CI=true: accept changes locally and commit them";
        eprintln!("error: {message}");
        problems.push(Problem {
            path: display_path(dir),
            line: None,
            message: message.to_string(),
        });
        return report;
    }
    let bundles_run: BTreeSet<String> = results.iter().map(|r| r.bundle.path.clone()).collect();
    for (rule_path, current) in snapshot::from_results(results) {
        let file: PathBuf = dir.join(snapshot::snapshot_path(&rule_path));
        let shown = display_path(&file);
        let accepted = if file.is_file() {
            match read_text(&file).map_err(|e| {
                ui.error(&e);
                Problem::from_error(&shown, &e)
            }) {
                Ok(text) => match FileSnapshot::parse(&shown, &text) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        ui.diagnostic(&e);
                        problems.push(Problem::from_source(&e));
                        continue;
                    }
                },
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            }
        } else {
            None
        };
        let changes = snapshot::diff(&rule_path, accepted.as_ref(), &current, &bundles_run);
        if accept && !changes.is_empty() {
            let merged = accepted.unwrap_or_default().merged(&current, &bundles_run);
            match write_atomically(&file, merged.render(&rule_path).as_bytes()) {
                Ok(()) => report.written.push(shown),
                Err(e) => {
                    eprintln!("error: {shown}: cannot write the snapshot: {e}");
                    problems.push(Problem {
                        path: shown,
                        line: None,
                        message: format!("cannot write the snapshot: {e}"),
                    });
                }
            }
        }
        report.changes.extend(changes);
    }
    report
}
