//! `rulecheck coverage` reports: the terminal heatmap (techniques grouped by
//! ATT&CK tactic, coloured by score), JSON, and an ATT&CK Navigator layer.
//! The HTML page is `coverage_html`.

use comfy_table::{Attribute, Cell, Color};
use serde::Serialize;
use serde_json::{Value as Json, json};

use super::JSON_SCHEMA_VERSION;
use super::table::{TableStyle, header_cell, new_table};
use crate::attack::Matrix;
use crate::coverage::{Coverage, Status, TechniqueCoverage};

/// Label of the group for techniques the ATT&CK table does not list
/// (retired ones, or ids from a newer ATT&CK).
const NOT_IN_MATRIX: &str = "(not in ATT&CK)";

fn status_color(s: Status) -> Color {
    match s {
        Status::Detected => Color::Green,
        Status::Partial => Color::Yellow,
        Status::Missed => Color::Red,
        Status::Untested => Color::Grey,
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Detected => "detected",
        Status::Partial => "partial",
        Status::Missed => "NO DETECTION",
        Status::Untested => "untested",
    }
}

/// The tactics (shortnames) a technique is listed under, in matrix order;
/// empty when the matrix does not know it.
fn tactics_of<'m>(matrix: &'m Matrix, id: &str) -> Vec<&'m str> {
    matrix
        .technique(id)
        .map(|t| t.tactics.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

fn name_of<'m>(matrix: &'m Matrix, id: &str) -> &'m str {
    matrix.technique(id).map_or("", |t| t.name.as_str())
}

fn score_text(t: &TechniqueCoverage) -> String {
    match t.score {
        Some(s) => format!("{:.0}%", s * 100.0),
        None => "-".to_string(),
    }
}

/// Techniques grouped by tactic, in matrix order; a technique with several
/// tactics appears under each; unknown ids last.
fn by_tactic<'c>(
    coverage: &'c Coverage,
    matrix: &Matrix,
) -> Vec<(String, Vec<&'c TechniqueCoverage>)> {
    let mut groups: Vec<(String, Vec<&TechniqueCoverage>)> = matrix
        .tactics
        .iter()
        .map(|tactic| {
            let members = coverage
                .techniques
                .iter()
                .filter(|t| tactics_of(matrix, t.id.as_str()).contains(&tactic.shortname.as_str()))
                .collect();
            (tactic.name.clone(), members)
        })
        .collect();
    let unknown: Vec<&TechniqueCoverage> = coverage
        .techniques
        .iter()
        .filter(|t| matrix.technique(t.id.as_str()).is_none())
        .collect();
    groups.push((NOT_IN_MATRIX.to_string(), unknown));
    groups.retain(|(_, members)| !members.is_empty());
    groups
}

/// Counts of techniques per status.
pub fn counts(coverage: &Coverage) -> [(Status, usize); 4] {
    [
        Status::Detected,
        Status::Partial,
        Status::Missed,
        Status::Untested,
    ]
    .map(|s| {
        (
            s,
            coverage.techniques.iter().filter(|t| t.status == s).count(),
        )
    })
}

pub fn render_table(coverage: &Coverage, matrix: &Matrix, style: TableStyle) -> String {
    let mut table = new_table(style);
    table.set_header(
        ["Tactic", "Technique", "Score", "Bundles", "Detected by"]
            .map(|h| header_cell(h, style.color)),
    );
    for (tactic, members) in by_tactic(coverage, matrix) {
        for (i, t) in members.iter().enumerate() {
            let detected = t
                .bundles
                .iter()
                .filter(|b| !b.detected_by.is_empty())
                .count();
            let mut status = Cell::new(format!("{} {}", score_text(t), status_label(t.status)));
            if style.color {
                status = status.fg(status_color(t.status));
                if t.status == Status::Missed {
                    status = status.add_attribute(Attribute::Bold);
                }
            }
            let name = name_of(matrix, t.id.as_str());
            table.add_row(vec![
                Cell::new(if i == 0 { tactic.as_str() } else { "" }),
                Cell::new(if name.is_empty() {
                    t.id.to_string()
                } else {
                    format!("{} {name}", t.id)
                }),
                status,
                Cell::new(format!("{detected}/{}", t.bundles.len())),
                Cell::new(if t.detecting_rules.is_empty() {
                    "-".to_string()
                } else {
                    t.detecting_rules.join("\n")
                }),
            ]);
        }
    }
    let mut out = table.to_string();
    out.push('\n');
    let missed: Vec<&TechniqueCoverage> = coverage
        .techniques
        .iter()
        .filter(|t| t.status == Status::Missed)
        .collect();
    if !missed.is_empty() {
        out.push_str("\nShown by bundles, detected by no rule:\n");
        for t in missed {
            let steps: Vec<String> = t
                .bundles
                .iter()
                .map(|b| format!("{} ({})", b.path, b.missed_steps.join(", ")))
                .collect();
            out.push_str(&format!(
                "  {} {}: {}\n",
                t.id,
                name_of(matrix, t.id.as_str()),
                steps.join("; ")
            ));
        }
    }
    let c = counts(coverage);
    out.push_str(&format!(
        "\n{} techniques (ATT&CK v{}): {} detected, {} partial, {} not detected, {} untested; {} rules × {} bundles\n",
        coverage.techniques.len(),
        matrix.version,
        c[0].1,
        c[1].1,
        c[2].1,
        c[3].1,
        coverage.rules,
        coverage.bundles
    ));
    out
}

