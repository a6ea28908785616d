//! Planning cloud steps: a validated `entra_signin`, `entra_audit` or
//! `azure_activity` step becomes a cloud action with every identity resolved
//! against the tenant and every request id drawn from the step's stream.

use crate::action::cloud::{Actor, AppIdentity, ArmOperation, DirectoryChange, SignIn, TargetUser};
use crate::environment::cloud::{self, ClientKind, CloudApp, Tenant, stable_guid};
use crate::spec::cloud::{
    AppRef, AzureActivityParams, EntraAuditParams, EntraSigninParams, MfaMethod, SigninDevice,
    split_operation,
};

use super::rng::Rng;

/// A random lower-case version-4 GUID from the step's stream: request,
/// correlation and session ids, unique per sign-in or operation.
pub fn random_guid(rng: &mut Rng) -> String {
    let hex = rng.hex(32).to_ascii_lowercase();
    let variant = ['8', '9', 'a', 'b'][rng.below(4) as usize];
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

fn identity(app: &CloudApp) -> AppIdentity {
    AppIdentity {
        display_name: app.display_name.clone(),
        app_id: app.app_id.clone(),
        owner_tenant: app.owner_tenant.clone(),
        service_principal_id: app.service_principal_id.clone(),
    }
}

/// The identity of an app reference; an external app gets a service principal
/// in this tenant (created when a user first consents to it) and an owner
/// tenant of its own, both fixed by its application id.
pub fn resolve_app(tenant: &Tenant, app: &AppRef) -> AppIdentity {
    match app {
        AppRef::Known(key) => identity(tenant.app(key).expect("validated: app in catalog")),
        AppRef::External(ext) => AppIdentity {
            display_name: ext.name.clone(),
            app_id: ext.id.to_ascii_lowercase(),
            owner_tenant: stable_guid(&format!("external-tenant/{}", ext.id.to_ascii_lowercase())),
            service_principal_id: stable_guid(&format!(
                "tenant/northwind/sp/{}",
                ext.id.to_ascii_lowercase()
            )),
        },
    }
}

/// `UniqueTokenIdentifier`: 22 base64url characters, as Entra prints it.
fn token_identifier(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..22)
        .map(|_| ALPHABET[rng.below(64) as usize] as char)
        .collect()
}

/// A sign-in; `session` is the session id of the sign-in it continues.
pub fn sign_in(
    tenant: &Tenant,
    p: &EntraSigninParams,
    session: Option<String>,
    rng: &mut Rng,
) -> SignIn {
    let (app, client) = match &p.app {
        AppRef::Known(key) => {
            let app = tenant.app(key).expect("validated: app in catalog");
            (identity(app), app.client)
        }
        external => (resolve_app(tenant, external), ClientKind::Browser),
    };
    let resource = match &p.resource {
        Some(r) => resolve_app(tenant, r),
        None => match &p.app {
            AppRef::Known(key) => {
                let default = tenant.app(key).expect("validated").default_resource;
                identity(tenant.app(default).expect("catalog resources exist"))
            }
            // An unknown app most often asks Microsoft Graph for the user's data.
            AppRef::External(_) => identity(tenant.app("graph").expect("graph is in the catalog")),
        },
    };
    let continues_session = session.is_some();
    SignIn {
        user: p.user.clone(),
        app,
        resource,
        ip: p.ip.as_ref().map_or(tenant.office_egress_ip, |ip| ip.0),
        user_agent: p
            .user_agent
            .clone()
            .unwrap_or_else(|| client.default_user_agent().to_string()),
        client_app_used: client.client_app_used(),
        result: p.result,
        mfa: p.mfa.unwrap_or(MfaMethod::None),
        device: p.device.unwrap_or(SigninDevice::Workstation),
        request_id: random_guid(rng),
        correlation_id: random_guid(rng),
        session_id: session.unwrap_or_else(|| random_guid(rng)),
        continues_session,
        token_id: token_identifier(rng),
        processing_ms: rng.between(40, 400) as u32,
    }
}

/// A user a change is about: a tenant user by key or UPN, or an account the
/// tenant's catalog lacks (created by a spec), whose object id is fixed by its
/// UPN so that every step naming it agrees.
fn target_user(tenant: &Tenant, name: &str) -> TargetUser {
    let known = tenant.user(name).or_else(|| {
        tenant
            .users
            .iter()
            .find(|u| u.upn.eq_ignore_ascii_case(name))
    });
    match known {
        Some(u) => TargetUser {
            upn: u.upn.clone(),
            object_id: u.object_id.clone(),
            display_name: u.display_name.to_string(),
        },
        None => TargetUser {
            upn: name.to_string(),
            object_id: stable_guid(&format!(
                "tenant/northwind/user-upn/{}",
                name.to_ascii_lowercase()
            )),
            display_name: name.split('@').next().unwrap_or(name).to_string(),
        },
    }
}

