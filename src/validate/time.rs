//! Time constraints: every event time parses, the events of one host and log
//! are in time order, and every event lies inside the bundle's window.

use std::collections::BTreeMap;

use serde_json::Value;

use super::facts::{Facts, parse_time, shown_time, time_field};
use super::{Constraint, Finding};
use crate::bundle::Bundle;

pub fn check(bundle: &Bundle, facts: &Facts, out: &mut Vec<Finding>) {
    // (host, source) → (time, event) of the last event seen in file order.
    let mut last: BTreeMap<(&str, &str), (i64, usize)> = BTreeMap::new();
    let window = (
        parse_time(&bundle.header.start),
        parse_time(&bundle.header.reference_time),
    );
    for e in &facts.events {
        let Some(time) = e.time else {
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
            continue;
        };
        let key = (e.host.as_str(), e.source.as_str());
        if let Some(&(before, before_event)) = last.get(&key) {
            if time < before {
                out.push(Finding::new(
                    Constraint::TimeOrder,
                    vec![before_event, e.index],
                    format!(
                        "{} event at {} comes after one at {} on host {}",
                        e.source,
                        shown_time(time),
                        shown_time(before),
                        e.host
                    ),
                ));
            }
        }
        if last.get(&key).is_none_or(|(t, _)| time >= *t) {
            last.insert(key, (time, e.index));
        }
        if let (Some(start), Some(end)) = window {
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
}
