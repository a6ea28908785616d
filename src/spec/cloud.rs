//! Cloud step kinds as written in specs: Entra ID sign-ins (`entra_signin`),
//! Entra directory changes (`entra_audit`) and Azure Resource Manager
//! operations (`azure_activity`). Like the rest of the model, every struct
//! denies unknown keys; [`check`] validates what serde cannot (users and apps of
//! the tenant, which parameters an activity needs, error codes) and reports
//! each problem with the key it belongs to.

use serde::Deserialize;

use super::model::IpText;
use crate::environment::cloud::{self, Tenant};

/// An application: a key of the tenant's catalog (`azure_cli`), or one the
/// tenant does not know yet, given by name and application id (an attacker's
/// multi-tenant app).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum AppRef {
    Known(String),
    External(ExternalApp),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalApp {
    pub name: String,
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaMethod {
    /// Single-factor: password only.
    None,
    /// MFA satisfied by a claim in the token (an earlier MFA in the session).
    PreviouslySatisfied,
    AuthenticatorApp,
    PhoneCall,
    Sms,
    Fido2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SigninDevice {
    /// The environment's workstation: Entra hybrid joined, managed, compliant.
    Workstation,
    /// A device Entra does not know: no id, not managed.
    Unmanaged,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntraSigninParams {
    /// A tenant user key (`alice`, `carol`, …).
    pub user: String,
    pub app: AppRef,
    /// The resource (API) the token is for; default: the app's usual one.
    #[serde(default)]
    pub resource: Option<AppRef>,
    /// Client address; default: the office's egress address.
    #[serde(default)]
    pub ip: Option<IpText>,
    /// Default: the environment workstation's browser or desktop client.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Entra error code (`ResultType`): 0 for success.
    #[serde(default)]
    pub result: u32,
    /// How the second factor was satisfied; default `none`.
    #[serde(default)]
    pub mfa: Option<MfaMethod>,
    /// An earlier `entra_signin` step whose session this sign-in continues
    /// (the same `SessionId`): a refreshed or replayed token.
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub device: Option<SigninDevice>,
}

/// Directory activities `entra_audit` can record, with their audit-log names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditActivity {
    ConsentToApplication,
    AddMemberToRole,
    AddServicePrincipalCredentials,
    UpdateApplicationCredentials,
    AddServicePrincipal,
    AddUser,
    ResetUserPassword,
    AddMemberToGroup,
}

/// A parameter an audit activity may take besides the actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditParam {
    TargetUser,
    TargetApp,
    Role,
    Group,
    Permissions,
    AdminConsent,
    NewUser,
}

impl AuditParam {
    pub fn key(self) -> &'static str {
        match self {
            AuditParam::TargetUser => "target_user",
            AuditParam::TargetApp => "target_app",
            AuditParam::Role => "role",
            AuditParam::Group => "group",
            AuditParam::Permissions => "permissions",
            AuditParam::AdminConsent => "admin_consent",
            AuditParam::NewUser => "new_user",
        }
    }
}

