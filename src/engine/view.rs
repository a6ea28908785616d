//! What a rule sees of a record: Windows event-log records in evtx_dump shape
//! (`Event.System`, `Event.EventData`, `Event.UserData`) flattened to the field
//! names Sigma rules use; other records as they are.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Flatten one record. `System` scalars keep their names (`EventID`, `Channel`,
/// `Computer`); attribute-only elements become `Element_Attribute`
/// (`Provider_Name`, `Execution_ProcessID`); `EventData`/`UserData` fields are
/// lifted to the top. Elements of the form `{"#text": v, "#attributes": …}` give `v`.
pub fn flatten(record: &Value) -> Map<String, Value> {
    if let Some(winlog) = record.get("winlog").and_then(Value::as_object) {
        return flatten_winlogbeat(record, winlog);
    }
    let Some(event) = record.get("Event").and_then(Value::as_object) else {
        return record.as_object().cloned().unwrap_or_default();
    };
    let mut out = Map::new();
    if let Some(system) = event.get("System").and_then(Value::as_object) {
        for (key, value) in system {
            match value {
                Value::Object(obj) => {
                    if let Some(text) = obj.get("#text") {
                        out.insert(key.clone(), text.clone());
                    }
                    if let Some(Value::Object(attrs)) = obj.get("#attributes") {
                        for (attr, v) in attrs {
                            out.insert(format!("{key}_{attr}"), v.clone());
                        }
                    }
                }
                other => {
                    out.insert(key.clone(), other.clone());
                }
            }
        }
    }
    if let Some(Value::Object(data)) = event.get("EventData") {
        lift(data, &mut out);
    }
    if let Some(Value::Object(user_data)) = event.get("UserData") {
        // UserData holds one provider-specific element whose children are the fields.
        for inner in user_data.values() {
            match inner {
                Value::Object(fields) => lift(fields, &mut out),
                other => {
                    out.insert("UserData".into(), other.clone());
                }
            }
        }
    }
    out
}

/// Winlogbeat/Elastic records keep the event under `winlog`: `event_data` holds
/// the fields, `event_id`, `channel`, `provider_name` and `computer_name` the
/// System values. Top-level keys (`@timestamp`, `host`, …) are kept as they are.
fn flatten_winlogbeat(record: &Value, winlog: &Map<String, Value>) -> Map<String, Value> {
    let mut out = record.as_object().cloned().unwrap_or_default();
    out.remove("winlog");
    for (from, to) in [
        ("event_id", "EventID"),
        ("channel", "Channel"),
        ("provider_name", "Provider_Name"),
        ("computer_name", "Computer"),
        ("record_id", "EventRecordID"),
    ] {
        if let Some(v) = winlog.get(from) {
            // Winlogbeat writes event ids as strings in some versions; Sigma compares integers.
            let v = match (to, v) {
                ("EventID", Value::String(s)) => s
                    .parse::<u64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| v.clone()),
                _ => v.clone(),
            };
            out.insert(to.into(), v);
        }
    }
    if let Some(Value::Object(data)) = winlog.get("event_data") {
        lift(data, &mut out);
    }
    if let Some(Value::Object(data)) = winlog.get("user_data") {
        lift(data, &mut out);
    }
    out
}

fn lift(fields: &Map<String, Value>, out: &mut Map<String, Value>) {
    for (key, value) in fields {
        if key == "#attributes" {
            continue;
        }
        let value = match value {
            Value::Object(obj) if obj.contains_key("#text") => obj["#text"].clone(),
            other => other.clone(),
        };
        out.insert(key.clone(), value);
    }
}

/// Apply a route's field mapping (Sigma name → record name). Mapped values are
/// read from the unmapped view, so mappings that swap names work.
pub fn apply_mapping(
    flat: &Map<String, Value>,
    fields: &BTreeMap<String, String>,
) -> Map<String, Value> {
    let mut out = flat.clone();
    for (sigma_name, source) in fields {
        match mapped_value(flat, source) {
            Some(v) => {
                out.insert(sigma_name.clone(), v);
            }
            None => {
                out.remove(sigma_name);
            }
        }
    }
    out
}

/// The value a mapping source names: a record field, or a template such as
/// `{RegistryKey}\{RegistryValueName}` joining several fields as text (absent
/// when any field it names is absent).
pub fn mapped_value(flat: &Map<String, Value>, source: &str) -> Option<Value> {
    if !source.contains('{') {
        return flat.get(source).cloned();
    }
    let mut out = String::new();
    let mut rest = source;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}')? + open;
        match flat.get(&rest[open + 1..close])? {
            Value::String(s) => out.push_str(s),
            Value::Null => return None,
            other => out.push_str(&other.to_string()),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    Some(Value::String(out))
}

