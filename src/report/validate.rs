//! Reports of `rulecheck validate`: one row per finding (table), or every
//! input with its findings (JSON, schema-versioned).

use comfy_table::{Cell, Color};
use serde::Serialize;

use super::JSON_SCHEMA_VERSION;
use super::table::{TableStyle, header_cell, new_table};
use crate::validate::{Finding, Severity};

/// One validated input and what was found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub path: String,
    /// Whether the input is a bundle file (so event N is on line N + 1) rather
    /// than a log read directly.
    pub bundle_file: bool,
    pub events: usize,
    pub findings: Vec<Finding>,
}

impl Validated {
    /// Where a finding's events are in the input: `line 3, 5` in a bundle
    /// file, `event 2, 4` in a log.
    fn place(&self, finding: &Finding) -> String {
        let numbers: Vec<String> = finding
            .events
            .iter()
            .map(|e| (if self.bundle_file { e + 1 } else { *e }).to_string())
            .collect();
        let (one, many) = if self.bundle_file {
            ("line", "lines")
        } else {
            ("event", "events")
        };
        format!(
            "{} {}",
            if numbers.len() == 1 { one } else { many },
            numbers.join(", ")
        )
    }
}

fn count(inputs: &[Validated], severity: Severity) -> usize {
    inputs
        .iter()
        .flat_map(|v| &v.findings)
        .filter(|f| f.severity == severity)
        .count()
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

pub fn render_table(inputs: &[Validated], style: TableStyle) -> String {
    let mut out = String::new();
    if inputs.iter().any(|v| !v.findings.is_empty()) {
        let mut table = new_table(style);
        table.set_header(
            ["Input", "Where", "Constraint", "Severity", "Finding"]
                .map(|h| header_cell(h, style.color)),
        );
        for v in inputs {
            for f in &v.findings {
                let mut severity = Cell::new(f.severity.as_str());
                if style.color {
                    severity = severity.fg(match f.severity {
                        Severity::Error => Color::Red,
                        Severity::Warning => Color::Yellow,
                    });
                }
                table.add_row(vec![
                    Cell::new(&v.path),
                    Cell::new(v.place(f)),
                    Cell::new(f.constraint.id()),
                    severity,
                    Cell::new(&f.message),
                ]);
            }
        }
        out.push_str(&table.to_string());
        out.push_str("\n\n");
    }
    let coherent = inputs.iter().filter(|v| v.findings.is_empty()).count();
    out.push_str(&format!(
        "{} of {} coherent; {} ({}, {})\n",
        coherent,
        plural(inputs.len(), "input"),
        plural(inputs.iter().map(|v| v.findings.len()).sum(), "finding"),
        plural(count(inputs, Severity::Error), "error"),
        plural(count(inputs, Severity::Warning), "warning"),
    ));
    out
}

#[derive(Serialize)]
struct Summary {
    inputs: usize,
    coherent: usize,
    errors: usize,
    warnings: usize,
}

#[derive(Serialize)]
struct ValidateReport<'a> {
    schema_version: u32,
    rulecheck: &'static str,
    summary: Summary,
    inputs: Vec<InputOut<'a>>,
}

#[derive(Serialize)]
struct InputOut<'a> {
    path: &'a str,
    bundle_file: bool,
    events: usize,
    findings: Vec<FindingOut<'a>>,
}

/// A finding as JSON: its events and, in a bundle file, their lines.
#[derive(Serialize)]
struct FindingOut<'a> {
    constraint: &'static str,
    severity: Severity,
    events: &'a [usize],
    #[serde(skip_serializing_if = "Option::is_none")]
    lines: Option<Vec<usize>>,
    message: &'a str,
}

pub fn render_json(inputs: &[Validated]) -> String {
    let report = ValidateReport {
        schema_version: JSON_SCHEMA_VERSION,
        rulecheck: env!("CARGO_PKG_VERSION"),
        summary: Summary {
            inputs: inputs.len(),
            coherent: inputs.iter().filter(|v| v.findings.is_empty()).count(),
            errors: count(inputs, Severity::Error),
            warnings: count(inputs, Severity::Warning),
        },
        inputs: inputs
            .iter()
            .map(|v| InputOut {
                path: &v.path,
                bundle_file: v.bundle_file,
                events: v.events,
                findings: v
                    .findings
                    .iter()
                    .map(|f| FindingOut {
                        constraint: f.constraint.id(),
                        severity: f.severity,
                        events: &f.events,
                        lines: v
                            .bundle_file
                            .then(|| f.events.iter().map(|e| e + 1).collect()),
                        message: &f.message,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("reports serialise");
    out.push('\n');
    out
}
