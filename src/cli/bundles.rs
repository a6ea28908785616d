//! Which bundles a `test` or `coverage` run uses: the ones given, the
//! configured directory, `./bundles`, or else the built-in technique library
//! generated in memory.

use std::path::{Path, PathBuf};

use super::Ui;
use super::inputs::collect_files;
use super::load::{Loaded, load_specs};
use crate::engine::LogsourceTable;
use crate::environment::Environment;
use crate::report::Problem;

const DEFAULT_BUNDLES: &str = "bundles";
const DEFAULT_SPECS: &str = "ttps";

/// Where the bundles of a run come from.
enum BundleSource {
    Paths(Vec<PathBuf>),
    /// No bundles given, configured or present: the built-in technique library,
    /// plus the repository's own `ttps/`, generated in memory.
    Library,
}

fn bundle_source(explicit: &[PathBuf], config: &crate::config::Config) -> BundleSource {
    if !explicit.is_empty() {
        BundleSource::Paths(explicit.to_vec())
    } else if let Some(dir) = &config.bundles {
        BundleSource::Paths(vec![PathBuf::from(dir)])
    } else if Path::new(DEFAULT_BUNDLES).exists() {
        BundleSource::Paths(vec![PathBuf::from(DEFAULT_BUNDLES)])
    } else {
        BundleSource::Library
    }
}

fn library(ui: &Ui, loaded: &mut Loaded) {
    let env = Environment::default_workstation();
    // The library is validated by unit tests; an error here is a build defect,
    // reported like any invalid input rather than aborting.
    let builtin = match crate::library::builtin_specs(&env) {
        Ok(specs) => specs,
        Err(errors) => {
            for e in &errors {
                ui.diagnostic(e);
                loaded.problems.push(Problem::from_source(e));
            }
            Vec::new()
        }
    };
    let own = if Path::new(DEFAULT_SPECS).is_dir() {
        let (files, errors) = collect_files(&[PathBuf::from(DEFAULT_SPECS)], &["yaml", "yml"]);
        for e in &errors {
            ui.error(e);
            loaded.problems.push(Problem::from_error(DEFAULT_SPECS, e));
        }
        let (specs, invalid) = load_specs(ui, &files, &env);
        if invalid {
            loaded.problems.push(Problem {
                path: DEFAULT_SPECS.to_string(),
                line: None,
                message: "invalid TTP specs (see above)".to_string(),
            });
        }
        specs
    } else {
        Vec::new()
    };
    eprintln!(
        "note: no {DEFAULT_BUNDLES}/ here; testing against the built-in technique library ({} specs){}, generated in memory",
        builtin.len(),
        if own.is_empty() {
            String::new()
        } else {
            format!(" and {} specs from {DEFAULT_SPECS}/", own.len())
        }
    );
    let crate::library::LibraryBundles {
        bundles,
        incoherent,
    } = crate::library::library_bundles(builtin, own, &env);
    for (path, e) in incoherent {
        ui.error(&e);
        loaded.problems.push(Problem {
            path,
            line: None,
            message: e.to_string(),
        });
    }
    loaded.bundles = bundles;
}

impl Loaded {
    /// Load the run's bundles (see the module doc); reports when there are none.
    pub fn test_bundles(
        &mut self,
        ui: &Ui,
        explicit: &[PathBuf],
        config: &crate::config::Config,
        logsources: &LogsourceTable,
    ) {
        let problems_before = self.problems.len();
        match bundle_source(explicit, config) {
            BundleSource::Paths(roots) => {
                self.inputs(ui, &roots, logsources);
                if self.bundles.is_empty() && self.problems.len() == problems_before {
                    self.nothing_found(
                        "bundles or logs",
                        &roots,
                        "; run `rulecheck generate` to create bundles",
                    );
                }
            }
            BundleSource::Library => library(ui, self),
        }
    }
}