impl AuditActivity {
    /// (required, optional) parameters of the activity.
    pub fn params(self) -> (&'static [AuditParam], &'static [AuditParam]) {
        use AuditParam::*;
        match self {
            AuditActivity::ConsentToApplication => (&[TargetApp, Permissions], &[AdminConsent]),
            AuditActivity::AddMemberToRole => (&[TargetUser, Role], &[]),
            AuditActivity::AddServicePrincipalCredentials
            | AuditActivity::UpdateApplicationCredentials
            | AuditActivity::AddServicePrincipal => (&[TargetApp], &[]),
            AuditActivity::AddUser => (&[NewUser], &[]),
            AuditActivity::ResetUserPassword => (&[TargetUser], &[]),
            AuditActivity::AddMemberToGroup => (&[TargetUser, Group], &[]),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            AuditActivity::ConsentToApplication => "consent_to_application",
            AuditActivity::AddMemberToRole => "add_member_to_role",
            AuditActivity::AddServicePrincipalCredentials => "add_service_principal_credentials",
            AuditActivity::UpdateApplicationCredentials => "update_application_credentials",
            AuditActivity::AddServicePrincipal => "add_service_principal",
            AuditActivity::AddUser => "add_user",
            AuditActivity::ResetUserPassword => "reset_user_password",
            AuditActivity::AddMemberToGroup => "add_member_to_group",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

fn success() -> Outcome {
    Outcome::Success
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntraAuditParams {
    pub activity: AuditActivity,
    /// The tenant user who made the change; or `actor_app` for an application.
    #[serde(default)]
    pub actor: Option<String>,
    #[serde(default)]
    pub actor_app: Option<AppRef>,
    #[serde(default)]
    pub target_user: Option<String>,
    #[serde(default)]
    pub target_app: Option<AppRef>,
    /// Directory role display name (`Global Administrator`).
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub group: Option<String>,
    /// Delegated permissions consented to (`Mail.Read`, `offline_access`).
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub admin_consent: Option<bool>,
    /// UPN of the account `add_user` creates.
    #[serde(default)]
    pub new_user: Option<String>,
    /// The actor's address; default: the office's egress address.
    #[serde(default)]
    pub ip: Option<IpText>,
    #[serde(default = "success")]
    pub result: Outcome,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureActivityParams {
    /// The tenant user calling Azure Resource Manager.
    pub caller: String,
    /// ARM operation: `Microsoft.Authorization/roleAssignments/write`.
    pub operation: String,
    /// Resource path below the subscription (`/resourceGroups/rg/providers/…`);
    /// default: the subscription itself.
    #[serde(default)]
    pub resource: Option<String>,
    /// Azure role a role assignment grants (`Owner`).
    #[serde(default)]
    pub role: Option<String>,
    /// Tenant user a role assignment is for.
    #[serde(default)]
    pub principal: Option<String>,
    #[serde(default)]
    pub ip: Option<IpText>,
    #[serde(default = "success")]
    pub result: Outcome,
}

/// Entra sign-in error codes rulecheck knows, with the description Entra logs.
pub const SIGNIN_ERRORS: [(u32, &str); 9] = [
    (0, ""),
    (
        50034,
        "The user account does not exist in the directory. To sign into this application, the account must be added to the directory.",
    ),
    (
        50053,
        "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
    ),
    (50074, "Strong Authentication is required."),
    (
        50076,
        "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
    ),
    (
        50126,
        "Error validating credentials due to invalid username or password.",
    ),
    (
        50140,
        "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
    ),
    (
        53003,
        "Access has been blocked by Conditional Access policies.",
    ),
    (
        500121,
        "Authentication failed during strong authentication request.",
    ),
];

pub fn signin_error(code: u32) -> Option<&'static str> {
    SIGNIN_ERRORS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
}

/// A problem with a cloud step's parameters: the key it is about, message, help.
pub struct Problem {
    pub key: &'static str,
    pub message: String,
    pub help: Option<String>,
}

fn problem(key: &'static str, message: String, help: Option<String>) -> Problem {
    Problem { key, message, help }
}

fn check_user(tenant: &Tenant, key: &'static str, user: &str, out: &mut Vec<Problem>) {
    if tenant.user(user).is_none() {
        out.push(problem(
            key,
            format!("user `{user}` is not in the tenant"),
            Some(format!("tenant users: {}", tenant.user_keys().join(", "))),
        ));
    }
}

fn check_app(tenant: &Tenant, key: &'static str, app: &AppRef, out: &mut Vec<Problem>) {
    match app {
        AppRef::Known(name) if tenant.app(name).is_none() => out.push(problem(
            key,
            format!("app `{name}` is not in the tenant's catalog"),
            Some(format!(
                "apps: {}; or give an unknown app as {{ name: ..., id: <GUID> }}",
                tenant.app_keys().join(", ")
            )),
        )),
        AppRef::External(ext) if !crate::tables::is_guid(&ext.id) => out.push(problem(
            key,
            format!("app id `{}` is not a GUID", ext.id),
            Some("application ids look like 00000003-0000-0000-c000-000000000000".into()),
        )),
        _ => {}
    }
}

/// Problems of an `entra_signin` step's parameters (the session reference is
/// checked by the caller, which knows the earlier steps).
pub fn check_signin(tenant: &Tenant, p: &EntraSigninParams) -> Vec<Problem> {
    let mut out = Vec::new();
    check_user(tenant, "user", &p.user, &mut out);
    check_app(tenant, "app", &p.app, &mut out);
    if let Some(r) = &p.resource {
        check_app(tenant, "resource", r, &mut out);
    }
    if signin_error(p.result).is_none() {
        let known: Vec<String> = SIGNIN_ERRORS.iter().map(|(c, _)| c.to_string()).collect();
        out.push(problem(
            "result",
            format!("sign-in error code {} is not one rulecheck knows", p.result),
            Some(format!("known codes: {}", known.join(", "))),
        ));
    }
    if p.result == 50126 && matches!(p.mfa, Some(m) if m != MfaMethod::None) {
        out.push(problem(
            "mfa",
            "a sign-in that fails on the password (50126) never reaches MFA".into(),
            Some("drop `mfa`, or use error 500121 for a failed second factor".into()),
        ));
    }
    out
}

pub fn check_audit(tenant: &Tenant, p: &EntraAuditParams) -> Vec<Problem> {
    let mut out = Vec::new();
    match (&p.actor, &p.actor_app) {
        (Some(user), None) => check_user(tenant, "actor", user, &mut out),
        (None, Some(app)) => check_app(tenant, "actor_app", app, &mut out),
        (Some(_), Some(_)) => out.push(problem(
            "actor_app",
            "give either `actor` or `actor_app`, not both".into(),
            None,
        )),
        (None, None) => out.push(problem(
            "activity",
            "an audited change needs an `actor` (tenant user) or `actor_app`".into(),
            None,
        )),
    }
    let given = |param: AuditParam| match param {
        AuditParam::TargetUser => p.target_user.is_some(),
        AuditParam::TargetApp => p.target_app.is_some(),
        AuditParam::Role => p.role.is_some(),
        AuditParam::Group => p.group.is_some(),
        AuditParam::Permissions => !p.permissions.is_empty(),
        AuditParam::AdminConsent => p.admin_consent.is_some(),
        AuditParam::NewUser => p.new_user.is_some(),
    };
    let (required, optional) = p.activity.params();
    use AuditParam::*;
    for param in [
        TargetUser,
        TargetApp,
        Role,
        Group,
        Permissions,
        AdminConsent,
        NewUser,
    ] {
        let needed = required.contains(&param);
        if needed && !given(param) {
            out.push(problem(
                "activity",
                format!("`{}` needs `{}`", p.activity.key(), param.key()),
                None,
            ));
        } else if !needed && !optional.contains(&param) && given(param) {
            out.push(problem(
                param.key(),
                format!("`{}` takes no `{}`", p.activity.key(), param.key()),
                Some(format!(
                    "`{}` takes: {}",
                    p.activity.key(),
                    required
                        .iter()
                        .chain(optional)
                        .map(|p| p.key())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            ));
        }
    }
    match p.target_user.as_deref() {
        // A UPN names an account the tenant's catalog lacks (one an earlier
        // `add_user` step created).
        Some(upn) if upn.contains('@') && !is_upn(upn) => out.push(problem(
            "target_user",
            format!("`{upn}` is not a user principal name"),
            Some("write a tenant user key, or name@domain".into()),
        )),
        Some(upn) if upn.contains('@') => {}
        Some(user) => check_user(tenant, "target_user", user, &mut out),
        None => {}
    }
    if let Some(app) = &p.target_app {
        check_app(tenant, "target_app", app, &mut out);
    }
    if let Some(role) = p
        .role
        .as_deref()
        .filter(|r| cloud::directory_role(r).is_none())
    {
        let known: Vec<&str> = cloud::DIRECTORY_ROLES.iter().map(|(n, _)| *n).collect();
        out.push(problem(
            "role",
            format!("`{role}` is not a directory role rulecheck knows"),
            Some(format!("roles: {}", known.join(", "))),
        ));
    }
    if let Some(upn) = p.new_user.as_deref() {
        if !is_upn(upn) {
            out.push(problem(
                "new_user",
                format!("`{upn}` is not a user principal name"),
                Some(format!(
                    "write name@domain, e.g. svc-sync@{}",
                    tenant.domain
                )),
            ));
        } else if tenant.users.iter().any(|u| u.upn.eq_ignore_ascii_case(upn)) {
            out.push(problem(
                "new_user",
                format!("`{upn}` already exists in the tenant"),
                None,
            ));
        }
    }
    out
}

fn is_upn(text: &str) -> bool {
    matches!(text.split_once('@'), Some((name, domain))
        if !name.is_empty() && domain.contains('.') && !domain.contains('@') && !text.contains(char::is_whitespace))
}

/// The parts of an ARM operation: provider namespace, resource type path and
/// verb (`write`, `delete`, `action` or `read`).
pub fn split_operation(op: &str) -> Option<(&str, &str, &str)> {
    let (provider, rest) = op.split_once('/')?;
    let (path, verb) = rest.rsplit_once('/')?;
    let namespace_ok = provider.split('.').count() >= 2
        && provider
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    let path_ok = path
        .split('/')
        .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()));
    let verb_ok = ["write", "delete", "action", "read"]
        .iter()
        .any(|v| v.eq_ignore_ascii_case(verb));
    (namespace_ok && path_ok && verb_ok).then_some((provider, path, verb))
}

/// Whether an operation creates or deletes a role assignment.
pub fn is_role_assignment(op: &str) -> bool {
    split_operation(op).is_some_and(|(provider, path, verb)| {
        provider.eq_ignore_ascii_case("Microsoft.Authorization")
            && path.eq_ignore_ascii_case("roleAssignments")
            && !verb.eq_ignore_ascii_case("read")
    })
}

pub fn check_activity(tenant: &Tenant, p: &AzureActivityParams) -> Vec<Problem> {
    let mut out = Vec::new();
    check_user(tenant, "caller", &p.caller, &mut out);
    if split_operation(&p.operation).is_some_and(|(_, _, verb)| verb.eq_ignore_ascii_case("read")) {
        out.push(problem(
            "operation",
            format!(
                "`{}` is a read, which the Azure activity log does not record",
                p.operation
            ),
            Some("the activity log has write, delete and action operations".into()),
        ));
    } else if split_operation(&p.operation).is_none() {
        out.push(problem(
            "operation",
            format!("`{}` is not an Azure Resource Manager operation", p.operation),
            Some("write Provider.Namespace/resourceType/verb, e.g. Microsoft.Compute/virtualMachines/runCommand/action".into()),
        ));
    }
    if let Some(resource) = &p.resource {
        let segments: Vec<&str> = resource.trim_matches('/').split('/').collect();
        let ok = resource.starts_with("/resourceGroups/")
            && segments.len() >= 2
            && segments.iter().all(|s| !s.is_empty())
            && (segments.len() == 2
                || (segments[2] == "providers" && segments.len() >= 6 && segments.len() % 2 == 0));
        if !ok {
            out.push(problem(
                "resource",
                format!("`{resource}` is not a resource path below the subscription"),
                Some("write /resourceGroups/<group> or /resourceGroups/<group>/providers/<Namespace>/<type>/<name>; omit it for the subscription".into()),
            ));
        }
    }
    let assignment = is_role_assignment(&p.operation);
    for (key, given) in [
        ("role", p.role.is_some()),
        ("principal", p.principal.is_some()),
    ] {
        if assignment && !given && p.operation.to_ascii_lowercase().ends_with("/write") {
            out.push(problem(
                "operation",
                format!("a role assignment needs `{key}`"),
                None,
            ));
        } else if !assignment && given {
            out.push(problem(
                key,
                format!(
                    "`{key}` belongs only to Microsoft.Authorization/roleAssignments operations"
                ),
                None,
            ));
        }
    }
    if let Some(role) = p.role.as_deref().filter(|r| cloud::azure_role(r).is_none()) {
        let known: Vec<&str> = cloud::AZURE_ROLES.iter().map(|(n, _)| *n).collect();
        out.push(problem(
            "role",
            format!("`{role}` is not an Azure built-in role rulecheck knows"),
            Some(format!("roles: {}", known.join(", "))),
        ));
    }
    if let Some(user) = &p.principal {
        check_user(tenant, "principal", user, &mut out);
    }
    out
}

#[cfg(test)]
mod tests;
