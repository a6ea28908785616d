//! Real log records → a bundle, so imported logs sit beside synthetic bundles
//! and flow through the same engines and reports. Events keep the log's order
//! and are labelled `unknown`: nobody has said which are malicious.

use serde_json::Value;

use super::{BUNDLE_FORMAT, BUNDLE_VERSION, Bundle, Class, EventLine, Header, Labels};
use crate::engine::LogsourceTable;
use crate::engine::view::flatten;
use crate::report::event_summary;

/// Profile name recorded in the header of imported bundles.
pub const IMPORTED_PROFILE: &str = "imported";

/// Build a bundle named `name` from real records.
pub fn bundle_from_records(name: &str, records: Vec<Value>, table: &LogsourceTable) -> Bundle {
    let mut times = Vec::new();
    let mut hosts: Vec<String> = Vec::new();
    let events: Vec<EventLine> = records
        .into_iter()
        .map(|record| {
            let flat = flatten(&record);
            // The channel names the log; a record without one (some exports)
            // is placed by its provider, which the sources table lists too.
            let channel = flat
                .get("Channel")
                .or_else(|| flat.get("Provider_Name"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            // Rows exported from Log Analytics or Defender advanced hunting
            // have no channel; their `Type` names the table they came from.
            let table_type = flat
                .get("Type")
                .and_then(Value::as_str)
                .filter(|t| channel.is_empty() && crate::tables::all_names().any(|n| n == *t));
            let time = event_summary::time(&flat);
            if time != "-" {
                times.push(time);
            }
            if let Some(host) = flat.get("Computer").and_then(Value::as_str) {
                if !hosts.iter().any(|h| h == host) {
                    hosts.push(host.to_string());
                }
            }
            EventLine {
                labels: Labels {
                    source: table_type
                        .map_or_else(|| table.source_for_channel(channel), str::to_string),
                    step: None,
                    technique: None,
                    class: Class::Unknown,
                    ingestion_time: None,
                },
                record,
            }
        })
        .collect();
    // RFC 3339 times of one format sort lexically.
    times.sort();
    Bundle {
        header: Header {
            format: BUNDLE_FORMAT.to_string(),
            version: BUNDLE_VERSION,
            generator: format!("rulecheck {}", env!("CARGO_PKG_VERSION")),
            spec: name.to_string(),
            name: format!("Imported from {name}"),
            description: None,
            techniques: Vec::new(),
            tactics: Vec::new(),
            platform: "windows".to_string(),
            seed: 0,
            profile: IMPORTED_PROFILE.to_string(),
            host: if hosts.is_empty() {
                "-".to_string()
            } else {
                hosts.join(", ")
            },
            start: times.first().cloned().unwrap_or_else(|| "-".to_string()),
            reference_time: times.last().cloned().unwrap_or_else(|| "-".to_string()),
            event_count: events.len(),
            narrative: Vec::new(),
            variant: None,
        },
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn imported_events_are_unknown_and_routed_by_channel() {
        let records = vec![
            json!({"Event": {"System": {"Channel": "Security", "EventID": 4624, "Computer": "DC1",
                "TimeCreated": {"#attributes": {"SystemTime": "2026-01-02T00:00:00Z"}}}, "EventData": {}}}),
            json!({"Event": {"System": {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Computer": "DC1",
                "TimeCreated": {"#attributes": {"SystemTime": "2026-01-01T00:00:00Z"}}}, "EventData": {}}}),
        ];
        let bundle = bundle_from_records("sample", records, &LogsourceTable::builtin());
        assert_eq!(bundle.events[0].labels.source, "security");
        assert_eq!(bundle.events[1].labels.source, "sysmon");
        assert!(
            bundle
                .events
                .iter()
                .all(|e| e.labels.class == Class::Unknown)
        );
        assert_eq!(bundle.header.start, "2026-01-01T00:00:00Z");
        assert_eq!(bundle.header.reference_time, "2026-01-02T00:00:00Z");
        assert_eq!(bundle.header.host, "DC1");
        let no_channel = json!({"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}, "EventID": 1}}});
        let by_provider = bundle_from_records("p", vec![no_channel], &LogsourceTable::builtin());
        assert_eq!(by_provider.events[0].labels.source, "sysmon");
        // Exported table rows carry no channel; `Type` names their table.
        let exported = json!({"Timestamp": "2026-01-03T00:00:00Z", "Type": "DeviceProcessEvents", "FileName": "x.exe"});
        let unknown_type = json!({"Type": "NoSuchTable"});
        let rows = bundle_from_records(
            "e",
            vec![exported, unknown_type],
            &LogsourceTable::builtin(),
        );
        assert_eq!(rows.events[0].labels.source, "DeviceProcessEvents");
        assert_ne!(rows.events[1].labels.source, "NoSuchTable");
        // The bundle round-trips through the bundle format.
        let text = super::super::serialize_bundle(&bundle);
        assert_eq!(
            super::super::parse_bundle("x.jsonl", &text).unwrap(),
            bundle
        );
    }
}
