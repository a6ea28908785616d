//! KQL detection rules: `.kql` files with a comment header, and Microsoft
//! Sentinel analytics rules (YAML, the Azure-Sentinel repository's format).
//! A rule hits the bundle events behind its result rows (their provenance).
//! Formats documented in `docs/kql.md`.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde::Deserialize;

use super::kql::ast::Query;
pub use super::kql::bundle_db::{BundleDatabase, ExternalFixtures};
use super::kql::error::EvalError;
use super::kql::external::External;
use super::kql::lexer::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE};
use super::kql::parser::parse_query;
use super::kql::runtime::{Database, Runtime};
use super::kql::table::Table;
use super::kql::value::{KqlType, parse_datetime};
use crate::bundle::Bundle;
use crate::diagnostic::SourceError;
use crate::digest::Digest;
use crate::technique::{Tactic, TechniqueId};

/// Sentinel's alert trigger: the rule fires when the result's row count
/// compares with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    pub op: TriggerOp,
    pub threshold: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum TriggerOp {
    #[serde(alias = "gt", alias = "GreaterThan")]
    Gt,
    #[serde(alias = "lt", alias = "LessThan")]
    Lt,
    #[serde(alias = "eq", alias = "Equal")]
    Eq,
    #[serde(alias = "ne", alias = "NotEqual")]
    Ne,
}

impl Trigger {
    fn fires(&self, rows: usize) -> bool {
        let n = rows as u64;
        match self.op {
            TriggerOp::Gt => n > self.threshold,
            TriggerOp::Lt => n < self.threshold,
            TriggerOp::Eq => n == self.threshold,
            TriggerOp::Ne => n != self.threshold,
        }
    }
}

#[derive(Debug)]
pub struct KqlRule {
    pub path: String,
    pub id: Option<String>,
    pub title: String,
    /// `kql` or `sentinel`.
    pub kind: &'static str,
    pub techniques: Vec<TechniqueId>,
    pub query_text: String,
    /// Line of the file where the query text starts (0 for `.kql` files).
    pub query_line: usize,
    /// Indentation removed from each query line (YAML block scalars).
    pub query_indent: usize,
    pub query: Query,
    /// Line where reports point: the query's first line (`.kql`) or its `query:` key.
    pub line: usize,
    pub trigger: Option<Trigger>,
    /// Sentinel's `queryPeriod` (ticks): only data this recent is queried.
    pub query_period: Option<i64>,
    /// A table the query reads that rulecheck generates no rows of (set by
    /// [`check`](Self::check)): the rule sees no events, like a Sigma rule
    /// whose logsource has no source.
    pub missing_table: Option<String>,
    /// Every table the query reads that rulecheck generates no rows of
    /// (set by [`check`](Self::check)): results that need their rows are empty.
    pub unrendered_tables: Vec<String>,
    /// Digest of the rule file's text, set by the loader (`None`: never cached).
    pub digest: Option<Digest>,
}

/// Keys a `.kql` header may hold (`// key: value` lines before the query).
const HEADER_KEYS: &[&str] = &[
    "title",
    "id",
    "techniques",
    "tactics",
    "description",
    "author",
    "severity",
    "level",
    "date",
    "references",
];

