//! The human report of `rulecheck test`: a table of rule × bundle outcomes, the
//! failures spelled out, and a summary line.

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};

use super::{Problem, Summary};
use crate::judge::Outcome;
use crate::snapshot::GateReport;
use crate::testrun::{RuleResult, TestKind};

/// Colour for an outcome cell.
pub fn outcome_color(o: Outcome) -> Color {
    match o {
        Outcome::Detected => Color::Green,
        Outcome::Missed | Outcome::FalsePositive | Outcome::Errored => Color::Red,
        Outcome::Incidental => Color::Yellow,
        Outcome::NotApplicable => Color::Grey,
    }
}

/// How tables are drawn: colour, and whether to wrap columns to the terminal's
/// width (only on a terminal; piped output keeps whole lines for grep and logs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStyle {
    pub color: bool,
    pub fit_terminal: bool,
}

pub fn new_table(style: TableStyle) -> Table {
    let mut table = Table::new();
    table.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners());
    table.set_content_arrangement(if style.fit_terminal {
        ContentArrangement::Dynamic
    } else {
        ContentArrangement::Disabled
    });
    // Cells only carry styles when colour is on, so only forcing is needed
    // (for `--color always` into a pipe).
    if style.color {
        table.enforce_styling();
    }
    table
}

pub fn header_cell(text: &str, color: bool) -> Cell {
    let cell = Cell::new(text);
    if color {
        cell.add_attribute(Attribute::Bold)
    } else {
        cell
    }
}

/// Results worth a row: everything except pairs where nothing was expected or hit.
pub fn shown(results: &[RuleResult]) -> impl Iterator<Item = &RuleResult> {
    results
        .iter()
        .filter(|r| r.verdict.outcome != Outcome::NotApplicable || !r.verdict.hits.is_empty())
}

pub fn render_test(
    results: &[RuleResult],
    summary: &Summary,
    problems: &[Problem],
    snapshots: Option<&GateReport>,
    style: TableStyle,
) -> String {
    let color = style.color;
    let mut table = new_table(style);
    table.set_header(
        ["Rule", "Expects", "Bundle", "Outcome", "Hits", "Detail"].map(|h| header_cell(h, color)),
    );
    for r in shown(results) {
        let outcome = Cell::new(r.verdict.outcome.to_string());
        let outcome = if color {
            outcome.fg(outcome_color(r.verdict.outcome))
        } else {
            outcome
        };
        let techniques: Vec<&str> = r.expected.techniques.iter().map(|t| t.as_str()).collect();
        table.add_row(vec![
            Cell::new(&r.rule.path),
            Cell::new(if techniques.is_empty() {
                "-".to_string()
            } else {
                techniques.join(" ")
            }),
            Cell::new(match r.kind {
                TestKind::Synthetic => r.bundle.spec.clone(),
                TestKind::Regression => format!(
                    "regression: {}",
                    r.bundle.path.rsplit('/').next().unwrap_or(&r.bundle.path)
                ),
            }),
            outcome,
            Cell::new(r.verdict.hits.len()),
            Cell::new(&r.verdict.reason),
        ]);
    }
    let mut out = String::new();
    if table.row_count() > 0 {
        out.push_str(&table.to_string());
        out.push('\n');
    } else {
        out.push_str("No rule hit or was expected to hit any bundle.\n");
    }
    out.push_str(&super::robustness::render_text(
        &crate::robustness::robustness(results),
        style,
    ));
    out.push_str(&super::false_positives::render_text(
        &crate::false_positives::by_profile(results),
        style,
    ));
    let failures: Vec<&RuleResult> = results
        .iter()
        .filter(|r| r.verdict.outcome.is_failure())
        .collect();
    if !failures.is_empty() || !problems.is_empty() {
        out.push_str("\nFailures:\n");
        for r in failures {
            out.push_str(&format!(
                "  {} {} in {}: {}\n",
                r.rule.path, r.verdict.outcome, r.bundle.path, r.verdict.reason
            ));
        }
        for p in problems {
            let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
            out.push_str(&format!("  {}{at}: {}\n", p.path, p.message));
        }
    }
    if let Some(s) = snapshots {
        out.push_str(&super::snapshot::render_text(s));
    }
    out.push('\n');
    out.push_str(&summary.line());
    out.push('\n');
    out
}
