//! The result cache: what each rule did on each bundle, keyed by content, so
//! that a run re-evaluates only the (rule, bundle) pairs whose inputs changed.
//!
//! An entry holds one bundle's results. Its key digests everything a result
//! can depend on apart from the rule: the cache format, the rulecheck binary,
//! the logsource routing and field mappings, the placeholder values, the KQL
//! `externaldata` fixtures (together the run's *context*, computed by the
//! caller) and the bundle's bytes. Inside it, each rule's result is keyed by
//! the digest of the rule's source text (for a correlation, also of the rules
//! it refers to). Any change to any of these is a different key, so a stale
//! result is never found; nothing is ever invalidated in place.
//!
//! Cached results are the raw hits, not verdicts: judging is cheap and
//! depends on the configuration's expectations, so it is always redone.
//!
//! Where entries live is the caller's business ([`ResultStore`]); the CLI
//! keeps them as files (`cli::cache_dir`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::bundle::{Bundle, serialize_bundle};
use crate::digest::Digest;
use crate::engine::correlate::{Referent, RuleSet};

/// Version of the entry format and of the keying scheme; part of every key.
pub const CACHE_FORMAT: u32 = 1;

/// What one rule did on one bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The sorted indices of the bundle events it matched.
    Hits(Vec<usize>),
    /// It can see no event of the bundle, for this reason.
    Blind(String),
    /// It failed on the bundle's data, for this reason.
    Failed(String),
}

/// One bundle's cached results: rule key → outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub format: u32,
    pub results: BTreeMap<String, Outcome>,
}

/// Where entries are kept. Implementations must tolerate concurrent calls
/// for different keys (bundles are evaluated in parallel).
pub trait ResultStore: Sync {
    /// The entry stored under `key`, or `None` (absent, unreadable, or of
    /// another format: all are misses).
    fn load(&self, key: &str) -> Option<Entry>;
    /// Keep `entry` under `key`. A failure only costs a later re-evaluation,
    /// so implementations report it their own way rather than fail the run.
    fn store(&self, key: &str, entry: &Entry);
}

/// The keys of a run's rules, computed once: `None` for a rule that is never
/// cached (no digest: not loaded from a file).
#[derive(Debug, Clone, Default)]
pub struct RuleKeys {
    pub sigma: Vec<Option<String>>,
    pub correlations: Vec<Option<String>>,
    pub kql: Vec<Option<String>>,
}

impl RuleKeys {
    pub fn of(set: &RuleSet<'_>) -> RuleKeys {
        let mut correlation_digests = vec![None; set.correlations.len()];
        for i in 0..set.correlations.len() {
            correlation_digest(set, i, &mut correlation_digests, 0);
        }
        let key = |kind: &[u8], digest: &Option<Digest>| {
            digest.map(|d| Digest::of_parts([kind, d.as_bytes()]).key())
        };
        RuleKeys {
            sigma: set.sigma.iter().map(|r| key(b"sigma", &r.digest)).collect(),
            correlations: correlation_digests
                .iter()
                .map(|d| key(b"correlation", &d.flatten()))
                .collect(),
            kql: set.kql.iter().map(|r| key(b"kql", &r.digest)).collect(),
        }
    }

    /// Every key of the run.
    fn all(&self) -> impl Iterator<Item = &String> {
        self.sigma
            .iter()
            .chain(&self.correlations)
            .chain(&self.kql)
            .flatten()
    }
}

/// The digest of correlation `index` with the digests of every rule it refers
/// to (transitively): a correlation's hits change when any of them changes.
/// `memo[i]` is `Some(None)` for a correlation that cannot be cached.
fn correlation_digest(
    set: &RuleSet<'_>,
    index: usize,
    memo: &mut Vec<Option<Option<Digest>>>,
    depth: usize,
) -> Option<Digest> {
    if let Some(known) = memo[index] {
        return known;
    }
    // Loaded runs have no cycles (`RuleSet::check`); the bound keeps a
    // hand-built set from recursing forever.
    if depth > set.correlations.len() {
        return None;
    }
    let rule = &set.correlations[index];
    let mut parts: Vec<Digest> = Vec::new();
    let mut cacheable = rule.digest.is_some();
    parts.extend(rule.digest);
    for reference in &rule.rules {
        let referred = match set.resolve(reference) {
            Some(Referent::Sigma(i)) => set.sigma[i].digest,
            Some(Referent::Correlation(j)) => correlation_digest(set, j, memo, depth + 1),
            None => None,
        };
        cacheable &= referred.is_some();
        parts.extend(referred);
    }
    let digest = cacheable.then(|| Digest::of_parts(parts.iter().map(Digest::as_bytes)));
    memo[index] = Some(digest);
    digest
}

/// A run's cache: the store, the run's context and what it saved.
pub struct ResultCache<'s> {
    store: &'s dyn ResultStore,
    context: Digest,
    reused: AtomicUsize,
    evaluated: AtomicUsize,
}

/// How many results a run took from the cache and how many it evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct CacheStats {
    pub reused: usize,
    pub evaluated: usize,
}

impl<'s> ResultCache<'s> {
    /// `context` digests everything besides rules and bundles that results
    /// depend on (see the module documentation); [`CACHE_FORMAT`] is added here.
    pub fn new(store: &'s dyn ResultStore, context: Digest) -> ResultCache<'s> {
        let format = CACHE_FORMAT.to_le_bytes();
        ResultCache {
            store,
            context: Digest::of_parts([format.as_slice(), context.as_bytes()]),
            reused: AtomicUsize::new(0),
            evaluated: AtomicUsize::new(0),
        }
    }

    /// The key of `bundle`'s entry in this run's context.
    pub fn bundle_key(&self, bundle: &Bundle) -> String {
        let bytes = serialize_bundle(bundle);
        Digest::of_parts([self.context.as_bytes(), bytes.as_bytes()]).key()
    }

    /// The entry for a bundle key; a miss (or an entry of another format) is
    /// an empty entry.
    pub fn load(&self, key: &str) -> Entry {
        match self.store.load(key) {
            Some(entry) if entry.format == CACHE_FORMAT => entry,
            _ => Entry {
                format: CACHE_FORMAT,
                results: BTreeMap::new(),
            },
        }
    }

    /// Count the results one bundle reused and those it evaluated.
    pub fn record(&self, reused: usize, evaluated: usize) {
        self.reused.fetch_add(reused, Ordering::Relaxed);
        self.evaluated.fetch_add(evaluated, Ordering::Relaxed);
    }

    /// Store a bundle's entry, first dropping results of rules this run does
    /// not have once they outnumber the run's own (so an entry stays bounded
    /// however often rules are edited, yet switching between two branches
    /// keeps both branches' results).
    pub fn save(&self, key: &str, mut entry: Entry, keys: &RuleKeys) {
        let current: std::collections::BTreeSet<&String> = keys.all().collect();
        if entry.results.len() > 2 * current.len() + 64 {
            entry.results.retain(|k, _| current.contains(k));
        }
        self.store.store(key, &entry);
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            reused: self.reused.load(Ordering::Relaxed),
            evaluated: self.evaluated.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests;
