//! `rulecheck eval RULE INPUT…`: which events of each input one rule hits, and
//! the verdict. Inputs are bundles or real logs (EVTX, JSON).

use super::Ui;
use super::args::{EvalArgs, OutputFormat};
use super::exit::Status;
use super::load::{Loaded, load_config, rule_loader};
use crate::engine::{PreparedEvent, SigmaMatcher, prepare};
use crate::report;
use crate::testrun::{RuleResult, judge_bundle};

pub fn run(ui: &Ui, args: EvalArgs) -> std::io::Result<Status> {
    let Some(config) = load_config(ui, args.config.as_deref()) else {
        return Ok(Status::INVALID);
    };
    if args.rule.is_dir() {
        eprintln!(
            "error: `eval` takes one rule file, not a directory; use `rulecheck test` for many rules"
        );
        return Ok(Status::INVALID);
    }
    let Some(loader) = rule_loader(ui, &config) else {
        return Ok(Status::INVALID);
    };
    let mut loaded = Loaded::default();
    loaded.rules(ui, std::slice::from_ref(&args.rule), &loader);
    loaded.read_kql_fixtures(ui, &config);
    loaded.warn_unrouted(ui);
    if !loaded.problems.is_empty() {
        return Ok(Status::INVALID);
    }
    if loaded.rule_count() == 0 {
        eprintln!("error: {}: no rule to evaluate", args.rule.display());
        return Ok(Status::INVALID);
    }
    loaded.inputs(ui, &args.inputs, &loader.logsources);
    let mut status = Status::SUCCESS;
    if !loaded.problems.is_empty() {
        // Unreadable records were reported; the readable ones are still evaluated.
        status.raise(Status::INVALID);
    }
    let prepared: Vec<_> = loaded
        .bundles
        .iter()
        .map(|(_, b)| prepare(b, &loader.logsources))
        .collect();
    let set = loaded.rule_set();
    let matcher = SigmaMatcher::new(set.sigma, true);
    // Every rule of the file (a correlation with its detection rules, say) on
    // each input, input by input.
    let evaluated: Vec<(RuleResult, &[PreparedEvent])> = loaded
        .bundles
        .iter()
        .zip(&prepared)
        .flat_map(|((path, bundle), events)| {
            judge_bundle(&set, &matcher, path, bundle, events, &config)
                .into_iter()
                .map(move |result| (result, events.as_slice()))
        })
        .collect();
    if evaluated
        .iter()
        .any(|(r, _)| r.verdict.outcome.is_failure())
    {
        status.raise(Status::FAILURE);
    }
    let text = match args.format {
        OutputFormat::Table => report::eval::render_table(&evaluated, ui.table_style()),
        OutputFormat::Json => report::eval::render_json(&evaluated),
    };
    ui.out(&text)?;
    Ok(status)
}
