use serde_json::Value;

use super::*;
use crate::binaries::BinaryCatalog;
use crate::spec::Spec;
use crate::spec::model::RegistryValueType;
use crate::tables;

const SPEC: &str = r#"
name: defender rows
techniques: [T1021.001]
tactics: [lateral-movement]
platform: windows
seed: 5
steps:
  - id: rdp
    technique: T1021.001
    logon: { user: bob, logon_type: 10, source_ip: 10.20.30.7, workstation: WS-0107 }
  - id: shell
    technique: T1021.001
    process_create: { session: rdp, parent: "@winlogon", image: C:\Windows\System32\cmd.exe }
  - id: tool
    technique: T1021.001
    process_create: { parent: shell, image: C:\Windows\System32\rundll32.exe, command_line: "rundll32.exe x.dll,Run" }
  - id: module
    technique: T1021.001
    image_load: { process: tool, path: C:\Windows\System32\comsvcs.dll }
  - id: dns
    technique: T1021.001
    dns_query: { process: tool, query: files.example.net, answers: [cdn.example.net, 203.0.113.5] }
  - id: runkey
    technique: T1021.001
    registry_set: { process: tool, key: HKCU\Software\Microsoft\Windows\CurrentVersion\Run, value_name: x, type: dword, data: "0x10" }
"#;

fn rows() -> (Plan, Vec<Rendered>) {
    let env = Environment::default_workstation();
    let spec = Spec::parse("t.yaml", SPEC, &env).unwrap();
    let plan = crate::plan::plan(&spec, 5, &env, &BinaryCatalog::builtin());
    let mut rng = Rng::derive(1, "test");
    let rows = plan
        .actions
        .iter()
        .flat_map(|a| render(&plan, &env, a, &mut rng))
        .collect();
    (plan, rows)
}

fn field<'a>(row: &'a Rendered, column: &str) -> &'a Value {
    row.record
        .get(column)
        .unwrap_or_else(|| panic!("no column {column}"))
}

#[test]
fn logon_types_have_defenders_names() {
    let names: Vec<&str> = [2, 3, 4, 5, 7, 8, 9, 10, 11]
        .into_iter()
        .map(logon_type_name)
        .collect();
    assert_eq!(
        names,
        [
            "Interactive",
            "Network",
            "Batch",
            "Service",
            "Unlock",
            "NetworkCleartext",
            "NewCredentials",
            "RemoteInteractive",
            "CachedInteractive"
        ]
    );
}

