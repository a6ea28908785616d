//! A test run: every rule against every bundle, judged. Pure: inputs are loaded
//! rules and bundles, output is one result per (rule, bundle) pair, in rule-path
//! then bundle-path order.

use serde::Serialize;

use crate::bundle::Bundle;
use crate::cache::{Outcome, ResultCache, RuleKeys};
use crate::config::Config;
use crate::engine::correlate::RuleSet;
use crate::engine::kql_rule;
use crate::engine::{
    CorrelationRule, KqlRule, LogsourceTable, PreparedEvent, SigmaMatcher, SigmaRule, prepare,
};
use crate::judge::{BLIND_LOGSOURCE, Verdict, errored, judge};
use crate::technique::TechniqueId;
use rayon::prelude::*;

#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    pub path: String,
    /// Where in the file reports point (the Sigma `detection:`, a KQL query).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
}

impl RuleRef {
    pub fn of_sigma(rule: &SigmaRule) -> RuleRef {
        RuleRef {
            path: rule.path.clone(),
            line: rule.line,
            id: rule.id.clone(),
            title: rule.title.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct BundleRef {
    pub path: String,
    pub spec: String,
    /// A variant bundle's number and mutations (`generate --variants`), for
    /// the robustness report; reported there, not with each result.
    #[serde(skip)]
    pub variant: Option<crate::bundle::Variant>,
    /// The bundle's environment profile and its benign events, for the
    /// false-positive report per profile (`crate::false_positives`).
    #[serde(skip)]
    pub profile: Option<ProfileSeen>,
}

/// A bundle's environment profile (its header's `profile`) and how many of
/// its events are labelled benign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSeen {
    pub name: String,
    pub benign_events: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Expected {
    pub techniques: Vec<TechniqueId>,
    pub steps: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_benign_hits: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// Regression tests: the number of matches the test data must give.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_count: Option<u64>,
}

/// What a result tested the rule against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TestKind {
    /// A labelled bundle, judged against its narrative.
    Synthetic,
    /// Real logs from a SigmaHQ-style regression test, judged by match count.
    Regression,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleResult {
    pub rule: RuleRef,
    pub kind: TestKind,
    /// The bundle, or for regression tests the log file (and the test's name).
    pub bundle: BundleRef,
    pub expected: Expected,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What the judge needs to know about a rule, whatever its kind.
struct Judged<'a> {
    rule: RuleRef,
    path: &'a str,
    techniques: &'a [TechniqueId],
}

/// What one rule did on one bundle, as the judge reads it.
#[derive(Clone, Copy)]
enum Evaluated<'h> {
    Hits(&'h [usize]),
    Blind(&'h str),
    Failed(&'h str),
}

impl<'h> From<&'h Outcome> for Evaluated<'h> {
    fn from(outcome: &'h Outcome) -> Evaluated<'h> {
        match outcome {
            Outcome::Hits(hits) => Evaluated::Hits(hits),
            Outcome::Blind(why) => Evaluated::Blind(why),
            Outcome::Failed(why) => Evaluated::Failed(why),
        }
    }
}

fn judge_rule(
    judged: Judged<'_>,
    outcome: Evaluated<'_>,
    bundle_path: &str,
    bundle: &Bundle,
    benign_events: usize,
    config: &Config,
) -> RuleResult {
    let expectation = config.expectation(judged.path, judged.techniques, bundle_path);
    let verdict = match outcome {
        Evaluated::Hits(hits) => judge(&expectation, None, bundle, hits),
        Evaluated::Blind(why) => judge(&expectation, Some(why), bundle, &[]),
        Evaluated::Failed(why) => errored(&expectation, bundle, why.to_string()),
    };
    RuleResult {
        rule: judged.rule,
        kind: TestKind::Synthetic,
        bundle: BundleRef {
            path: bundle_path.to_string(),
            spec: bundle.header.spec.clone(),
            variant: bundle.header.variant.clone(),
            profile: Some(ProfileSeen {
                name: bundle.header.profile.clone(),
                benign_events,
            }),
        },
        expected: Expected {
            techniques: expectation.techniques,
            steps: verdict.expected_steps.clone(),
            allow_benign_hits: expectation.allow_benign_hits,
            overrides: expectation.overrides,
            match_count: None,
        },
        verdict,
    }
}

fn sigma_ref(rule: &SigmaRule) -> Judged<'_> {
    Judged {
        rule: RuleRef::of_sigma(rule),
        path: &rule.path,
        techniques: &rule.techniques,
    }
}

fn correlation_ref(rule: &CorrelationRule) -> Judged<'_> {
    Judged {
        rule: RuleRef {
            path: rule.path.clone(),
            line: rule.line,
            id: rule.id.clone(),
            title: rule.title.clone(),
        },
        path: &rule.path,
        techniques: &rule.techniques,
    }
}

fn kql_ref(rule: &KqlRule) -> Judged<'_> {
    Judged {
        rule: RuleRef {
            path: rule.path.clone(),
            line: Some(rule.line),
            id: rule.id.clone(),
            title: rule.title.clone(),
        },
        path: &rule.path,
        techniques: &rule.techniques,
    }
}

/// Run a KQL rule on a bundle's database.
fn evaluate_kql(rule: &KqlRule, bundle: &Bundle, db: &kql_rule::BundleDatabase) -> Outcome {
    match rule.hits(bundle, db) {
        Ok(Some(found)) => Outcome::Hits(found),
        Ok(None) => Outcome::Blind(format!(
            "the rule reads table `{}`, which rulecheck does not generate",
            rule.missing_table.as_deref().unwrap_or("?")
        )),
        Err(e) => Outcome::Failed(format!("the query failed: {}", rule.describe(&e))),
    }
}

/// What every rule of a run did on one bundle, before judging.
#[derive(Debug, Clone, PartialEq)]
pub struct BundleHits {
    /// Per Sigma rule; empty for a rule whose logsource has no source.
    pub sigma: Vec<Vec<usize>>,
    pub correlations: Vec<Vec<usize>>,
    pub kql: Vec<Outcome>,
}

/// A bundle's events, prepared for Sigma only when something must be evaluated.
pub enum Events<'a> {
    Prepared(&'a [PreparedEvent]),
    Lazy {
        table: &'a LogsourceTable,
        prepared: Option<Vec<PreparedEvent>>,
    },
}

impl Events<'_> {
    fn get(&mut self, bundle: &Bundle) -> &[PreparedEvent] {
        match self {
            Events::Prepared(events) => events,
            Events::Lazy { table, prepared } => {
                prepared.get_or_insert_with(|| prepare(bundle, table))
            }
        }
    }
}

/// Results already known for a bundle (from the cache), by rule index.
#[derive(Debug, Clone)]
pub struct Known {
    pub sigma: Vec<Option<Vec<usize>>>,
    pub correlations: Vec<Option<Vec<usize>>>,
    pub kql: Vec<Option<Outcome>>,
}

impl Known {
    /// Nothing known: every rule is evaluated.
    pub fn nothing(set: &RuleSet<'_>) -> Known {
        Known {
            sigma: vec![None; set.sigma.len()],
            correlations: vec![None; set.correlations.len()],
            kql: vec![None; set.kql.len()],
        }
    }

