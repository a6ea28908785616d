//! The coverage report as one self-contained HTML page: an ATT&CK
//! Navigator-like tactic × technique matrix coloured by score, and a
//! drill-down per technique (detecting and claiming rules, every bundle with
//! each rule's outcome and the missed steps).
//!
//! The page works offline: inline CSS, a small inline script, no external
//! resources and no `http(s)` links (technique pages are named as text). The
//! same coverage always gives the same bytes. Elements carry stable
//! attributes for tools and tests:
//!
//! - matrix columns: `<section class="tactic" data-tactic="execution"
//!   data-tactic-id="TA0002">`, in matrix order, plus a last column
//!   `data-tactic="not-in-attack"` for ids the table does not list (retired or
//!   newer techniques) when there are any;
//! - cells: `class="cell"` (`"cell sub"` for sub-techniques) with
//!   `data-technique`, `data-tactic`, `data-status` (`detected`, `partial`,
//!   `missed`, `untested`, or `none` for no coverage data), and, when tested,
//!   `data-score` (`0.50`), `data-detected` and `data-bundles`. A parent
//!   technique's cell aggregates its own bundles and its sub-techniques'
//!   (detected bundles / bundles, counted per technique) and then carries
//!   `data-aggregate="true"`. Cells with data are links to their drill-down;
//! - sub-techniques sit in a `<details class="subs">` inside their parent's
//!   `<div class="group" data-group="T1059">`;
//! - drill-downs: `<article class="detail" id="technique-T1059.001">`, one per
//!   technique with data and per parent whose sub-techniques have data;
//! - `<body data-ready="true">` once the script has run.
//!
//! By default only techniques with coverage data show (`data-view="covered"`
//! on `#matrix`); the `#show-all` checkbox (or opening the page with
//! `?view=all`) shows the whole matrix. Opening it at `#technique-<id>` also
//! marks that technique's cells (`class="cell selected"`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::coverage::counts;
use crate::attack::{AttackTechnique, Matrix};
use crate::coverage::{Coverage, Status, TechniqueCoverage};

/// `data-tactic` of the column for ids the ATT&CK table does not list.
const NOT_IN_MATRIX: &str = "not-in-attack";

const RED: [u8; 3] = [0xe8, 0x57, 0x5b];
const AMBER: [u8; 3] = [0xf5, 0xc3, 0x42];
const GREEN: [u8; 3] = [0x5b, 0xb8, 0x5d];
const GREY: &str = "#c8c8c8";
const NEUTRAL: &str = "#f2f2f0";
/// Partial scores use the middle of the red → amber → green gradient, so a
/// partial cell never looks like a missed or a detected one.
const PARTIAL_RANGE: (f64, f64) = (0.2, 0.8);

/// Escape text for HTML element content and (double- or single-quoted)
/// attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

fn mix(a: [u8; 3], b: [u8; 3], t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (f64::from(a[i]) + (f64::from(b[i]) - f64::from(a[i])) * t).round() as u8)
}

/// A point of the red → amber → green gradient (0 to 1).
fn gradient(t: f64) -> String {
    if t < 0.5 {
        hex(mix(RED, AMBER, t * 2.0))
    } else {
        hex(mix(AMBER, GREEN, (t - 0.5) * 2.0))
    }
}

fn status_name(s: Option<Status>) -> &'static str {
    match s {
        Some(Status::Detected) => "detected",
        Some(Status::Partial) => "partial",
        Some(Status::Missed) => "missed",
        Some(Status::Untested) => "untested",
        None => "none",
    }
}

/// A status's colour (a partial score's lies on the amber scale around it).
fn status_colour(s: Status) -> String {
    match s {
        Status::Detected => hex(GREEN),
        Status::Partial => gradient(0.5),
        Status::Missed => hex(RED),
        Status::Untested => GREY.to_string(),
    }
}

/// What a cell shows: one technique's coverage, or a parent's aggregated
/// with its sub-techniques'. `status: None` is no coverage data.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Score {
    status: Option<Status>,
    detected: usize,
    bundles: usize,
    /// Whether sub-techniques' bundles are counted in.
    aggregate: bool,
}

impl Score {
    const NONE: Score = Score {
        status: None,
        detected: 0,
        bundles: 0,
        aggregate: false,
    };

    fn of(entries: &[&TechniqueCoverage], aggregate: bool) -> Score {
        if entries.is_empty() {
            return Score::NONE;
        }
        let bundles: usize = entries.iter().map(|t| t.bundles.len()).sum();
        let detected: usize = entries.iter().map(|t| detected_bundles(t)).sum();
        let status = match (bundles, detected) {
            (0, _) => Status::Untested,
            (n, d) if d == n => Status::Detected,
            (_, 0) => Status::Missed,
            _ => Status::Partial,
        };
        Score {
            status: Some(status),
            detected,
            bundles,
            aggregate,
        }
    }

    fn value(&self) -> Option<f64> {
        (self.bundles > 0).then(|| self.detected as f64 / self.bundles as f64)
    }

    fn colour(&self) -> String {
        match (self.status, self.value()) {
            (None, _) => NEUTRAL.to_string(),
            (Some(Status::Partial), Some(s)) => {
                gradient(PARTIAL_RANGE.0 + (PARTIAL_RANGE.1 - PARTIAL_RANGE.0) * s)
            }
            (Some(status), _) => status_colour(status),
        }
    }

    /// `50% · 1/2`, `untested`, or nothing.
    fn text(&self) -> String {
        match (self.status, self.value()) {
            (None, _) => String::new(),
            (_, Some(s)) => format!("{:.0}% · {}/{}", s * 100.0, self.detected, self.bundles),
            (_, None) => "untested".to_string(),
        }
    }

    /// For a cell's title: `partial: detected in 1 of 2 bundles`.
    fn describe(&self) -> String {
        match self.status {
            None => "no coverage data".to_string(),
            Some(s) => format!("{}: {}", status_name(Some(s)), self.phrase()),
        }
    }

