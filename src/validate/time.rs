//! Time constraints: every event time parses, the events of one host and log
//! are in time order, and every event of a generated bundle lies inside the
//! bundle's window.

use std::collections::BTreeMap;

use serde_json::Value;

use super::facts::{Event, Facts, number, parse_time, shown_time, time_field};
use super::{Constraint, Finding};
use crate::action::Micros;
use crate::bundle::{Bundle, IMPORTED_PROFILE};

/// How far a real log's record may run behind the one before it. The event
/// log receives events through ETW's per-processor buffers, which are
/// delivered in batches, so records of one log are not strictly in time
/// order; a bound chosen above the buffers' flush interval (one second by
/// default), not measured. Generated bundles are ordered exactly.
const REAL_LOG_SLACK_MICROS: Micros = 2_000_000;

pub fn check(bundle: &Bundle, facts: &Facts, out: &mut Vec<Finding>) {
    let imported = bundle.header.profile == IMPORTED_PROFILE;
    formats(facts, out);
    order(facts, if imported { REAL_LOG_SLACK_MICROS } else { 0 }, out);
    // An imported bundle's window is computed from its own records: it
    // claims nothing to check them against.
    if !imported {
        window(bundle, facts, out);
    }
}

fn formats(facts: &Facts, out: &mut Vec<Finding>) {
    for e in facts.events.iter().filter(|e| e.time.is_none()) {
        if let Some((field, value)) = time_field(&e.flat) {
            let shown = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push(Finding::new(
                Constraint::TimeFormat,
                vec![e.index],
                format!("{field} {shown:?} is not an RFC 3339 time"),
            ));
        }
    }
}

/// Within one host and log, in the log's own order (`EventRecordID` where
/// every record has one, which also undoes a wrapped EVTX file's chunk
/// order; file order otherwise), no event is earlier than one before it by
/// more than `slack`.
fn order(facts: &Facts, slack: Micros, out: &mut Vec<Finding>) {
    let mut logs: BTreeMap<(&str, &str), Vec<&Event>> = BTreeMap::new();
    for e in facts.events.iter().filter(|e| e.time.is_some()) {
        logs.entry((&e.host, &e.source)).or_default().push(e);
    }
    for ((host, source), mut events) in logs {
        let record_ids: Option<Vec<u64>> = events
            .iter()
            .map(|e| number(&e.flat, "EventRecordID"))
            .collect();
        if let Some(ids) = record_ids {
            let mut paired: Vec<(u64, &Event)> = ids.into_iter().zip(events).collect();
            paired.sort_by_key(|(id, e)| (*id, e.index));
            events = paired.into_iter().map(|(_, e)| e).collect();
        }
        // The latest time seen so far in log order, and its event.
        let mut latest: Option<(Micros, usize)> = None;
        for e in events {
            let time = e.time.expect("filtered");
            if let Some((before, before_event)) = latest {
                if time + slack < before {
                    out.push(Finding::new(
                        Constraint::TimeOrder,
                        vec![before_event, e.index],
                        format!(
                            "{source} event at {} comes after one at {} on host {host}",
                            shown_time(time),
                            shown_time(before),
                        ),
                    ));
                }
            }
            if latest.is_none_or(|(t, _)| time >= t) {
                latest = Some((time, e.index));
            }
        }
    }
}

fn window(bundle: &Bundle, facts: &Facts, out: &mut Vec<Finding>) {
    let (Some(start), Some(end)) = (
        parse_time(&bundle.header.start),
        parse_time(&bundle.header.reference_time),
    ) else {
        return;
    };
    for e in &facts.events {
        let Some(time) = e.time else { continue };
        if time < start || time > end {
            out.push(Finding::new(
                Constraint::TimeWindow,
                vec![e.index],
                format!(
                    "event time {} is outside the bundle's window {} … {}",
                    shown_time(time),
                    bundle.header.start,
                    bundle.header.reference_time
                ),
            ));
        }
    }
}
