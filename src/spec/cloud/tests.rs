//! Parsing and validation of the cloud step kinds: every problem is an error
//! at the line of the key it is about.

use crate::diagnostic::SourceError;
use crate::environment::Environment;
use crate::spec::{Spec, StepAction};

const VALID: &str = r#"
name: Cloud spec
techniques: [T1078.004]
tactics: [initial-access]
platform: azure
steps:
  - id: signin
    benign: true
    entra_signin: { user: alice, app: office_365, mfa: authenticator_app }
  - id: replay
    technique: T1078.004
    entra_signin:
      user: alice
      app: office_365
      session: signin
      ip: 185.225.17.44
      device: unmanaged
  - id: role
    technique: T1078.004
    entra_audit:
      activity: add_member_to_role
      actor: carol
      target_user: bob
      role: Global Administrator
  - id: arm
    technique: T1078.004
    azure_activity:
      caller: bob
      operation: Microsoft.Compute/virtualMachines/runCommand/action
      resource: /resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web01
"#;

fn parse(text: &str) -> Result<Spec, Vec<SourceError>> {
    Spec::parse("ttps/cloud.yaml", text, &Environment::default_workstation())
}

fn only_error(text: &str) -> SourceError {
    let mut errors = parse(text).expect_err("spec should be invalid");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.remove(0)
}

