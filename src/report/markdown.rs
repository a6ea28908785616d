//! The Markdown summary of `rulecheck test`, for a pull-request comment or a
//! GitHub job summary: the counts, the failures, the incidental results folded
//! away, and the inputs that could not be loaded.
//!
//! Every piece of user text (paths, titles, reasons) is escaped, so a `|` in a
//! reason cannot break a table and a `<tag>` cannot vanish into HTML.

use super::{Problem, Summary};
use crate::judge::Outcome;
use crate::snapshot::GateReport;
use crate::testrun::RuleResult;

pub fn render_markdown(
    results: &[RuleResult],
    summary: &Summary,
    problems: &[Problem],
    snapshots: Option<&GateReport>,
) -> String {
    let mut out = String::new();
    match summary.shard {
        Some(shard) => out.push_str(&format!("## rulecheck (shard {shard})\n\n")),
        None => out.push_str("## rulecheck\n\n"),
    }
    out.push_str(&counts(summary));

    let failures: Vec<&RuleResult> = results
        .iter()
        .filter(|r| r.verdict.outcome.is_failure())
        .collect();
    out.push_str("\n### Failures\n\n");
    if failures.is_empty() {
        out.push_str("All expectations met.\n");
    } else {
        out.push_str("| rule | outcome | bundle | reason |\n| --- | --- | --- | --- |\n");
        for r in failures {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                rule_cell(r),
                r.verdict.outcome,
                code(&r.bundle.path),
                text(&r.verdict.reason)
            ));
        }
    }

    let incidental: Vec<&RuleResult> = results
        .iter()
        .filter(|r| r.verdict.outcome == Outcome::Incidental)
        .collect();
    if !incidental.is_empty() {
        out.push_str(&format!(
            "\n<details>\n<summary>Incidental results ({})</summary>\n\n",
            incidental.len()
        ));
        out.push_str("| rule | bundle | reason |\n| --- | --- | --- |\n");
        for r in incidental {
            out.push_str(&format!(
                "| {} | {} | {} |\n",
                rule_cell(r),
                code(&r.bundle.path),
                text(&r.verdict.reason)
            ));
        }
        out.push_str("\n</details>\n");
    }

    if let Some(s) = snapshots.filter(|s| s.fails()) {
        out.push_str(&format!(
            "\n### Snapshot changes\n\n{} result{} differ from the accepted snapshots; review them, then accept with `rulecheck test --accept`.\n\n",
            s.changes.len(),
            if s.changes.len() == 1 { "" } else { "s" }
        ));
        for c in &s.changes {
            out.push_str(&format!(
                "- {}: {}\n",
                code(&c.path),
                text(&super::snapshot::change_line(c))
            ));
        }
    }

    if !problems.is_empty() {
        out.push_str("\n### Invalid inputs\n\n");
        for p in problems {
            let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
            out.push_str(&format!(
                "- {}: {}\n",
                code(&format!("{}{at}", p.path)),
                text(&p.message)
            ));
        }
    }
    out
}

/// The summary counts as a one-row table.
fn counts(summary: &Summary) -> String {
    let c = |o| summary.count(o);
    format!(
        "| rules | bundles | detected | missed | false positives | incidental | errored | invalid inputs |\n\
         | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\
         | {} | {} | {} | {} | {} | {} | {} | {} |\n",
        summary.rules,
        summary.bundles,
        c(Outcome::Detected),
        c(Outcome::Missed),
        c(Outcome::FalsePositive),
        c(Outcome::Incidental),
        c(Outcome::Errored),
        summary.invalid_inputs,
    )
}

/// `` `rules/x.yml` `` and the rule's title.
fn rule_cell(r: &RuleResult) -> String {
    format!("{} {}", code(&r.rule.path), text(&r.rule.title))
}

/// Plain text for a table cell or list item: Markdown punctuation and HTML
/// are escaped with backslashes, line breaks become `<br>`.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\r' => {}
            '\n' => out.push_str("<br>"),
            _ => out.push(ch),
        }
    }
    out
}

/// A code span for a path: fenced with more backticks than it holds, and with
/// `|` escaped, which GitHub's tables require even inside code spans.
pub fn code(s: &str) -> String {
    let s = s.replace(['\r', '\n'], " ");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::junit::tests::result;

    fn render(results: &[RuleResult], problems: &[Problem]) -> String {
        let summary = Summary::new(2, 3, results, problems);
        render_markdown(results, &summary, problems, None)
    }

    #[test]
    fn pipes_and_html_are_escaped_in_cells() {
        assert_eq!(text("a | b <c> d_e"), r"a \| b \<c\> d\_e");
        assert_eq!(text("one\ntwo"), "one<br>two");
        assert_eq!(code("rules/a|b.yml"), r"`rules/a\|b.yml`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`y"), "`` `y ``");
        let md = render(
            &[result("rules/a.yml", "A | B", Outcome::Missed, "x | y")],
            &[],
        );
        assert!(
            md.contains(r"| `rules/a.yml` A \| B | missed | `bundles/b.jsonl` | x \| y |"),
            "{md}"
        );
    }

    #[test]
    fn no_results_meets_every_expectation() {
        let md = render(&[], &[]);
        assert!(md.starts_with("## rulecheck\n"), "{md}");
        assert!(md.contains("| 2 | 3 | 0 | 0 | 0 | 0 | 0 | 0 |"), "{md}");
        assert!(md.contains("All expectations met."), "{md}");
        assert!(!md.contains("<details>"));
        assert!(!md.contains("Invalid inputs"));
    }

    #[test]
    fn only_problems_are_listed() {
        let problems = [Problem {
            path: "rules/bad.yml".into(),
            line: Some(4),
            message: "unknown modifier `x`".into(),
        }];
        let md = render(&[], &problems);
        assert!(
            md.contains("### Invalid inputs\n\n- `rules/bad.yml:4`: unknown modifier \\`x\\`\n"),
            "{md}"
        );
        assert!(md.contains("| 2 | 3 | 0 | 0 | 0 | 0 | 0 | 1 |"), "{md}");
    }

    #[test]
    fn incidental_results_are_folded_away() {
        let md = render(
            &[result("rules/a.yml", "A", Outcome::Incidental, "hit T1033")],
            &[],
        );
        assert!(
            md.contains("<details>\n<summary>Incidental results (1)</summary>\n\n| rule |"),
            "{md}"
        );
        assert!(md.contains("All expectations met."), "{md}");
    }
}