impl KqlRule {
    /// A `.kql` file: an optional header of `// key: value` comment lines, then the query.
    pub fn parse_kql_file(path: &str, text: &str) -> Result<KqlRule, Vec<SourceError>> {
        let mut title = None;
        let mut id = None;
        let mut techniques = Vec::new();
        let mut errors = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            let Some(comment) = trimmed.strip_prefix("//") else {
                break;
            };
            let Some((key, value)) = comment.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            if !HEADER_KEYS.contains(&key.as_str()) {
                continue;
            }
            let value = value.trim();
            match key.as_str() {
                "title" => title = Some(value.to_string()),
                "id" => id = Some(value.to_string()),
                "techniques" => {
                    for t in value.split([',', ' ']).filter(|t| !t.is_empty()) {
                        match t.parse::<TechniqueId>() {
                            Ok(t) => techniques.push(t),
                            Err(e) => {
                                errors.push(SourceError::at_line(path, text, n + 1, e.to_string()))
                            }
                        }
                    }
                }
                "tactics" => {
                    for t in value.split([',', ' ']).filter(|t| !t.is_empty()) {
                        if serde_norway::from_str::<Tactic>(t).is_err() {
                            errors.push(SourceError::at_line(path, text, n + 1, format!("`{t}` is not an ATT&CK tactic")).with_help("tactics are written like initial-access, execution, lateral-movement"));
                        }
                    }
                }
                _ => {}
            }
        }
        let query = match parse_query(text) {
            Ok(q) => Some(q),
            Err(parse_errors) => {
                errors.extend(
                    parse_errors
                        .into_iter()
                        .map(|e| located(path, text, 0, 0, text, e.into())),
                );
                None
            }
        };
        match query {
            Some(query) if errors.is_empty() => {
                techniques.sort();
                techniques.dedup();
                Ok(KqlRule {
                    path: path.to_string(),
                    id,
                    title: title.unwrap_or_else(|| crate::spec::spec_id(path)),
                    kind: "kql",
                    techniques,
                    query_text: text.to_string(),
                    query_line: 0,
                    query_indent: 0,
                    query,
                    line: text
                        .lines()
                        .position(|l| {
                            let l = l.trim();
                            !l.is_empty() && !l.starts_with("//")
                        })
                        .map_or(1, |i| i + 1),
                    trigger: None,
                    query_period: None,
                    missing_table: None,
                    unrendered_tables: Vec::new(),
                    digest: None,
                })
            }
            _ => Err(errors),
        }
    }

    /// A Sentinel analytics rule (`query`, `relevantTechniques`, `tactics`,
    /// `queryFrequency`, `queryPeriod`, `triggerOperator`, `triggerThreshold`, …).
    pub fn parse_sentinel(path: &str, text: &str) -> Result<KqlRule, Vec<SourceError>> {
        let doc: SentinelRule = serde_norway::from_str(text)
            .map_err(|e| vec![SourceError::from_yaml(path, text, &e)])?;
        let mut errors = Vec::new();
        let key_line = |key: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(&format!("{key}:")))
                .map_or(1, |i| i + 1)
        };
        let mut techniques = Vec::new();
        for t in &doc.relevant_techniques {
            match t.parse::<TechniqueId>() {
                Ok(t) => techniques.push(t),
                Err(e) => errors.push(SourceError::at_line(
                    path,
                    text,
                    key_line("relevantTechniques"),
                    e.to_string(),
                )),
            }
        }
        let period =
            |key: &str, value: &Option<String>, errors: &mut Vec<SourceError>| -> Option<i64> {
                let v = value.as_deref()?;
                let ticks = iso_duration(v);
                if ticks.is_none() {
                    errors.push(SourceError::at_line(
                        path,
                        text,
                        key_line(key),
                        format!("`{v}` is not a duration (write e.g. 5m, 1h, 14d or PT1H)"),
                    ));
                }
                ticks
            };
        let query_period = period("queryPeriod", &doc.query_period, &mut errors);
        let _ = period("queryFrequency", &doc.query_frequency, &mut errors);
        let trigger = match (doc.trigger_operator, doc.trigger_threshold) {
            (Some(op), Some(threshold)) => Some(Trigger { op, threshold }),
            (None, None) => None,
            (Some(op), None) => Some(Trigger { op, threshold: 0 }),
            (None, Some(threshold)) => Some(Trigger {
                op: TriggerOp::Gt,
                threshold,
            }),
        };
        // Where the query text sits in the file, so errors point at file lines.
        let query_line = key_line("query");
        let query_indent = text
            .lines()
            .skip(query_line)
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start().len());
        let block_scalar = text.lines().nth(query_line - 1).is_some_and(|l| {
            let after = l.trim_start().trim_start_matches("query:").trim();
            after.starts_with('|') || after.starts_with('>')
        });
        let (query_line, query_indent) = if block_scalar {
            (query_line, query_indent)
        } else {
            (query_line - 1, 0)
        };
        let query =
            match parse_query(&doc.query) {
                Ok(q) => Some(q),
                Err(parse_errors) => {
                    errors.extend(parse_errors.into_iter().map(|e| {
                        located(path, text, query_line, query_indent, &doc.query, e.into())
                    }));
                    None
                }
            };
        match query {
            Some(query) if errors.is_empty() => {
                techniques.sort();
                techniques.dedup();
                Ok(KqlRule {
                    path: path.to_string(),
                    id: doc.id,
                    title: doc.name.unwrap_or_else(|| crate::spec::spec_id(path)),
                    kind: "sentinel",
                    techniques,
                    query_text: doc.query,
                    query_line,
                    query_indent,
                    query,
                    line: key_line("query"),
                    trigger,
                    query_period,
                    missing_table: None,
                    unrendered_tables: Vec::new(),
                    digest: None,
                })
            }
            _ => Err(errors),
        }
    }

    /// An evaluation error located in the rule's file.
    pub fn locate(&self, file_text: &str, error: EvalError) -> SourceError {
        located(
            &self.path,
            file_text,
            self.query_line,
            self.query_indent,
            &self.query_text,
            error,
        )
    }

    /// An evaluation error as one line: the message, where in the rule file
    /// it is (`path:line:column`), and the help.
    pub fn describe(&self, e: &EvalError) -> String {
        let start = e.span.start.min(self.query_text.len());
        let before = &self.query_text[..start];
        let line = self.query_line + before.matches('\n').count() + 1;
        let column = self.query_indent + start - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        let mut text = format!("{} ({}:{line}:{column})", e.message, self.path);
        if let Some(help) = &e.help {
            text.push_str(&format!("; {help}"));
        }
        text
    }

    /// The query's result table on a bundle, `now()` pinned to the bundle's
    /// reference time.
    pub fn run(&self, bundle: &Bundle, db: &BundleDatabase) -> Result<Table, EvalError> {
        let now = bundle_now(bundle);
        let rt = Runtime::new(db, now);
        match self.query_period {
            // Sentinel queries only the last `queryPeriod` of data.
            Some(period) => rt.run_query_since(&self.query, now - period),
            None => rt.run_query(&self.query),
        }
    }

    /// Run the rule on a bundle: the events behind its result rows (none when
    /// its trigger does not fire), or `None` when the bundle lacks a table the
    /// query reads.
    pub fn hits(
        &self,
        bundle: &Bundle,
        db: &BundleDatabase,
    ) -> Result<Option<Vec<usize>>, EvalError> {
        if let Some(table) = &self.missing_table {
            if !db.has_rows(table) {
                return Ok(None);
            }
        }
        let table = match self.run(bundle, db) {
            Ok(t) => t,
            Err(e) if e.unknown_table.is_some() => return Ok(None),
            Err(e) => return Err(e),
        };
        if self.trigger.is_some_and(|t| !t.fires(table.rows.len())) {
            return Ok(Some(Vec::new()));
        }
        Ok(Some(
            table.provenance().into_iter().map(|e| e as usize).collect(),
        ))
    }

    /// Check the query against the shipped table schemas with no data: unknown
    /// columns and functions surface at load rather than per bundle. Tables
    /// the query reads that rulecheck generates no rows of (known by schema
    /// only, or not at all) are noted; when it reads nothing else, the rule
    /// is blind (`missing_table`). A misspelt known table is an error.
    pub fn check(&mut self) -> Result<(), EvalError> {
        let empty = crate::bundle::bundle_from_records(
            "check",
            Vec::new(),
            &super::LogsourceTable::builtin(),
        );
        let all: Vec<&str> = crate::tables::all_names().collect();
        // Fixtures are per run, not per rule: check the query's shape only.
        let db =
            BundleDatabase::new(&empty, &shipped_schema, &all).with_external(ExternalFixtures {
                missing_as_empty: true,
                ..ExternalFixtures::default()
            });
        let recording = RecordingDb {
            inner: &db,
            read: RefCell::new(BTreeSet::new()),
        };
        let result = Runtime::new(&recording, 0).run_query(&self.query);
        let mut unrendered: Vec<String> = Vec::new();
        let mut reads_rendered = false;
        for table in recording.read.into_inner() {
            if crate::tables::names().any(|t| t == table) {
                reads_rendered = true;
            } else {
                unrendered.push(table);
            }
        }
        match result {
            Ok(_) => {}
            Err(e) => match e.unknown_table.clone() {
                Some(name) => {
                    if let Some(near) = near_table(&name) {
                        return Err(e.with_help(format!(
                            "did you mean `{near}`? (table names are case-sensitive)"
                        )));
                    }
                    // Evaluation stopped at the unknown table: it is the source.
                    if !unrendered.contains(&name) {
                        unrendered.push(name);
                    }
                }
                None => return Err(e),
            },
        }
        if !reads_rendered {
            self.missing_table = unrendered.first().cloned();
        }
        self.unrendered_tables = unrendered;
        Ok(())
    }
}

