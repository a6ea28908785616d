//! The Sigma evaluation workload of the scale benchmark and of the prefilter
//! soundness test: a directory of Sigma rules, the built-in technique library
//! generated with as many seeds as it takes to reach an event count, and real
//! EVTX files. Used by `examples/sigma_bench.rs` and
//! `tests/integration/sigma_scale.rs`.

use std::path::Path;
use std::time::{Duration, Instant};

use walkdir::WalkDir;

use crate::binaries::BinaryCatalog;
use crate::bundle::{Bundle, build_bundle, bundle_from_records};
use crate::engine::{LoadedRule, LogsourceTable, RuleLoader, SigmaRule};
use crate::environment::Environment;
use crate::library::builtin_specs;
use crate::logs::LogFormat;

/// Every Sigma detection rule under `dir` (correlation and KQL rules, and
/// files that fail to load, are left out and counted), with the wall time
/// the walk, reads and parses took.
pub struct RuleCorpus {
    pub rules: Vec<SigmaRule>,
    pub not_loaded: usize,
    pub load_time: Duration,
}

pub fn load_rules(dir: &Path, loader: &RuleLoader) -> RuleCorpus {
    let start = Instant::now();
    let mut rules = Vec::new();
    let mut not_loaded = 0;
    let mut paths: Vec<_> = WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_type().is_file()
                && e.path()
                    .extension()
                    .is_some_and(|x| x == "yml" || x == "yaml")
        })
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    for path in paths {
        let Ok(text) = std::fs::read_to_string(&path) else {
            not_loaded += 1;
            continue;
        };
        match loader.load_file(&path.display().to_string(), &text) {
            Ok(loaded) => rules.extend(loaded.into_iter().filter_map(|r| match r {
                LoadedRule::Sigma(s) => Some(*s),
                _ => None,
            })),
            Err(_) => not_loaded += 1,
        }
    }
    RuleCorpus {
        rules,
        not_loaded,
        load_time: start.elapsed(),
    }
}

/// The built-in library generated with seeds 1, 2, … until the bundles hold
/// at least `min_events` events (at least one round).
pub fn generated_bundles(min_events: usize) -> Vec<Bundle> {
    let mut bundles = Vec::new();
    let mut total = 0;
    for round in library_rounds() {
        total += round.iter().map(|b| b.events.len()).sum::<usize>();
        bundles.extend(round);
        if total >= min_events {
            break;
        }
    }
    bundles
}

/// The built-in library generated with seed 1, then 2, …, one round (every
/// spec once) at a time, without end: a stream of events for measuring a
/// run whose memory must not grow with its length. Empty if the library is.
pub fn library_rounds() -> impl Iterator<Item = Vec<Bundle>> {
    let env = Environment::default_workstation();
    let specs = builtin_specs(&env).unwrap_or_default();
    let catalog = BinaryCatalog::builtin();
    let endless = !specs.is_empty();
    (1u64..).take_while(move |_| endless).map(move |seed| {
        specs
            .iter()
            .map(|spec| build_bundle(spec, seed, &env, &catalog))
            .collect()
    })
}

/// Every readable record of every `.evtx` file under `dir`, one bundle per
/// file (sorted by path), records routed as `rulecheck import` routes them.
pub fn evtx_bundles(dir: &Path, table: &LogsourceTable) -> Vec<Bundle> {
    let mut paths: Vec<_> = WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "evtx"))
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).ok()?;
            let log = LogFormat::Evtx.read(bytes);
            Some(bundle_from_records(
                &path.display().to_string(),
                log.records,
                table,
            ))
        })
        .collect()
}

/// Peak resident set size of this process in bytes (Linux `VmHWM`), if known.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_rounds_are_the_library_with_successive_seeds() {
        let rounds: Vec<Vec<Bundle>> = library_rounds().take(2).collect();
        let specs = builtin_specs(&Environment::default_workstation()).unwrap();
        assert_eq!(rounds[0].len(), specs.len());
        assert_eq!(rounds[1].len(), specs.len());
        // Same specs, another seed: other events.
        assert_eq!(rounds[0][0].header.spec, rounds[1][0].header.spec);
        assert_ne!(rounds[0][0].events, rounds[1][0].events);
        // At least one round, then whole rounds until the count is reached.
        let one: usize = rounds[0].iter().map(|b| b.events.len()).sum();
        assert_eq!(generated_bundles(0).len(), specs.len());
        assert_eq!(generated_bundles(one + 1).len(), 2 * specs.len());
    }
}
