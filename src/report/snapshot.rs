//! The snapshot gate's part of each `rulecheck test` report: what changed
//! since the accepted results, or what `--accept` wrote.

use crate::snapshot::{Change, GateReport};

/// `rule on bundle: description`, or less when the change concerns a whole
/// rule or file.
pub fn change_line(c: &Change) -> String {
    let what = match (&c.rule, &c.bundle) {
        (Some(rule), Some(bundle)) => format!("{rule} on {bundle}: "),
        (Some(rule), None) => format!("{rule}: "),
        _ => String::new(),
    };
    format!("{what}{}", c.description)
}

/// Lines for the human report; empty when snapshots are off.
pub fn render_text(report: &GateReport) -> String {
    if !report.enabled {
        return String::new();
    }
    let mut out = String::new();
    if report.accepted {
        if report.written.is_empty() {
            out.push_str("\nSnapshots: already up to date.\n");
        } else {
            out.push_str(&format!(
                "\nSnapshots: accepted the results of {} rule file{}:\n",
                report.written.len(),
                if report.written.len() == 1 { "" } else { "s" }
            ));
            for w in &report.written {
                out.push_str(&format!("  wrote {w}\n"));
            }
        }
        return out;
    }
    if report.changes.is_empty() {
        out.push_str("\nSnapshots: every result matches its accepted snapshot.\n");
        return out;
    }
    out.push_str(&format!(
        "\nSnapshot changes ({}; review them, then accept with `rulecheck test … --accept`):\n",
        report.changes.len()
    ));
    let mut last = "";
    for c in &report.changes {
        if c.path != last {
            out.push_str(&format!("  {}\n", c.path));
            last = &c.path;
        }
        out.push_str(&format!("    {}\n", change_line(c)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(rule: Option<&str>, bundle: Option<&str>, d: &str) -> Change {
        Change {
            path: "rules/r.yml".into(),
            rule: rule.map(str::to_string),
            bundle: bundle.map(str::to_string),
            accepted: None,
            current: None,
            description: d.into(),
        }
    }

    #[test]
    fn changes_are_grouped_by_file_and_name_rule_and_bundle() {
        let report = GateReport {
            enabled: true,
            accepted: false,
            changes: vec![
                change(Some("R"), Some("b.jsonl"), "detected → missed"),
                change(Some("S"), None, "a new rule, not in the accepted snapshot"),
            ],
            written: vec![],
        };
        assert_eq!(
            render_text(&report),
            "\nSnapshot changes (2; review them, then accept with `rulecheck test … --accept`):\n  rules/r.yml\n    R on b.jsonl: detected → missed\n    S: a new rule, not in the accepted snapshot\n"
        );
        assert!(report.fails());
        assert_eq!(render_text(&GateReport::default()), "");
        let accepted = GateReport {
            accepted: true,
            written: vec!["x.snap.yaml".into()],
            ..report
        };
        assert!(!accepted.fails());
        assert!(render_text(&accepted).contains("wrote x.snap.yaml"));
    }
}
