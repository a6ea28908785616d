use super::*;

fn loader() -> RuleLoader {
    RuleLoader::new(&Placeholders::default())
}

#[test]
fn several_documents_load_as_several_rules_with_file_line_numbers() {
    let loader = loader();
    let one = "title: A\nname: a\nlogsource:\n  product: windows\ndetection:\n  s:\n    X: 1\n  condition: s\n";
    let rules = loader
        .load_file(
            "c.yml",
            &format!("{one}---\n# comment only\n---\n{}", one.replace("A", "B")),
        )
        .unwrap();
    assert_eq!(rules.len(), 2);
    let broken = format!(
        "{one}---\ntitle: C\nlogsource:\n  product: windows\ndetection:\n  s:\n    X|bogus: 1\n  condition: s\n"
    );
    let err = loader.load_file("c.yml", &broken).unwrap_err();
    assert_eq!(err[0].line(), Some(15), "{}", err[0]);
    let err = loader
        .load_file("c.yml", "action: global\ntitle: x\n---\ntitle: y\n")
        .unwrap_err();
    assert!(err[0].message.contains("rule collections"), "{}", err[0]);
    assert!(loader.load_file("e.yml", "# nothing\n").is_err());
}

const KQL: &str = "// title: Encoded PowerShell\n// techniques: T1059.001\nDeviceProcessEvents\n| where FileName =~ 'powershell.exe' and ProcessCommandLine has '-enc'\n";

#[test]
fn kql_files_and_sentinel_yaml_load_as_kql_rules() {
    let loader = loader();
    let rules = loader.load_file("rules/enc.kql", KQL).unwrap();
    assert!(matches!(&rules[..], [LoadedRule::Kql(r)] if r.kind == "kql"));
    let sentinel = "id: s-1\nname: Enc\nrelevantTechniques: [T1059.001]\nquery: |\n  SecurityEvent\n  | where EventID == 4688\n";
    let rules = loader.load_file("rules/enc.yaml", sentinel).unwrap();
    assert!(
        matches!(&rules[..], [LoadedRule::Kql(r)] if r.kind == "sentinel" && r.missing_table.is_none())
    );
}

#[test]
fn kql_rules_are_checked_against_the_table_schemas_at_load() {
    let loader = loader();
    // An unknown column is an error at its line.
    let text = KQL.replace("ProcessCommandLine has", "ProcessCmdLine has");
    let err = loader.load_file("r.kql", &text).unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].line(), Some(4), "{}", err[0]);
    assert!(err[0].message.contains("`ProcessCmdLine`"), "{}", err[0]);
    // A misspelt shipped table is an error with a suggestion…
    let text = KQL.replace("DeviceProcessEvents", "DeviceProcesEvents");
    let err = loader.load_file("r.kql", &text).unwrap_err();
    assert_eq!(err[0].line(), Some(3));
    assert!(
        err[0]
            .help
            .as_deref()
            .unwrap()
            .contains("DeviceProcessEvents"),
        "{:?}",
        err[0].help
    );
    // …while a table rulecheck does not generate loads, and is noted.
    let text = "// techniques: T1078\nOfficeActivity\n| where Operation == 'MailItemsAccessed'\n";
    let rules = loader.load_file("r.kql", text).unwrap();
    assert!(
        matches!(&rules[..], [LoadedRule::Kql(r)] if r.missing_table.as_deref() == Some("OfficeActivity"))
    );
}

#[test]
fn a_sentinel_rule_shares_its_file_with_nothing() {
    let text = "name: S\nquery: SecurityEvent\n---\ntitle: A\nlogsource:\n  product: windows\ndetection:\n  s:\n    X: 1\n  condition: s\n";
    let err = loader().load_file("r.yml", text).unwrap_err();
    assert!(err[0].message.contains("only document"), "{}", err[0]);
}

#[test]
fn tables_known_by_schema_only_are_noted_and_blind_only_when_nothing_else_is_read() {
    let loader = loader();
    let enriched = "// techniques: T1105\nDeviceProcessEvents\n| join kind=leftouter (DeviceInfo | project DeviceId, OSPlatform) on DeviceId\n";
    let rules = loader.load_file("r.kql", enriched).unwrap();
    let [LoadedRule::Kql(r)] = &rules[..] else {
        panic!("one KQL rule")
    };
    assert_eq!(r.missing_table, None);
    assert_eq!(r.unrendered_tables, ["DeviceInfo"]);
    let only = "// techniques: T1105\nDeviceInfo | where OSPlatform == 'Windows11'\n";
    let rules = loader.load_file("r.kql", only).unwrap();
    let [LoadedRule::Kql(r)] = &rules[..] else {
        panic!("one KQL rule")
    };
    assert_eq!(r.missing_table.as_deref(), Some("DeviceInfo"));
}