/// When a flattened record happened, in microseconds since the Unix epoch:
/// from `SystemTime` (evtx), Sysmon's `UtcTime`, or `@timestamp`/`Timestamp`/
/// `TimeGenerated` (RFC 3339); `None` when none parses.
pub fn event_time(flat: &Map<String, Value>) -> Option<i64> {
    for key in [
        "TimeCreated_SystemTime",
        "@timestamp",
        "Timestamp",
        "TimeGenerated",
        "UtcTime",
    ] {
        let Some(text) = flat.get(key).and_then(Value::as_str) else {
            continue;
        };
        if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
            return Some(t.timestamp_micros());
        }
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f") {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    None
}

/// The numeric EventID of a flattened record, if it has one.
pub fn event_id(flat: &Map<String, Value>) -> Option<u64> {
    match flat.get("EventID")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_evtx_dump_records_like_sigma_backends() {
        let record = json!({"Event": {
            "#attributes": {"xmlns": "x"},
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon", "Guid": "G"}},
                "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 1},
                "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Correlation": null
            },
            "EventData": {"Image": "C:\\a.exe", "ProcessId": 42}
        }});
        let flat = flatten(&record);
        assert_eq!(flat["Provider_Name"], "Microsoft-Windows-Sysmon");
        assert_eq!(flat["EventID"], 1);
        assert_eq!(flat["EventID_Qualifiers"], 0);
        assert_eq!(flat["Image"], "C:\\a.exe");
        assert_eq!(flat["ProcessId"], 42);
        assert_eq!(event_id(&flat), Some(1));
    }

    #[test]
    fn winlogbeat_records_are_flattened_to_sigma_names() {
        let flat = flatten(&json!({
            "@timestamp": "2026-01-01T00:00:00Z",
            "winlog": {"event_id": "4688", "channel": "Security", "provider_name": "Microsoft-Windows-Security-Auditing",
                       "computer_name": "WS1", "event_data": {"NewProcessName": "C:\\x.exe"}}
        }));
        assert_eq!(flat["EventID"], 4688);
        assert_eq!(flat["Channel"], "Security");
        assert_eq!(flat["NewProcessName"], "C:\\x.exe");
        assert!(flat.contains_key("@timestamp"));
        assert!(!flat.contains_key("winlog"));
    }

    #[test]
    fn event_times_come_from_the_usual_fields() {
        let t = |v: Value| event_time(v.as_object().unwrap());
        assert_eq!(
            t(json!({"TimeCreated_SystemTime": "2026-03-11T05:55:53.5502353Z"})),
            Some(1_773_208_553_550_235)
        );
        assert_eq!(
            t(json!({"UtcTime": "2026-03-11 05:55:53.547"})),
            Some(1_773_208_553_547_000)
        );
        assert_eq!(t(json!({"Timestamp": "not a time"})), None);
        assert_eq!(t(json!({})), None);
    }

    #[test]
    fn flat_records_pass_through() {
        let flat = flatten(&json!({"EventID": "4688", "NewProcessName": "x"}));
        assert_eq!(event_id(&flat), Some(4688));
    }

    #[test]
    fn mapping_templates_join_fields() {
        let flat =
            flatten(&json!({"RegistryKey": "HKEY_CURRENT_USER\\Run", "RegistryValueName": "x"}));
        assert_eq!(
            mapped_value(&flat, "{RegistryKey}\\{RegistryValueName}"),
            Some(json!("HKEY_CURRENT_USER\\Run\\x"))
        );
        assert_eq!(mapped_value(&flat, "{RegistryKey}\\{Missing}"), None);
        assert_eq!(
            mapped_value(&flat, "RegistryKey"),
            Some(json!("HKEY_CURRENT_USER\\Run"))
        );
    }

    #[test]
    fn mapping_reads_from_the_unmapped_view_so_swaps_work() {
        let flat =
            flatten(&json!({"ProcessId": "0x10", "NewProcessId": "0x20", "NewProcessName": "n"}));
        let fields: BTreeMap<String, String> = [
            ("ProcessId".to_string(), "NewProcessId".to_string()),
            ("ParentProcessId".to_string(), "ProcessId".to_string()),
            ("Image".to_string(), "NewProcessName".to_string()),
            ("ParentImage".to_string(), "ParentProcessName".to_string()),
        ]
        .into();
        let mapped = apply_mapping(&flat, &fields);
        assert_eq!(mapped["ProcessId"], "0x20");
        assert_eq!(mapped["ParentProcessId"], "0x10");
        assert_eq!(mapped["Image"], "n");
        assert!(!mapped.contains_key("ParentImage"));
    }
}
