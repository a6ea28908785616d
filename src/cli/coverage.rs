//! `rulecheck coverage [RULES…]`: run every rule on every bundle, then draw
//! ATT&CK coverage — a terminal heatmap, JSON, an ATT&CK Navigator layer or a
//! self-contained HTML page.

use std::path::Path;

use super::Ui;
use super::args::{CoverageArgs, CoverageFormat};
use super::exit::Status;
use super::load::{Loaded, load_config, rule_loader};
use crate::attack;
use crate::bundle::Header;
use crate::report;

pub fn run(ui: &Ui, args: CoverageArgs) -> std::io::Result<Status> {
    let Some(config) = load_config(ui, args.config.as_deref()) else {
        return Ok(Status::INVALID);
    };
    let Some(loader) = rule_loader(ui, &config) else {
        return Ok(Status::INVALID);
    };
    let mut loaded = Loaded::default();
    loaded.rules(ui, &args.rules, &loader);
    loaded.read_kql_fixtures(ui, &config);
    if loaded.rule_count() == 0 && loaded.problems.is_empty() {
        loaded.nothing_found("rule files (*.yml, *.yaml, *.kql)", &args.rules, "");
    }
    loaded.warn_unrouted(ui);
    loaded.test_bundles(ui, &args.bundles, &config, &loader.logsources);
    let store = super::cache_dir::open(ui, &args.cache, &loader, &loaded.kql_fixtures);
    let cache = store
        .as_ref()
        .map(|(store, context)| crate::cache::ResultCache::new(store, *context));
    let results = crate::testrun::run_tests(
        &loaded.rule_set(),
        &loaded.bundles,
        &config,
        &loader.logsources,
        cache.as_ref(),
        &|| {},
    );
    let cache_stats = cache.map(|c| c.stats());
    if let (Some((store, _)), Some(stats)) = (store, cache_stats) {
        super::cache_dir::finish(ui, store, stats);
    }
    let headers: Vec<(String, &Header)> = loaded
        .bundles
        .iter()
        .map(|(path, b)| (path.clone(), &b.header))
        .collect();
    let coverage = crate::coverage::coverage(&results, &headers, loaded.rule_count());
    let matrix = attack::matrix();
    let text = match args.format {
        CoverageFormat::Table => {
            report::coverage::render_table(&coverage, matrix, ui.table_style())
        }
        CoverageFormat::Json => report::coverage::render_json(&coverage, matrix),
        CoverageFormat::Navigator => report::coverage::render_navigator(&coverage, matrix),
        CoverageFormat::Html => {
            report::coverage_html::render_html(&coverage, matrix, "rulecheck coverage")
        }
    };
    let status = if loaded.problems.is_empty() {
        Status::SUCCESS
    } else {
        Status::INVALID
    };
    match &args.output {
        Some(path) => Ok(write_output(path, &text).max(status)),
        None => ui.out(&text).map(|()| status),
    }
}

/// Write the report atomically; a failure is reported with the path (exit 2).
fn write_output(path: &Path, text: &str) -> Status {
    match crate::bundle::write_atomically(path, text.as_bytes()) {
        Ok(()) => {
            eprintln!("note: wrote {}", path.display());
            Status::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            Status::INVALID
        }
    }
}
