use super::*;
use crate::environment::Environment;

const SPEC: &str = r#"
name: plan test
techniques: [T1059.003, T1547.001, T1021.001]
tactics: [execution]
platform: windows
seed: 3
steps:
  - id: cmd
    technique: T1059.003
    process_create:
      image: C:\Windows\System32\cmd.exe
  - id: child
    technique: T1059.003
    delay: 0s
    process_create:
      parent: cmd
      image: C:\Windows\System32\whoami.exe
      command_line: whoami /all
  - id: runkey
    technique: T1547.001
    registry_set:
      process: child
      key: HKCU\Software\Microsoft\Windows\CurrentVersion\Run
      value_name: x
      type: dword
      data: "0x1"
  - id: rdp
    technique: T1021.001
    logon:
      user: bob
      logon_type: 10
      source_ip: 10.20.30.7
  - id: rdp_shell
    technique: T1021.001
    process_create:
      session: rdp
      parent: "@winlogon"
      image: C:\Windows\explorer.exe
  - id: in_session
    technique: T1021.001
    process_create:
      session: rdp
      parent: rdp_shell
      integrity: high
      image: C:\Windows\System32\cmd.exe
  - id: service
    technique: T1021.001
    process_create:
      user: system
      image: C:\Windows\System32\sc.exe
"#;

fn build(seed: u64) -> (Spec, Plan) {
    let env = Environment::default_workstation();
    let spec = Spec::parse("t.yaml", SPEC, &env).unwrap();
    let plan = plan(&spec, seed, &env, &BinaryCatalog::builtin());
    (spec, plan)
}

fn process_of(plan: &Plan, step: usize) -> &Process {
    match plan.actions[step].action {
        Action::ProcessCreate { process } => &plan.processes[process],
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn same_seed_same_plan_other_seed_other_times() {
    let (_, a) = build(3);
    let (_, b) = build(3);
    let (_, c) = build(4);
    assert_eq!(a.actions, b.actions);
    assert_eq!(a.processes, b.processes);
    assert_ne!(
        a.actions.iter().map(|x| x.time).collect::<Vec<_>>(),
        c.actions.iter().map(|x| x.time).collect::<Vec<_>>()
    );
}

#[test]
fn steps_are_strictly_ordered_and_children_follow_parents() {
    let (_, plan) = build(3);
    for pair in plan.actions.windows(2) {
        assert!(pair[1].time > pair[0].time, "{pair:?}");
    }
    for p in &plan.processes {
        if let Some(parent) = p.parent {
            assert!(
                p.start > plan.processes[parent].start,
                "{} before its parent",
                p.image
            );
        }
    }
    assert!(plan.reference_time > plan.actions.last().unwrap().time);
}

#[test]
fn process_identities_are_unique_and_shaped_like_sysmon() {
    let (_, plan) = build(3);
    let guid = regex::Regex::new(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
        .unwrap();
    let mut pids: Vec<u32> = plan.processes.iter().map(|p| p.pid).collect();
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), plan.processes.len());
    for p in &plan.processes {
        assert!(guid.is_match(&p.guid), "{}", p.guid);
        assert!(guid.is_match(&p.logon_guid), "{}", p.logon_guid);
        assert_eq!(p.pid % 4, 0);
        let hashes = p.file.sysmon_hashes();
        assert!(
            hashes.starts_with("MD5=")
                && hashes.contains(",SHA256=")
                && hashes.contains(",IMPHASH=")
        );
    }
}

#[test]
fn file_facts_are_stable_per_path_and_shaped_like_real_hashes() {
    let a = file_facts(r"C:\Windows\System32\cmd.exe");
    assert_eq!(a, file_facts(r"c:\windows\system32\CMD.EXE"));
    assert_ne!(a, file_facts(r"C:\Windows\System32\whoami.exe"));
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    };
    assert!(hex(&a.md5, 32) && hex(&a.sha1, 40) && hex(&a.sha256, 64) && hex(&a.imphash, 32));
    assert_eq!(a.size % 512, 0);
    assert!((16_384..5_000_000).contains(&a.size));
    // Sysmon's Hashes value is pinned: bundles depend on it.
    assert_eq!(
        a.sysmon_hashes(),
        format!("MD5={},SHA256={},IMPHASH={}", a.md5, a.sha256, a.imphash)
    );
    assert!(
        a.sysmon_hashes()
            .starts_with("MD5=3FB4C9FF3C427BD6B050052E44832F1D,SHA256=FB024F6E")
    );
}

