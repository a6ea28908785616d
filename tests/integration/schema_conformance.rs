//! Rendered records against the real schemas: Sysmon's manifest (schema 4.90) and
//! the OSSEM data dictionary for Security 4688/4624 (version 2). Field names,
//! their order and their JSON types must be what evtx_dump gives for real logs.
//! Skips with a note when the corpora beside the project are absent.
//!
//! Table rows (Defender XDR, `SecurityEvent`) against `data/tables.yaml`: every
//! row has exactly its table's columns, in order, with values of the declared
//! KQL types; and the shipped schemas against OSSEM's Defender dictionaries.

use std::collections::{BTreeMap, BTreeSet};

use rulecheck::tables::{self, KqlType};
use serde_json::Value;

use super::*;

const ALL_ACTIONS: &str = r#"
name: every action kind
techniques: [T1021.001]
tactics: [lateral-movement]
platform: windows
steps:
  - id: rdp
    technique: T1021.001
    logon: { user: bob, logon_type: 10, source_ip: 10.20.30.7, workstation: WS-0107 }
  - id: net_logon
    technique: T1021.001
    logon: { user: alice, logon_type: 3, source_ip: 10.20.30.9 }
  - id: shell
    technique: T1021.001
    process_create: { session: rdp, parent: "@winlogon", image: C:\Windows\System32\cmd.exe }
  - id: dns
    technique: T1021.001
    dns_query: { process: shell, query: files.example.net, answers: [cdn.example.net, 203.0.113.5] }
  - id: conn
    technique: T1021.001
    network_connect: { process: shell, destination_ip: 203.0.113.5, destination_port: 443 }
  - id: file
    technique: T1021.001
    file_create: { process: shell, path: 'C:\Users\bob.keller\x.txt' }
  - id: reg
    technique: T1021.001
    registry_set: { process: shell, key: HKLM\SOFTWARE\X, value_name: y, type: dword, data: "7" }
  - id: dll
    technique: T1021.001
    image_load: { process: shell, path: 'C:\Users\bob.keller\x.dll' }
  - id: signin
    technique: T1021.001
    entra_signin: { user: bob, app: azure_portal, mfa: authenticator_app }
  - id: audit
    technique: T1021.001
    entra_audit: { activity: add_member_to_role, actor: carol, target_user: bob, role: Global Reader }
  - id: arm
    technique: T1021.001
    azure_activity: { caller: bob, operation: Microsoft.Authorization/roleAssignments/write, role: Reader, principal: alice }
"#;

/// (field name, JSON type) in manifest order, per Sysmon event id.
fn sysmon_manifest(corpora: &Path) -> BTreeMap<u64, Vec<(String, &'static str)>> {
    let xml = std::fs::read_to_string(
        corpora.join("schemas/ossem-dd/resources/schemas/sysmon/sysmonv15.15_4.90.xml"),
    )
    .unwrap();
    let event =
        regex::Regex::new(r#"(?s)<event name="\w+" value="(\d+)"[^>]*>(.*?)</event>"#).unwrap();
    let data = regex::Regex::new(r#"data name="(\w+)" inType="([\w:]+)""#).unwrap();
    event
        .captures_iter(&xml)
        .map(|e| {
            let fields = data
                .captures_iter(&e[2])
                .map(|d| (d[1].to_string(), json_type(&d[2])))
                .collect();
            (e[1].parse().unwrap(), fields)
        })
        .collect()
}

fn security_dictionary(corpora: &Path, event: u64) -> Vec<(String, &'static str)> {
    let path = corpora.join(format!(
        "schemas/ossem-dd/windows/etw-providers/Microsoft-Windows-Security-Auditing/events/event-{event}_v2.yml"
    ));
    let doc: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["event_fields"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                json_type(f["type"].as_str().unwrap()),
            )
        })
        .collect()
}

/// How evtx_dump renders a manifest type in JSON.
fn json_type(in_type: &str) -> &'static str {
    match in_type.trim_start_matches("win:") {
        "UInt8" | "UInt16" | "UInt32" | "UInt64" | "Int32" | "Int64" => "number",
        "Boolean" => "boolean",
        _ => "string",
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::String(_) => "string",
        _ => "other",
    }
}

/// The bundle of [`ALL_ACTIONS`], generated in a temporary directory.
fn all_actions_bundle() -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ttps")).unwrap();
    std::fs::write(dir.path().join("ttps/all.yaml"), ALL_ACTIONS).unwrap();
    rulecheck(dir.path()).arg("generate").assert().success();
    std::fs::read_to_string(dir.path().join("bundles/all.jsonl")).unwrap()
}

