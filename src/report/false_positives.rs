//! The false-positive section of `rulecheck test`'s table when bundles were
//! blended with environment profiles (`crate::false_positives`): per profile,
//! its bundles and benign events, then each rule that fired on them.

use std::collections::BTreeMap;

use comfy_table::Cell;

use super::table::{TableStyle, header_cell, new_table};
use crate::false_positives::ProfileFalsePositives;

/// The section, or nothing when no bundle was blended with a profile.
pub fn render_text(rows: &[ProfileFalsePositives], style: TableStyle) -> String {
    if rows.is_empty() {
        return String::new();
    }
    // Per profile: bundles and benign events (the same for every rule).
    let mut profiles: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for r in rows {
        let entry = profiles.entry(&r.profile).or_default();
        entry.0 = entry.0.max(r.bundles);
        entry.1 = entry.1.max(r.benign_events);
        entry.2 += usize::from(r.false_positives > 0);
    }
    let mut out = String::from("\nFalse positives per profile:\n");
    for (profile, (bundles, benign, firing)) in &profiles {
        out.push_str(&format!(
            "  {profile}: {bundles} bundles, {benign} benign events; {firing} rules fired on them\n"
        ));
    }
    let firing: Vec<&ProfileFalsePositives> =
        rows.iter().filter(|r| r.false_positives > 0).collect();
    if firing.is_empty() {
        return out;
    }
    let mut table = new_table(style);
    table.set_header(
        ["Rule", "Profile", "False positives", "Rate"].map(|h| header_cell(h, style.color)),
    );
    for r in firing {
        table.add_row(vec![
            Cell::new(&r.rule.path),
            Cell::new(&r.profile),
            Cell::new(format!("{} of {}", r.false_positives, r.benign_events)),
            Cell::new(format!("{:.2}%", 100.0 * r.rate)),
        ]);
    }
    out.push_str(&format!("{table}\n"));
    out
}
