//! Cloud steps end to end: `SigninLogs`, `AuditLogs` and `AzureActivity` rows
//! as `generate` writes them (one snapshot of each), and invalid cloud steps
//! reported at their line.

use serde_json::Value;

use super::*;

const CLOUD_SPEC: &str = r#"
name: Cloud rows
techniques: [T1098.003]
tactics: [persistence]
platform: azure
seed: 7
start: 2026-03-02T09:00:00Z
steps:
  - id: signin
    benign: true
    entra_signin: { user: carol, app: azure_portal, mfa: authenticator_app }
  - id: role
    technique: T1098.003
    entra_audit:
      activity: add_member_to_role
      actor: carol
      target_user: dave
      role: Privileged Role Administrator
      ip: 193.149.180.23
  - id: assignment
    technique: T1098.003
    azure_activity:
      caller: carol
      operation: Microsoft.Authorization/roleAssignments/write
      resource: /resourceGroups/rg-prod
      role: Owner
      principal: dave
      ip: 193.149.180.23
"#;

fn generate(spec: &str) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ttps")).unwrap();
    std::fs::write(dir.path().join("ttps/cloud.yaml"), spec).unwrap();
    let out = rulecheck(dir.path()).arg("generate").output().unwrap();
    (dir, out)
}

/// The first row of `table` in a bundle, with its labels.
fn first_row(bundle: &str, table: &str) -> Value {
    bundle
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["labels"]["source"] == table)
        .unwrap_or_else(|| panic!("no {table} row"))
}

#[test]
fn cloud_steps_render_one_row_of_each_cloud_table() {
    let (dir, out) = generate(CLOUD_SPEC);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let bundle = std::fs::read_to_string(dir.path().join("bundles/cloud.jsonl")).unwrap();
    let sources: Vec<String> = bundle
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["labels"]["source"].to_string())
        .collect();
    // An ARM operation is logged twice: its start and its outcome.
    assert_eq!(
        sources,
        [
            "\"SigninLogs\"",
            "\"AuditLogs\"",
            "\"AzureActivity\"",
            "\"AzureActivity\""
        ]
    );
    insta::assert_json_snapshot!("cloud_signinlogs_row", first_row(&bundle, "SigninLogs"));
    insta::assert_json_snapshot!("cloud_auditlogs_row", first_row(&bundle, "AuditLogs"));
    insta::assert_json_snapshot!(
        "cloud_azureactivity_row",
        first_row(&bundle, "AzureActivity")
    );
}

#[test]
fn an_invalid_cloud_step_is_reported_at_its_line_and_writes_no_bundle() {
    let spec = CLOUD_SPEC.replace("role: Owner", "role: Landlord");
    let (dir, out) = generate(&spec);
    assert_eq!(out.status.code(), Some(2), "{}", transcript(&out));
    let err = stderr(&out);
    assert!(
        err.contains("ttps/cloud.yaml:26:7: `Landlord` is not an Azure built-in role"),
        "{err}"
    );
    assert!(err.contains("Owner, Contributor, Reader"), "{err}");
    assert!(!dir.path().join("bundles/cloud.jsonl").exists());
}

#[test]
fn the_kql_command_reads_the_cloud_tables_of_a_bundle() {
    let (dir, out) = generate(CLOUD_SPEC);
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let out = rulecheck(dir.path())
        .args([
            "kql",
            "AzureActivity | where ActivityStatusValue == 'Success' | project Caller, Role = tostring(parse_json(tostring(Properties_d.responseBody)).Properties.RoleDefinitionId), Country = geo_info_from_ip_address(CallerIpAddress).country",
            "bundles/cloud.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
    let text = stdout(&out);
    assert!(text.contains("carol.diaz@northwindtraders.com"), "{text}");
    assert!(
        text.contains("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
        "{text}"
    );
    assert!(text.contains("Germany"), "{text}");
}

/// Sigma's `product: azure` logsources read the cloud tables, with the raw
/// Azure export's field names mapped to the tables' columns.
#[test]
fn sigma_azure_rules_run_on_the_cloud_tables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("diag.yml"),
        "title: Diagnostic setting deleted
id: 5e1a2b3c-0000-4000-8000-000000000001
status: test
logsource:
    product: azure
    service: activitylogs
detection:
    selection:
        operationName: MICROSOFT.INSIGHTS/DIAGNOSTICSETTINGS/DELETE
        status: Success
    condition: selection
tags:
    - attack.t1562.008
level: medium
",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("role.yml"),
        "title: Member added to a directory role
id: 5e1a2b3c-0000-4000-8000-000000000002
status: test
logsource:
    product: azure
    service: auditlogs
detection:
    selection:
        properties.message: Add member to role
        Status: success
    condition: selection
tags:
    - attack.t1098.003
level: medium
",
    )
    .unwrap();
    let bundles = dir.path().join("bundles");
    std::fs::create_dir(&bundles).unwrap();
    for name in [
        "T1562.008-azure-diagnostic-settings-deleted-and-vm-run-command.jsonl",
        "T1098.003-entra-backdoor-admin-created-and-made-global-admin.jsonl",
    ] {
        std::fs::copy(repo().join("bundles").join(name), bundles.join(name)).unwrap();
    }
    let out = rulecheck(dir.path())
        .args([
            "test",
            "diag.yml",
            "role.yml",
            "--format",
            "json",
            "--bundles",
            "bundles",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcome = |rule: &str, bundle: &str| {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["rule"]["path"].as_str().unwrap().ends_with(rule)
                    && r["bundle"]["spec"].as_str().unwrap().starts_with(bundle)
            })
            .map(|r| r["outcome"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(outcome("diag.yml", "T1562.008"), "detected", "{report}");
    // The role rule also hits Carol's legitimate Helpdesk assignment: a
    // false positive the judge reports, as it should for so broad a rule.
    assert_eq!(
        outcome("role.yml", "T1098.003"),
        "false_positive",
        "{report}"
    );
    assert_eq!(out.status.code(), Some(1), "{}", transcript(&out));
}

/// The shipped cloud rules do not depend on one seed's timing or ids: with
/// other seeds the cloud specs' bundles are still all detected, and the
/// benign sign-ins and admin changes beside the attacks still raise nothing.
#[test]
fn shipped_cloud_rules_hold_under_other_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let ttps = dir.path().join("ttps");
    std::fs::create_dir(&ttps).unwrap();
    let mut copied = 0;
    for entry in std::fs::read_dir(repo().join("ttps")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("\nplatform: azure") {
            std::fs::write(ttps.join(path.file_name().unwrap()), text).unwrap();
            copied += 1;
        }
    }
    assert!(copied >= 6, "{copied} cloud specs");
    for seed in ["2", "3"] {
        let out = rulecheck(dir.path())
            .args(["generate", "--seed", seed])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", transcript(&out));
        let out = rulecheck(dir.path())
            .args(["test", "--format", "json", "--bundles", "bundles"])
            .arg(repo().join("rules/kql/sentinel"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "seed {seed}: {}",
            transcript(&out)
        );
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let outcomes = &report["summary"]["outcomes"];
        assert!(
            outcomes["detected"].as_u64().unwrap() >= copied,
            "{outcomes}"
        );
        assert_eq!(outcomes["false_positive"], 0, "{outcomes}");
    }
}