/// A database that remembers which tables a query asked for.
struct RecordingDb<'d> {
    inner: &'d BundleDatabase,
    read: RefCell<BTreeSet<String>>,
}

impl Database for RecordingDb<'_> {
    fn table(&self, name: &str) -> Option<Table> {
        self.read.borrow_mut().insert(name.to_string());
        self.inner.table(name)
    }

    fn external_data(&self, url: &str) -> External {
        self.inner.external_data(url)
    }
}

/// A bundle as a KQL database with the shipped table schemas: every table
/// rulecheck knows exists, with its columns, even where the bundle has no
/// rows. `invoke FileProfile()` answers from the bundle's file reputations;
/// `externaldata` reads `external`.
pub fn database(bundle: &Bundle, external: &ExternalFixtures) -> BundleDatabase {
    let known: Vec<&str> = crate::tables::all_names().collect();
    BundleDatabase::new(bundle, &shipped_schema, &known)
        .with_external(external.clone())
        .with_file_profiles(super::file_reputation::file_profiles(bundle))
}

/// A shipped table's columns with their KQL types (`data/tables.yaml`).
pub fn shipped_schema(name: &str) -> Option<Vec<(String, KqlType)>> {
    let columns = crate::tables::columns(name)?;
    Some(
        columns
            .iter()
            .map(|c| {
                let ty = KqlType::parse(c.kind.as_str()).unwrap_or(KqlType::Dynamic);
                (c.name.clone(), ty)
            })
            .collect(),
    )
}

