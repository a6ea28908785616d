//! One test per constraint: a coherent generated bundle, broken in exactly the
//! way the constraint forbids, gives that finding on the events involved.

use serde_json::{Value, json};

use super::{Constraint, Finding, Severity, validate_bundle};
use crate::binaries::BinaryCatalog;
use crate::bundle::Bundle;
use crate::environment::Environment;

const LSASS: &str = "T1003.001-lsass-dump-comsvcs";
const RDP: &str = "T1021.001-rdp-logon-host-recon";
const DISCOVERY: &str = "T1087.002-fake-pdf-domain-discovery";

/// A built-in spec's bundle with its own seed; coherent before any mutation.
fn bundle(spec_id: &str) -> Bundle {
    let env = Environment::default_workstation();
    let spec = crate::library::builtin_specs(&env)
        .unwrap()
        .into_iter()
        .find(|s| s.id == spec_id)
        .unwrap_or_else(|| panic!("no built-in spec {spec_id}"));
    let bundle = crate::bundle::build_bundle(&spec, spec.seed, &env, &BinaryCatalog::builtin());
    assert_eq!(
        validate_bundle(&bundle),
        Vec::new(),
        "{spec_id} is coherent"
    );
    bundle
}

/// Index of the event of `source` produced by `step` (and, for event logs, with `event_id`).
fn event(b: &Bundle, source: &str, step: &str, event_id: Option<u64>) -> usize {
    b.events
        .iter()
        .position(|e| {
            e.labels.source == source
                && e.labels.step.as_deref() == Some(step)
                && event_id.is_none_or(|id| {
                    e.record["Event"]["System"]["EventID"].as_u64() == Some(id)
                        || e.record["EventID"].as_u64() == Some(id)
                })
        })
        .unwrap_or_else(|| panic!("no {source} event of step {step}"))
}

fn sysmon(b: &Bundle, step: &str, event_id: u64) -> usize {
    event(b, "sysmon", step, Some(event_id))
}

/// The `EventData` of an event-log record, for editing.
fn data(b: &mut Bundle, i: usize) -> &mut Value {
    &mut b.events[i].record["Event"]["EventData"]
}

fn system_time(b: &mut Bundle, i: usize) -> &mut Value {
    &mut b.events[i].record["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"]
}

/// The findings of `constraint`; fails when there are none, or when any
/// finding of another constraint appears that the test did not allow.
fn findings(b: &Bundle, constraint: Constraint, also: &[Constraint]) -> Vec<Finding> {
    let all = validate_bundle(b);
    let unexpected: Vec<&Finding> = all
        .iter()
        .filter(|f| f.constraint != constraint && !also.contains(&f.constraint))
        .collect();
    assert!(
        unexpected.is_empty(),
        "unexpected findings: {unexpected:#?}"
    );
    let mine: Vec<Finding> = all
        .into_iter()
        .filter(|f| f.constraint == constraint)
        .collect();
    assert!(!mine.is_empty(), "no {} finding", constraint.id());
    mine
}

/// Event numbers as findings give them (1-based).
fn numbers(indices: &[usize]) -> Vec<usize> {
    let mut n: Vec<usize> = indices.iter().map(|i| i + 1).collect();
    n.sort_unstable();
    n
}

#[test]
fn every_builtin_bundle_is_coherent() {
    let env = Environment::default_workstation();
    let catalog = BinaryCatalog::builtin();
    for spec in crate::library::builtin_specs(&env).unwrap() {
        let b = crate::bundle::build_bundle(&spec, spec.seed, &env, &catalog);
        assert_eq!(validate_bundle(&b), Vec::new(), "{}", spec.id);
    }
}

#[test]
fn time_format_names_the_field_and_value() {
    let mut b = bundle(LSASS);
    let i = event(&b, "DeviceFileEvents", "dump_written", None);
    b.events[i].record["Timestamp"] = json!("yesterday");
    let f = findings(&b, Constraint::TimeFormat, &[]);
    assert_eq!(f[0].events, numbers(&[i]));
    assert!(
        f[0].message.contains("Timestamp \"yesterday\""),
        "{}",
        f[0].message
    );
}