#[test]
fn rendered_records_match_the_real_schemas() {
    let Some(corpora) = corpora_or_skip("schema conformance") else {
        return;
    };
    let text = all_actions_bundle();

    let sysmon = sysmon_manifest(&corpora);
    let mut seen = BTreeMap::new();
    for line in text.lines().skip(1) {
        let event: Value = serde_json::from_str(line).unwrap();
        let source = event["labels"]["source"].as_str().unwrap();
        if tables::table(source).is_some() {
            continue; // checked by table_rows_have_their_tables_columns_and_types
        }
        let id = event["record"]["Event"]["System"]["EventID"]
            .as_u64()
            .unwrap();
        let data = event["record"]["Event"]["EventData"].as_object().unwrap();
        let expected = match source {
            "sysmon" => sysmon[&id].clone(),
            "security" => security_dictionary(&corpora, id),
            other => panic!("unexpected source {other}"),
        };
        let actual: Vec<(String, &'static str)> =
            data.iter().map(|(k, v)| (k.clone(), type_of(v))).collect();
        assert_eq!(actual, expected, "{source} {id}");
        *seen.entry((source.to_string(), id)).or_insert(0) += 1;
    }
    let kinds: Vec<_> = seen.keys().cloned().collect();
    assert_eq!(kinds.len(), 8, "{kinds:?}");
    assert!(seen.contains_key(&("sysmon".to_string(), 7)), "{kinds:?}");
}

/// The Log Analytics tables of cloud activity.
const CLOUD_TABLES: [&str; 3] = ["SigninLogs", "AuditLogs", "AzureActivity"];

/// Every table row of a bundle has exactly its table's columns, in order, each
/// value of the column's KQL type; Defender report ids are unique; table rows
/// carry an ingestion time a little after their own time. Returns the tables seen.
fn check_table_rows(name: &str, text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut report_ids = BTreeSet::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        let event: Value = serde_json::from_str(line).unwrap();
        let source = event["labels"]["source"].as_str().unwrap();
        let Some(table) = tables::table(source) else {
            assert!(
                event["labels"].get("ingestion_time").is_none(),
                "{name}:{}: only table rows have an ingestion time",
                n + 1
            );
            continue;
        };
        let row = event["record"].as_object().unwrap();
        let actual: Vec<&str> = row.keys().map(String::as_str).collect();
        let expected: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(actual, expected, "{name}:{}: {source} columns", n + 1);
        for column in &table.columns {
            let value = &row[&column.name];
            assert!(
                column.kind.accepts(value),
                "{name}:{}: {source}.{} is {value}, not a {}",
                n + 1,
                column.name,
                column.kind
            );
        }
        // Defender tables time rows with Timestamp, Log Analytics ones with TimeGenerated.
        let time_column = if table.column("Timestamp").is_some() {
            "Timestamp"
        } else {
            "TimeGenerated"
        };
        let time =
            chrono::DateTime::parse_from_rfc3339(row[time_column].as_str().unwrap()).unwrap();
        let ingested = event["labels"]["ingestion_time"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}:{}: no ingestion_time", n + 1));
        let ingested = chrono::DateTime::parse_from_rfc3339(ingested).unwrap();
        let delay = (ingested - time).num_milliseconds();
        // Device agents upload within seconds; Entra and the activity log take minutes.
        let window = if CLOUD_TABLES.contains(&source) {
            30_000..=900_000
        } else {
            1_000..=15_000
        };
        assert!(
            window.contains(&delay),
            "{name}:{}: ingested {delay} ms later",
            n + 1
        );
        if let Some(id) = row.get("ReportId") {
            assert!(
                report_ids.insert(id.as_i64().unwrap()),
                "{name}: ReportId {id} twice"
            );
        }
        // SecurityEvent has a DeviceId column too, for other events' fields.
        if let Some(device) = row.get("DeviceId").filter(|_| source.starts_with("Device")) {
            let device = device.as_str().unwrap();
            assert!(device.len() == 40 && device.chars().all(|c| c.is_ascii_hexdigit()));
        }
        seen.insert(source.to_string());
    }
    seen
}

#[test]
fn table_rows_have_their_tables_columns_and_types() {
    let seen = check_table_rows("all.jsonl", &all_actions_bundle());
    let every: BTreeSet<String> = tables::names().map(str::to_string).collect();
    assert_eq!(
        seen, every,
        "ALL_ACTIONS renders a row of every rendered table"
    );
    for entry in std::fs::read_dir(repo().join("bundles")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        check_table_rows(&path.display().to_string(), &text);
    }
}