/// A shipped table whose name is a likely misspelling of `name`.
fn near_table(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    crate::tables::all_names().find(|t| {
        let t = t.to_ascii_lowercase();
        t == lower || strsim::levenshtein(&t, &lower) <= 2
    })
}

/// The bundle's reference time as ticks: KQL's `now()`.
pub fn bundle_now(bundle: &Bundle) -> i64 {
    parse_datetime(&bundle.header.reference_time).unwrap_or(0)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SentinelRule {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    query: String,
    #[serde(default)]
    relevant_techniques: Vec<String>,
    #[serde(default)]
    query_frequency: Option<String>,
    #[serde(default)]
    query_period: Option<String>,
    #[serde(default)]
    trigger_operator: Option<TriggerOp>,
    #[serde(default)]
    trigger_threshold: Option<u64>,
}

/// Sentinel periods: `5m`, `1h`, `14d`, or ISO 8601 (`PT1H`, `P1D`).
fn iso_duration(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix('P') {
        let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
        let mut ticks = 0i64;
        let mut read = |part: &str, units: &[(char, i64)]| -> Option<()> {
            let mut number = String::new();
            for c in part.chars() {
                if c.is_ascii_digit() {
                    number.push(c);
                } else {
                    let unit = units.iter().find(|(u, _)| *u == c)?.1;
                    ticks += number.parse::<i64>().ok()? * unit;
                    number.clear();
                }
            }
            number.is_empty().then_some(())
        };
        read(date, &[('D', TICKS_PER_DAY), ('W', 7 * TICKS_PER_DAY)])?;
        read(
            time,
            &[
                ('H', TICKS_PER_HOUR),
                ('M', TICKS_PER_MINUTE),
                ('S', 10_000_000),
            ],
        )?;
        return Some(ticks);
    }
    super::kql::value::parse_timespan(t)
}

/// A KQL error as a located problem in the rule file: the query's own
/// position mapped to the file through the query's first line and indentation.
fn located(
    path: &str,
    file_text: &str,
    query_line: usize,
    indent: usize,
    query: &str,
    e: EvalError,
) -> SourceError {
    let start = e.span.start.min(query.len());
    let line_in_query = query[..start].matches('\n').count();
    let column = start - query[..start].rfind('\n').map_or(0, |i| i + 1);
    let file_line = query_line + line_in_query + 1;
    let offset = file_text
        .lines()
        .take(file_line - 1)
        .map(|l| l.len() + 1)
        .sum::<usize>()
        + indent
        + column;
    let mut err = SourceError::new(
        path,
        file_text,
        Some(offset.min(file_text.len())),
        e.message,
    );
    err.help = e.help;
    err
}

#[cfg(test)]
mod tests;