#[test]
fn time_order_catches_an_earlier_event_later_in_its_log() {
    let mut b = bundle(LSASS);
    let before = sysmon(&b, "comsvcs_minidump", 1);
    let after = sysmon(&b, "comsvcs_loaded", 7);
    let earlier =
        b.events[before].record["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"]
            .as_str()
            .unwrap()
            .replace("22:42:", "22:40:");
    *system_time(&mut b, after) = json!(earlier);
    let f = findings(&b, Constraint::TimeOrder, &[Constraint::TimeWindow]);
    assert_eq!(f[0].events, numbers(&[before, after]));
    assert!(f[0].message.contains("sysmon event at"), "{}", f[0].message);
}

#[test]
fn time_window_catches_events_outside_the_header_window() {
    let mut b = bundle(LSASS);
    b.header.reference_time = "2026-03-03T22:42:00.000000Z".into();
    let f = findings(&b, Constraint::TimeWindow, &[]);
    let last = b.events.len() - 1;
    assert!(f.iter().any(|f| f.events == numbers(&[last])), "{f:#?}");
    assert!(f[0].message.contains("outside the bundle's window"));
}

#[test]
fn process_parent_order_sysmon_parent_created_after_its_child() {
    let mut b = bundle(LSASS);
    let parent = sysmon(&b, "elevated_powershell", 1);
    let child = sysmon(&b, "find_lsass_pid", 1);
    let child_time = data(&mut b, child)["UtcTime"].as_str().unwrap().to_string();
    // The parent's creation now says it started a minute after its child.
    let later = child_time.replace("22:4", "22:5");
    data(&mut b, parent)["UtcTime"] = json!(later);
    let f = findings(
        &b,
        Constraint::ProcessParentOrder,
        &[Constraint::ProcessNotLive, Constraint::LogonOrder],
    );
    assert!(
        f.iter().any(|f| f.events == numbers(&[parent, child])),
        "{f:#?}"
    );
}

#[test]
fn process_parent_order_defender_row_with_a_younger_parent() {
    let mut b = bundle(LSASS);
    let i = event(&b, "DeviceProcessEvents", "find_lsass_pid", None);
    let child_start = b.events[i].record["ProcessCreationTime"]
        .as_str()
        .unwrap()
        .to_string();
    b.events[i].record["InitiatingProcessCreationTime"] =
        json!(child_start.replace("22:4", "22:5"));
    let f = findings(
        &b,
        Constraint::ProcessParentOrder,
        &[
            Constraint::ProcessNotLive,
            Constraint::ProcessParentMismatch,
            Constraint::ProcessPidReuse,
        ],
    );
    assert!(f.iter().any(|f| f.events == numbers(&[i])), "{f:#?}");
}

#[test]
fn process_parent_mismatch_child_names_another_parent_image() {
    let mut b = bundle(LSASS);
    let parent = sysmon(&b, "elevated_powershell", 1);
    let child = sysmon(&b, "find_lsass_pid", 1);
    data(&mut b, child)["ParentImage"] = json!(r"C:\Windows\System32\cmd.exe");
    let f = findings(
        &b,
        Constraint::ProcessParentMismatch,
        &[Constraint::ProcessCrossSource],
    );
    assert_eq!(f[0].events, numbers(&[parent, child]));
    assert!(f[0].message.contains("cmd.exe"), "{}", f[0].message);
    assert!(f[0].message.contains("powershell.exe"), "{}", f[0].message);
}

#[test]
fn process_cross_source_logs_of_one_creation_disagree() {
    let mut b = bundle(LSASS);
    let i = event(&b, "DeviceProcessEvents", "find_lsass_pid", None);
    b.events[i].record["ProcessCommandLine"] = json!("tasklist.exe /v");
    let f = findings(&b, Constraint::ProcessCrossSource, &[]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].events.contains(&(i + 1)));
    assert!(f[0].events.contains(&(sysmon(&b, "find_lsass_pid", 1) + 1)));
    assert!(f[0].message.contains("command line"), "{}", f[0].message);
    assert!(
        f[0].message.contains("(DeviceProcessEvents)"),
        "{}",
        f[0].message
    );
}

#[test]
fn process_identity_an_action_names_its_process_with_another_image() {
    let mut b = bundle(LSASS);
    let created = sysmon(&b, "comsvcs_minidump", 1);
    let load = sysmon(&b, "comsvcs_loaded", 7);
    data(&mut b, load)["Image"] = json!(r"C:\Windows\System32\notepad.exe");
    let f = findings(&b, Constraint::ProcessIdentity, &[]);
    assert_eq!(f[0].events, numbers(&[created, load]));
}

