//! Microsoft Sentinel `SecurityEvent` rows: what the Log Analytics agent makes
//! of a Windows Security record. Each row is derived from a rendered Security
//! record (4688, 4624), so both schemas always tell the same story.
//!
//! The event's own fields become the columns of the same name (typed as the
//! table declares them); `EventData` keeps them all as XML; Sentinel's derived
//! columns (`Account`, `Activity`, `SubjectAccount`, `TargetAccount`,
//! `LogonTypeName`, `Process`) are filled as Sentinel fills them; every other
//! column of the table is empty.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::row::{Row, kql_datetime};
use super::{Rendered, Source};
use crate::action::Micros;
use crate::environment::Environment;
use crate::plan::rng::Rng;
use crate::tables::{self, KqlType};

const TABLE: &str = "SecurityEvent";
/// The agent uploads a few seconds after the event is written.
const INGESTION_DELAY_US: (u64, u64) = (3_000_000, 12_000_000);
/// `Keywords` of an audit-failure event; anything else from the Security log
/// that rulecheck renders is an audit success.
const KEYWORD_AUDIT_FAILURE: u64 = 0x0010_0000_0000_0000;
/// Fields Windows types as GUIDs: their XML text (and so Sentinel) has braces,
/// which evtx_dump's JSON drops.
const GUID_FIELDS: [&str; 1] = ["LogonGuid"];