#[derive(Serialize)]
struct CoverageReport<'a> {
    schema_version: u32,
    rulecheck: &'static str,
    attack_version: &'a str,
    rules: usize,
    bundles: usize,
    statuses: serde_json::Map<String, Json>,
    techniques: Vec<TechniqueJson<'a>>,
}

#[derive(Serialize)]
struct TechniqueJson<'a> {
    name: &'a str,
    tactics: Vec<&'a str>,
    #[serde(flatten)]
    coverage: &'a TechniqueCoverage,
}

pub fn render_json(coverage: &Coverage, matrix: &Matrix) -> String {
    let report = CoverageReport {
        schema_version: JSON_SCHEMA_VERSION,
        rulecheck: env!("CARGO_PKG_VERSION"),
        attack_version: &matrix.version,
        rules: coverage.rules,
        bundles: coverage.bundles,
        statuses: counts(coverage)
            .iter()
            .map(|(s, n)| {
                (
                    serde_json::to_value(s)
                        .expect("statuses serialise")
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    json!(n),
                )
            })
            .collect(),
        techniques: coverage
            .techniques
            .iter()
            .map(|t| TechniqueJson {
                name: name_of(matrix, t.id.as_str()),
                tactics: tactics_of(matrix, t.id.as_str()),
                coverage: t,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("reports serialise");
    out.push('\n');
    out
}

/// Navigator colours: the gradient runs red → amber → green over 0–100.
const GRADIENT: [&str; 3] = ["#e8575b", "#f5c342", "#5bb85d"];
const UNTESTED: &str = "#c8c8c8";

/// An ATT&CK Navigator layer (layer format 4.5): a score (0–100, the share of
/// bundles where the technique was detected) and a comment per technique,
/// rules and bundles as metadata; untested techniques grey, without a score.
pub fn render_navigator(coverage: &Coverage, matrix: &Matrix) -> String {
    let mut techniques: Vec<Json> = Vec::new();
    // Parents of covered sub-techniques are expanded so the cells show.
    let mut parents: Vec<&str> = coverage
        .techniques
        .iter()
        .filter_map(|t| {
            matrix
                .technique(t.id.as_str())
                .and_then(|m| m.parent.as_deref())
        })
        .collect();
    parents.sort_unstable();
    parents.dedup();
    for parent in &parents {
        if coverage.technique(parent).is_none() {
            techniques
                .push(json!({"techniqueID": parent, "showSubtechniques": true, "enabled": true}));
        }
    }
    for t in &coverage.techniques {
        let detected = t
            .bundles
            .iter()
            .filter(|b| !b.detected_by.is_empty())
            .count();
        let comment = match t.status {
            Status::Untested => "claimed by rules; no bundle shows it".to_string(),
            _ => format!(
                "detected in {detected} of {} bundles{}",
                t.bundles.len(),
                if t.detecting_rules.is_empty() {
                    String::new()
                } else {
                    format!(" by {}", t.detecting_rules.join(", "))
                }
            ),
        };
        let mut metadata: Vec<Json> = t
            .detecting_rules
            .iter()
            .map(|r| json!({"name": "detected by", "value": r}))
            .collect();
        metadata.extend(t.bundles.iter().map(|b| {
            let verdict = if b.detected_by.is_empty() {
                format!("missed ({})", b.missed_steps.join(", "))
            } else {
                "detected".to_string()
            };
            json!({"name": "bundle", "value": format!("{}: {verdict}", b.path)})
        }));
        let mut entry = json!({
            "techniqueID": t.id.as_str(),
            "comment": comment,
            "enabled": true,
            "metadata": metadata,
            "showSubtechniques": parents.contains(&t.id.as_str()),
        });
        match t.score {
            Some(s) => entry["score"] = json!((s * 100.0).round() as i64),
            None => entry["color"] = json!(UNTESTED),
        }
        techniques.push(entry);
    }
    let major = matrix.version.split('.').next().unwrap_or(&matrix.version);
    let layer = json!({
        "name": "rulecheck coverage",
        "versions": {"attack": major, "navigator": "5.1.0", "layer": "4.5"},
        "domain": "enterprise-attack",
        "description": format!("Detection coverage measured by rulecheck {}: {} rules × {} bundles. Score: share of the bundles showing a technique in which a rule detected it.", env!("CARGO_PKG_VERSION"), coverage.rules, coverage.bundles),
        "sorting": 0,
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": {"colors": GRADIENT, "minValue": 0, "maxValue": 100},
        "legendItems": [
            {"label": "detected in every bundle showing it", "color": GRADIENT[2]},
            {"label": "detected in some bundles", "color": GRADIENT[1]},
            {"label": "shown by bundles, detected by no rule", "color": GRADIENT[0]},
            {"label": "claimed by rules, not in any bundle", "color": UNTESTED},
        ],
        "showTacticRowBackground": false,
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
    });
    let mut out = serde_json::to_string_pretty(&layer).expect("layers serialise");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;