#[test]
fn process_not_live_an_action_before_its_process_started() {
    let mut b = bundle(LSASS);
    let created = sysmon(&b, "comsvcs_minidump", 1);
    let file = sysmon(&b, "dump_written", 11);
    let start = data(&mut b, created)["UtcTime"]
        .as_str()
        .unwrap()
        .to_string();
    data(&mut b, file)["UtcTime"] = json!(start.replace("22:4", "22:3"));
    let f = findings(&b, Constraint::ProcessNotLive, &[]);
    assert_eq!(f[0].events, numbers(&[created, file]));
}

#[test]
fn process_not_live_an_action_after_its_process_exited() {
    let mut b = bundle(LSASS);
    let file = sysmon(&b, "dump_written", 11);
    let load = sysmon(&b, "comsvcs_loaded", 7);
    // Sysmon 5 for rundll32, written between its image load and its file creation.
    let mut exit = b.events[load].clone();
    exit.record["Event"]["System"]["EventID"] = json!(5);
    let guid = data(&mut b, load)["ProcessGuid"].clone();
    let pid = data(&mut b, load)["ProcessId"].clone();
    let time = data(&mut b, load)["UtcTime"].clone();
    exit.record["Event"]["EventData"] = json!({
        "RuleName": "-", "UtcTime": time, "ProcessGuid": guid, "ProcessId": pid,
        "Image": r"C:\Windows\System32\rundll32.exe", "User": r"NORTHWIND\bob.keller"
    });
    b.events.insert(load + 1, exit);
    let f = findings(&b, Constraint::ProcessNotLive, &[]);
    assert_eq!(f[0].events, numbers(&[load + 1, file + 1]));
    assert!(f[0].message.contains("after it exited"), "{}", f[0].message);
}

#[test]
fn process_pid_reuse_two_live_processes_share_a_pid() {
    let mut b = bundle(LSASS);
    let powershell = sysmon(&b, "elevated_powershell", 1);
    let tasklist = sysmon(&b, "find_lsass_pid", 1);
    let rundll = sysmon(&b, "comsvcs_minidump", 1);
    // tasklist gets powershell's PID, though powershell is still running:
    // it creates rundll32 afterwards.
    let pid = data(&mut b, powershell)["ProcessId"].clone();
    data(&mut b, tasklist)["ProcessId"] = pid;
    let f = findings(
        &b,
        Constraint::ProcessPidReuse,
        &[Constraint::ProcessCrossSource],
    );
    assert_eq!(f[0].events, numbers(&[tasklist, rundll]));
    assert!(f[0].message.contains("PID 4660"), "{}", f[0].message);
}

#[test]
fn logon_account_one_logon_id_two_users() {
    let mut b = bundle(RDP);
    let i = sysmon(&b, "whoami_all", 1);
    data(&mut b, i)["User"] = json!(r"NORTHWIND\alice.mercer");
    let f = findings(
        &b,
        Constraint::LogonAccount,
        &[Constraint::ProcessCrossSource],
    );
    assert!(f[0].events.contains(&(i + 1)), "{f:#?}");
    assert!(f[0].message.contains("alice.mercer"), "{}", f[0].message);
    assert!(f[0].message.contains("bob.keller"), "{}", f[0].message);
}

#[test]
fn logon_order_a_session_process_before_its_logon() {
    let mut b = bundle(RDP);
    // The RDP logon's records now say it happened an hour later, after
    // the processes of its session started.
    for i in 0..b.events.len() {
        if b.events[i].labels.step.as_deref() != Some("rdp_logon") {
            continue;
        }
        for key in ["Timestamp", "TimeGenerated"] {
            let time = b.events[i].record.get(key).and_then(Value::as_str);
            if let Some(later) = time.map(an_hour_later) {
                b.events[i].record[key] = json!(later);
            }
        }
        if b.events[i].record.get("Event").is_some() {
            let later = an_hour_later(system_time(&mut b, i).as_str().unwrap());
            *system_time(&mut b, i) = json!(later);
        }
    }
    let f = findings(
        &b,
        Constraint::LogonOrder,
        &[Constraint::TimeOrder, Constraint::TimeWindow],
    );
    let userinit = sysmon(&b, "rdp_userinit", 1);
    assert!(
        f.iter().any(|f| f.events.contains(&(userinit + 1))),
        "{f:#?}"
    );
}

