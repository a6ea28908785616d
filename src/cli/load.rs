//! Loading rules, bundles and configuration for `test` and `eval`, reporting each
//! problem on stderr and keeping everything that did load.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::Ui;
use super::inputs::InputError;
use super::inputs::{collect_files, display_path, read_text};
use crate::bundle::{Bundle, BundleError, bundle_from_records, parse_bundle};
use crate::config::{CONFIG_FILE, Config};
use crate::engine::LogsourceTable;
use crate::engine::correlate::RuleSet;
use crate::engine::kql_rule::ExternalFixtures;
use crate::engine::{CorrelationRule, KqlRule, LoadedRule, RULE_EXTENSIONS, RuleLoader, SigmaRule};
use crate::environment::Environment;
use crate::logs::LogFormat;
use crate::report::Problem;
use crate::spec::Spec;

/// What a command loaded, and what it could not.
#[derive(Default)]
pub struct Loaded {
    pub rules: Vec<SigmaRule>,
    pub correlations: Vec<CorrelationRule>,
    pub kql: Vec<KqlRule>,
    /// Local files standing in for KQL `externaldata` URLs.
    pub kql_fixtures: ExternalFixtures,
    pub bundles: Vec<(String, Bundle)>,
    pub problems: Vec<Problem>,
}

/// Read and validate spec files, reporting every problem. Returns the valid
/// specs with their display paths, and whether any file was invalid.
pub fn load_specs(ui: &Ui, files: &[PathBuf], env: &Environment) -> (Vec<(String, Spec)>, bool) {
    let mut specs: Vec<(String, Spec)> = Vec::new();
    let mut invalid = false;
    for file in files {
        let shown = display_path(file);
        let text = match read_text(file) {
            Ok(t) => t,
            Err(e) => {
                ui.error(&e);
                invalid = true;
                continue;
            }
        };
        let spec = match Spec::parse(&shown, &text, env) {
            Ok(s) => s,
            Err(errors) => {
                for e in &errors {
                    ui.diagnostic(e);
                }
                invalid = true;
                continue;
            }
        };
        if let Some((other, _)) = specs.iter().find(|(_, s)| s.id == spec.id) {
            eprintln!(
                "error: {shown} and {other} would both write {}.jsonl; spec file names must be unique",
                spec.id
            );
            invalid = true;
            continue;
        }
        specs.push((shown, spec));
    }
    (specs, invalid)
}

/// The rule loader a configuration asks for: built-in routing and placeholders,
/// with the repository's mapping file and placeholder values on top. `None`
/// when the mapping file cannot be used (the problem has been reported).
pub fn rule_loader(ui: &Ui, config: &Config) -> Option<RuleLoader> {
    let table = match &config.mappings {
        None => LogsourceTable::builtin(),
        Some(path) => {
            let text = read_text(path).map_err(|e| ui.error(&e)).ok()?;
            LogsourceTable::builtin_with(&display_path(path), &text)
                .map_err(|e| ui.diagnostic(&e))
                .ok()?
        }
    };
    Some(RuleLoader::with_logsources(table, &config.placeholders))
}

/// The configuration from `--config`, or `./rulecheck.yaml` when present;
/// `None` when it could not be loaded (the problem has been reported).
pub fn load_config(ui: &Ui, explicit: Option<&Path>) -> Option<Config> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None if Path::new(CONFIG_FILE).is_file() => PathBuf::from(CONFIG_FILE),
        None => return Some(Config::default()),
    };
    let text = read_text(&path).map_err(|e| ui.error(&e)).ok()?;
    Config::parse(&display_path(&path), &text)
        .map_err(|e| ui.diagnostic(&e))
        .ok()
}

impl Loaded {
    /// How many rules loaded, of every language.
    pub fn rule_count(&self) -> usize {
        self.rules.len() + self.correlations.len() + self.kql.len()
    }

    /// Report that `roots` held nothing of `what`: an invalid run (exit 2).
    pub fn nothing_found(&mut self, what: &str, roots: &[PathBuf], hint: &str) {
        let shown: Vec<String> = roots.iter().map(|p| p.display().to_string()).collect();
        eprintln!("error: no {what} under {}{hint}", shown.join(", "));
        self.problems.push(Problem {
            path: shown.join(", "),
            line: None,
            message: format!("no {what} found{hint}"),
        });
    }

