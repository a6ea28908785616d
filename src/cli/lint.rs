//! `rulecheck lint PATHS… [--format table|json]`

use super::Ui;
use super::args::{LintArgs, OutputFormat};
use super::exit::Status;
use super::inputs::{collect_files, display_path, read_text};
use super::load::{load_config, rule_loader};
use crate::engine::correlate::RuleSet;
use crate::engine::kql_rule::ExternalFixtures;
use crate::engine::{LoadedRule, RULE_EXTENSIONS};
use crate::lint::{LintEntry, LintStatus, lint_file};
use crate::report::lint::{RootCount, render_json, render_table};

pub fn run(ui: &Ui, args: LintArgs) -> std::io::Result<Status> {
    let Some(config) = load_config(ui, args.config.as_deref()) else {
        return Ok(Status::INVALID);
    };
    let Some(loader) = rule_loader(ui, &config) else {
        return Ok(Status::INVALID);
    };
    let mut status = Status::SUCCESS;
    let mut entries: Vec<LintEntry> = Vec::new();
    let mut roots = Vec::new();
    let mut sigma = Vec::new();
    // Correlations with the index of their entry, checked once every rule is known.
    let mut correlations = Vec::new();
    let mut correlation_entries = Vec::new();
    let mut root_ranges = Vec::new();
    for root in &args.paths {
        let (files, errors) = collect_files(std::slice::from_ref(root), RULE_EXTENSIONS);
        for e in &errors {
            ui.error(e);
            status.raise(Status::INVALID);
        }
        let before = entries.len();
        for file in files {
            let shown = display_path(&file);
            match read_text(&file) {
                Ok(text) => {
                    for (entry, rule) in lint_file(&shown, &text, &loader) {
                        match rule {
                            Some(LoadedRule::Sigma(r)) => sigma.push(*r),
                            Some(LoadedRule::Correlation(c)) => {
                                correlations.push(*c);
                                correlation_entries.push(entries.len());
                            }
                            Some(LoadedRule::Kql(_)) | None => {}
                        }
                        entries.push(entry);
                    }
                }
                Err(e) => {
                    ui.error(&e);
                    status.raise(Status::INVALID);
                }
            }
        }
        root_ranges.push((display_path(root), before, entries.len()));
    }
    let set = RuleSet {
        sigma: &sigma,
        correlations: &correlations,
        kql: &[],
        kql_fixtures: &ExternalFixtures::default(),
    };
    for (i, &entry) in correlation_entries.iter().enumerate() {
        if let Err(reason) = set.check(i) {
            entries[entry].status = LintStatus::NotLoaded;
            entries[entry].reason = Some(reason);
        }
    }
    for (path, from, to) in root_ranges {
        let mine = &entries[from..to];
        roots.push(RootCount {
            path,
            total: mine.len(),
            loaded: mine
                .iter()
                .filter(|e| e.status == LintStatus::Loaded)
                .count(),
        });
    }
    if entries.iter().any(|e| e.status == LintStatus::NotLoaded) {
        status.raise(Status::FAILURE);
    }
    let text = match args.format {
        OutputFormat::Table => render_table(&entries, &roots, ui.table_style()),
        OutputFormat::Json => render_json(&entries, &roots),
    };
    ui.out(&text)?;
    Ok(status)
}
