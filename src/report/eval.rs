//! `rulecheck eval`: the events one rule hits in one bundle, one line each.

use comfy_table::Cell;
use serde::Serialize;

use super::JSON_SCHEMA_VERSION;
use super::event_summary;
use super::table::{TableStyle, header_cell, new_table};
use crate::engine::PreparedEvent;
use crate::judge::Hit;
use crate::testrun::RuleResult;

/// A hit with the event's one-line description.
#[derive(Debug, Serialize)]
pub struct HitLine<'a> {
    #[serde(flatten)]
    pub hit: &'a Hit,
    pub time: String,
    pub event_id: Option<u64>,
    pub summary: String,
}

pub fn hit_lines<'a>(result: &'a RuleResult, events: &[PreparedEvent]) -> Vec<HitLine<'a>> {
    result
        .verdict
        .hits
        .iter()
        .map(|hit| {
            let e = &events[hit.event - 1];
            HitLine {
                hit,
                time: event_summary::time(&e.flat),
                event_id: e.event_id,
                summary: event_summary::what(&e.flat),
            }
        })
        .collect()
}

/// Longest event summary shown in the table; JSON carries the whole text.
const SUMMARY_WIDTH: usize = 110;

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let head: String = text.chars().take(max - 1).collect();
        format!("{head}…")
    }
}

pub fn render_table(evaluated: &[(RuleResult, &[PreparedEvent])], style: TableStyle) -> String {
    let mut out = String::new();
    for (n, (result, events)) in evaluated.iter().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        out.push_str(&render_one(result, events, style));
    }
    if evaluated.is_empty() {
        out.push_str("No input to evaluate.\n");
    }
    out
}

fn render_one(result: &RuleResult, events: &[PreparedEvent], style: TableStyle) -> String {
    let lines = hit_lines(result, events);
    let mut out = format!(
        "{} ({}) on {}: {} of {} events hit\n",
        result.rule.path,
        result.rule.title,
        result.bundle.path,
        lines.len(),
        events.len()
    );
    if !lines.is_empty() {
        let color = style.color;
        let mut table = new_table(style);
        table.set_header(
            ["#", "Time", "Source", "EventID", "Event", "Label"].map(|h| header_cell(h, color)),
        );
        for l in &lines {
            let label = match (&l.hit.step, &l.hit.technique) {
                (Some(step), Some(t)) => format!("{} {step} {t}", l.hit.class.as_str()),
                (Some(step), None) => format!("{} {step}", l.hit.class.as_str()),
                _ => l.hit.class.as_str().to_string(),
            };
            table.add_row(vec![
                Cell::new(l.hit.event),
                Cell::new(&l.time),
                Cell::new(&l.hit.source),
                Cell::new(l.event_id.map_or("-".to_string(), |id| id.to_string())),
                Cell::new(shorten(&l.summary, SUMMARY_WIDTH)),
                Cell::new(label),
            ]);
        }
        out.push_str(&table.to_string());
        out.push('\n');
    }
    out.push_str(&format!("Outcome: {}", result.verdict.outcome));
    if !result.verdict.reason.is_empty() {
        out.push_str(&format!(" — {}", result.verdict.reason));
    }
    out.push('\n');
    out
}

#[derive(Serialize)]
struct EvalReport<'a> {
    schema_version: u32,
    rulecheck: &'static str,
    /// One entry per (rule, input), input by input.
    results: Vec<InputReport<'a>>,
}

#[derive(Serialize)]
struct InputReport<'a> {
    rule: &'a crate::testrun::RuleRef,
    bundle: &'a crate::testrun::BundleRef,
    expected: &'a crate::testrun::Expected,
    outcome: crate::judge::Outcome,
    reason: &'a str,
    /// Number of events in the input.
    events: usize,
    hits: Vec<HitLine<'a>>,
}

pub fn render_json(evaluated: &[(RuleResult, &[PreparedEvent])]) -> String {
    let report = EvalReport {
        schema_version: JSON_SCHEMA_VERSION,
        rulecheck: env!("CARGO_PKG_VERSION"),
        results: evaluated
            .iter()
            .map(|(result, events)| InputReport {
                rule: &result.rule,
                bundle: &result.bundle,
                expected: &result.expected,
                outcome: result.verdict.outcome,
                reason: &result.verdict.reason,
                events: events.len(),
                hits: hit_lines(result, events),
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("reports serialise");
    out.push('\n');
    out
}
