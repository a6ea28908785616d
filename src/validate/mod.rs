//! Coherence of a bundle: whether its records hold together like the logs of
//! one real host. Works only from what the records say (never from a plan), so
//! it applies to generated bundles and imported real logs alike.
//!
//! Real logs are partial: a process whose creation is not in the log, a logon
//! that happened before the log starts, a source that was not collected — none
//! of that is a finding. A finding is always a contradiction between records
//! that are both present, or a value no Windows host writes. The constraints
//! and exactly what each checks are listed in `docs/validation.md`.
//!
//! One module per family of constraints: `time`, `process`, `logon`,
//! `identity` (SIDs and accounts) and `values` (paths, IPs, ports). `facts`
//! reads the records of the three schemas (Windows event logs, Defender XDR
//! rows, Sentinel `SecurityEvent` rows) into one shape they all check.

mod constraint;
mod facts;
mod identity;
mod logon;
mod process;
mod time;
mod values;

#[cfg(test)]
mod tests;

pub use constraint::{Constraint, Severity};

use serde::Serialize;

use crate::bundle::Bundle;
use facts::Facts;

/// One inconsistency: which constraint, how bad, which events, and what
/// disagrees with what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// Event numbers (1-based, as reports number events; event N is on line
    /// N + 1 of a bundle file), in file order.
    pub events: Vec<usize>,
    pub constraint: Constraint,
    pub severity: Severity,
    pub message: String,
}

impl Finding {
    fn new(constraint: Constraint, events: Vec<usize>, message: String) -> Finding {
        let mut events: Vec<usize> = events.into_iter().map(|i| i + 1).collect();
        events.sort_unstable();
        events.dedup();
        Finding {
            events,
            constraint,
            severity: constraint.severity(),
            message,
        }
    }
}

/// Every finding of a bundle, in order of first event, then constraint id.
pub fn validate_bundle(bundle: &Bundle) -> Vec<Finding> {
    let facts = Facts::read(bundle);
    let mut findings = Vec::new();
    time::check(bundle, &facts, &mut findings);
    process::check(&facts, &mut findings);
    logon::check(&facts, &mut findings);
    identity::check(&facts, &mut findings);
    values::check(&facts, &mut findings);
    findings.sort();
    findings.dedup();
    findings
}
