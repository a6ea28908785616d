//! `rulecheck kql QUERY INPUT…` (or `-f FILE INPUT…`): a query's result table
//! on each input, for writing and debugging KQL rules interactively.

use std::path::PathBuf;

use super::Ui;
use super::args::{KqlArgs, OutputFormat};
use super::exit::Status;
use super::inputs::{display_path, read_text};
use super::load::{Loaded, load_config};
use crate::engine::LogsourceTable;
use crate::engine::kql_rule::{self, KqlRule};
use crate::report::kql::{QueryResult, render_json, render_table};

/// The name ad hoc query text goes by in diagnostics.
const QUERY_ORIGIN: &str = "<query>";

pub fn run(ui: &Ui, args: KqlArgs) -> std::io::Result<Status> {
    let Some(config) = load_config(ui, args.config.as_deref()) else {
        return Ok(Status::INVALID);
    };
    let (origin, text, inputs) = match &args.file {
        Some(file) => {
            let text = match read_text(file) {
                Ok(t) => t,
                Err(e) => {
                    ui.error(&e);
                    return Ok(Status::INVALID);
                }
            };
            (display_path(file), text, args.args.clone())
        }
        None => {
            let mut rest = args.args.clone();
            let query = rest.remove(0);
            (QUERY_ORIGIN.to_string(), query, rest)
        }
    };
    if inputs.is_empty() {
        eprintln!("error: no input to query; name bundles or logs after the query");
        return Ok(Status::INVALID);
    }
    let is_yaml = origin.ends_with(".yml") || origin.ends_with(".yaml");
    let parsed = if is_yaml {
        KqlRule::parse_sentinel(&origin, &text)
    } else {
        KqlRule::parse_kql_file(&origin, &text)
    };
    let rule = match parsed {
        Ok(r) => r,
        Err(errors) => {
            for e in &errors {
                ui.diagnostic(e);
            }
            return Ok(Status::INVALID);
        }
    };
    let roots: Vec<PathBuf> = inputs.iter().map(PathBuf::from).collect();
    let mut loaded = Loaded::default();
    loaded.read_kql_fixtures(ui, &config);
    loaded.inputs(ui, &roots, &LogsourceTable::builtin());
    let mut status = Status::SUCCESS;
    if !loaded.problems.is_empty() {
        status.raise(Status::INVALID);
    }
    if loaded.bundles.is_empty() && loaded.problems.is_empty() {
        loaded.nothing_found("bundles or logs", &roots, "");
        return Ok(Status::INVALID);
    }
    let mut results = Vec::new();
    for (path, bundle) in &loaded.bundles {
        let db = kql_rule::database(bundle, &loaded.kql_fixtures);
        match rule.run(bundle, &db) {
            Ok(table) => results.push(QueryResult {
                input: path.clone(),
                table,
            }),
            Err(e) => {
                // The same query fails the same way on every input: say it once.
                ui.diagnostic(&rule.locate(&text, e));
                return Ok(Status::INVALID);
            }
        }
    }
    let out = match args.format {
        OutputFormat::Table => render_table(&results, ui.table_style()),
        OutputFormat::Json => render_json(&results),
    };
    ui.out(&out)?;
    Ok(status)
}