    pub fn rules(&mut self, ui: &Ui, roots: &[PathBuf], loader: &RuleLoader) {
        let (files, errors) = collect_files(roots, RULE_EXTENSIONS);
        for e in errors {
            ui.error(&e);
            self.problems.push(Problem::from_error(&path_of(&e), &e));
        }
        // With no rules at all the caller reports an error; a warning is for one
        // empty directory among others that do hold rules.
        for root in roots.iter().filter(|r| r.is_dir() && !files.is_empty()) {
            if !files.iter().any(|f| f.starts_with(root)) {
                let message = format!(
                    "{}: no rule files (*.yml, *.yaml, *.kql) found",
                    root.display()
                );
                ui.warn(&message);
            }
        }
        // Files are read and parsed in parallel (parsing thousands of rules is
        // most of a cached run's time); results are taken in file order.
        let parsed: Vec<_> = files
            .par_iter()
            .map(|file| {
                let shown = display_path(file);
                let loaded = read_text(file).map(|text| loader.load_file(&shown, &text));
                (shown, loaded)
            })
            .collect();
        for (shown, loaded) in parsed {
            let loaded = match loaded {
                Ok(l) => l,
                Err(e) => {
                    ui.error(&e);
                    self.problems.push(Problem::from_error(&shown, &e));
                    continue;
                }
            };
            match loaded {
                Ok(rules) => {
                    for rule in rules {
                        match rule {
                            LoadedRule::Sigma(r) => self.rules.push(*r),
                            LoadedRule::Correlation(c) => self.correlations.push(*c),
                            LoadedRule::Kql(k) => self.kql.push(*k),
                        }
                    }
                }
                Err(errors) => {
                    for e in &errors {
                        ui.diagnostic(e);
                        self.problems.push(Problem::from_source(e));
                    }
                }
            }
        }
        self.check_correlations();
    }

    /// Drop correlation rules whose references do not resolve (or loop),
    /// reporting each.
    fn check_correlations(&mut self) {
        let set = RuleSet {
            sigma: &self.rules,
            correlations: &self.correlations,
            kql: &self.kql,
            kql_fixtures: &self.kql_fixtures,
        };
        let broken: Vec<(usize, String)> = (0..self.correlations.len())
            .filter_map(|i| set.check(i).err().map(|e| (i, e)))
            .collect();
        for (i, message) in broken.iter().rev() {
            let c = self.correlations.remove(*i);
            let message = format!("correlation `{}` {message}", c.title);
            eprintln!("error: {}: {message}", c.path);
            self.problems.push(Problem {
                path: c.path,
                line: None,
                message,
            });
        }
    }

