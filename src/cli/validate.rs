//! `rulecheck validate INPUTS… [--format table|json]`: whether bundles (and
//! real logs, read as `import` reads them) hold together. Only reads its
//! inputs; exit 0 when every input is coherent, 1 on findings, 2 when an input
//! cannot be read.

use std::path::PathBuf;

use super::Ui;
use super::args::{OutputFormat, ValidateArgs};
use super::exit::Status;
use super::inputs::{collect_files, display_path};
use super::load::is_bundle;
use crate::bundle::{Bundle, bundle_from_records, parse_bundle};
use crate::engine::LogsourceTable;
use crate::logs::LogFormat;
use crate::report::validate::{Validated, render_json, render_table};
use crate::validate::validate_bundle;

pub fn run(ui: &Ui, args: ValidateArgs) -> std::io::Result<Status> {
    let mut status = Status::SUCCESS;
    let (files, errors) = collect_files(&args.inputs, &["jsonl", "ndjson", "json", "evtx"]);
    for e in &errors {
        ui.error(e);
        status.raise(Status::INVALID);
    }
    if files.is_empty() && errors.is_empty() {
        let shown: Vec<String> = args
            .inputs
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        eprintln!(
            "error: no bundles or logs (*.jsonl, *.json, *.ndjson, *.evtx) under {}",
            shown.join(", ")
        );
        return Ok(Status::INVALID);
    }
    let table = LogsourceTable::builtin();
    let mut validated = Vec::new();
    for file in files {
        let Some((bundle, bundle_file)) = read_input(ui, &file, &table, &mut status) else {
            continue;
        };
        let findings = validate_bundle(&bundle);
        if !findings.is_empty() {
            status.raise(Status::FAILURE);
        }
        validated.push(Validated {
            path: display_path(&file),
            bundle_file,
            events: bundle.events.len(),
            findings,
        });
    }
    let text = match args.format {
        OutputFormat::Table => render_table(&validated, ui.table_style()),
        OutputFormat::Json => render_json(&validated),
    };
    ui.out(&text)?;
    Ok(status)
}

/// One input as a bundle, and whether it is a bundle file; `None` (reported)
/// when it cannot be read. Unreadable records of a log are reported and the
/// rest validated.
fn read_input(
    ui: &Ui,
    file: &PathBuf,
    table: &LogsourceTable,
    status: &mut Status,
) -> Option<(Bundle, bool)> {
    let shown = display_path(file);
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: {shown}: cannot read: {e}");
            status.raise(Status::INVALID);
            return None;
        }
    };
    let format = LogFormat::of_path(file).unwrap_or(LogFormat::Json);
    if format == LogFormat::Json && is_bundle(&bytes) {
        return match parse_bundle(&shown, &String::from_utf8_lossy(&bytes)) {
            Ok(bundle) => Some((bundle, true)),
            Err(e) => {
                ui.error(&e);
                status.raise(Status::INVALID);
                None
            }
        };
    }
    let log = format.read(bytes);
    for p in &log.problems {
        eprintln!("error: {shown}: {p}");
        status.raise(Status::INVALID);
    }
    Some((bundle_from_records(&shown, log.records, table), false))
}