    /// `Detected in 1 of 2 bundles.`, for drill-downs (where a badge gives
    /// the status).
    fn sentence(&self) -> String {
        let phrase = self.phrase();
        let mut chars = phrase.chars();
        match chars.next() {
            Some(first) => format!("{}{}.", first.to_ascii_uppercase(), chars.as_str()),
            None => String::new(),
        }
    }

    fn phrase(&self) -> String {
        match self.status {
            None => "no coverage data".to_string(),
            Some(Status::Untested) => "claimed by rules, shown by no bundle".to_string(),
            Some(_) => format!(
                "detected in {} of {} bundle{}{}",
                self.detected,
                self.bundles,
                if self.bundles == 1 { "" } else { "s" },
                if self.aggregate {
                    " (counting its sub-techniques' bundles)"
                } else {
                    ""
                }
            ),
        }
    }
}

fn detected_bundles(t: &TechniqueCoverage) -> usize {
    t.bundles
        .iter()
        .filter(|b| !b.detected_by.is_empty())
        .count()
}

/// `https://attack.mitre.org/techniques/T1059/001/`, shown as text only.
fn attack_url(id: &str) -> String {
    format!(
        "https://attack.mitre.org/techniques/{}/",
        id.replace('.', "/")
    )
}

/// The page's view of the matrix and the coverage.
struct Page<'a> {
    coverage: &'a Coverage,
    matrix: &'a Matrix,
    /// Coverage by exact id.
    by_id: BTreeMap<&'a str, &'a TechniqueCoverage>,
    /// Sub-techniques of each parent, by id.
    subs: BTreeMap<&'a str, Vec<&'a AttackTechnique>>,
}

impl<'a> Page<'a> {
    fn new(coverage: &'a Coverage, matrix: &'a Matrix) -> Page<'a> {
        let mut subs: BTreeMap<&str, Vec<&AttackTechnique>> = BTreeMap::new();
        for t in &matrix.techniques {
            if let Some(parent) = &t.parent {
                subs.entry(parent.as_str()).or_default().push(t);
            }
        }
        Page {
            coverage,
            matrix,
            by_id: coverage
                .techniques
                .iter()
                .map(|t| (t.id.as_str(), t))
                .collect(),
            subs,
        }
    }

    fn subs_of(&self, parent: &str) -> &[&'a AttackTechnique] {
        self.subs.get(parent).map_or(&[], Vec::as_slice)
    }

    /// A sub-technique's (or a technique without data in sub-techniques) own score.
    fn own(&self, id: &str) -> Score {
        match self.by_id.get(id) {
            Some(t) => Score::of(&[t], false),
            None => Score::NONE,
        }
    }

    /// Coverage of the sub-techniques of `parent` that have data, by id.
    fn covered_subs(&self, parent: &str) -> Vec<&'a TechniqueCoverage> {
        self.subs_of(parent)
            .iter()
            .filter_map(|s| self.by_id.get(s.id.as_str()).copied())
            .collect()
    }

    /// A parent technique's score: its own bundles and its sub-techniques'.
    fn parent_score(&self, parent: &str) -> Score {
        let subs = self.covered_subs(parent);
        let mut entries: Vec<&TechniqueCoverage> =
            self.by_id.get(parent).copied().into_iter().collect();
        let aggregate = !subs.is_empty();
        entries.extend(subs);
        Score::of(&entries, aggregate)
    }

    /// Covered ids the ATT&CK table does not list.
    fn unknown(&self) -> Vec<&'a TechniqueCoverage> {
        self.coverage
            .techniques
            .iter()
            .filter(|t| self.matrix.technique(t.id.as_str()).is_none())
            .collect()
    }

    fn name_of(&self, id: &str) -> String {
        if let Some(t) = self.matrix.technique(id) {
            t.name.clone()
        } else if let Some(r) = self.matrix.retired(id) {
            format!("{} ({})", r.name, r.kind.as_str())
        } else {
            String::new()
        }
    }

    /// Parents with a drill-down of their own although only their
    /// sub-techniques have data.
    fn parents_without_entry(&self) -> Vec<&'a str> {
        let mut parents: Vec<&str> = self
            .coverage
            .techniques
            .iter()
            .filter_map(|t| self.matrix.technique(t.id.as_str())?.parent.as_deref())
            .filter(|p| !self.by_id.contains_key(p))
            .filter_map(|p| self.matrix.technique(p).map(|t| t.id.as_str()))
            .collect();
        parents.sort_unstable();
        parents.dedup();
        parents
    }
}