    /// The loaded rules, for evaluation.
    pub fn rule_set(&self) -> RuleSet<'_> {
        RuleSet {
            sigma: &self.rules,
            correlations: &self.correlations,
            kql: &self.kql,
            kql_fixtures: &self.kql_fixtures,
        }
    }

    /// Read the files the configuration maps `externaldata` URLs to.
    pub fn read_kql_fixtures(&mut self, ui: &Ui, config: &Config) {
        for (url, file) in &config.externaldata {
            match read_text(file) {
                Ok(text) => {
                    self.kql_fixtures.by_url.insert(url.clone(), text);
                }
                Err(e) => {
                    ui.error(&e);
                    self.problems
                        .push(Problem::from_error(&display_path(file), &e));
                }
            }
        }
    }

    /// Warn about rules whose results would mislead: those tagged with retired
    /// techniques ([`warn_retired`](Self::warn_retired)), and those that can
    /// see no events (a Sigma logsource or a KQL
    /// table rulecheck generates nothing for): one line per rule when there
    /// are few, one line per logsource or table (most common first) when
    /// there are many.
    pub fn warn_unrouted(&self, ui: &Ui) {
        self.warn_retired(ui);
        let sigma = self
            .rules
            .iter()
            .filter(|r| r.routes.is_empty())
            .map(|r| (r.path.as_str(), format!("logsource `{}`", r.logsource)));
        let kql = self.kql.iter().filter_map(|r| {
            let table = r.missing_table.as_ref()?;
            Some((r.path.as_str(), format!("table `{table}`")))
        });
        let blind: Vec<(&str, String)> = sigma.chain(kql).collect();
        if blind.len() <= 5 {
            for (path, what) in blind {
                ui.warn(&format!(
                    "{path}: {what} has no source in rulecheck; the rule sees no events"
                ));
            }
            return;
        }
        let mut by_source: std::collections::BTreeMap<&str, usize> =
            std::collections::BTreeMap::new();
        for (_, what) in &blind {
            *by_source.entry(what).or_default() += 1;
        }
        let mut counts: Vec<(&str, usize)> = by_source.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let shown: Vec<String> = counts
            .iter()
            .take(3)
            .map(|(l, n)| format!("{l} ({n})"))
            .collect();
        ui.warn(&format!(
            "{} rules see no events: {} logsources or tables have no source in rulecheck, most often {}; `rulecheck lint --format json` lists them",
            blind.len(),
            counts.len(),
            shown.join(", ")
        ));
    }

    /// Warn about rules tagged with revoked or deprecated ATT&CK techniques
    /// (their expectations name techniques no current bundle shows): one line
    /// per rule when there are few, one summary line when there are many.
    pub fn warn_retired(&self, ui: &Ui) {
        let tagged = self
            .rules
            .iter()
            .map(|r| (&r.path, &r.techniques))
            .chain(self.correlations.iter().map(|c| (&c.path, &c.techniques)))
            .chain(self.kql.iter().map(|k| (&k.path, &k.techniques)));
        let mut notes: Vec<(&String, String)> = Vec::new();
        for (path, techniques) in tagged {
            for note in crate::attack::retired_notes(techniques) {
                notes.push((path, note));
            }
        }
        if notes.len() <= 5 {
            for (path, note) in notes {
                ui.warn(&format!("{path}: tagged with {note}"));
            }
            return;
        }
        let mut by_id: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for (_, note) in &notes {
            *by_id
                .entry(note.split(' ').next().unwrap_or_default())
                .or_default() += 1;
        }
        let mut counts: Vec<(&str, usize)> = by_id.into_iter().collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let shown: Vec<String> = counts
            .iter()
            .take(3)
            .map(|(id, n)| format!("{id} ({n})"))
            .collect();
        ui.warn(&format!(
            "{} rule tags name revoked or deprecated ATT&CK techniques, most often {}; `rulecheck lint --format json` lists them",
            notes.len(),
            shown.join(", ")
        ));
    }

    /// Load every input under `roots`: bundles (`*.jsonl` starting with a
    /// rulecheck header) and real logs (`*.evtx`, `*.json`, `*.ndjson`, other
    /// `*.jsonl`), the latter imported in memory with `unknown` labels.
    pub fn inputs(&mut self, ui: &Ui, roots: &[PathBuf], table: &LogsourceTable) {
        let (files, errors) = collect_files(roots, &["jsonl", "ndjson", "json", "evtx"]);
        for e in errors {
            ui.error(&e);
            self.problems.push(Problem::from_error(&path_of(&e), &e));
        }
        for file in files {
            let shown = display_path(&file);
            let bytes = match std::fs::read(&file) {
                Ok(b) => b,
                Err(source) => {
                    let e = InputError::Unreadable {
                        path: shown.clone(),
                        source,
                    };
                    ui.error(&e);
                    self.problems.push(Problem::from_error(&shown, &e));
                    continue;
                }
            };
            let format = LogFormat::of_path(&file).unwrap_or(LogFormat::Json);
            if format == LogFormat::Json && is_bundle(&bytes) {
                match parse_bundle(&shown, &String::from_utf8_lossy(&bytes)) {
                    Ok(bundle) => self.bundles.push((shown, bundle)),
                    Err(e) => {
                        ui.error(&e);
                        let line = match &e {
                            BundleError::Invalid { problems, .. } => Some(problems[0].line),
                            BundleError::Io { .. } => None,
                        };
                        let mut problem = Problem::from_error(&shown, &e);
                        problem.line = line;
                        self.problems.push(problem);
                    }
                }
                continue;
            }
            let log = format.read(bytes);
            for p in &log.problems {
                eprintln!("error: {shown}: {p}");
                self.problems.push(Problem {
                    path: shown.clone(),
                    line: None,
                    message: p.to_string(),
                });
            }
            let bundle = bundle_from_records(&shown, log.records, table);
            self.bundles.push((shown, bundle));
        }
    }
}

/// Whether a file is meant as a rulecheck bundle: its first line names the
/// bundle format. Checked on the text, so that a damaged header is still
/// reported as a bundle error rather than read as a log.
pub(super) fn is_bundle(bytes: &[u8]) -> bool {
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let needle = format!("\"{}\"", crate::bundle::BUNDLE_FORMAT);
    String::from_utf8_lossy(first).contains(&needle)
}

fn path_of(e: &super::inputs::InputError) -> String {
    use super::inputs::InputError::*;
    match e {
        Missing { path } | Unreadable { path, .. } | Walk { path, .. } => path.clone(),
    }
}
