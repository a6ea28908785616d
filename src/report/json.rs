//! The JSON report of `rulecheck test` (schema documented in `docs/cli.md`).

use serde::Serialize;

use super::{JSON_SCHEMA_VERSION, Problem, Summary};
use crate::false_positives::{ProfileFalsePositives, by_profile};
use crate::robustness::{Robustness, robustness};
use crate::snapshot::GateReport;
use crate::testrun::RuleResult;

#[derive(Serialize)]
struct TestReport<'a> {
    schema_version: u32,
    rulecheck: &'static str,
    exit_code: u8,
    summary: &'a Summary,
    /// Every (rule, bundle) pair except those where nothing was expected or hit.
    results: Vec<&'a RuleResult>,
    problems: &'a [Problem],
    /// Per rule, technique and spec: detection over variant bundles
    /// (`generate --variants`); absent when none was tested.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    robustness: Vec<Robustness>,
    /// Per rule and environment profile: false positives on benign events
    /// (`generate --profile`); absent when no bundle was blended.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    false_positives_by_profile: Vec<ProfileFalsePositives>,
    /// The snapshot gate, when snapshots are in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshots: Option<&'a GateReport>,
}

pub fn render_test(
    results: &[RuleResult],
    summary: &Summary,
    problems: &[Problem],
    snapshots: Option<&GateReport>,
    exit_code: u8,
) -> String {
    let report = TestReport {
        schema_version: JSON_SCHEMA_VERSION,
        rulecheck: env!("CARGO_PKG_VERSION"),
        exit_code,
        summary,
        results: super::table::shown(results).collect(),
        problems,
        robustness: robustness(results),
        false_positives_by_profile: by_profile(results),
        snapshots: snapshots.filter(|s| s.enabled),
    };
    let mut out = serde_json::to_string_pretty(&report).expect("reports serialise");
    out.push('\n');
    out
}