/// The coverage report as one self-contained HTML page.
pub fn render_html(coverage: &Coverage, matrix: &Matrix, title: &str) -> String {
    let page = Page::new(coverage, matrix);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n");
    let _ = writeln!(out, "<title>{}</title>", escape(title));
    let _ = writeln!(
        out,
        "<meta name=\"generator\" content=\"rulecheck {}\" />",
        env!("CARGO_PKG_VERSION")
    );
    out.push_str("<style>\n");
    out.push_str(CSS);
    out.push_str("</style>\n</head>\n<body>\n");
    header(&mut out, &page, title);
    out.push_str("<main>\n");
    matrix_html(&mut out, &page);
    details_html(&mut out, &page);
    out.push_str("</main>\n<script>\n");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

fn header(out: &mut String, page: &Page<'_>, title: &str) {
    let coverage = page.coverage;
    let matrix = page.matrix;
    out.push_str("<header>\n");
    let _ = writeln!(out, "<h1>{}</h1>", escape(title));
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} v{} · {} rule{} × {} bundle{} · {} technique{} with coverage data · generated by rulecheck {}</p>",
        escape(&matrix.name),
        escape(&matrix.version),
        coverage.rules,
        if coverage.rules == 1 { "" } else { "s" },
        coverage.bundles,
        if coverage.bundles == 1 { "" } else { "s" },
        coverage.techniques.len(),
        if coverage.techniques.len() == 1 {
            ""
        } else {
            "s"
        },
        env!("CARGO_PKG_VERSION"),
    );
    out.push_str("<ul class=\"counts\">\n");
    for (status, n) in counts(coverage) {
        let _ = writeln!(
            out,
            "<li data-count=\"{name}\"><span class=\"swatch\" style=\"background:{colour}\"></span><b>{n}</b> {name}</li>",
            name = status_name(Some(status)),
            colour = status_colour(status),
        );
    }
    out.push_str("</ul>\n");
    let lo = PARTIAL_RANGE.0;
    let hi = PARTIAL_RANGE.1;
    let _ = writeln!(
        out,
        "<div class=\"legend\">\n\
         <span><span class=\"swatch\" style=\"background:{green}\"></span>detected in every bundle showing it</span>\n\
         <span><span class=\"swatch wide\" style=\"background:linear-gradient(to right,{p0},{p1},{p2})\"></span>partial: detected in some bundles (score 0–100%)</span>\n\
         <span><span class=\"swatch\" style=\"background:{red}\"></span>missed: shown by bundles, detected by no rule</span>\n\
         <span><span class=\"swatch\" style=\"background:{GREY}\"></span>untested: claimed by rules, shown by no bundle</span>\n\
         <span><span class=\"swatch\" style=\"background:{NEUTRAL}\"></span>no coverage data</span>\n\
         </div>",
        green = hex(GREEN),
        red = hex(RED),
        p0 = gradient(lo),
        p1 = gradient((lo + hi) / 2.0),
        p2 = gradient(hi),
    );
    out.push_str(
        "<label class=\"toggle\"><input type=\"checkbox\" id=\"show-all\" /> Show the whole matrix</label>\n",
    );
    out.push_str("</header>\n");
}

/// One cell: a link to the drill-down when there is data, else a `div`.
fn cell(out: &mut String, id: &str, name: &str, tactic: &str, score: Score, sub: bool) {
    let tag = if score.status.is_some() { "a" } else { "div" };
    let mut class = String::from("cell");
    if sub {
        class.push_str(" sub");
    }
    if score.status.is_none() {
        class.push_str(" no-data");
    }
    let _ = write!(out, "<{tag} class=\"{class}\"");
    if score.status.is_some() {
        let _ = write!(out, " href=\"#technique-{}\"", escape(id));
    }
    let _ = write!(
        out,
        " data-technique=\"{}\" data-tactic=\"{}\" data-status=\"{}\"",
        escape(id),
        escape(tactic),
        status_name(score.status)
    );
    if let Some(s) = score.value() {
        let _ = write!(
            out,
            " data-score=\"{s:.2}\" data-detected=\"{}\" data-bundles=\"{}\"",
            score.detected, score.bundles
        );
    }
    if score.aggregate {
        out.push_str(" data-aggregate=\"true\"");
    }
    let title = if name.is_empty() {
        format!("{id}: {}", score.describe())
    } else {
        format!("{id} {name}: {}", score.describe())
    };
    let _ = write!(
        out,
        " style=\"background:{}\" title=\"{}\">",
        score.colour(),
        escape(&title)
    );
    let _ = write!(
        out,
        "<span class=\"id\">{}</span><span class=\"name\">{}</span>",
        escape(id),
        escape(name)
    );
    let text = score.text();
    if !text.is_empty() {
        let _ = write!(out, "<span class=\"score\">{}</span>", escape(&text));
    }
    let _ = writeln!(out, "</{tag}>");
}

fn matrix_html(out: &mut String, page: &Page<'_>) {
    out.push_str("<div class=\"matrix\" id=\"matrix\" data-view=\"covered\">\n");
    for tactic in &page.matrix.tactics {
        let parents: Vec<&AttackTechnique> = tactic
            .techniques
            .iter()
            .filter_map(|id| page.matrix.technique(id))
            .filter(|t| t.parent.is_none())
            .collect();
        let scores: Vec<Score> = parents.iter().map(|t| page.parent_score(&t.id)).collect();
        let with_data = scores.iter().filter(|s| s.status.is_some()).count();
        let _ = writeln!(
            out,
            "<section class=\"{}\" data-tactic=\"{}\" data-tactic-id=\"{}\">",
            if with_data == 0 {
                "tactic empty"
            } else {
                "tactic"
            },
            escape(&tactic.shortname),
            escape(&tactic.id)
        );
        let _ = writeln!(
            out,
            "<h2 title=\"{}\">{}</h2>\n<p class=\"tally\">{with_data} of {} with data</p>",
            escape(&tactic.id),
            escape(&tactic.name),
            parents.len()
        );
        for (technique, score) in parents.iter().zip(&scores) {
            group(out, page, technique, &tactic.shortname, *score);
        }
        if with_data == 0 {
            out.push_str("<p class=\"none-note\">No coverage data.</p>\n");
        }
        out.push_str("</section>\n");
    }
    let unknown = page.unknown();
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "<section class=\"tactic unknown\" data-tactic=\"{NOT_IN_MATRIX}\">\n<h2>Not in ATT&amp;CK v{}</h2>\n<p class=\"tally\">{} with data</p>",
            escape(&page.matrix.version),
            unknown.len()
        );
        for t in unknown {
            let id = t.id.as_str();
            let _ = writeln!(out, "<div class=\"group\" data-group=\"{}\">", escape(id));
            cell(
                out,
                id,
                &page.name_of(id),
                NOT_IN_MATRIX,
                page.own(id),
                false,
            );
            out.push_str("</div>\n");
        }
        out.push_str("</section>\n");
    }
    out.push_str("</div>\n");
}

