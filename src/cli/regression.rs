//! Finding and reading SigmaHQ-style regression tests for loaded rules: the only
//! file access they need; judging is [`crate::regression`].

use std::path::{Path, PathBuf};

use super::Ui;
use super::inputs::{display_path, read_text};
use crate::bundle::bundle_from_records;
use crate::diagnostic::SourceError;
use crate::engine::{RuleLoader, SigmaRule, prepare};
use crate::logs::LogFormat;
use crate::regression::{DataType, RegressionInfo, judge_regression};
use crate::report::Problem;
use crate::testrun::RuleResult;

/// Run the regression tests of every rule that names one.
pub fn run(ui: &Ui, rules: &[SigmaRule], loader: &RuleLoader) -> (Vec<RuleResult>, Vec<Problem>) {
    let mut results = Vec::new();
    let mut problems = Vec::new();
    for rule in rules {
        let Some(info_path) = &rule.regression_tests_path else {
            continue;
        };
        let Some(root) = find_root(Path::new(&rule.path), info_path) else {
            let message = format!(
                "regression test `{info_path}` not found (looked under every parent directory of the rule)"
            );
            eprintln!("error: {}: {message}", rule.path);
            problems.push(Problem {
                path: rule.path.clone(),
                line: None,
                message,
            });
            continue;
        };
        let info_file = root.join(info_path);
        let shown = display_path(&info_file);
        let text = match read_text(&info_file) {
            Ok(t) => t,
            Err(e) => {
                ui.error(&e);
                problems.push(Problem::from_error(&shown, &e));
                continue;
            }
        };
        let info: RegressionInfo = match serde_norway::from_str(&text) {
            Ok(i) => i,
            Err(e) => {
                let e = SourceError::from_yaml(&shown, &text, &e);
                ui.diagnostic(&e);
                problems.push(Problem::from_source(&e));
                continue;
            }
        };
        for test in &info.regression_tests_info {
            let data_file = root.join(&test.path);
            let data_shown = display_path(&data_file);
            let bytes = match std::fs::read(&data_file) {
                Ok(b) => b,
                Err(e) => {
                    let message = format!("cannot read regression data: {e}");
                    eprintln!("error: {data_shown}: {message}");
                    problems.push(Problem {
                        path: data_shown,
                        line: None,
                        message,
                    });
                    continue;
                }
            };
            let format = match test.data_type {
                DataType::Evtx => LogFormat::Evtx,
                DataType::Json => LogFormat::Json,
            };
            let log = format.read(bytes);
            for p in &log.problems {
                eprintln!("error: {data_shown}: {p}");
                problems.push(Problem {
                    path: data_shown.clone(),
                    line: None,
                    message: p.to_string(),
                });
            }
            let name = data_file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let bundle = bundle_from_records(&name, log.records, &loader.logsources);
            let events = prepare(&bundle, &loader.logsources);
            results.push(judge_regression(rule, test, &data_shown, &bundle, &events));
        }
    }
    (results, problems)
}

/// The nearest ancestor of the rule file under which `relative` exists: the
/// root of a SigmaHQ-style checkout (holding `rules*/` and `regression_data/`).
fn find_root(rule_file: &Path, relative: &str) -> Option<PathBuf> {
    rule_file
        .ancestors()
        .skip(1)
        .map(|a| {
            if a.as_os_str().is_empty() {
                Path::new(".")
            } else {
                a
            }
        })
        .find(|a| a.join(relative).is_file())
        .map(Path::to_path_buf)
}