    /// What a cache entry holds for this run's rules.
    fn from_entry(entry: &crate::cache::Entry, keys: &RuleKeys) -> Known {
        let hits = |key: &Option<String>| match key.as_ref().and_then(|k| entry.results.get(k)) {
            Some(Outcome::Hits(hits)) => Some(hits.clone()),
            _ => None,
        };
        Known {
            sigma: keys.sigma.iter().map(hits).collect(),
            correlations: keys.correlations.iter().map(hits).collect(),
            kql: keys
                .kql
                .iter()
                .map(|k| k.as_ref().and_then(|k| entry.results.get(k)).cloned())
                .collect(),
        }
    }

    /// How many of the run's results this holds.
    fn count(&self) -> usize {
        self.sigma.iter().flatten().count()
            + self.correlations.iter().flatten().count()
            + self.kql.iter().flatten().count()
    }
}

/// Evaluate on one bundle every rule of `set` whose result is not `known`:
/// Sigma detection rules through the matcher (only those missing), then
/// correlations over the detection rules' hits, then KQL rules. Events are
/// prepared only if a Sigma rule or a correlation must be evaluated.
pub fn evaluate_bundle(
    set: &RuleSet<'_>,
    matcher: &SigmaMatcher<'_>,
    bundle: &Bundle,
    events: &mut Events<'_>,
    known: Known,
) -> BundleHits {
    let routed = |i: usize| !set.sigma[i].routes.is_empty();
    let wanted: Vec<bool> = (0..set.sigma.len())
        .map(|i| routed(i) && known.sigma[i].is_none())
        .collect();
    let mut fresh = if wanted.contains(&true) {
        matcher.hits_of(events.get(bundle), Some(&wanted))
    } else {
        vec![Vec::new(); set.sigma.len()]
    };
    let sigma: Vec<Vec<usize>> = known
        .sigma
        .into_iter()
        .enumerate()
        .map(|(i, k)| k.unwrap_or_else(|| std::mem::take(&mut fresh[i])))
        .collect();
    let correlations = known
        .correlations
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            k.unwrap_or_else(|| {
                let mut hits: Vec<usize> = set
                    .firings(i, &sigma, events.get(bundle))
                    .into_iter()
                    .flat_map(|f| f.events)
                    .collect();
                hits.sort_unstable();
                hits.dedup();
                hits
            })
        })
        .collect();
    // Built once per bundle, and only if needed: every KQL rule reads the same tables.
    let mut db = None;
    let kql = known
        .kql
        .into_iter()
        .zip(set.kql)
        .map(|(k, rule)| {
            k.unwrap_or_else(|| {
                let db = db.get_or_insert_with(|| kql_rule::database(bundle, set.kql_fixtures));
                evaluate_kql(rule, bundle, db)
            })
        })
        .collect();
    BundleHits {
        sigma,
        correlations,
        kql,
    }
}