/// An RFC 3339 time (before 23:00) one hour later, in the same format.
fn an_hour_later(time: &str) -> String {
    let t = time.find('T').expect("RFC 3339");
    let hour: u32 = time[t + 1..t + 3].parse().unwrap();
    format!("{}{:02}{}", &time[..=t], hour + 1, &time[t + 3..])
}

#[test]
fn logon_linked_a_split_token_pair_that_does_not_link_back() {
    let mut b = bundle(RDP);
    let first = event(&b, "security", "rdp_logon", Some(4624));
    let second = b
        .events
        .iter()
        .enumerate()
        .skip(first + 1)
        .find(|(_, e)| {
            e.labels.source == "security" && e.labels.step.as_deref() == Some("rdp_logon")
        })
        .map(|(i, _)| i)
        .unwrap();
    data(&mut b, second)["TargetLinkedLogonId"] = json!("0x1234");
    let f = findings(&b, Constraint::LogonLinked, &[]);
    assert!(
        f.iter().any(|f| f.events == numbers(&[first, second])),
        "{f:#?}"
    );
}

#[test]
fn sid_format_rejects_a_malformed_sid() {
    let mut b = bundle(LSASS);
    let i = event(&b, "security", "find_lsass_pid", Some(4688));
    data(&mut b, i)["MandatoryLabel"] = json!("S-1-16-high");
    let f = findings(&b, Constraint::SidFormat, &[]);
    assert_eq!(f[0].events, numbers(&[i]));
    assert!(f[0].message.contains("MandatoryLabel \"S-1-16-high\""));
}

#[test]
fn sid_account_one_sid_two_names() {
    let mut b = bundle(LSASS);
    let i = event(&b, "DeviceFileEvents", "dump_written", None);
    b.events[i].record["InitiatingProcessAccountName"] = json!("mallory");
    let f = findings(&b, Constraint::SidAccount, &[Constraint::ProcessIdentity]);
    assert!(f[0].events.contains(&(i + 1)), "{f:#?}");
    assert!(f[0].message.contains("mallory"), "{}", f[0].message);
}

#[test]
fn sid_account_a_well_known_sid_with_another_name() {
    let mut b = bundle(RDP);
    let i = event(&b, "security", "rdp_logon", Some(4624));
    data(&mut b, i)["TargetUserSid"] = json!("S-1-5-18");
    let f = findings(
        &b,
        Constraint::SidAccount,
        &[Constraint::LogonAccount, Constraint::LogonLinked],
    );
    assert!(
        f.iter()
            .any(|f| f.message.contains("is system on every Windows host")),
        "{f:#?}"
    );
}

#[test]
fn path_form_rejects_relative_paths_and_forbidden_characters() {
    let mut b = bundle(LSASS);
    let i = sysmon(&b, "dump_written", 11);
    data(&mut b, i)["TargetFilename"] = json!(r"Users\bob.keller\dump.dmp");
    let f = findings(&b, Constraint::PathForm, &[]);
    assert_eq!(f[0].events, numbers(&[i]));
    data(&mut b, i)["TargetFilename"] = json!(r"C:\Users\bob|keller\dump.dmp");
    let f = findings(&b, Constraint::PathForm, &[]);
    assert!(f[0].message.contains("character"), "{}", f[0].message);
}

#[test]
fn path_case_warns_on_a_lower_case_drive_and_an_upper_case_defender_path() {
    let mut b = bundle(LSASS);
    let i = sysmon(&b, "dump_written", 11);
    data(&mut b, i)["TargetFilename"] = json!(r"c:\Users\bob.keller\AppData\Local\Temp\x.dmp");
    let j = event(&b, "DeviceFileEvents", "dump_written", None);
    b.events[j].record["InitiatingProcessFolderPath"] = json!(r"C:\Windows\System32\rundll32.exe");
    let f = findings(&b, Constraint::PathCase, &[]);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(f.iter().all(|f| f.severity == Severity::Warning));
}

#[test]
fn path_file_name_must_end_its_path() {
    let mut b = bundle(LSASS);
    let i = event(&b, "DeviceFileEvents", "dump_written", None);
    b.events[i].record["FileName"] = json!("other.dmp");
    let f = findings(&b, Constraint::PathFileName, &[]);
    assert_eq!(f[0].events, numbers(&[i]));
}