/// The `SecurityEvent` row for a rendered Security record, or `None` for a
/// record that is not one (it must be evtx-shaped with `System` and `EventData`).
pub fn from_security(env: &Environment, security: &Rendered, rng: &mut Rng) -> Option<Rendered> {
    let event = security.record.get("Event")?;
    let system = event.get("System")?;
    let data = event.get("EventData")?.as_object()?;
    let event_id = system.get("EventID")?.as_u64()?;
    let keywords = system
        .get("Keywords")
        .and_then(Value::as_str)
        .and_then(|k| u64::from_str_radix(k.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0);
    let text = |key: &str| data.get(key).map(value_text).unwrap_or_default();

    let mut row = Row::new(TABLE);
    let schema = tables::table(TABLE).expect("SecurityEvent is in data/tables.yaml");
    // The event's own fields, where the table has a column of that name.
    for (name, value) in data {
        let Some(column) = schema.column(name) else {
            continue;
        };
        let value = match column.kind {
            KqlType::Int => match value {
                Value::Number(_) => value.clone(),
                other => value_text(other)
                    .parse::<i64>()
                    .map_or(Value::Null, Value::from),
            },
            _ => field_text(name, value).into(),
        };
        row.set(name, value);
    }

    row.set("TimeGenerated", kql_datetime(security.time));
    let account = |domain: &str, name: &str| format!("{}\\{}", text(domain), text(name));
    let subject = account("SubjectDomainName", "SubjectUserName");
    let target = account("TargetDomainName", "TargetUserName");
    // The account an event is about: who started the process, who logged on.
    let (acting, acting_name) = match event_id {
        4624 => (target.clone(), text("TargetUserName")),
        _ => (subject.clone(), text("SubjectUserName")),
    };
    row.set("Account", acting);
    row.set(
        "AccountType",
        if acting_name.ends_with('$') {
            "Machine"
        } else {
            "User"
        },
    );
    row.set("Activity", activity(event_id));
    row.set(
        "Channel",
        system.get("Channel").map(value_text).unwrap_or_default(),
    );
    row.set(
        "Computer",
        system
            .get("Computer")
            .map(value_text)
            .unwrap_or_else(|| env.host.fqdn.to_string()),
    );
    row.set("EventData", event_data_xml(data));
    row.set("EventID", event_id);
    row.set(
        "EventSourceName",
        system
            .pointer("/Provider/#attributes/Name")
            .map(value_text)
            .unwrap_or_default(),
    );
    // The agent writes the audit outcome as the level: 8 success, 16 failure.
    row.set(
        "Level",
        if keywords & KEYWORD_AUDIT_FAILURE != 0 {
            "16"
        } else {
            "8"
        },
    );
    if let Some(logon_type) = data.get("LogonType").and_then(Value::as_u64) {
        row.set(
            "LogonTypeName",
            format!(
                "{logon_type} - {}",
                super::defender::logon_type_name(logon_type as u8)
            ),
        );
    }
    let image = match event_id {
        4688 => text("NewProcessName"),
        _ => text("ProcessName"),
    };
    if !image.is_empty() {
        row.set(
            "Process",
            image.rsplit('\\').next().unwrap_or(&image).to_string(),
        );
    }
    if data.contains_key("SubjectUserName") {
        row.set("SubjectAccount", subject);
    }
    if data.contains_key("TargetUserName") {
        row.set("TargetAccount", target);
    }
    if let Some(task) = system.get("Task").and_then(Value::as_u64) {
        row.set("Task", task);
    }
    row.set("SourceSystem", "OpsManager");
    row.set("SourceComputerId", source_computer_id(env));
    row.set("Type", TABLE);
    row.set("_IsBillable", "true");
    let billed = billed_size(&row);
    row.set("_BilledSize", billed);

    let (min, max) = INGESTION_DELAY_US;
    Some(Rendered {
        time: security.time,
        source: Source::SecurityEvent,
        record: row.into_value(),
        ingested: Some(security.time + rng.between(min, max) as Micros),
    })
}

/// `4688 - A new process has been created.`: the event id and its title.
pub fn activity(event_id: u64) -> String {
    let title = match event_id {
        4624 => "An account was successfully logged on.",
        4625 => "An account failed to log on.",
        4634 => "An account was logged off.",
        4672 => "Special privileges assigned to new logon.",
        4688 => "A new process has been created.",
        4689 => "A process has exited.",
        _ => return event_id.to_string(),
    };
    format!("{event_id} - {title}")
}

/// The event data as the agent forwards it: the `EventData` element of the
/// event's XML, one `Data` element per line.
pub fn event_data_xml(data: &Map<String, Value>) -> String {
    let mut xml = String::from(
        r#"<EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">"#,
    );
    for (name, value) in data {
        if name == "#attributes" {
            continue;
        }
        xml.push_str("\r\n  <Data Name=\"");
        xml.push_str(&escape_xml(name));
        xml.push_str("\">");
        xml.push_str(&escape_xml(&field_text(name, value)));
        xml.push_str("</Data>");
    }
    xml.push_str("\r\n</EventData>");
    xml
}

/// A field's text as Windows renders it in XML (GUIDs in braces).
fn field_text(name: &str, value: &Value) -> String {
    let text = value_text(value);
    if GUID_FIELDS.contains(&name) && !text.starts_with('{') {
        format!("{{{text}}}")
    } else {
        text
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The agent's id of the computer: a GUID, stable per host.
fn source_computer_id(env: &Environment) -> String {
    let d = Sha256::digest(format!(
        "source-computer:{}",
        env.host.fqdn.to_ascii_lowercase()
    ));
    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `_BilledSize`: the record's size in bytes, taken as the length of its JSON
/// without the `_`-prefixed system columns (which Log Analytics does not bill).
fn billed_size(row: &Row) -> f64 {
    let value = row_without_system_columns(row);
    serde_json::to_string(&value).map_or(0, |s| s.len()) as f64
}

fn row_without_system_columns(row: &Row) -> Value {
    let schema = tables::table(TABLE).expect("SecurityEvent is in data/tables.yaml");
    let map: Map<String, Value> = schema
        .columns
        .iter()
        .filter(|c| !c.name.starts_with('_'))
        .filter_map(|c| Some((c.name.clone(), row.get(&c.name)?.clone())))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binaries::BinaryCatalog;
    use crate::render::render_plan;
    use crate::spec::Spec;
    use serde_json::json;

    const SPEC: &str = r#"
name: sentinel rows
techniques: [T1021.001]
tactics: [lateral-movement]
platform: windows
steps:
  - id: rdp
    technique: T1021.001
    logon: { user: bob, logon_type: 10, source_ip: 10.20.30.7, workstation: WS-0107 }
  - id: net
    technique: T1021.001
    logon: { user: alice, logon_type: 3, source_ip: 10.20.30.9 }
  - id: svc
    technique: T1021.001
    process_create: { user: system, image: C:\Windows\System32\sc.exe, command_line: sc query }
"#;

    /// The SecurityEvent rows of SPEC, each with the Security record it came from.
    fn rows() -> Vec<(Value, Value)> {
        let env = Environment::default_workstation();
        let spec = Spec::parse("t.yaml", SPEC, &env).unwrap();
        let plan = crate::plan::plan(&spec, 1, &env, &BinaryCatalog::builtin());
        let records = render_plan(&plan, &env, "t");
        let security: Vec<&Value> = records
            .iter()
            .filter(|r| r.rendered.source == Source::Security)
            .map(|r| &r.rendered.record)
            .collect();
        let sentinel: Vec<&Value> = records
            .iter()
            .filter(|r| r.rendered.source == Source::SecurityEvent)
            .map(|r| &r.rendered.record)
            .collect();
        assert_eq!(security.len(), sentinel.len());
        sentinel
            .into_iter()
            .cloned()
            .zip(security.into_iter().cloned())
            .collect()
    }

    #[test]
    fn every_security_record_becomes_a_security_event_row() {
        let rows = rows();
        // The RDP logon of UAC administrator bob is two 4624s (elevated, limited).
        let ids: Vec<u64> = rows
            .iter()
            .map(|(r, _)| r["EventID"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, [4624, 4624, 4624, 4688]);
        for (row, record) in &rows {
            let data = record["Event"]["EventData"].as_object().unwrap();
            for (field, value) in data {
                match field.as_str() {
                    "ImpersonationLevel" => assert!(row.get(field).is_none()),
                    "LogonType" | "KeyLength" => assert_eq!(&row[field], value, "{field}"),
                    "LogonGuid" => {
                        assert_eq!(row[field], format!("{{{}}}", value.as_str().unwrap()))
                    }
                    _ => assert_eq!(row[field], value_text(value), "{field}"),
                }
            }
            assert_eq!(row["Type"], "SecurityEvent");
            assert_eq!(row["Channel"], "Security");
            assert_eq!(
                row["EventSourceName"],
                "Microsoft-Windows-Security-Auditing"
            );
            assert_eq!(row["Level"], "8");
            assert_eq!(row["Computer"], "WS-0142.northwind.local");
            assert!(row["_BilledSize"].as_f64().unwrap() > 1000.0);
            let xml = row["EventData"].as_str().unwrap();
            assert_eq!(xml.matches("<Data Name=").count(), data.len());
        }
        let rdp = &rows[0].0;
        assert_eq!(rdp["Account"], "NORTHWIND\\bob.keller");
        assert_eq!(rdp["AccountType"], "User");
        assert_eq!(
            rdp["Activity"],
            "4624 - An account was successfully logged on."
        );
        assert_eq!(rdp["LogonType"], 10);
        assert_eq!(rdp["LogonTypeName"], "10 - RemoteInteractive");
        assert_eq!(rdp["IpAddress"], "10.20.30.7");
        assert_eq!(rdp["Process"], "winlogon.exe");
        assert_eq!(rdp["SubjectAccount"], "NORTHWIND\\WS-0142$");
        assert_eq!(rdp["TargetAccount"], "NORTHWIND\\bob.keller");
        assert_eq!(rdp["Task"], 12544);
        let network = &rows[2].0;
        assert_eq!(network["LogonTypeName"], "3 - Network");
        assert_eq!(network["Process"], "-");
        assert_eq!(network["SubjectAccount"], "-\\-");
        let service = &rows[3].0;
        assert_eq!(
            service["Activity"],
            "4688 - A new process has been created."
        );
        // SYSTEM acts as the machine account.
        assert_eq!(service["Account"], "NORTHWIND\\WS-0142$");
        assert_eq!(service["AccountType"], "Machine");
        assert_eq!(service["Process"], "sc.exe");
        assert_eq!(service["CommandLine"], "sc query");
        assert_eq!(service["TargetAccount"], "-\\-");
        assert_eq!(service["LogonTypeName"], "");
    }

    #[test]
    fn activity_and_event_data_read_like_sentinel() {
        assert_eq!(activity(4688), "4688 - A new process has been created.");
        assert_eq!(
            activity(4624),
            "4624 - An account was successfully logged on."
        );
        let data = json!({"SubjectUserName": "a&b", "LogonType": 3, "LogonGuid": "0-1"});
        let xml = event_data_xml(data.as_object().unwrap());
        assert_eq!(
            xml,
            "<EventData xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n  \
             <Data Name=\"SubjectUserName\">a&amp;b</Data>\r\n  \
             <Data Name=\"LogonType\">3</Data>\r\n  \
             <Data Name=\"LogonGuid\">{0-1}</Data>\r\n</EventData>"
        );
    }
}