/// Judge what every rule did on one bundle: Sigma detection rules (except
/// those a correlation keeps silent), then correlation rules, then KQL rules,
/// each in load order.
pub fn judge_hits(
    set: &RuleSet<'_>,
    hits: &BundleHits,
    bundle_path: &str,
    bundle: &Bundle,
    config: &Config,
) -> Vec<RuleResult> {
    let silenced = set.silenced();
    // Counted once per bundle, for every result's profile figures.
    let benign = bundle
        .events
        .iter()
        .filter(|e| e.labels.class == crate::bundle::Class::Benign)
        .count();
    let mut results = Vec::new();
    for (i, rule) in set.sigma.iter().enumerate() {
        if silenced[i] {
            continue;
        }
        let outcome = if rule.routes.is_empty() {
            Evaluated::Blind(BLIND_LOGSOURCE)
        } else {
            Evaluated::Hits(&hits.sigma[i])
        };
        results.push(judge_rule(
            sigma_ref(rule),
            outcome,
            bundle_path,
            bundle,
            benign,
            config,
        ));
    }
    for (i, rule) in set.correlations.iter().enumerate() {
        let outcome = Evaluated::Hits(&hits.correlations[i]);
        results.push(judge_rule(
            correlation_ref(rule),
            outcome,
            bundle_path,
            bundle,
            benign,
            config,
        ));
    }
    for (rule, outcome) in set.kql.iter().zip(&hits.kql) {
        results.push(judge_rule(
            kql_ref(rule),
            outcome.into(),
            bundle_path,
            bundle,
            benign,
            config,
        ));
    }
    results
}

/// Evaluate and judge every rule of `set` on one bundle whose events are prepared.
pub fn judge_bundle(
    set: &RuleSet<'_>,
    matcher: &SigmaMatcher<'_>,
    bundle_path: &str,
    bundle: &Bundle,
    events: &[PreparedEvent],
    config: &Config,
) -> Vec<RuleResult> {
    let hits = evaluate_bundle(
        set,
        matcher,
        bundle,
        &mut Events::Prepared(events),
        Known::nothing(set),
    );
    judge_hits(set, &hits, bundle_path, bundle, config)
}