#[test]
fn network_ip_rejects_non_addresses_and_wrong_family_flags() {
    let mut b = bundle(DISCOVERY);
    let i = b
        .events
        .iter()
        .position(|e| e.labels.source == "sysmon" && e.record["Event"]["System"]["EventID"] == 3)
        .unwrap();
    data(&mut b, i)["DestinationIp"] = json!("300.1.2.3");
    let f = findings(&b, Constraint::NetworkIp, &[]);
    assert_eq!(f[0].events, numbers(&[i]));
    data(&mut b, i)["DestinationIp"] = json!("52.97.152.210");
    data(&mut b, i)["DestinationIsIpv6"] = json!(true);
    let f = findings(&b, Constraint::NetworkIp, &[]);
    assert!(
        f[0].message.contains("DestinationIsIpv6"),
        "{}",
        f[0].message
    );
}

#[test]
fn network_port_rejects_out_of_range_and_zero_tcp_ports() {
    let mut b = bundle(DISCOVERY);
    let i = b
        .events
        .iter()
        .position(|e| e.labels.source == "DeviceNetworkEvents")
        .unwrap();
    b.events[i].record["RemotePort"] = json!(70000);
    let f = findings(&b, Constraint::NetworkPort, &[]);
    assert_eq!(f[0].events, numbers(&[i]));
    b.events[i].record["RemotePort"] = json!(0);
    let f = findings(&b, Constraint::NetworkPort, &[]);
    assert!(
        f[0].message.contains("0 in a TCP connection"),
        "{}",
        f[0].message
    );
}

/// Real logs are partial: a process whose parent's creation is missing, a
/// session whose logon is not in the log, or a lone action are not findings.
#[test]
fn absent_records_are_not_findings() {
    let b = bundle(RDP);
    for keep in [
        vec!["whoami_all"],
        vec!["rdp_cmd", "quser"],
        vec!["rdp_userinit", "rdp_explorer"],
    ] {
        let mut partial = b.clone();
        partial
            .events
            .retain(|e| keep.contains(&e.labels.step.as_deref().unwrap_or_default()));
        assert_eq!(validate_bundle(&partial), Vec::new(), "{keep:?}");
    }
    let b = bundle(LSASS);
    let mut only_sysmon_actions = b.clone();
    only_sysmon_actions
        .events
        .retain(|e| e.labels.source == "sysmon" && e.record["Event"]["System"]["EventID"] != 1);
    assert_eq!(validate_bundle(&only_sysmon_actions), Vec::new());
}

#[test]
fn findings_are_ordered_and_validation_never_changes_the_bundle() {
    let mut b = bundle(LSASS);
    let i = event(&b, "DeviceFileEvents", "dump_written", None);
    b.events[i].record["FileName"] = json!("other.dmp");
    b.events[1].record["Event"]["EventData"]["MandatoryLabel"] = json!("bad");
    let before = b.clone();
    let f = validate_bundle(&b);
    assert_eq!(b, before);
    assert!(f.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(f[0].events, vec![2]);
}

/// Identical commands started milliseconds apart are distinct processes:
/// each log's record of one is matched with its own records in the others,
/// not merged with its neighbours'.
#[test]
fn identical_processes_started_together_are_not_one_creation() {
    let env = Environment::default_workstation();
    let mut text = String::from(
        "name: many\ntechniques: [T1033]\ntactics: [discovery]\nplatform: windows\nsteps:\n",
    );
    for i in 0..40 {
        text.push_str(&format!(
            "  - id: s{i}\n    technique: T1033\n    delay: 10ms\n    process_create:\n      image: C:\\Windows\\System32\\whoami.exe\n      command_line: whoami /all\n"
        ));
    }
    let spec = crate::spec::Spec::parse("ttps/many.yaml", &text, &env).unwrap();
    let mut b = crate::bundle::build_bundle(&spec, 1, &env, &BinaryCatalog::builtin());
    assert_eq!(validate_bundle(&b), Vec::new());
    // One of them gets a wrong PID in Defender: reported once, for that process.
    let i = event(&b, "DeviceProcessEvents", "s20", None);
    b.events[i].record["ProcessId"] = json!(4);
    let f = findings(&b, Constraint::ProcessCrossSource, &[]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].events.len(), 4, "{f:#?}");
    assert!(f[0].events.contains(&(i + 1)));
}