/// A parent technique's cell with its sub-techniques folded beneath.
fn group(
    out: &mut String,
    page: &Page<'_>,
    technique: &AttackTechnique,
    tactic: &str,
    score: Score,
) {
    let class = if score.status.is_some() {
        "group"
    } else {
        "group no-data"
    };
    let _ = writeln!(
        out,
        "<div class=\"{class}\" data-group=\"{}\">",
        escape(&technique.id)
    );
    cell(out, &technique.id, &technique.name, tactic, score, false);
    let subs = page.subs_of(&technique.id);
    if !subs.is_empty() {
        let scores: Vec<Score> = subs.iter().map(|s| page.own(&s.id)).collect();
        let with_data = scores.iter().filter(|s| s.status.is_some()).count();
        if with_data > 0 {
            out.push_str("<details class=\"subs\" open=\"\">");
        } else {
            out.push_str("<details class=\"subs no-data\">");
        }
        let _ = writeln!(
            out,
            "<summary>{with_data} of {} sub-technique{} with data</summary>",
            subs.len(),
            if subs.len() == 1 { "" } else { "s" }
        );
        for (sub, score) in subs.iter().zip(scores) {
            cell(out, &sub.id, &sub.name, tactic, score, true);
        }
        out.push_str("</details>\n");
    }
    out.push_str("</div>\n");
}

fn list(out: &mut String, heading: &str, items: &[String]) {
    let _ = writeln!(out, "<h4>{}</h4>", escape(heading));
    if items.is_empty() {
        out.push_str("<p class=\"nothing\">none</p>\n");
        return;
    }
    out.push_str("<ul>\n");
    for item in items {
        let _ = writeln!(out, "<li><code>{}</code></li>", escape(item));
    }
    out.push_str("</ul>\n");
}

fn details_html(out: &mut String, page: &Page<'_>) {
    out.push_str("<section class=\"details\" id=\"details\">\n<h2>Techniques</h2>\n");
    let mut ids: Vec<&str> = page
        .coverage
        .techniques
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    ids.extend(page.parents_without_entry());
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        out.push_str("<p class=\"nothing\">No technique has coverage data: no rule claims one and no bundle shows one.</p>\n");
    }
    for id in ids {
        detail(out, page, id);
    }
    out.push_str("</section>\n");
}