/// The hits of every rule on one bundle, taking what `cache` knows and
/// storing what had to be evaluated.
fn bundle_hits(
    set: &RuleSet<'_>,
    matcher: &SigmaMatcher<'_>,
    bundle: &Bundle,
    table: &LogsourceTable,
    cache: Option<(&ResultCache<'_>, &RuleKeys)>,
) -> BundleHits {
    let mut events = Events::Lazy {
        table,
        prepared: None,
    };
    let Some((cache, keys)) = cache else {
        return evaluate_bundle(set, matcher, bundle, &mut events, Known::nothing(set));
    };
    let key = cache.bundle_key(bundle);
    let mut entry = cache.load(&key);
    let known = Known::from_entry(&entry, keys);
    let reused = known.count();
    let hits = evaluate_bundle(set, matcher, bundle, &mut events, known);
    let mut added = 0;
    let sigma = keys.sigma.iter().zip(&hits.sigma).enumerate();
    for (i, (key, found)) in sigma {
        // Rules that see nothing are never evaluated, so never stored.
        if let Some(key) = key.as_ref().filter(|_| !set.sigma[i].routes.is_empty()) {
            added += usize::from(store_once(&mut entry, key, Outcome::Hits(found.clone())));
        }
    }
    for (key, found) in keys.correlations.iter().zip(&hits.correlations) {
        if let Some(key) = key {
            added += usize::from(store_once(&mut entry, key, Outcome::Hits(found.clone())));
        }
    }
    for (key, outcome) in keys.kql.iter().zip(&hits.kql) {
        if let Some(key) = key {
            added += usize::from(store_once(&mut entry, key, outcome.clone()));
        }
    }
    let results = set.sigma.iter().filter(|r| !r.routes.is_empty()).count()
        + set.correlations.len()
        + set.kql.len();
    cache.record(reused, results - reused);
    if added > 0 {
        cache.save(&key, entry, keys);
    }
    hits
}

/// Insert `outcome` under `key` unless the entry has it; whether it was new.
fn store_once(entry: &mut crate::cache::Entry, key: &str, outcome: Outcome) -> bool {
    if entry.results.contains_key(key) {
        return false;
    }
    entry.results.insert(key.to_string(), outcome);
    true
}

/// Every rule on every bundle. Bundles are judged in parallel and each
/// bundle's events are prepared once, and only when some rule must be
/// evaluated on them; with a `cache`, results it holds are reused and new
/// ones stored. The result order does not depend on the scheduling.
/// `on_bundle` is called after each bundle is judged (from any thread), so
/// the caller can show progress without this stage touching the terminal.
pub fn run_tests(
    set: &RuleSet<'_>,
    bundles: &[(String, Bundle)],
    config: &Config,
    table: &LogsourceTable,
    cache: Option<&ResultCache<'_>>,
    on_bundle: &(dyn Fn() + Sync),
) -> Vec<RuleResult> {
    let matcher = SigmaMatcher::new(set.sigma, true);
    let keys = cache.map(|_| RuleKeys::of(set));
    let cache = cache.zip(keys.as_ref());
    let per_bundle: Vec<Vec<RuleResult>> = bundles
        .par_iter()
        .map(|(path, bundle)| {
            let hits = bundle_hits(set, &matcher, bundle, table, cache);
            let results = judge_hits(set, &hits, path, bundle, config);
            on_bundle();
            results
        })
        .collect();
    let rules = per_bundle.first().map_or(0, Vec::len);
    let mut columns: Vec<std::vec::IntoIter<RuleResult>> =
        per_bundle.into_iter().map(Vec::into_iter).collect();
    let mut results = Vec::with_capacity(rules * bundles.len());
    for _ in 0..rules {
        for column in &mut columns {
            results.extend(column.next());
        }
    }
    results
}