/// OSSEM's Defender dictionaries predate some of Microsoft's columns and types,
/// but every column they list is in the shipped schema, in the same order.
#[test]
fn table_schemas_agree_with_the_ossem_defender_dictionaries() {
    let Some(corpora) = corpora_or_skip("OSSEM table check") else {
        return;
    };
    // Renamed by Microsoft since OSSEM's dictionary was written.
    let renamed = [("FileOriginReferenceUrl", "FileOriginReferrerUrl")];
    let dir = corpora.join("schemas/ossem-dd/windows/microsoftdefenderforendpoint/events");
    let mut compared = 0;
    for table in tables::catalog().tables().iter().filter(|t| t.rendered) {
        let path = dir.join(format!("{}_v1.yml", table.name));
        if !path.is_file() {
            continue;
        }
        let doc: serde_norway::Value =
            serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let ossem: Vec<&str> = doc["event_fields"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .map(|n| {
                renamed
                    .iter()
                    .find(|(old, _)| *old == n)
                    .map_or(n, |(_, new)| new)
            })
            .collect();
        let ours: Vec<&str> = table
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| ossem.contains(c))
            .collect();
        assert_eq!(ours, ossem, "{}", table.name);
        compared += 1;
    }
    assert_eq!(compared, 7, "every Defender table has an OSSEM dictionary");
    // SecurityEvent has a column for every field of 4688 and 4624 but
    // ImpersonationLevel, which stays inside EventData.
    let security = tables::table("SecurityEvent").unwrap();
    for event in [4688, 4624] {
        for (field, _) in security_dictionary(&corpora, event) {
            assert!(
                security.column(&field).is_some() || field == "ImpersonationLevel",
                "SecurityEvent has no column {field}"
            );
        }
    }
    assert!(
        security
            .columns
            .iter()
            .all(|c| KqlType::ALL.contains(&c.kind))
    );
}

/// OSSEM's Azure dictionaries list fewer columns than Microsoft's reference
/// now does, but every column they list is in the shipped schema of
/// `SigninLogs` and `AuditLogs`, with the same type where both say `dynamic`.
#[test]
fn entra_table_schemas_agree_with_the_ossem_azure_dictionaries() {
    let Some(corpora) = corpora_or_skip("OSSEM Azure table check") else {
        return;
    };
    let dir = corpora.join("schemas/ossem-dd/azure/events");
    for (file, table) in [
        ("signinlogs.yml", "SigninLogs"),
        ("AuditLogs.yml", "AuditLogs"),
    ] {
        let doc: serde_norway::Value =
            serde_norway::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        let schema = tables::table(table).unwrap();
        let fields = doc["event_fields"].as_sequence().unwrap();
        assert!(fields.len() > 20, "{file}");
        for field in fields {
            let name = field["name"].as_str().unwrap();
            let column = schema
                .column(name)
                .unwrap_or_else(|| panic!("{table} has no column {name}"));
            if field["type"].as_str() == Some("dynamic") && name != "ConditionalAccessStatus" {
                assert_eq!(column.kind, KqlType::Dynamic, "{table}.{name}");
            }
        }
    }
}

/// The nested values rules read from the cloud tables are where Microsoft's
/// documentation puts them.
#[test]
fn cloud_rows_nest_details_where_entra_and_arm_put_them() {
    let text = all_actions_bundle();
    let rows: BTreeMap<String, Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| CLOUD_TABLES.contains(&e["labels"]["source"].as_str().unwrap()))
        .map(|e| {
            (
                e["labels"]["source"].as_str().unwrap().to_string(),
                e["record"].clone(),
            )
        })
        .collect();
    let signin = &rows["SigninLogs"];
    assert_eq!(signin["LocationDetails"]["countryOrRegion"], "US");
    assert_eq!(signin["DeviceDetail"]["isManaged"], true);
    assert_eq!(signin["MfaDetail"]["authMethod"], "Mobile app notification");
    assert_eq!(signin["Status"]["errorCode"], 0);
    assert_eq!(signin["ResultType"], "0");
    let details: Value =
        serde_json::from_str(signin["AuthenticationDetails"].as_str().unwrap()).unwrap();
    assert_eq!(details.as_array().unwrap().len(), 2, "password, then MFA");
    let audit = &rows["AuditLogs"];
    assert_eq!(audit["OperationName"], "Add member to role");
    assert_eq!(
        audit["TargetResources"][0]["userPrincipalName"],
        "bob.keller@northwindtraders.com"
    );
    let role = &audit["TargetResources"][0]["modifiedProperties"][1];
    assert_eq!(role["displayName"], "Role.DisplayName");
    assert_eq!(role["newValue"], "\"Global Reader\"");
    assert_eq!(
        audit["InitiatedBy"]["user"]["userPrincipalName"],
        "carol.diaz@northwindtraders.com"
    );
    // The map keeps the last AzureActivity row: the operation's outcome.
    let activity = &rows["AzureActivity"];
    assert_eq!(activity["ActivityStatusValue"], "Success");
    assert_eq!(
        activity["Authorization_d"]["action"],
        "Microsoft.Authorization/roleAssignments/write"
    );
    assert_eq!(
        activity["Authorization"].as_str().unwrap(),
        activity["Authorization_d"].to_string()
    );
    let body: Value =
        serde_json::from_str(activity["Properties_d"]["responseBody"].as_str().unwrap()).unwrap();
    assert!(
        body["Properties"]["RoleDefinitionId"]
            .as_str()
            .unwrap()
            .ends_with("/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"),
        "{body}"
    );
}
