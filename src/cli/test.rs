//! `rulecheck test RULES… [--bundles …]`

mod outputs;
mod progress;
mod shard;

use std::path::PathBuf;

use super::Ui;
use super::args::{TestArgs, TestSelection};
use super::cache_dir;
use super::exit::Status;
use super::inputs::{collect_files, display_path};
use super::load::{Loaded, load_config, rule_loader};
use crate::cache::ResultCache;
use crate::engine::RULE_EXTENSIONS;
use crate::report::Summary;
use crate::testrun::run_tests;
use outputs::Reports;
use progress::Progress;
use shard::Partition;

/// The shard's partition of the rule files: every file found under `RULES…`
/// (loaded or not, so a broken file does not move the others) and every
/// loaded rule's file.
fn partition(args: &TestArgs, loaded: &Loaded) -> Option<Partition> {
    let shard = args.shard?;
    let (found, _) = collect_files(&args.rules, RULE_EXTENSIONS);
    let files = found
        .iter()
        .map(|f| display_path(f))
        .chain(loaded.rules.iter().map(|r| r.path.clone()))
        .chain(loaded.correlations.iter().map(|c| c.path.clone()))
        .chain(loaded.kql.iter().map(|k| k.path.clone()));
    Some(Partition::new(shard, files))
}

pub fn run(ui: &Ui, args: TestArgs) -> std::io::Result<Status> {
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
    let partition = partition(&args, &loaded);
    if let Some(partition) = &partition {
        shard::restrict(&mut loaded, partition);
    }
    loaded.warn_unrouted(ui);
    if args.only != TestSelection::Regression {
        loaded.test_bundles(ui, &args.bundles, &config, &loader.logsources);
    }

    let store = cache_dir::open(ui, &args.cache, &loader, &loaded.kql_fixtures);
    let cache = store
        .as_ref()
        .map(|(store, context)| ResultCache::new(store, *context));
    let progress = Progress::over_bundles(loaded.bundles.len());
    let mut results = run_tests(
        &loaded.rule_set(),
        &loaded.bundles,
        &config,
        &loader.logsources,
        cache.as_ref(),
        &|| progress.tick(),
    );
    progress.finish();
    let cache_stats = cache.map(|c| c.stats());
    if let (Some((store, _)), Some(stats)) = (store, cache_stats) {
        cache_dir::finish(ui, store, stats);
    }
    if let Some(partition) = &partition {
        shard::report_own(&mut loaded, &mut results, partition);
    }
    if args.only != TestSelection::Synthetic {
        let (regression_results, regression_problems) =
            super::regression::run(ui, &loaded.rules, &loader);
        results.extend(regression_results);
        loaded.problems.extend(regression_problems);
    }
    let snapshot_dir = config
        .snapshots
        .clone()
        .unwrap_or_else(|| PathBuf::from(super::snapshots::DEFAULT_DIR));
    let snapshots = super::snapshots::gate(
        ui,
        &results,
        &snapshot_dir,
        args.accept,
        &mut loaded.problems,
    );
    let mut summary = Summary::new(
        loaded.rule_count(),
        loaded.bundles.len(),
        &results,
        &loaded.problems,
    );
    summary.shard = args.shard;
    summary.cache = cache_stats;
    let mut status = Status::SUCCESS;
    if results.iter().any(|r| r.verdict.outcome.is_failure()) || snapshots.fails() {
        status.raise(Status::FAILURE);
    }
    if !loaded.problems.is_empty() {
        status.raise(Status::INVALID);
    }
    let reports = Reports {
        results: &results,
        summary: &summary,
        problems: &loaded.problems,
        snapshots: &snapshots,
    };
    // Side files first, so a failure to write one shows in the JSON's exit code.
    status.raise(reports.write(ui, &args));
    ui.out(&reports.render(args.format, ui, status.code()))?;
    Ok(status)
}