#[test]
fn registry_keys_use_long_hive_names_and_the_users_sid() {
    let sid = "S-1-5-21-1-2-3-1104";
    assert_eq!(
        registry_key(r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run", sid),
        r"HKEY_CURRENT_USER\S-1-5-21-1-2-3-1104\Software\Microsoft\Windows\CurrentVersion\Run"
    );
    assert_eq!(
        registry_key(r"HKEY_CURRENT_USER\Environment\", sid),
        r"HKEY_CURRENT_USER\S-1-5-21-1-2-3-1104\Environment"
    );
    assert_eq!(
        registry_key(r"HKU\S-1-5-21-9-9-9-500\Software\X", sid),
        r"HKEY_CURRENT_USER\S-1-5-21-9-9-9-500\Software\X"
    );
    assert_eq!(
        registry_key(r"HKU\.DEFAULT\Software\X", sid),
        r"HKEY_USERS\.DEFAULT\Software\X"
    );
    // Unlike Sysmon, Defender keeps SYSTEM in upper case.
    assert_eq!(
        registry_key(r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa", sid),
        r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa"
    );
    assert_eq!(
        registry_key(r"HKCR\CLSID\{0}", sid),
        r"HKEY_CLASSES_ROOT\CLSID\{0}"
    );
    assert_eq!(registry_value_type(RegistryValueType::Dword), "Dword");
    assert_eq!(
        registry_value_type(RegistryValueType::ExpandString),
        "ExpandString"
    );
    assert_eq!(registry_value_data(RegistryValueType::Dword, "0x10"), "16");
    assert_eq!(
        registry_value_data(RegistryValueType::Qword, "4294967297"),
        "4294967297"
    );
    assert_eq!(registry_value_data(RegistryValueType::String, "a b"), "a b");
}

#[test]
fn dns_additional_fields_hold_the_query_and_its_answers() {
    let text = dns_additional_fields(
        "files.example.net",
        &[
            "cdn.example.net".into(),
            "203.0.113.5".into(),
            "2001:db8::1".into(),
        ],
    );
    let fields: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(fields["DnsQueryString"], "files.example.net");
    // The answers are themselves a JSON string, as Defender nests them.
    let answers: Value = serde_json::from_str(fields["DnsQueryResult"].as_str().unwrap()).unwrap();
    assert_eq!(
        answers,
        serde_json::json!([
            {"DnsQueryType": "CNAME", "Result": "cdn.example.net"},
            {"DnsQueryType": "A", "Result": "203.0.113.5"},
            {"DnsQueryType": "AAAA", "Result": "2001:db8::1"}
        ])
    );
    let empty: Value = serde_json::from_str(&dns_additional_fields("x.invalid", &[])).unwrap();
    assert_eq!(empty["DnsQueryResult"], "[]");
}

#[test]
fn ip_addresses_are_classified_as_defender_does() {
    let t = |s: &str| ip_type(s.parse().unwrap());
    assert_eq!(t("10.20.30.42"), "Private");
    assert_eq!(t("192.168.1.1"), "Private");
    assert_eq!(t("127.0.0.1"), "Loopback");
    assert_eq!(t("185.225.17.44"), "Public");
    assert_eq!(t("255.255.255.255"), "Broadcast");
    assert_eq!(t("169.254.1.1"), "Reserved");
    assert_eq!(t("::1"), "Loopback");
    assert_eq!(t("::ffff:10.0.0.1"), "FourToSixMapping");
    assert_eq!(t("2001:0:4136:e378::1"), "Teredo");
    assert_eq!(t("fd00::1"), "Private");
    assert_eq!(t("2a00:1450::1"), "Public");
}

#[test]
fn device_ids_are_forty_hex_digits_stable_per_host() {
    let env = Environment::default_workstation();
    let id = device_id(&env);
    assert_eq!(id.len(), 40);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_eq!(id, device_id(&Environment::default_workstation()));
}

#[test]
fn initiating_columns_all_exist_in_some_table() {
    // `Row::set_present` skips columns a table lacks; a misspelt name would be
    // skipped everywhere, so each name must exist in at least one table.
    let (plan, _) = rows();
    let env = Environment::default_workstation();
    let process = plan.processes.last().unwrap();
    for (column, _) in initiating(&plan, &env, process) {
        assert!(
            tables::catalog()
                .tables()
                .iter()
                .any(|t| t.rendered && t.column(&column).is_some()),
            "{column} is in no table"
        );
    }
}

#[test]
fn rows_describe_the_acting_process_its_parent_and_its_file() {
    let (plan, rows) = rows();
    let env = Environment::default_workstation();
    let sources: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(
        sources,
        [
            "DeviceLogonEvents",
            "DeviceProcessEvents",
            "DeviceProcessEvents",
            "DeviceImageLoadEvents",
            "DeviceEvents",
            "DeviceRegistryEvents"
        ]
    );
    for row in &rows {
        let schema = tables::columns(row.source.as_str()).unwrap();
        let names: Vec<&String> = row.record.as_object().unwrap().keys().collect();
        assert_eq!(
            names,
            schema.iter().map(|c| &c.name).collect::<Vec<_>>(),
            "{}",
            row.source.as_str()
        );
        assert!(row.ingested.unwrap() > row.time);
    }

    let logon = &rows[0];
    assert_eq!(field(logon, "LogonType"), "RemoteInteractive");
    assert_eq!(field(logon, "AccountName"), "bob.keller");
    assert_eq!(field(logon, "AccountDomain"), "northwind");
    assert_eq!(field(logon, "RemoteIP"), "10.20.30.7");
    assert_eq!(field(logon, "RemoteIPType"), "Private");
    assert_eq!(field(logon, "RemoteDeviceName"), "WS-0107");
    assert_eq!(field(logon, "IsLocalAdmin"), true);
    assert_eq!(field(logon, "ActionType"), "LogonSuccess");

    let tool = &rows[2];
    let process = plan.processes.last().unwrap();
    let shell = &plan.processes[process.parent.unwrap()];
    assert_eq!(field(tool, "FileName"), "rundll32.exe");
    assert_eq!(
        field(tool, "FolderPath"),
        r"C:\Windows\System32\rundll32.exe"
    );
    assert_eq!(field(tool, "ProcessId"), process.pid);
    assert_eq!(field(tool, "AccountUpn"), "bob.keller@northwind.local");
    assert_eq!(field(tool, "InitiatingProcessId"), shell.pid);
    assert_eq!(
        field(tool, "InitiatingProcessFolderPath"),
        r"c:\windows\system32\cmd.exe"
    );
    assert_eq!(
        field(tool, "InitiatingProcessParentFileName"),
        "winlogon.exe"
    );
    // Hashes are Sysmon's, in lower case.
    let sysmon_hashes = process.file.sysmon_hashes();
    let sha256 = field(tool, "SHA256").as_str().unwrap().to_ascii_uppercase();
    assert!(sysmon_hashes.contains(&format!("SHA256={sha256},")));
    assert_eq!(field(tool, "SHA1"), &process.file.sha1.to_ascii_lowercase());
    // The RDP session shows in the session columns.
    assert_eq!(field(tool, "IsProcessRemoteSession"), true);
    assert_eq!(field(tool, "ProcessRemoteSessionIP"), "10.20.30.7");
    assert_eq!(
        field(tool, "InitiatingProcessRemoteSessionDeviceName"),
        "WS-0107"
    );
    assert_eq!(
        field(tool, "ProcessTokenElevation"),
        "TokenElevationTypeLimited"
    );

    let module = &rows[3];
    assert_eq!(field(module, "ActionType"), "ImageLoaded");
    assert_eq!(field(module, "FileName"), "comsvcs.dll");
    assert_eq!(field(module, "InitiatingProcessFileName"), "rundll32.exe");
    assert_eq!(field(module, "InitiatingProcessParentFileName"), "cmd.exe");

    let dns = &rows[4];
    let fields: Value =
        serde_json::from_str(field(dns, "AdditionalFields").as_str().unwrap()).unwrap();
    assert_eq!(fields["DnsQueryString"], "files.example.net");
    assert_eq!(field(dns, "InitiatingProcessLogonId"), process.logon_id);

    let registry = &rows[5];
    let sid = &env.user("bob").unwrap().sid;
    assert_eq!(
        field(registry, "RegistryKey"),
        &format!(r"HKEY_CURRENT_USER\{sid}\Software\Microsoft\Windows\CurrentVersion\Run")
    );
    assert_eq!(field(registry, "RegistryValueData"), "16");
    assert_eq!(field(registry, "RegistryValueType"), "Dword");
}