/// The admin portal's user agent: what Entra records for changes made there.
const PORTAL_USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0";

pub fn directory_change(tenant: &Tenant, p: &EntraAuditParams, rng: &mut Rng) -> DirectoryChange {
    let actor = match (&p.actor, &p.actor_app) {
        (Some(user), _) => Actor::User(user.clone()),
        (None, Some(app)) => Actor::App(resolve_app(tenant, app)),
        (None, None) => unreachable!("validated: an actor is given"),
    };
    let target_user = p
        .target_user
        .as_deref()
        .or(p.new_user.as_deref())
        .map(|name| target_user(tenant, name));
    let correlation_id = random_guid(rng);
    // Entra's audit ids: service, correlation id, a short random suffix, a counter.
    let id = format!(
        "Directory_{correlation_id}_{}_{}",
        rng.hex(5),
        rng.between(10_000_000, 99_999_999)
    );
    DirectoryChange {
        activity: p.activity,
        actor,
        actor_ip: p.ip.as_ref().map_or(tenant.office_egress_ip, |ip| ip.0),
        target_user,
        target_app: p.target_app.as_ref().map(|a| resolve_app(tenant, a)),
        role: p.role.as_ref().map(|name| {
            let id = cloud::directory_role(name).expect("validated: known role");
            (name.clone(), id.to_string())
        }),
        group: p.group.as_ref().map(|name| {
            (
                name.clone(),
                stable_guid(&format!("tenant/northwind/group/{name}")),
            )
        }),
        permissions: p.permissions.clone(),
        admin_consent: p.admin_consent.unwrap_or(false),
        result: p.result,
        id,
        correlation_id,
        key_id: random_guid(rng),
        user_agent: PORTAL_USER_AGENT.to_string(),
    }
}

pub fn arm_operation(tenant: &Tenant, p: &AzureActivityParams, rng: &mut Rng) -> ArmOperation {
    let (provider, _, _) = split_operation(&p.operation).expect("validated: operation");
    let scope = format!(
        "{}{}",
        tenant.subscription_scope(),
        p.resource.as_deref().unwrap_or("").trim_end_matches('/')
    );
    let resource_group = p
        .resource
        .as_deref()
        .and_then(|r| r.strip_prefix("/resourceGroups/"))
        .map(|r| r.split('/').next().unwrap_or(r).to_string());
    let role = p.role.as_ref().map(|name| {
        let id = cloud::azure_role(name).expect("validated: known role");
        (name.clone(), id.to_string())
    });
    // A role assignment is a resource of its own below the scope it grants.
    let resource_id = if crate::spec::cloud::is_role_assignment(&p.operation) {
        format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{}",
            random_guid(rng)
        )
    } else {
        scope
    };
    ArmOperation {
        caller: p.caller.clone(),
        operation: p.operation.clone(),
        provider: provider.to_string(),
        resource_id,
        resource_group,
        ip: p.ip.as_ref().map_or(tenant.office_egress_ip, |ip| ip.0),
        result: p.result,
        correlation_id: random_guid(rng),
        operation_id: random_guid(rng),
        event_ids: [random_guid(rng), random_guid(rng)],
        client_request_id: random_guid(rng),
        role,
        principal: p.principal.clone(),
        duration_ms: rng.between(150, 2_500) as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_guids_are_version_4() {
        let mut rng = Rng::derive(7, "t");
        for _ in 0..20 {
            let g = random_guid(&mut rng);
            assert_eq!(g.len(), 36);
            assert_eq!(&g[14..15], "4");
            assert!(matches!(&g[19..20], "8" | "9" | "a" | "b"), "{g}");
            assert!(crate::tables::is_guid(&g), "{g}");
        }
    }

    #[test]
    fn external_apps_get_a_service_principal_fixed_by_their_id() {
        let tenant = Tenant::northwind();
        let ext = AppRef::External(crate::spec::cloud::ExternalApp {
            name: "Invoice Viewer".into(),
            id: "6A1D2F9E-3B7C-4E15-9A0B-2C4D6E8F1A3B".into(),
        });
        let a = resolve_app(&tenant, &ext);
        assert_eq!(a.app_id, "6a1d2f9e-3b7c-4e15-9a0b-2c4d6e8f1a3b");
        assert_eq!(a, resolve_app(&tenant, &ext));
        assert_ne!(a.owner_tenant, tenant.id);
    }
}
