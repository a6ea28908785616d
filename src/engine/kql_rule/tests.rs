use super::*;

const KQL: &str = "// title: Encoded PowerShell\n// id: k-1\n// techniques: T1059.001, T1027\n// tactics: execution\n// Free text comments are fine.\nDeviceProcessEvents\n| where FileName =~ 'powershell.exe' and ProcessCommandLine has '-enc'\n";

#[test]
fn kql_files_read_their_header() {
    let r = KqlRule::parse_kql_file("rules/enc.kql", KQL).unwrap();
    assert_eq!(r.title, "Encoded PowerShell");
    assert_eq!(r.id.as_deref(), Some("k-1"));
    assert_eq!(r.techniques.len(), 2);
    assert_eq!(r.kind, "kql");
}

#[test]
fn kql_header_and_query_errors_are_all_located_in_the_file() {
    let text = KQL.replace("T1027", "T102").replace("| where", "| wher");
    let errors = KqlRule::parse_kql_file("r.kql", &text).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(errors[0].line(), Some(3));
    assert_eq!(errors[1].line(), Some(7));
    assert!(errors[1].message.contains("unknown operator `wher`"));
}

const SENTINEL: &str = r#"id: 00000000-0000-4000-8000-00000000d001
name: Encoded PowerShell (Sentinel)
description: test
severity: Medium
requiredDataConnectors: []
queryFrequency: 1h
queryPeriod: PT1H
triggerOperator: gt
triggerThreshold: 0
tactics:
  - Execution
relevantTechniques:
  - T1059.001
query: |
  SecurityEvent
  | where EventID == 4688
  | where CommandLine has "-enc"
entityMappings: []
version: 1.0.0
kind: Scheduled
"#;

#[test]
fn sentinel_rules_read_techniques_periods_and_trigger() {
    let r = KqlRule::parse_sentinel("r.yaml", SENTINEL).unwrap();
    assert_eq!(r.title, "Encoded PowerShell (Sentinel)");
    assert_eq!(r.techniques, vec!["T1059.001".parse().unwrap()]);
    assert_eq!(r.query_period, Some(TICKS_PER_HOUR));
    assert_eq!(
        r.trigger,
        Some(Trigger {
            op: TriggerOp::Gt,
            threshold: 0
        })
    );
    assert!(
        Trigger {
            op: TriggerOp::Gt,
            threshold: 2
        }
        .fires(3)
    );
    assert!(
        !Trigger {
            op: TriggerOp::Gt,
            threshold: 2
        }
        .fires(2)
    );
}

#[test]
fn sentinel_query_errors_point_at_file_lines() {
    let text = SENTINEL.replace("| where CommandLine", "| frob CommandLine");
    let errors = KqlRule::parse_sentinel("r.yaml", &text).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line(), Some(17), "{}", errors[0]);
    let position = errors[0].location.position.unwrap();
    assert_eq!(position.column, 5);
}

#[test]
fn iso_and_short_durations() {
    assert_eq!(iso_duration("PT5M"), Some(5 * TICKS_PER_MINUTE));
    assert_eq!(
        iso_duration("P1DT2H"),
        Some(TICKS_PER_DAY + 2 * TICKS_PER_HOUR)
    );
    assert_eq!(iso_duration("14d"), Some(14 * TICKS_PER_DAY));
    assert_eq!(iso_duration("soon"), None);
}