fn detail(out: &mut String, page: &Page<'_>, id: &str) {
    let known = page.matrix.technique(id);
    let is_parent = known.is_some_and(|t| t.parent.is_none());
    let score = if is_parent {
        page.parent_score(id)
    } else {
        page.own(id)
    };
    let name = page.name_of(id);
    let _ = writeln!(
        out,
        "<article class=\"detail\" id=\"technique-{}\">",
        escape(id)
    );
    let _ = writeln!(
        out,
        "<h3><span class=\"badge\" style=\"background:{}\">{}</span> {} {}</h3>",
        score.colour(),
        status_name(score.status),
        escape(id),
        escape(&name)
    );
    let tactics: Vec<String> = known
        .map(|t| {
            t.tactics
                .iter()
                .map(|s| page.matrix.tactic(s).map_or(s.clone(), |t| t.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut meta = String::new();
    if !tactics.is_empty() {
        let _ = write!(meta, "Tactics: {} · ", tactics.join(", "));
    }
    if let Some(parent) = known.and_then(|t| t.parent.as_deref()) {
        let _ = write!(
            meta,
            "sub-technique of {parent} {} · ",
            page.name_of(parent)
        );
    }
    match page.matrix.retired(id) {
        Some(r) => meta.push_str(&r.describe(&page.matrix.version)),
        None if known.is_none() => {
            let _ = write!(meta, "not in ATT&CK v{}", page.matrix.version);
        }
        None => {
            let _ = write!(meta, "ATT&CK page: {}", attack_url(id));
        }
    }
    let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(&meta));
    let _ = writeln!(
        out,
        "<p class=\"summary\">{}</p>",
        escape(&score.sentence())
    );

    if is_parent {
        let subs = page.covered_subs(id);
        if !subs.is_empty() {
            out.push_str("<h4>Sub-techniques with coverage data</h4>\n<ul class=\"subs\">\n");
            for sub in subs {
                let s = page.own(sub.id.as_str());
                let _ = writeln!(
                    out,
                    "<li><a href=\"#technique-{id}\"><span class=\"swatch\" style=\"background:{}\"></span>{id} {}</a>: {}</li>",
                    s.colour(),
                    escape(&page.name_of(sub.id.as_str())),
                    escape(&s.phrase()),
                    id = escape(sub.id.as_str()),
                );
            }
            out.push_str("</ul>\n");
        }
    }

    match page.by_id.get(id) {
        None => {
            let _ = writeln!(
                out,
                "<p class=\"nothing\">No rule claims {} itself and no bundle shows it; its sub-techniques' data is above.</p>",
                escape(id)
            );
        }
        Some(t) => own_coverage(out, t),
    }
    out.push_str("<p class=\"back\"><a href=\"#matrix\">Back to the matrix</a></p>\n");
    out.push_str("</article>\n");
}

fn own_coverage(out: &mut String, t: &TechniqueCoverage) {
    list(out, "Detecting rules", &t.detecting_rules);
    list(out, "Claiming rules", &t.claiming_rules);
    out.push_str("<h4>Bundles</h4>\n");
    if t.bundles.is_empty() {
        out.push_str("<p class=\"nothing\">No bundle shows this technique.</p>\n");
        return;
    }
    out.push_str(
        "<table class=\"bundles\">\n<thead><tr><th>Bundle</th><th>Detected by</th><th>Missed steps</th><th>Outcomes of the claiming rules</th></tr></thead>\n<tbody>\n",
    );
    for b in &t.bundles {
        let detected = !b.detected_by.is_empty();
        let _ = write!(
            out,
            "<tr data-bundle=\"{}\" data-detected=\"{detected}\"><td><code>{}</code><br /><span class=\"spec\">{}</span></td>",
            escape(&b.path),
            escape(&b.path),
            escape(&b.spec)
        );
        cell_list(out, &b.detected_by, "none");
        cell_list(out, &b.missed_steps, "none");
        out.push_str("<td>");
        if b.outcomes.is_empty() {
            out.push_str("<span class=\"nothing\">no claiming rule</span>");
        } else {
            out.push_str("<ul>");
            for o in &b.outcomes {
                let _ = write!(
                    out,
                    "<li><code>{}</code>: <span class=\"outcome outcome-{}\">{}</span></li>",
                    escape(&o.rule),
                    o.outcome.as_str(),
                    o.outcome
                );
            }
            out.push_str("</ul>");
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn cell_list(out: &mut String, items: &[String], empty: &str) {
    out.push_str("<td>");
    if items.is_empty() {
        let _ = write!(out, "<span class=\"nothing\">{}</span>", escape(empty));
    } else {
        out.push_str("<ul>");
        for item in items {
            let _ = write!(out, "<li><code>{}</code></li>", escape(item));
        }
        out.push_str("</ul>");
    }
    out.push_str("</td>");
}

/// Inline style sheet. Kept free of `<` and `&` so the page is also
/// well-formed XML (the unit tests parse it as such).
const CSS: &str = r#":root { color-scheme: light; --border: #d0d0cc; --text: #1d1d1b; --muted: #5f5f5a; }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem 1.25rem 3rem; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; color: var(--text); background: #ffffff; }
h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
header .meta { margin: 0 0 .5rem; color: var(--muted); }
.counts { display: flex; flex-wrap: wrap; gap: .4rem 1.25rem; margin: .5rem 0; padding: 0; list-style: none; }
.counts b { font-size: 1.1rem; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem 1.25rem; margin: .5rem 0; color: var(--muted); font-size: 12px; }
.swatch { display: inline-block; width: .9rem; height: .9rem; margin-right: .35rem; vertical-align: -2px; border: 1px solid rgba(0, 0, 0, .2); border-radius: 2px; }
.swatch.wide { width: 2.7rem; }
.toggle { display: inline-block; margin: .25rem 0 .75rem; cursor: pointer; user-select: none; }
.matrix { display: flex; align-items: flex-start; gap: 4px; overflow-x: auto; padding-bottom: .5rem; }
.tactic { flex: 1 0 7.5rem; min-width: 7.5rem; }
.tactic h2 { margin: 0; padding: .3rem .35rem; font-size: 12px; overflow-wrap: anywhere; color: #ffffff; background: #3c4a5c; border-radius: 3px 3px 0 0; }
.tactic.unknown h2 { background: #6b5c4a; }
.tally { margin: 0 0 3px; padding: .1rem .35rem; font-size: 11px; color: var(--muted); background: #ecece8; }
.group { margin-bottom: 3px; }
.cell { display: block; padding: .2rem .35rem; font-size: 11px; line-height: 1.25; color: var(--text); text-decoration: none; border: 1px solid rgba(0, 0, 0, .12); border-radius: 2px; }
a.cell:hover, a.cell:focus { outline: 2px solid #1d1d1b; outline-offset: -1px; }
.cell.selected { outline: 2px solid #1f5fbf; outline-offset: -1px; }
.cell .id { display: block; font-weight: 600; }
.cell .name { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.cell .score { display: block; font-variant-numeric: tabular-nums; }
.cell.no-data { color: #8a8a84; }
.subs { margin: 1px 0 0 .5rem; }
.subs summary { font-size: 10px; color: var(--muted); cursor: pointer; }
.subs .cell { margin-top: 1px; }
.none-note { font-size: 11px; color: var(--muted); padding: 0 .35rem; }
#matrix[data-view="covered"] .no-data { display: none; }
#matrix[data-view="all"] .none-note { display: none; }
#matrix[data-view="covered"] .tactic.empty { flex: 0 1 7.5rem; min-width: 7.5rem; }
.details h2 { margin: 2rem 0 .5rem; font-size: 1.2rem; }
.detail { margin: 0 0 1rem; padding: .6rem .9rem; border: 1px solid var(--border); border-radius: 4px; }
.detail:target { border-color: #1f5fbf; box-shadow: 0 0 0 2px #1f5fbf; }
.detail h3 { margin: 0 0 .25rem; font-size: 1.05rem; }
.detail h4 { margin: .6rem 0 .2rem; font-size: .9rem; }
.detail .meta, .detail .nothing, .back { color: var(--muted); }
.detail ul { margin: .2rem 0; padding-left: 1.2rem; }
.badge { display: inline-block; padding: 0 .4rem; font-size: 11px; font-weight: 600; border-radius: 3px; border: 1px solid rgba(0, 0, 0, .2); vertical-align: 2px; }
table.bundles { border-collapse: collapse; width: 100%; font-size: 12px; table-layout: fixed; }
table.bundles th:nth-child(1) { width: 22%; }
table.bundles th:nth-child(2) { width: 30%; }
table.bundles th:nth-child(3) { width: 13%; }
table.bundles th, table.bundles td { padding: .25rem .4rem; text-align: left; vertical-align: top; border-top: 1px solid var(--border); overflow-wrap: anywhere; }
table.bundles ul { margin: 0; padding-left: 1rem; }
.spec { color: var(--muted); }
.outcome-detected { color: #2e7d32; font-weight: 600; }
.outcome-missed, .outcome-false_positive, .outcome-errored { color: #b3261e; font-weight: 600; }
code { font-size: 12px; }
"#;

/// Inline script: the whole-matrix toggle (checked from the start by
/// `?view=all`) and highlighting the cells of the technique in the address
/// bar's fragment. Free of `<` and `&` (see `CSS`).
const SCRIPT: &str = r##"(function () {
  "use strict";
  var matrix = document.getElementById("matrix");
  var toggle = document.getElementById("show-all");
  function applyView() {
    matrix.setAttribute("data-view", toggle.checked ? "all" : "covered");
  }
  function select() {
    var hash = window.location.hash;
    var id = hash.indexOf("#technique-") === 0 ? decodeURIComponent(hash.slice(11)) : "";
    document.querySelectorAll(".cell").forEach(function (cell) {
      var selected = id === "" ? false : cell.getAttribute("data-technique") === id;
      cell.classList.toggle("selected", selected);
    });
  }
  if (new URLSearchParams(window.location.search).get("view") === "all") {
    toggle.checked = true;
  }
  toggle.addEventListener("change", applyView);
  window.addEventListener("hashchange", select);
  applyView();
  select();
  document.body.setAttribute("data-ready", "true");
})();
"##;

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use quick_xml::events::Event;

    use super::*;
    use crate::attack::matrix;
    use crate::coverage::{BundleCoverage, RuleOutcome};
    use crate::judge::Outcome;

    const NASTY: &str = "rules/<script>alert(\"x\")</script>&'.yml";

    fn bundle(path: &str, detected_by: &[&str], missed: &[&str]) -> BundleCoverage {
        BundleCoverage {
            path: path.to_string(),
            spec: path.trim_end_matches(".jsonl").to_string(),
            detected_by: detected_by.iter().map(|s| s.to_string()).collect(),
            missed_steps: missed.iter().map(|s| s.to_string()).collect(),
            outcomes: vec![RuleOutcome {
                rule: "rules/ps.yml".into(),
                outcome: if detected_by.is_empty() {
                    Outcome::Missed
                } else {
                    Outcome::Detected
                },
            }],
        }
    }

    fn technique(id: &str, status: Status, bundles: Vec<BundleCoverage>) -> TechniqueCoverage {
        let n = bundles.len();
        let d = bundles.iter().filter(|b| !b.detected_by.is_empty()).count();
        TechniqueCoverage {
            id: id.parse().unwrap(),
            status,
            score: (n > 0).then(|| d as f64 / n as f64),
            detecting_rules: if d > 0 {
                vec!["rules/ps.yml".into()]
            } else {
                vec![]
            },
            claiming_rules: vec!["rules/ps.yml".into(), NASTY.into()],
            bundles,
        }
    }

    /// T1059.001 partial (1/2), T1059.003 detected (1/1): T1059 aggregates
    /// to 2/3. T1003.001 missed, T1547.001 (two tactics) detected, T1486
    /// untested, T9999 not in ATT&CK.
    fn sample() -> Coverage {
        Coverage {
            rules: 2,
            bundles: 4,
            techniques: vec![
                technique(
                    "T1003.001",
                    Status::Missed,
                    vec![bundle("b/lsass.jsonl", &[], &["dump"])],
                ),
                technique(
                    "T1059.001",
                    Status::Partial,
                    vec![
                        bundle("b/chain.jsonl", &["rules/ps.yml"], &[]),
                        bundle("b/other.jsonl", &[], &["encoded-ps"]),
                    ],
                ),
                technique(
                    "T1059.003",
                    Status::Detected,
                    vec![bundle("b/cmd.jsonl", &["rules/ps.yml"], &[])],
                ),
                technique("T1486", Status::Untested, vec![]),
                technique(
                    "T1547.001",
                    Status::Detected,
                    vec![bundle("b/chain.jsonl", &["rules/ps.yml"], &[])],
                ),
                technique(
                    "T9999",
                    Status::Missed,
                    vec![bundle("b/x.jsonl", &[], &["s"])],
                ),
            ],
        }
    }

    /// An element of the parsed page.
    #[derive(Debug)]
    struct Node {
        name: String,
        attrs: BTreeMap<String, String>,
        parent: Option<usize>,
        /// All text inside, in document order.
        text: String,
    }

    struct Dom(Vec<Node>);

    impl Dom {
        /// The page is written to be well-formed XML too, so an XML parser
        /// reads it (and proves every element is closed).
        fn parse(html: &str) -> Dom {
            let mut reader = quick_xml::Reader::from_str(html);
            let mut nodes: Vec<Node> = Vec::new();
            let mut open: Vec<usize> = Vec::new();
            let push_text = |nodes: &mut Vec<Node>, open: &[usize], text: &str| {
                for &i in open {
                    nodes[i].text.push_str(text);
                }
            };
            loop {
                match reader.read_event().expect("the page is well-formed") {
                    Event::Eof => break,
                    Event::Start(e) => {
                        let node = Self::node(&e, open.last().copied());
                        nodes.push(node);
                        open.push(nodes.len() - 1);
                    }
                    Event::Empty(e) => {
                        let node = Self::node(&e, open.last().copied());
                        nodes.push(node);
                    }
                    Event::End(e) => {
                        let i = open.pop().expect("balanced");
                        assert_eq!(nodes[i].name.as_bytes(), e.name().as_ref());
                    }
                    Event::Text(t) => push_text(&mut nodes, &open, &t.decode().unwrap()),
                    Event::GeneralRef(r) => {
                        let name = r.decode().unwrap().into_owned();
                        let c = match name.as_str() {
                            "amp" => "&",
                            "lt" => "<",
                            "gt" => ">",
                            "quot" => "\"",
                            "#39" => "'",
                            other => panic!("unexpected entity {other}"),
                        };
                        push_text(&mut nodes, &open, c);
                    }
                    _ => {}
                }
            }
            assert!(open.is_empty());
            Dom(nodes)
        }

        fn node(e: &quick_xml::events::BytesStart<'_>, parent: Option<usize>) -> Node {
            Node {
                name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                attrs: e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned(),
                        )
                    })
                    .collect(),
                parent,
                text: String::new(),
            }
        }

        fn all(&self, attr: &str, value: &str) -> Vec<&Node> {
            self.0
                .iter()
                .filter(|n| n.attrs.get(attr).map(String::as_str) == Some(value))
                .collect()
        }

        fn one(&self, attr: &str, value: &str) -> &Node {
            let found = self.all(attr, value);
            assert_eq!(found.len(), 1, "one element with {attr}={value}");
            found[0]
        }

        fn ancestors<'d>(&'d self, node: &'d Node) -> impl Iterator<Item = &'d Node> + 'd {
            std::iter::successors(node.parent.map(|i| &self.0[i]), |n| {
                n.parent.map(|i| &self.0[i])
            })
        }

        /// The cell of `technique` in the column of `tactic`.
        fn cell(&self, technique: &str, tactic: &str) -> &Node {
            let cells: Vec<&Node> = self
                .all("data-technique", technique)
                .into_iter()
                .filter(|n| n.attrs.get("data-tactic").map(String::as_str) == Some(tactic))
                .collect();
            assert_eq!(cells.len(), 1, "one cell of {technique} under {tactic}");
            cells[0]
        }
    }

    fn attr<'n>(node: &'n Node, name: &str) -> Option<&'n str> {
        node.attrs.get(name).map(String::as_str)
    }

    #[test]
    fn escape_covers_markup_quotes_and_ampersands() {
        assert_eq!(
            escape("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("a \"b\" & c"), "a &quot;b&quot; &amp; c");
        assert_eq!(
            escape("&amp;"),
            "&amp;amp;",
            "escaping is not idempotent by design"
        );
        assert_eq!(escape("T1059.001 · ×"), "T1059.001 · ×");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn user_text_never_becomes_markup() {
        let html = render_html(&sample(), matrix(), "Coverage <b>&</b> \"quotes\"");
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the page's own script"
        );
        assert!(!html.contains("<b>&"));
        assert!(
            html.contains("<title>Coverage &lt;b&gt;&amp;&lt;/b&gt; &quot;quotes&quot;</title>")
        );
        let dom = Dom::parse(&html);
        let title = dom.0.iter().find(|n| n.name == "h1").unwrap();
        assert_eq!(title.text, "Coverage <b>&</b> \"quotes\"");
        assert!(
            dom.0.iter().any(|n| n.name == "code" && n.text == NASTY),
            "the rule path reads back as text"
        );
    }

    #[test]
    fn inline_css_and_script_keep_the_page_well_formed_xml() {
        for text in [CSS, SCRIPT] {
            assert!(!text.contains('<') && !text.contains('&'));
        }
    }

    #[test]
    fn cells_carry_status_score_and_link_to_their_drill_down() {
        let dom = Dom::parse(&render_html(&sample(), matrix(), "t"));
        let ps = dom.cell("T1059.001", "execution");
        assert_eq!(ps.name, "a");
        assert_eq!(attr(ps, "data-status"), Some("partial"));
        assert_eq!(attr(ps, "data-score"), Some("0.50"));
        assert_eq!(attr(ps, "data-detected"), Some("1"));
        assert_eq!(attr(ps, "data-bundles"), Some("2"));
        assert_eq!(attr(ps, "href"), Some("#technique-T1059.001"));
        assert!(ps.text.contains("PowerShell") && ps.text.contains("50% · 1/2"));
        assert_eq!(
            attr(ps, "title"),
            Some("T1059.001 PowerShell: partial: detected in 1 of 2 bundles")
        );
        assert!(
            attr(ps, "style").unwrap().starts_with("background:#"),
            "coloured inline"
        );

        let lsass = dom.cell("T1003.001", "credential-access");
        assert_eq!(attr(lsass, "data-status"), Some("missed"));
        assert_eq!(attr(lsass, "data-score"), Some("0.00"));
        assert_eq!(attr(lsass, "style"), Some("background:#e8575b"));

        let untested = dom.cell("T1486", "impact");
        assert_eq!(attr(untested, "data-status"), Some("untested"));
        assert_eq!(attr(untested, "data-score"), None);
        assert_eq!(attr(untested, "style"), Some("background:#c8c8c8"));

        let nothing = dom.cell("T1001", "command-and-control");
        assert_eq!(nothing.name, "div", "cells without data link nowhere");
        assert_eq!(attr(nothing, "data-status"), Some("none"));
        assert!(attr(nothing, "class").unwrap().contains("no-data"));
        assert!(attr(nothing, "href").is_none());

        let matrix_el = dom.one("id", "matrix");
        assert_eq!(attr(matrix_el, "data-view"), Some("covered"));
        assert_eq!(dom.one("id", "show-all").name, "input");
    }

    #[test]
    fn sub_techniques_fold_under_their_parent_whose_score_aggregates_them() {
        let dom = Dom::parse(&render_html(&sample(), matrix(), "t"));
        let ps = dom.cell("T1059.001", "execution");
        let ancestors: Vec<&Node> = dom.ancestors(ps).collect();
        assert_eq!(ancestors[0].name, "details");
        assert_eq!(attr(ancestors[0], "class"), Some("subs"));
        assert_eq!(
            attr(ancestors[0], "open"),
            Some(""),
            "open when a sub has data"
        );
        assert_eq!(attr(ancestors[1], "data-group"), Some("T1059"));
        assert_eq!(attr(ancestors[2], "data-tactic"), Some("execution"));
        assert!(attr(ps, "class").unwrap().contains("sub"));

        // T1059: no data of its own; 1 of 2 (T1059.001) + 1 of 1 (T1059.003).
        let parent = dom.cell("T1059", "execution");
        assert_eq!(dom.ancestors(parent).next().unwrap().name, "div");
        assert_eq!(attr(parent, "data-status"), Some("partial"));
        assert_eq!(attr(parent, "data-score"), Some("0.67"));
        assert_eq!(attr(parent, "data-detected"), Some("2"));
        assert_eq!(attr(parent, "data-bundles"), Some("3"));
        assert_eq!(attr(parent, "data-aggregate"), Some("true"));
        assert_eq!(attr(parent, "href"), Some("#technique-T1059"));

        // Every sub-technique is listed (the whole-matrix view shows them all).
        let subs = matrix().subtechniques("T1059").count();
        let group = dom
            .0
            .iter()
            .position(|n| attr(n, "data-group") == Some("T1059"))
            .unwrap();
        let in_group = dom
            .0
            .iter()
            .filter(|n| {
                attr(n, "data-technique").is_some_and(|t| t.starts_with("T1059."))
                    && dom.ancestors(n).any(|a| std::ptr::eq(a, &dom.0[group]))
            })
            .count();
        assert_eq!(in_group, subs);

        // A parent with data only through a sub-technique gets a drill-down
        // that links to it.
        let t1003 = dom.one("id", "technique-T1003");
        assert!(t1003.text.contains("T1003.001"), "{}", t1003.text);
        let parent = dom.cell("T1003", "credential-access");
        assert_eq!(attr(parent, "data-status"), Some("missed"));
        assert_eq!(attr(parent, "data-aggregate"), Some("true"));
    }

    #[test]
    fn a_technique_appears_under_every_tactic_it_lists() {
        let tactics = &matrix().technique("T1547.001").unwrap().tactics;
        assert!(tactics.len() >= 2, "{tactics:?}");
        let dom = Dom::parse(&render_html(&sample(), matrix(), "t"));
        let shown: Vec<&str> = dom
            .all("data-technique", "T1547.001")
            .into_iter()
            .map(|n| attr(n, "data-tactic").unwrap())
            .collect();
        assert_eq!(
            shown,
            tactics.iter().map(String::as_str).collect::<Vec<_>>()
        );
        for tactic in tactics {
            let cell = dom.cell("T1547.001", tactic);
            assert_eq!(attr(cell, "data-status"), Some("detected"));
            assert_eq!(attr(cell, "data-score"), Some("1.00"));
            let column = dom.ancestors(cell).find(|a| a.name == "section").unwrap();
            assert_eq!(attr(column, "data-tactic"), Some(tactic.as_str()));
        }
    }

    #[test]
    fn columns_follow_the_matrix_and_unknown_ids_get_their_own() {
        let dom = Dom::parse(&render_html(&sample(), matrix(), "t"));
        let columns: Vec<&str> = dom
            .0
            .iter()
            .filter(|n| {
                n.name == "section" && attr(n, "class").is_some_and(|c| c.starts_with("tactic"))
            })
            .map(|n| attr(n, "data-tactic").unwrap())
            .collect();
        let mut expected: Vec<&str> = matrix()
            .tactics
            .iter()
            .map(|t| t.shortname.as_str())
            .collect();
        expected.push(NOT_IN_MATRIX);
        assert_eq!(columns, expected);
        let unknown = dom.cell("T9999", NOT_IN_MATRIX);
        assert_eq!(attr(unknown, "data-status"), Some("missed"));
        assert!(
            dom.one("id", "technique-T9999")
                .text
                .contains("not in ATT&CK v18.1")
        );
    }

    #[test]
    fn drill_downs_list_rules_bundles_outcomes_and_missed_steps() {
        let dom = Dom::parse(&render_html(&sample(), matrix(), "t"));
        let ps = dom.one("id", "technique-T1059.001");
        assert_eq!(ps.name, "article");
        for text in [
            "Detecting rules",
            "Claiming rules",
            "rules/ps.yml",
            NASTY,
            "b/chain.jsonl",
            "b/other.jsonl",
            "encoded-ps",
            "rules/ps.yml: missed",
            "rules/ps.yml: detected",
            "Detected in 1 of 2 bundles.",
            "Tactics: Execution",
            "https://attack.mitre.org/techniques/T1059/001/",
        ] {
            assert!(ps.text.contains(text), "{text:?} in {}", ps.text);
        }
        let rows: Vec<&Node> = dom
            .0
            .iter()
            .filter(|n| n.name == "tr" && attr(n, "data-bundle").is_some())
            .filter(|n| {
                dom.ancestors(n)
                    .any(|a| attr(a, "id") == Some("technique-T1059.001"))
            })
            .collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(attr(rows[1], "data-detected"), Some("false"));

        // Every in-page link has a target; ids are unique.
        let mut ids = BTreeSet::new();
        for n in &dom.0 {
            if let Some(id) = attr(n, "id") {
                assert!(ids.insert(id), "duplicate id {id}");
            }
        }
        for n in &dom.0 {
            if let Some(target) = attr(n, "href").and_then(|h| h.strip_prefix('#')) {
                assert!(ids.contains(target), "dangling link #{target}");
            }
        }
        for t in &sample().techniques {
            assert!(ids.contains(format!("technique-{}", t.id).as_str()));
        }
    }

    #[test]
    fn the_page_is_offline_clean() {
        let html = render_html(&sample(), matrix(), "t");
        let dom = Dom::parse(&html);
        for n in &dom.0 {
            for (name, value) in &n.attrs {
                if matches!(
                    name.as_str(),
                    "src" | "href" | "action" | "srcset" | "poster"
                ) {
                    assert!(
                        !value.contains("http:")
                            && !value.contains("https:")
                            && !value.starts_with("//"),
                        "{name}={value}"
                    );
                }
            }
            assert!(!matches!(n.name.as_str(), "link" | "img" | "iframe"));
            if n.name == "script" {
                assert!(!n.attrs.contains_key("src"));
            }
        }
        let raw = regex::Regex::new(r#"(?i)\b(src|href)\s*=\s*["']?\s*(https?:)?//"#).unwrap();
        assert!(!raw.is_match(&html));
        assert!(!html.contains("@import") && !html.contains("url("));
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    }

    #[test]
    fn the_same_coverage_gives_the_same_bytes() {
        let a = render_html(&sample(), matrix(), "t");
        assert_eq!(a, render_html(&sample(), matrix(), "t"));
        let empty = Coverage {
            rules: 0,
            bundles: 0,
            techniques: vec![],
        };
        let dom = Dom::parse(&render_html(&empty, matrix(), "t"));
        assert!(
            dom.all("data-status", "none").len() > 100,
            "the whole matrix is there"
        );
        assert!(dom.all("data-status", "detected").is_empty());
    }

    #[test]
    fn partial_scores_stay_on_the_amber_scale() {
        let partial = |d, n| {
            Score {
                status: Some(Status::Partial),
                detected: d,
                bundles: n,
                aggregate: false,
            }
            .colour()
        };
        assert_eq!(partial(1, 2), hex(AMBER));
        assert_ne!(partial(1, 100), hex(RED));
        assert_ne!(partial(99, 100), hex(GREEN));
        assert_eq!(gradient(0.0), hex(RED));
        assert_eq!(gradient(1.0), hex(GREEN));
    }
}
