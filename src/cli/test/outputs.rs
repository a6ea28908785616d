//! Where `rulecheck test`'s reports go besides stdout: side files for CI
//! (`--junit-out`, `--sarif-out`, `--markdown-out`, each written atomically)
//! and GitHub's job summary (`$GITHUB_STEP_SUMMARY`, appended to).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::super::Ui;
use super::super::args::{TestArgs, TestFormat};
use super::super::exit::Status;
use super::super::inputs::display_path;
use crate::report::{self, Problem, Summary};
use crate::snapshot::GateReport;
use crate::testrun::RuleResult;

/// The environment variable GitHub Actions sets to a file whose Markdown is
/// shown on the run's summary page.
pub const STEP_SUMMARY_VAR: &str = "GITHUB_STEP_SUMMARY";

/// A report that could not be written, with the file it was meant for.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}")]
pub struct WriteError {
    path: String,
    #[source]
    source: std::io::Error,
}

/// Everything a report is made of.
pub struct Reports<'a> {
    pub results: &'a [RuleResult],
    pub summary: &'a Summary,
    pub problems: &'a [Problem],
    pub snapshots: &'a GateReport,
}

impl Reports<'_> {
    /// The report in `format`; `exit_code` only shows in JSON, and the table
    /// follows the terminal's style.
    pub fn render(&self, format: TestFormat, ui: &Ui, exit_code: u8) -> String {
        let (results, summary, problems) = (self.results, self.summary, self.problems);
        let snapshots = Some(self.snapshots);
        match format {
            TestFormat::Table => {
                report::table::render_test(results, summary, problems, snapshots, ui.table_style())
            }
            TestFormat::Json => {
                report::json::render_test(results, summary, problems, snapshots, exit_code)
            }
            TestFormat::Junit => report::junit::render_junit(results, summary, problems, snapshots),
            TestFormat::Sarif => report::sarif::render_sarif(results, summary, problems, snapshots),
            TestFormat::Markdown => {
                report::markdown::render_markdown(results, summary, problems, snapshots)
            }
        }
    }

    /// Write every requested side file and the job summary; each failure is
    /// reported with its path and makes the run invalid (exit 2), but the
    /// other files are still written.
    pub fn write(&self, ui: &Ui, args: &TestArgs) -> Status {
        let side_files: [(&Option<PathBuf>, TestFormat); 3] = [
            (&args.junit_out, TestFormat::Junit),
            (&args.sarif_out, TestFormat::Sarif),
            (&args.markdown_out, TestFormat::Markdown),
        ];
        let mut status = Status::SUCCESS;
        for (path, format) in side_files {
            let Some(path) = path else { continue };
            // No side format depends on the exit code or the terminal.
            let text = self.render(format, ui, 0);
            if let Err(e) = write_file(path, &text) {
                ui.error(&e);
                status.raise(Status::INVALID);
            }
        }
        if let Some(path) = std::env::var_os(STEP_SUMMARY_VAR).filter(|v| !v.is_empty()) {
            let text = self.render(TestFormat::Markdown, ui, 0);
            if let Err(e) = append_file(Path::new(&path), &text) {
                ui.error(&e);
                status.raise(Status::INVALID);
            }
        }
        status
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), WriteError> {
    crate::bundle::write_atomically(path, text.as_bytes()).map_err(|source| WriteError {
        path: display_path(path),
        source,
    })
}

/// Append, never overwrite: other steps of the job write to the same summary.
/// A blank line keeps this summary apart from what follows.
fn append_file(path: &Path, text: &str) -> Result<(), WriteError> {
    let append = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        file.write_all(text.as_bytes())?;
        file.write_all(b"\n")?;
        file.flush()
    };
    append().map_err(|source| WriteError {
        path: display_path(path),
        source,
    })
}