#[test]
fn defaults_follow_the_user_and_parent() {
    let (_, plan) = build(3);
    let env = Environment::default_workstation();
    let cmd = process_of(&plan, 0);
    let parent = &plan.processes[cmd.parent.unwrap()];
    assert!(parent.image.ends_with("explorer.exe"));
    assert_eq!(cmd.user, "alice");
    assert_eq!(cmd.command_line, r#""C:\Windows\System32\cmd.exe""#);
    assert_eq!(cmd.current_directory, r"C:\Users\alice.mercer\");
    assert_eq!(cmd.pe.original_file_name, "Cmd.Exe");
    let child = process_of(&plan, 1);
    assert_eq!(child.logon_id, cmd.logon_id);
    assert_eq!(child.integrity, Integrity::Medium);
    let service = process_of(&plan, 6);
    assert!(
        plan.processes[service.parent.unwrap()]
            .image
            .ends_with("services.exe")
    );
    assert_eq!(service.logon_id, env.user("system").unwrap().logon_id);
    assert_eq!(service.terminal_session_id, 0);
}

#[test]
fn processes_in_a_logon_session_take_its_user_logon_and_terminal_session() {
    let (_, plan) = build(3);
    let session = &plan.sessions[0];
    // Two standing desktops (alice 1, bob 2), so the RDP logon opens session 3.
    assert_eq!(session.terminal_session_id, 3);
    let shell = process_of(&plan, 4);
    assert_eq!(shell.user, "bob");
    assert_eq!(shell.logon_id, session.logon_id);
    assert_eq!(shell.logon_guid, session.logon_guid);
    assert_eq!(shell.terminal_session_id, 3);
    // bob is a UAC administrator: his high-integrity process uses the linked elevated session.
    let (elevated_id, elevated_guid) = session
        .elevated
        .clone()
        .expect("admin interactive logon is split");
    let elevated = process_of(&plan, 5);
    assert_eq!(elevated.logon_id, elevated_id);
    assert_eq!(elevated.logon_guid, elevated_guid);
    assert_eq!(elevated.terminal_session_id, 3);
}

#[test]
fn standing_admin_sessions_have_an_elevated_linked_logon() {
    let env = Environment::default_workstation();
    let bob = env.user("bob").unwrap();
    let text = SPEC.replace("      image: C:\\Windows\\System32\\cmd.exe\n  - id: child", "      image: C:\\Windows\\System32\\cmd.exe\n      user: bob\n      integrity: high\n  - id: child");
    let spec = Spec::parse("t.yaml", &text, &env).unwrap();
    let plan = plan(&spec, 3, &env, &BinaryCatalog::builtin());
    let cmd = process_of(&plan, 0);
    assert_eq!(cmd.user, "bob");
    assert_eq!(Some(cmd.logon_id), bob.elevated_logon_id);
    assert_ne!(cmd.logon_id, bob.logon_id);
}

#[test]
fn registry_paths_and_details_are_written_as_sysmon_does() {
    let (_, plan) = build(3);
    let env = Environment::default_workstation();
    match &plan.actions[2].action {
        Action::RegistrySet {
            target_object,
            details,
            ..
        } => {
            let sid = &env.user("alice").unwrap().sid;
            assert_eq!(
                target_object,
                &format!(r"HKU\{sid}\Software\Microsoft\Windows\CurrentVersion\Run\x")
            );
            assert_eq!(details, "DWORD (0x00000001)");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        registry_details(RegistryValueType::Qword, "4294967297"),
        "QWORD (0x00000001-0x00000001)"
    );
    assert_eq!(
        registry_details(RegistryValueType::Binary, "00"),
        "Binary Data"
    );
    assert_eq!(registry_details(RegistryValueType::String, ""), "(Empty)");
    assert_eq!(
        registry_details(RegistryValueType::ExpandString, "%TEMP%"),
        "%TEMP%"
    );
    assert_eq!(
        sysmon_registry_path(r"HKEY_LOCAL_MACHINE\SOFTWARE\X", "S"),
        r"HKLM\SOFTWARE\X"
    );
}
