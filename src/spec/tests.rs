use super::*;

const VALID: &str = r#"
name: Test spec
techniques: [T1059.001]
tactics: [execution]
platform: windows
steps:
  - id: ps
    technique: T1059.001
    process_create:
      image: C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe
      command_line: powershell.exe -c "{{user.profile}}\x.ps1"
  - id: conn
    technique: T1059.001
    delay: 1s..2s
    network_connect:
      process: ps
      destination_ip: 203.0.113.9
      destination_port: 443
"#;

fn parse(text: &str) -> Result<Spec, Vec<SourceError>> {
    Spec::parse(
        "ttps/test-spec.yaml",
        text,
        &Environment::default_workstation(),
    )
}

/// The single error of an invalid spec, as `path:line:col: message`.
fn only_error(text: &str) -> SourceError {
    let mut errors = parse(text).expect_err("spec should be invalid");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.remove(0)
}

#[test]
fn valid_spec_gets_defaults_and_resolved_references() {
    let spec = parse(VALID).unwrap();
    assert_eq!(spec.id, "test-spec");
    assert_eq!(spec.seed, 0);
    assert_eq!(spec.start.to_rfc3339(), "2026-01-05T09:00:00+00:00");
    assert_eq!(spec.steps[0].delay, DelayRange::DEFAULT);
    assert_eq!(spec.steps[0].line, 7);
    match &spec.steps[1].action {
        StepAction::NetworkConnect { process, .. } => assert_eq!(*process, ProcessRef::Step(0)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_key_in_a_step_is_located_with_a_hint() {
    let text = VALID.replace("    delay: 1s..2s\n", "    dealy: 1s..2s\n");
    let e = only_error(&text);
    assert!(e.message.contains("unknown field `dealy`"), "{e}");
    assert_eq!(e.line(), Some(14));
    assert!(
        e.help.as_deref().unwrap().contains("process_create"),
        "{:?}",
        e.help
    );
}

#[test]
fn unknown_action_kind_is_an_error_naming_the_kinds() {
    let text = VALID.replace("    process_create:\n", "    proces_create:\n");
    let e = only_error(&text);
    assert!(e.message.contains("proces_create"), "{e}");
    assert_eq!(e.line(), Some(9));
    assert!(e.help.as_deref().unwrap().contains("registry_set"));
}

#[test]
fn unknown_parameter_of_an_action_is_located() {
    let text = VALID.replace(
        "      destination_port: 443\n",
        "      destination_prot: 443\n",
    );
    let e = only_error(&text);
    assert!(e.message.contains("destination_prot"), "{e}");
    assert_eq!(e.line(), Some(18));
}

#[test]
fn bad_values_are_located_errors() {
    for (from, to, needle) in [
        (
            "techniques: [T1059.001]",
            "techniques: [T1059.01]",
            "T1059.01",
        ),
        ("delay: 1s..2s", "delay: 5s..2s", "ends before it starts"),
        (
            "destination_ip: 203.0.113.9",
            "destination_ip: 203.0.113.999",
            "not an IPv4",
        ),
        ("destination_port: 443", "destination_port: 70000", "70000"),
        ("tactics: [execution]", "tactics: [executoin]", "executoin"),
        ("platform: windows", "platform: plan9", "plan9"),
    ] {
        let e = only_error(&VALID.replace(from, to));
        assert!(e.to_string().contains(needle), "{from} → {to}: {e}");
        assert!(e.line().is_some(), "{e}");
    }
}

#[test]
fn references_must_name_earlier_process_steps() {
    let text = VALID.replace("      process: ps\n", "      process: later\n");
    let e = only_error(&text);
    assert!(e.message.contains("`later`"), "{e}");
    assert_eq!(e.line(), Some(16));

    let text = VALID.replace("      process: ps\n", "      process: \"@explroer\"\n");
    let e = only_error(&text);
    assert!(
        e.help.as_deref().unwrap().contains("@explorer"),
        "{:?}",
        e.help
    );
}

#[test]
fn semantic_errors_are_all_collected() {
    let text = VALID
        .replace("      process: ps\n", "      process: nope\n")
        .replace(
            "    technique: T1059.001\n    process_create",
            "    process_create",
        )
        .replace("{{user.profile}}", "{{user.profil}}");
    let errors = parse(&text).unwrap_err();
    let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(errors.len(), 3, "{messages:#?}");
    assert!(messages.iter().any(|m| m.contains("has no `technique`")));
    assert!(messages.iter().any(|m| m.contains("user.profil")));
    assert!(messages.iter().any(|m| m.contains("`nope`")));
}

#[test]
fn steps_need_exactly_one_action() {
    let text = VALID.replace(
        "    network_connect:\n",
        "    file_create:\n      process: ps\n      path: C:\\x\n    network_connect:\n",
    );
    let e = only_error(&text);
    assert!(e.message.contains("2 actions"), "{e}");
    assert_eq!(e.line(), Some(12));
}

#[test]
fn benign_steps_have_no_technique_and_duplicates_are_refused() {
    let text = VALID.replace(
        "  - id: conn\n    technique: T1059.001\n",
        "  - id: conn\n    benign: true\n    technique: T1059.001\n",
    );
    assert!(only_error(&text).message.contains("benign step"));
    let text = VALID.replace("id: conn", "id: ps");
    assert!(only_error(&text).message.contains("used twice"));
}

#[test]
fn listed_techniques_need_a_step() {
    let text = VALID.replace("techniques: [T1059.001]", "techniques: [T1059.001, T1105]");
    let e = only_error(&text);
    assert!(e.message.contains("T1105"), "{e}");
    assert_eq!(e.line(), Some(3));
}

#[test]
fn users_hives_and_registry_numbers_are_checked() {
    let text = VALID.replace(
        "      command_line:",
        "      user: mallory\n      command_line:",
    );
    assert!(only_error(&text).help.unwrap().contains("alice"));
    let registry = VALID.replace(
        "    network_connect:\n      process: ps\n      destination_ip: 203.0.113.9\n      destination_port: 443\n",
        "    registry_set:\n      process: ps\n      key: HKXX\\Software\\X\n      value_name: v\n      type: dword\n      data: lots\n",
    );
    let errors = parse(&registry).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].message.contains("hive"));
    assert!(errors[1].message.contains("not a number"));
}

#[test]
fn variables_are_transformed_once() {
    let text = VALID
        .replace(
            "steps:",
            "vars:\n  enc:\n    base64_utf16le: \"whoami\"\n  plain: literal\nsteps:",
        )
        .replace("-c \"{{user.profile}}\\x.ps1\"", "-enc {{enc}} {{plain}}");
    let spec = parse(&text).unwrap();
    assert_eq!(spec.vars["enc"], "dwBoAG8AYQBtAGkA");
    assert_eq!(spec.vars["plain"], "literal");
}

#[test]
fn spec_ids_come_from_file_names() {
    assert_eq!(spec_id("ttps/a/T1059-x.yaml"), "T1059-x");
    assert_eq!(spec_id("b.yml"), "b");
}

#[test]
fn all_benign_specs_are_baselines_without_techniques() {
    let text = r#"
name: baseline
techniques: []
tactics: []
platform: windows
steps:
  - id: notepad
    benign: true
    process_create:
      image: C:\Windows\System32\notepad.exe
"#;
    let spec = parse(text).unwrap();
    assert!(spec.techniques.is_empty());
    let with_attack = text.replace("    benign: true\n", "    technique: T1059\n");
    let errors = parse(&with_attack).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].message.contains("`techniques` is empty"));
}

