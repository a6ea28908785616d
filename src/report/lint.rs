//! Reports of `rulecheck lint`: per-path counts, then every rule that did not load.

use comfy_table::Cell;
use serde::Serialize;

use super::JSON_SCHEMA_VERSION;
use super::table::{TableStyle, header_cell, new_table};
use crate::lint::{LintEntry, LintStatus};

/// Rules found and loaded under one path the user named.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootCount {
    pub path: String,
    pub total: usize,
    pub loaded: usize,
}

pub fn render_table(entries: &[LintEntry], roots: &[RootCount], style: TableStyle) -> String {
    let mut table = new_table(style);
    table.set_header(
        ["Path", "Rules", "Loaded", "Not loaded", "Loaded %"].map(|h| header_cell(h, style.color)),
    );
    for r in roots {
        table.add_row(vec![
            Cell::new(&r.path),
            Cell::new(r.total),
            Cell::new(r.loaded),
            Cell::new(r.total - r.loaded),
            Cell::new(percent(r.loaded, r.total)),
        ]);
    }
    let mut out = table.to_string();
    out.push('\n');
    let failed: Vec<&LintEntry> = entries
        .iter()
        .filter(|e| e.status == LintStatus::NotLoaded)
        .collect();
    if !failed.is_empty() {
        out.push_str("\nNot loaded:\n");
        for e in &failed {
            let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            out.push_str(&format!(
                "  {}{at}: {}\n",
                e.path,
                e.reason.as_deref().unwrap_or("-")
            ));
        }
    }
    let notes = entries.iter().filter(|e| e.note.is_some()).count();
    let loaded = entries.len() - failed.len();
    out.push_str(&format!(
        "\n{loaded} of {} rules loaded ({}); {} not loaded",
        entries.len(),
        percent(loaded, entries.len()),
        failed.len()
    ));
    if notes > 0 {
        out.push_str(&format!(
            "; {notes} loaded rule{} can see no events (--format json lists them)",
            if notes == 1 { "" } else { "s" }
        ));
    }
    out.push('\n');
    out
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

#[derive(Serialize)]
struct LintReport<'a> {
    schema_version: u32,
    rulecheck: &'static str,
    roots: &'a [RootCount],
    rules: &'a [LintEntry],
}

pub fn render_json(entries: &[LintEntry], roots: &[RootCount]) -> String {
    let report = LintReport {
        schema_version: JSON_SCHEMA_VERSION,
        rulecheck: env!("CARGO_PKG_VERSION"),
        roots,
        rules: entries,
    };
    let mut out = serde_json::to_string_pretty(&report).expect("reports serialise");
    out.push('\n');
    out
}
