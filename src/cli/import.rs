//! `rulecheck import evtx|json FILES… -o BUNDLE [--labels FILE]`

use super::Ui;
use super::args::{ImportArgs, ImportCommand};
use super::exit::Status;
use super::inputs::{display_path, read_text};
use crate::bundle::{LabelsFile, bundle_from_records, serialize_bundle, write_atomically};
use crate::engine::LogsourceTable;
use crate::logs::LogFormat;

pub fn run(ui: &Ui, command: ImportCommand) -> std::io::Result<Status> {
    let (format, args) = match command {
        ImportCommand::Evtx(a) => (LogFormat::Evtx, a),
        ImportCommand::Json(a) => (LogFormat::Json, a),
    };
    import(ui, format, args)
}

fn import(ui: &Ui, format: LogFormat, args: ImportArgs) -> std::io::Result<Status> {
    let out_shown = display_path(&args.out);
    if args.out.extension().is_none_or(|e| e != "jsonl") {
        eprintln!(
            "error: {out_shown}: bundles are `.jsonl` files (rulecheck test looks for that extension)"
        );
        return Ok(Status::INVALID);
    }
    // Read the labels first: a bad labels file must not cost a long import.
    let labels = match &args.labels {
        Some(path) => {
            let text = match read_text(path) {
                Ok(t) => t,
                Err(e) => {
                    ui.error(&e);
                    return Ok(Status::INVALID);
                }
            };
            match LabelsFile::parse(&display_path(path), &text) {
                Ok(l) => Some(l),
                Err(e) => {
                    ui.diagnostic(&e);
                    return Ok(Status::INVALID);
                }
            }
        }
        None => None,
    };

    let mut status = Status::SUCCESS;
    let mut records = Vec::new();
    let mut unreadable = 0;
    for file in &args.files {
        let shown = display_path(file);
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("error: {shown}: cannot read: {e}");
                return Ok(Status::INVALID);
            }
        };
        let log = format.read(bytes);
        for p in &log.problems {
            eprintln!("error: {shown}: {p}");
        }
        if log.records.is_empty() && !log.problems.is_empty() {
            // Nothing of the file could be read: it is the wrong file or format.
            eprintln!("error: {shown}: no readable records; nothing written");
            return Ok(Status::INVALID);
        }
        unreadable += log.problems.len();
        records.extend(log.records);
    }
    if unreadable > 0 {
        status.raise(Status::INVALID);
    }
    let name = args
        .out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut bundle = bundle_from_records(&name, records, &LogsourceTable::builtin());
    let mut report = String::new();
    if let Some(labels) = &labels {
        let counts = labels.apply(&mut bundle);
        for (rule, n) in labels.events.iter().zip(&counts) {
            if *n == 0 {
                ui.warn(&format!("label for step `{}` matched no event", rule.step));
            }
        }
        let labelled: usize = counts.iter().sum();
        report.push_str(&format!(
            "labelled {labelled} of {} events\n",
            bundle.events.len()
        ));
    }
    if let Err(e) = write_atomically(&args.out, serialize_bundle(&bundle).as_bytes()) {
        eprintln!("error: {out_shown}: cannot write bundle: {e}");
        return Ok(Status::INVALID);
    }
    report.push_str(&format!(
        "wrote {out_shown} ({} events from {} file{}{})\n",
        bundle.events.len(),
        args.files.len(),
        if args.files.len() == 1 { "" } else { "s" },
        if unreadable > 0 {
            format!("; {unreadable} unreadable records skipped, see above")
        } else {
            String::new()
        }
    ));
    ui.out(&report)?;
    Ok(status)
}