#[test]
fn processes_in_user_driven_sessions_need_a_parent() {
    let text = r#"
name: rdp
techniques: [T1021.001]
tactics: [lateral-movement]
platform: windows
steps:
  - id: rdp
    technique: T1021.001
    logon: { user: bob, logon_type: 10, source_ip: 10.0.0.5 }
  - id: shell
    technique: T1021.001
    process_create: { session: rdp, image: C:\Windows\System32\cmd.exe }
"#;
    let e = only_error(text);
    assert!(e.message.contains("names no `parent`"), "{e}");
    assert_eq!(e.line(), Some(10));
    // Network logons are served by services.exe, so no parent is needed.
    assert!(parse(&text.replace("logon_type: 10", "logon_type: 3")).is_ok());
}

#[test]
fn an_action_key_without_parameters_is_an_error() {
    let text = VALID.replace(
        "    network_connect:\n",
        "    process_create: null\n    network_connect:\n",
    );
    let e = only_error(&text);
    assert!(e.message.contains("process_create"), "{e}");
    assert_eq!(e.line(), Some(15));
}

#[test]
fn image_loads_name_a_process_and_a_consistent_signature() {
    let load = |params: &str| {
        format!(
            "{VALID}  - id: dll\n    technique: T1059.001\n    image_load: {{ process: ps, path: '{{{{user.profile}}}}\\x.dll'{params} }}\n"
        )
    };
    let spec = parse(&load("")).unwrap();
    match &spec.steps[2].action {
        StepAction::ImageLoad { process, params } => {
            assert_eq!(*process, ProcessRef::Step(0));
            assert_eq!(
                params.path.placeholders().collect::<Vec<_>>(),
                ["user.profile"]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(parse(&load(", signature: Contoso Ltd, signature_status: Expired")).is_ok());
    let e = only_error(&load(", signed: false, signature: Contoso Ltd"));
    assert!(e.message.contains("`signed: false`"), "{e}");
    let e = only_error(&load(", signed: true"));
    assert!(e.message.contains("needs the signer"), "{e}");
    let e = only_error(&load(", description: x, colour: red"));
    assert!(e.message.contains("unknown field `colour`"), "{e}");
    let e = only_error(&load("").replace("{ process: ps,", "{ process: conn,"));
    assert!(e.message.contains("does not start one"), "{e}");
}