/// Real logs from `import`: a few Sysmon process creations on one host.
fn imported(records: &[(u64, &str)]) -> Bundle {
    let records = records
        .iter()
        .enumerate()
        .map(|(n, (record_id, time))| {
            json!({"Event": {"System": {"Channel": "Microsoft-Windows-Sysmon/Operational",
                "EventID": 1, "EventRecordID": record_id, "Computer": "PC1",
                "TimeCreated": {"#attributes": {"SystemTime": time}}},
                "EventData": {"ProcessGuid": format!("11111111-2222-3333-4444-{n:012}"),
                "ProcessId": 100 + n, "Image": r"C:\Windows\System32\cmd.exe"}}})
        })
        .collect();
    crate::bundle::bundle_from_records(
        "real.evtx",
        records,
        &crate::engine::LogsourceTable::builtin(),
    )
}

#[test]
fn time_order_follows_record_ids_and_allows_real_logs_their_buffering() {
    // Records out of file order (a wrapped EVTX) are ordered by record id.
    let wrapped = imported(&[
        (10, "2026-01-01T00:00:10Z"),
        (11, "2026-01-01T00:00:11Z"),
        (8, "2026-01-01T00:00:01Z"),
        (9, "2026-01-01T00:00:02Z"),
    ]);
    assert_eq!(validate_bundle(&wrapped), Vec::new());
    // A record one second behind the previous one is how ETW delivers events.
    let buffered = imported(&[(1, "2026-01-01T00:00:05Z"), (2, "2026-01-01T00:00:04Z")]);
    assert_eq!(validate_bundle(&buffered), Vec::new());
    // A minute is not.
    let jumped = imported(&[(1, "2026-01-01T00:01:05Z"), (2, "2026-01-01T00:00:04Z")]);
    let f = findings(&jumped, Constraint::TimeOrder, &[]);
    assert_eq!(f[0].events, vec![1, 2]);
    // Generated bundles are ordered exactly: a record under a second behind
    // the previous one in its log is a finding there.
    let mut b = bundle(LSASS);
    let (first, second) = (
        sysmon(&b, "comsvcs_minidump", 1),
        sysmon(&b, "comsvcs_loaded", 7),
    );
    let later = system_time(&mut b, first)
        .as_str()
        .unwrap()
        .replace(":32.", ":33.");
    *system_time(&mut b, first) = json!(later);
    let f = findings(&b, Constraint::TimeOrder, &[]);
    assert_eq!(f[0].events, numbers(&[first, second]));
}

#[test]
fn an_imported_bundle_has_no_window_to_check() {
    let mut b = imported(&[(1, "2026-01-01T00:00:05Z")]);
    b.header.reference_time = "2025-01-01T00:00:00Z".into();
    assert_eq!(validate_bundle(&b), Vec::new());
}

#[test]
fn process_cross_source_and_parent_mismatch_compare_users() {
    let mut b = bundle(LSASS);
    let parent = sysmon(&b, "elevated_powershell", 1);
    let child = sysmon(&b, "find_lsass_pid", 1);
    data(&mut b, child)["ParentUser"] = json!(r"NORTHWIND\alice.mercer");
    let f = findings(
        &b,
        Constraint::ProcessParentMismatch,
        &[Constraint::ProcessCrossSource],
    );
    assert_eq!(f[0].events, numbers(&[parent, child]));
    assert!(
        f[0].message
            .contains("user \"alice.mercer\" vs \"bob.keller\""),
        "{}",
        f[0].message
    );
    let f = findings(
        &b,
        Constraint::ProcessCrossSource,
        &[Constraint::ProcessParentMismatch],
    );
    assert!(f[0].message.contains("parent's user"), "{}", f[0].message);
}

#[test]
fn values_windows_writes_are_not_findings() {
    let mut b = bundle(RDP);
    let i = event(&b, "security", "rdp_logon", Some(4624));
    // A link-local client address with its zone, and an unresolved message
    // reference where a SID may be ("<value not set>").
    data(&mut b, i)["IpAddress"] = json!("fe80::1c3c:2a1b:9d4e:77aa%12");
    data(&mut b, i)["SidHistory"] = json!("%%1793");
    assert_eq!(validate_bundle(&b), Vec::new());
    data(&mut b, i)["IpAddress"] = json!("fe80::zz%12");
    let f = findings(&b, Constraint::NetworkIp, &[]);
    assert_eq!(f[0].events, numbers(&[i]));
}
