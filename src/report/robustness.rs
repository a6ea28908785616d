//! The robustness section of `rulecheck test`'s table: one row per rule,
//! technique and spec with variant bundles, the detection rate and the
//! mutations present where the rule missed (`crate::robustness`).

use comfy_table::Cell;

use super::table::{TableStyle, header_cell, new_table};
use crate::robustness::Robustness;

/// The section, or nothing when no variant bundle was tested.
pub fn render_text(scores: &[Robustness], style: TableStyle) -> String {
    if scores.is_empty() {
        return String::new();
    }
    let mut table = new_table(style);
    table.set_header(
        [
            "Rule",
            "Technique",
            "Spec",
            "Variants detected",
            "Missed variants had",
        ]
        .map(|h| header_cell(h, style.color)),
    );
    for s in scores {
        let evaded: Vec<String> = s
            .evaded_by
            .iter()
            .map(|(mutator, n)| format!("{mutator} ×{n}"))
            .collect();
        table.add_row(vec![
            Cell::new(&s.rule.path),
            Cell::new(s.technique.as_str()),
            Cell::new(&s.spec),
            Cell::new(format!("{} of {}", s.detected, s.variants)),
            Cell::new(if s.detected == s.variants {
                "-".to_string()
            } else if evaded.is_empty() {
                "no mutation of the expected steps".to_string()
            } else {
                evaded.join(", ")
            }),
        ]);
    }
    format!("\nRobustness over variant bundles:\n{table}\n")
}
