//! False positives per environment profile: for each rule and each profile
//! of the bundles tested (`generate --profile`), how many benign events the
//! rule fired on among how many it saw. A rule that is quiet on the
//! workstation profile may still fire on a domain controller's routine.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::bundle::{DEFAULT_PROFILE, IMPORTED_PROFILE};
use crate::judge::HitKind;
use crate::testrun::{RuleRef, RuleResult, TestKind};

/// One rule on the bundles of one profile.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileFalsePositives {
    pub rule: RuleRef,
    pub profile: String,
    pub bundles: usize,
    /// Benign events in those bundles (background activity and benign steps).
    pub benign_events: usize,
    /// Of those, the events the rule fired on: its false positives.
    pub false_positives: usize,
    /// `false_positives / benign_events` (0 when there were none).
    pub rate: f64,
}

/// Every rule's false positives per profile, ordered by rule (file, line,
/// title) then profile. Empty unless some bundle was blended with a profile
/// (its header names one other than the built-in or imported environment),
/// so runs without profiles report nothing new.
pub fn by_profile(results: &[RuleResult]) -> Vec<ProfileFalsePositives> {
    let blended = results.iter().any(|r| {
        r.bundle
            .profile
            .as_ref()
            .is_some_and(|p| p.name != DEFAULT_PROFILE && p.name != IMPORTED_PROFILE)
    });
    if !blended {
        return Vec::new();
    }
    type Key = (String, Option<usize>, String, String);
    let mut rows: BTreeMap<Key, ProfileFalsePositives> = BTreeMap::new();
    for r in results.iter().filter(|r| r.kind == TestKind::Synthetic) {
        let Some(profile) = &r.bundle.profile else {
            continue;
        };
        let key = (
            r.rule.path.clone(),
            r.rule.line,
            r.rule.title.clone(),
            profile.name.clone(),
        );
        let row = rows.entry(key).or_insert_with(|| ProfileFalsePositives {
            rule: r.rule.clone(),
            profile: profile.name.clone(),
            bundles: 0,
            benign_events: 0,
            false_positives: 0,
            rate: 0.0,
        });
        row.bundles += 1;
        row.benign_events += profile.benign_events;
        row.false_positives += r
            .verdict
            .hits
            .iter()
            .filter(|h| h.kind == HitKind::Benign)
            .count();
    }
    rows.into_values()
        .map(|mut row| {
            if row.benign_events > 0 {
                row.rate = row.false_positives as f64 / row.benign_events as f64;
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests;
