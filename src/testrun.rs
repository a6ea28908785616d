//! A test run: every rule against every bundle, judged. Pure: inputs are loaded
//! rules and bundles, output is one result per (rule, bundle) pair, in rule-path
//! then bundle-path order.

use serde::Serialize;

use crate::bundle::Bundle;
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

/// What one rule did on one bundle.
enum Evaluated<'h> {
    Hits(&'h [usize]),
    /// It can see no event of the bundle, for this reason.
    Blind(String),
    /// It failed on the bundle's data, for this reason.
    Failed(String),
}

fn judge_rule(
    judged: Judged<'_>,
    evaluated: Evaluated<'_>,
    bundle_path: &str,
    bundle: &Bundle,
    config: &Config,
) -> RuleResult {
    let expectation = config.expectation(judged.path, judged.techniques, bundle_path);
    let verdict = match evaluated {
        Evaluated::Hits(hits) => judge(&expectation, None, bundle, hits),
        Evaluated::Blind(why) => judge(&expectation, Some(&why), bundle, &[]),
        Evaluated::Failed(why) => errored(&expectation, bundle, why),
    };
    RuleResult {
        rule: judged.rule,
        kind: TestKind::Synthetic,
        bundle: BundleRef {
            path: bundle_path.to_string(),
            spec: bundle.header.spec.clone(),
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
fn evaluate_kql<'h>(
    rule: &KqlRule,
    bundle: &Bundle,
    db: &kql_rule::BundleDatabase,
    hits: &'h mut Vec<usize>,
) -> Evaluated<'h> {
    match rule.hits(bundle, db) {
        Ok(Some(found)) => {
            *hits = found;
            Evaluated::Hits(hits)
        }
        Ok(None) => Evaluated::Blind(format!(
            "the rule reads table `{}`, which rulecheck does not generate",
            rule.missing_table.as_deref().unwrap_or("?")
        )),
        Err(e) => Evaluated::Failed(format!("the query failed: {}", rule.describe(&e))),
    }
}

/// Evaluate and judge every rule of `set` on one bundle whose events are
/// prepared: Sigma detection rules (except those a correlation keeps silent),
/// then correlation rules, then KQL rules, each in load order.
pub fn judge_bundle(
    set: &RuleSet<'_>,
    matcher: &SigmaMatcher<'_>,
    bundle_path: &str,
    bundle: &Bundle,
    events: &[PreparedEvent],
    config: &Config,
) -> Vec<RuleResult> {
    let hits = matcher.hits(events);
    let silenced = set.silenced();
    let mut results = Vec::new();
    for (i, rule) in set.sigma.iter().enumerate() {
        if silenced[i] {
            continue;
        }
        let evaluated = if rule.routes.is_empty() {
            Evaluated::Blind(BLIND_LOGSOURCE.to_string())
        } else {
            Evaluated::Hits(&hits[i])
        };
        results.push(judge_rule(
            sigma_ref(rule),
            evaluated,
            bundle_path,
            bundle,
            config,
        ));
    }
    for (i, rule) in set.correlations.iter().enumerate() {
        let mut correlation_hits: Vec<usize> = set
            .firings(i, &hits, events)
            .into_iter()
            .flat_map(|f| f.events)
            .collect();
        correlation_hits.sort_unstable();
        correlation_hits.dedup();
        results.push(judge_rule(
            correlation_ref(rule),
            Evaluated::Hits(&correlation_hits),
            bundle_path,
            bundle,
            config,
        ));
    }
    if !set.kql.is_empty() {
        // Built once per bundle: every KQL rule reads the same tables.
        let db = kql_rule::database(bundle, set.kql_fixtures);
        for rule in set.kql {
            let mut hits = Vec::new();
            let evaluated = evaluate_kql(rule, bundle, &db, &mut hits);
            results.push(judge_rule(
                kql_ref(rule),
                evaluated,
                bundle_path,
                bundle,
                config,
            ));
        }
    }
    results
}

/// Every rule on every bundle, rule by rule. Bundles are judged in parallel
/// and each bundle's events are prepared once; the result order does not
/// depend on the scheduling. `on_bundle` is called after each bundle is
/// judged (from any thread), so the caller can show progress without this
/// stage touching the terminal.
pub fn run_tests(
    set: &RuleSet<'_>,
    bundles: &[(String, Bundle)],
    config: &Config,
    table: &LogsourceTable,
    on_bundle: &(dyn Fn() + Sync),
) -> Vec<RuleResult> {
    let matcher = SigmaMatcher::new(set.sigma, true);
    let per_bundle: Vec<Vec<RuleResult>> = bundles
        .par_iter()
        .map(|(path, bundle)| {
            let events = prepare(bundle, table);
            let results = judge_bundle(set, &matcher, path, bundle, &events, config);
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