#[test]
fn valid_cloud_steps_parse_with_their_session_resolved() {
    let spec = parse(VALID).unwrap();
    assert_eq!(spec.platform.as_str(), "azure");
    let kinds: Vec<&str> = spec.steps.iter().map(|s| s.action.kind()).collect();
    assert_eq!(
        kinds,
        [
            "entra_signin",
            "entra_signin",
            "entra_audit",
            "azure_activity"
        ]
    );
    match &spec.steps[1].action {
        StepAction::EntraSignin { session, params } => {
            assert_eq!(*session, Some(0));
            assert_eq!(params.user, "alice");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_user_outside_the_tenant_is_located_and_the_tenant_users_listed() {
    let e = only_error(&VALID.replace("actor: carol", "actor: mallory"));
    assert_eq!(e.line(), Some(22), "{e}");
    assert!(
        e.message.contains("user `mallory` is not in the tenant"),
        "{e}"
    );
    assert!(
        e.help
            .as_deref()
            .unwrap()
            .contains("alice, bob, carol, dave")
    );
}

#[test]
fn an_unknown_app_key_and_a_malformed_app_id_are_errors() {
    let e = only_error(&VALID.replace(
        "{ user: alice, app: office_365, mfa",
        "{ user: alice, app: office365, mfa",
    ));
    // A flow mapping's keys share the action's line.
    assert_eq!(e.line(), Some(9));
    assert!(
        e.message
            .contains("app `office365` is not in the tenant's catalog"),
        "{e}"
    );
    assert!(e.help.as_deref().unwrap().contains("azure_cli"));
    let e = only_error(&VALID.replace(
        "      app: office_365\n      session",
        "      app: { name: Evil, id: not-a-guid }\n      session",
    ));
    assert_eq!(e.line(), Some(14));
    assert!(e.message.contains("`not-a-guid` is not a GUID"), "{e}");
}

#[test]
fn unknown_error_codes_and_keys_are_refused() {
    let e = only_error(&VALID.replace(
        "      device: unmanaged\n",
        "      device: unmanaged\n      result: 12345\n",
    ));
    assert_eq!(e.line(), Some(18));
    assert!(e.message.contains("error code 12345"), "{e}");
    assert!(e.help.as_deref().unwrap().contains("50126"));
    let e = only_error(
        &VALID
            .replace(
                "      device: unmanaged\n",
                "      device: unmanaged\n      result: 50126\n",
            )
            .replace(
                "      session: signin\n",
                "      session: signin\n      mfa: sms\n",
            ),
    );
    assert!(e.message.contains("never reaches MFA"), "{e}");
    let e = only_error(&VALID.replace("device: unmanaged", "device: laptop"));
    assert!(e.message.contains("unknown variant `laptop`"), "{e}");
    let e = only_error(&VALID.replace("ip: 185.225.17.44", "client_ip: 185.225.17.44"));
    assert!(e.message.contains("unknown field `client_ip`"), "{e}");
}

#[test]
fn a_session_must_be_an_earlier_sign_in() {
    let e = only_error(&VALID.replace("session: signin", "session: role"));
    assert_eq!(e.line(), Some(15));
    assert!(
        e.message
            .contains("must name an earlier `entra_signin` step"),
        "{e}"
    );
}

#[test]
fn audit_activities_need_their_parameters_and_take_no_others() {
    let e = only_error(&VALID.replace("      role: Global Administrator\n", ""));
    assert_eq!(e.line(), Some(21), "at `activity`");
    assert!(
        e.message.contains("`add_member_to_role` needs `role`"),
        "{e}"
    );
    let e = only_error(&VALID.replace(
        "      role: Global Administrator\n",
        "      role: Global Administrator\n      permissions: [Mail.Read]\n",
    ));
    assert_eq!(e.line(), Some(25));
    assert!(e.message.contains("takes no `permissions`"), "{e}");
    let e = only_error(&VALID.replace("Global Administrator", "Supreme Leader"));
    assert!(
        e.message
            .contains("`Supreme Leader` is not a directory role"),
        "{e}"
    );
    let e = only_error(&VALID.replace("      actor: carol\n", ""));
    assert!(e.message.contains("needs an `actor`"), "{e}");
}

#[test]
fn arm_operations_are_checked_for_shape_verb_scope_and_role_parameters() {
    let op = "Microsoft.Compute/virtualMachines/runCommand/action";
    let e = only_error(&VALID.replace(op, "Microsoft.Compute/virtualMachines/read"));
    assert_eq!(e.line(), Some(29));
    assert!(
        e.message.contains("the Azure activity log does not record"),
        "{e}"
    );
    let e = only_error(&VALID.replace(op, "runCommand"));
    assert!(
        e.message
            .contains("is not an Azure Resource Manager operation"),
        "{e}"
    );
    let e = only_error(&VALID.replace(
        "resource: /resourceGroups/rg-prod/providers/Microsoft.Compute/virtualMachines/vm-web01",
        "resource: /subscriptions/x/resourceGroups/rg-prod",
    ));
    assert_eq!(e.line(), Some(30));
    assert!(
        e.message
            .contains("is not a resource path below the subscription"),
        "{e}"
    );
    let errors =
        parse(&VALID.replace(op, "Microsoft.Authorization/roleAssignments/write")).unwrap_err();
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "a role assignment needs `role`",
            "a role assignment needs `principal`"
        ]
    );
    let mut errors = parse(&VALID.replace(
        "      resource: /resourceGroups",
        "      principal: alice\n      resource: /resourceGroups",
    ))
    .unwrap_err();
    assert_eq!(errors.len(), 1);
    let e = errors.remove(0);
    assert_eq!(e.line(), Some(30));
    assert!(e.message.contains("`principal` belongs only to"), "{e}");
}

#[test]
fn add_user_needs_a_new_upn() {
    let text = VALID.replace(
        "      activity: add_member_to_role\n      actor: carol\n      target_user: bob\n      role: Global Administrator\n",
        "      activity: add_user\n      actor: carol\n      new_user: alice.mercer@northwindtraders.com\n",
    );
    let e = only_error(&text);
    assert!(e.message.contains("already exists in the tenant"), "{e}");
    let e = only_error(&text.replace("alice.mercer@northwindtraders.com", "svc sync"));
    assert!(e.message.contains("is not a user principal name"), "{e}");
    // A role may go to an account an earlier step created, named by UPN.
    let by_upn = VALID.replace(
        "target_user: bob",
        "target_user: svc-sync@northwindtraders.com",
    );
    assert!(parse(&by_upn).is_ok());
    let e = only_error(&VALID.replace("target_user: bob", "target_user: svc@sync"));
    assert!(
        e.message
            .contains("`svc@sync` is not a user principal name"),
        "{e}"
    );
    assert!(parse(&text.replace("alice.mercer@", "svc-sync@")).is_ok());
}
