//! Microsoft Entra ID logs as Log Analytics (Microsoft Sentinel) stores them:
//! a sign-in becomes a `SigninLogs` row, a directory change an `AuditLogs` row.
//!
//! Columns come from `data/tables.yaml`; values follow what Entra writes:
//! nested details (`LocationDetails`, `DeviceDetail`, `Status`, `MfaDetail`,
//! `InitiatedBy`, `TargetResources`) as dynamic values, the columns Microsoft
//! types `string` that hold JSON (`AuthenticationDetails`, …) as JSON text,
//! `ResultType` as the error code's text. Locations come from the geolocation
//! table the KQL engine uses (`data/geoip.yaml`), so a query's
//! `geo_info_from_ip_address()` agrees with `LocationDetails`.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::row::{Row, kql_datetime};
use super::{Rendered, Source};
use crate::action::cloud::{Actor, DirectoryChange, SignIn};
use crate::action::{Action, Micros, TimedAction};
use crate::environment::Environment;
use crate::environment::cloud::{Tenant, stable_guid};
use crate::plan::rng::Rng;
use crate::spec::cloud::{AuditActivity, MfaMethod, Outcome, SigninDevice, signin_error};

/// Entra's logs reach Log Analytics minutes after the event (Microsoft
/// documents a typical latency of a few minutes for both).
const INGESTION_DELAY_US: (u64, u64) = (60_000_000, 300_000_000);

/// The Entra "resource" every sign-in and audit row is filed under.
const AADIAM: &str = "Microsoft.aadiam";

pub fn render(env: &Environment, action: &TimedAction, rng: &mut Rng) -> Vec<Rendered> {
    let (source, row) = match &action.action {
        Action::EntraSignIn(s) => (Source::SigninLogs, sign_in(env, action.time, s)),
        Action::DirectoryChange(c) => (Source::AuditLogs, audit(env, action.time, c)),
        _ => return Vec::new(),
    };
    let (min, max) = INGESTION_DELAY_US;
    vec![Rendered {
        time: action.time,
        source,
        record: row.into_value(),
        ingested: Some(action.time + rng.between(min, max) as Micros),
    }]
}

fn aadiam_columns(row: &mut Row, tenant: &Tenant) {
    row.set("AADTenantId", tenant.id.clone());
    row.set("Resource", AADIAM);
    row.set("ResourceGroup", AADIAM);
    row.set("ResourceProvider", AADIAM);
    row.set(
        "ResourceId",
        format!("/tenants/{}/providers/{AADIAM}", tenant.id),
    );
    row.set("OperationVersion", "1.0");
    row.set("SourceSystem", "Azure AD");
    row.set("Level", "4");
    row.set("DurationMs", 0);
}

fn sign_in(env: &Environment, time: Micros, s: &SignIn) -> Row {
    let tenant = &env.cloud;
    let user = tenant.user(&s.user).expect("planned: user in tenant");
    let mut row = Row::new("SigninLogs");
    aadiam_columns(&mut row, tenant);
    let at = kql_datetime(time);
    row.set("TimeGenerated", at.clone());
    row.set("CreatedDateTime", at.clone());
    row.set("Type", "SigninLogs");
    row.set("Category", "SignInLogs");
    row.set("OperationName", "Sign-in activity");
    row.set("Id", s.request_id.clone());
    row.set("OriginalRequestId", s.request_id.clone());
    row.set("CorrelationId", s.correlation_id.clone());
    row.set("SessionId", s.session_id.clone());
    row.set("UniqueTokenIdentifier", s.token_id.clone());

    row.set("UserPrincipalName", user.upn.clone());
    row.set("AlternateSignInName", user.upn.clone());
    row.set("UserDisplayName", user.display_name);
    row.set("Identity", user.display_name);
    row.set("UserId", user.object_id.clone());
    row.set("UserType", "Member");
    row.set("HomeTenantId", tenant.id.clone());
    row.set("ResourceTenantId", tenant.id.clone());
    row.set("CrossTenantAccessType", "none");

    row.set("AppDisplayName", s.app.display_name.clone());
    row.set("AppId", s.app.app_id.clone());
    row.set("AppOwnerTenantId", s.app.owner_tenant.clone());
    row.set("ResourceDisplayName", s.resource.display_name.clone());
    row.set("ResourceIdentity", s.resource.app_id.clone());
    row.set(
        "ResourceServicePrincipalId",
        s.resource.service_principal_id.clone(),
    );
    row.set("ResourceOwnerTenantId", s.resource.owner_tenant.clone());

    let ip = s.ip.to_string();
    row.set("IPAddress", ip.clone());
    let location = location(s.ip);
    row.set(
        "Location",
        location["countryOrRegion"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );
    row.set("LocationDetails", location);
    row.set("UserAgent", s.user_agent.clone());
    row.set("ClientAppUsed", s.client_app_used);
    row.set("DeviceDetail", device_detail(env, s));
    // Entra files non-interactive sign-ins (clients refreshing tokens) in
    // AADNonInteractiveUserSignInLogs, which rulecheck does not render.
    row.set("IsInteractive", true);
    row.set("AuthenticationProtocol", "none");
    row.set("ClientCredentialType", "none");
    row.set("IncomingTokenType", "none");
    row.set("TokenIssuerType", "AzureAD");

    let failed = s.result != 0;
    let description = signin_error(s.result).unwrap_or_default();
    row.set("ResultType", s.result.to_string());
    row.set("ResultDescription", description);
    row.set("ResultSignature", "None");
    row.set(
        "Status",
        if failed {
            json!({ "errorCode": s.result, "failureReason": description })
        } else {
            json!({ "errorCode": 0 })
        },
    );
    row.set(
        "AuthenticationRequirement",
        if s.mfa == MfaMethod::None {
            "singleFactorAuthentication"
        } else {
            "multiFactorAuthentication"
        },
    );
    row.set(
        "AuthenticationDetails",
        authentication_details(&at, s).to_string(),
    );
    row.set("MfaDetail", mfa_detail(s));
    row.set(
        "AuthenticationProcessingDetails",
        json!([
            { "key": "Legacy TLS (TLS 1.0, 1.1, 3DES)", "value": "False" },
            { "key": "Is CAE Token", "value": "False" },
        ])
        .to_string(),
    );
    row.set(
        "ConditionalAccessStatus",
        if s.result == 53003 {
            "failure"
        } else {
            "notApplied"
        },
    );
    row.set("ConditionalAccessPolicies", json!([]));
    row.set("AppliedConditionalAccessPolicies", "[]");
    row.set("AuthenticationRequirementPolicies", "[]");
    row.set("AuthenticationContextClassReferences", "[]");
    row.set("SessionLifetimePolicies", "[]");
    // The office's egress address is a named location of the tenant.
    let network = if s.ip == tenant.office_egress_ip {
        json!([{ "networkType": "namedNetwork", "networkNames": ["Northwind HQ"] }])
    } else {
        json!([])
    };
    row.set("NetworkLocationDetails", network.to_string());
    row.set(
        "TokenProtectionStatusDetails",
        json!({ "signInSessionStatus": "unbound", "signInSessionStatusCode": 1002 }),
    );
    row.set("ProcessingTimeInMilliseconds", s.processing_ms.to_string());
    row.set("FlaggedForReview", false);
    row.set("IsRisky", false);
    row.set("IsTenantRestricted", false);
    row.set("IsThroughGlobalSecureAccess", false);
    for column in [
        "RiskDetail",
        "RiskLevelAggregated",
        "RiskLevelDuringSignIn",
        "RiskState",
    ] {
        row.set(column, "none");
    }
    row.set("RiskEventTypes", "[]");
    row.set("RiskEventTypes_V2", "[]");
    row.set("_IsBillable", "True");
    let billed = row.billed_size();
    row.set("_BilledSize", billed);
    row
}

/// `LocationDetails` of an address: city, state, two-letter country and
/// coordinates from `data/geoip.yaml`; private and unknown addresses have none.
pub fn location(ip: IpAddr) -> Value {
    let bag = crate::engine::kql::geoip::geo_info(&ip.to_string()).unwrap_or(Value::Null);
    let text = |key: &str| bag.get(key).and_then(Value::as_str).unwrap_or_default();
    let country = country_code(text("country")).unwrap_or_default();
    let coordinate = |key: &str| bag.get(key).cloned().unwrap_or(Value::Null);
    json!({
        "city": text("city"),
        "state": text("state"),
        "countryOrRegion": country,
        "geoCoordinates": {
            "latitude": coordinate("latitude"),
            "longitude": coordinate("longitude"),
        },
    })
}

/// ISO 3166 alpha-2 codes of the countries in `data/geoip.yaml`, as Entra
/// writes `countryOrRegion`.
fn country_code(country: &str) -> Option<&'static str> {
    Some(match country {
        "United States" => "US",
        "France" => "FR",
        "Russia" => "RU",
        "Netherlands" => "NL",
        "Germany" => "DE",
        "United Kingdom" => "GB",
        "Nigeria" => "NG",
        "Singapore" => "SG",
        "Brazil" => "BR",
        "Romania" => "RO",
        _ => return None,
    })
}

fn device_detail(env: &Environment, s: &SignIn) -> Value {
    let (os, browser) = describe_user_agent(&s.user_agent);
    match s.device {
        SigninDevice::Workstation => json!({
            "deviceId": stable_guid(&format!("tenant/northwind/device/{}", env.host.name)),
            "displayName": env.host.name,
            "operatingSystem": os,
            "browser": browser,
            "isCompliant": true,
            "isManaged": true,
            "trustType": "Hybrid Azure AD joined",
        }),
        SigninDevice::Unmanaged => json!({
            "deviceId": "",
            "operatingSystem": os,
            "browser": browser,
        }),
    }
}

/// Operating system and browser as Entra names them from a user agent.
pub fn describe_user_agent(agent: &str) -> (String, String) {
    let os = if agent.contains("Windows NT 10.0") {
        "Windows10"
    } else if agent.contains("iPhone") || agent.contains("iPad") {
        "Ios"
    } else if agent.contains("Android") {
        "Android"
    } else if agent.contains("Mac OS X") || agent.contains("Macintosh") {
        "MacOs"
    } else if agent.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    // The most specific product token wins: Edge and Chrome both claim Safari.
    let products = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("python-requests/", "Python Requests"),
        ("curl/", "Curl"),
        ("Go-http-client/", "Go HTTP Client"),
    ];
    let browser = products
        .iter()
        .find_map(|(token, name)| {
            let rest = agent.split(token).nth(1)?;
            let version: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            // Entra keeps three version components.
            let version: Vec<&str> = version.split('.').take(3).collect();
            Some(format!("{name} {}", version.join(".")))
        })
        .unwrap_or_else(|| "Rich Client".to_string());
    (os.to_string(), browser)
}

fn mfa_method_name(m: MfaMethod) -> &'static str {
    match m {
        MfaMethod::None => "",
        MfaMethod::PreviouslySatisfied => "Previously satisfied",
        MfaMethod::AuthenticatorApp => "Mobile app notification",
        MfaMethod::PhoneCall => "Phone call approval (Authentication phone)",
        MfaMethod::Sms => "Text message",
        MfaMethod::Fido2 => "FIDO2 security key",
    }
}

fn mfa_detail(s: &SignIn) -> Value {
    match s.mfa {
        MfaMethod::None | MfaMethod::PreviouslySatisfied => json!({}),
        m => json!({ "authMethod": mfa_method_name(m), "authDetail": null }),
    }
}

/// The authentication steps: the first factor (a password, or the session's
/// earlier sign-in), then the second factor when there is one.
fn authentication_details(at: &str, s: &SignIn) -> Value {
    let password_failed = matches!(s.result, 50126 | 50053 | 50034);
    let first = if s.continues_session {
        json!({
            "authenticationStepDateTime": at,
            "authenticationMethod": "Previously satisfied",
            "succeeded": true,
            "authenticationStepResultDetail": "First factor requirement satisfied by claim in the token",
            "authenticationStepRequirement": "Primary authentication",
            "StatusSequence": 0,
            "RequestSequence": 0,
        })
    } else {
        json!({
            "authenticationStepDateTime": at,
            "authenticationMethod": "Password",
            "authenticationMethodDetail": "Password in the cloud",
            "succeeded": !password_failed,
            "authenticationStepResultDetail": if password_failed {
                "Invalid username or password or Invalid on-premise username or password."
            } else {
                "Correct password"
            },
            "authenticationStepRequirement": "Primary authentication",
            "StatusSequence": 0,
            "RequestSequence": 1,
        })
    };
    let mut steps = vec![first];
    match s.mfa {
        MfaMethod::None => {}
        MfaMethod::PreviouslySatisfied => steps.push(json!({
            "authenticationStepDateTime": at,
            "authenticationMethod": "Previously satisfied",
            "succeeded": true,
            "authenticationStepResultDetail": "MFA requirement satisfied by claim in the token",
            "authenticationStepRequirement": "Multifactor authentication",
            "StatusSequence": 0,
            "RequestSequence": 0,
        })),
        m => {
            let succeeded = s.result != 500121;
            steps.push(json!({
                "authenticationStepDateTime": at,
                "authenticationMethod": mfa_method_name(m),
                "succeeded": succeeded,
                "authenticationStepResultDetail": if succeeded {
                    "MFA successfully completed"
                } else {
                    "MFA denied; user did not respond to mobile app notification"
                },
                "authenticationStepRequirement": "Multifactor authentication",
                "StatusSequence": 0,
                "RequestSequence": 1,
            }));
        }
    }
    Value::Array(steps)
}

/// (activity display name, category, AADOperationType) as the audit log writes them.
fn activity_names(a: AuditActivity) -> (&'static str, &'static str, &'static str) {
    match a {
        AuditActivity::ConsentToApplication => {
            ("Consent to application", "ApplicationManagement", "Assign")
        }
        AuditActivity::AddMemberToRole => ("Add member to role", "RoleManagement", "Assign"),
        AuditActivity::AddServicePrincipalCredentials => (
            "Add service principal credentials",
            "ApplicationManagement",
            "Update",
        ),
        AuditActivity::UpdateApplicationCredentials => (
            "Update application – Certificates and secrets management ",
            "ApplicationManagement",
            "Update",
        ),
        AuditActivity::AddServicePrincipal => {
            ("Add service principal", "ApplicationManagement", "Add")
        }
        AuditActivity::AddUser => ("Add user", "UserManagement", "Add"),
        AuditActivity::ResetUserPassword => ("Reset user password", "UserManagement", "Update"),
        AuditActivity::AddMemberToGroup => ("Add member to group", "GroupManagement", "Assign"),
    }
}

/// A modified property as the audit log lists it: values are JSON text.
fn modified(name: &str, old: &str, new: Value) -> Value {
    json!({ "displayName": name, "oldValue": old, "newValue": new.to_string() })
}

fn audit(env: &Environment, time: Micros, c: &DirectoryChange) -> Row {
    let tenant = &env.cloud;
    let (display, category, operation_type) = activity_names(c.activity);
    let mut row = Row::new("AuditLogs");
    aadiam_columns(&mut row, tenant);
    let at = kql_datetime(time);
    row.set("TimeGenerated", at.clone());
    row.set("ActivityDateTime", at);
    row.set("Type", "AuditLogs");
    row.set("ActivityDisplayName", display);
    row.set("OperationName", display);
    row.set("Category", category);
    row.set("AADOperationType", operation_type);
    row.set("LoggedByService", "Core Directory");
    row.set("Id", c.id.clone());
    row.set("CorrelationId", c.correlation_id.clone());
    let (result, signature) = match c.result {
        Outcome::Success => ("success", "None"),
        Outcome::Failure => ("failure", "None"),
    };
    row.set("Result", result);
    row.set("ResultSignature", signature);
    if c.result == Outcome::Failure {
        row.set(
            "ResultReason",
            "Microsoft.Online.Workflows.InsufficientPrivilegesException",
        );
    }

    let ip = c.actor_ip.to_string();
    let (initiated_by, identity) = match &c.actor {
        Actor::User(key) => {
            let user = tenant.user(key).expect("planned: user in tenant");
            (
                json!({ "user": {
                    "id": user.object_id,
                    "displayName": null,
                    "userPrincipalName": user.upn,
                    "ipAddress": ip,
                    "roles": [],
                }}),
                user.display_name.to_string(),
            )
        }
        Actor::App(app) => (
            json!({ "app": {
                "appId": app.app_id,
                "displayName": app.display_name,
                "servicePrincipalId": app.service_principal_id,
                "servicePrincipalName": null,
            }}),
            app.display_name.clone(),
        ),
    };
    row.set("InitiatedBy", initiated_by);
    row.set("Identity", identity);
    row.set(
        "AdditionalDetails",
        json!([{ "key": "User-Agent", "value": c.user_agent }]),
    );
    row.set("TargetResources", target_resources(env, c));
    row.set("_IsBillable", "True");
    let billed = row.billed_size();
    row.set("_BilledSize", billed);
    row
}

fn user_target(c: &DirectoryChange, properties: Vec<Value>) -> Value {
    let user = c
        .target_user
        .as_ref()
        .expect("validated: activity has a target user");
    json!({
        "id": user.object_id,
        "displayName": null,
        "type": "User",
        "userPrincipalName": user.upn,
        "modifiedProperties": properties,
        "administrativeUnits": [],
    })
}

fn app_target(c: &DirectoryChange, kind: &str, properties: Vec<Value>) -> Value {
    let app = c
        .target_app
        .as_ref()
        .expect("validated: activity has a target app");
    let id = if kind == "Application" {
        // The application object, distinct from its service principal.
        stable_guid(&format!("tenant/northwind/application/{}", app.app_id))
    } else {
        app.service_principal_id.clone()
    };
    json!({
        "id": id,
        "displayName": app.display_name,
        "type": kind,
        "modifiedProperties": properties,
        "administrativeUnits": [],
    })
}

/// Object id of the user a delegated grant is for: the consenting user, or
/// nobody for an admin's consent on behalf of all users.
fn consenting_user(env: &Environment, c: &DirectoryChange) -> String {
    match (&c.actor, c.admin_consent) {
        (Actor::User(key), false) => env
            .cloud
            .user(key)
            .map(|u| u.object_id.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn target_resources(env: &Environment, c: &DirectoryChange) -> Value {
    let targets = match c.activity {
        AuditActivity::AddMemberToRole => {
            let (role, template) = c.role.clone().expect("validated: role given");
            vec![user_target(
                c,
                vec![
                    // The tenant's activated role object, distinct from its template.
                    modified(
                        "Role.ObjectID",
                        "",
                        json!(stable_guid(&format!("tenant/northwind/role/{template}"))),
                    ),
                    modified("Role.DisplayName", "", json!(role)),
                    modified("Role.TemplateId", "", json!(template)),
                ],
            )]
        }
        AuditActivity::ConsentToApplication => {
            let app = c.target_app.as_ref().expect("validated: app given");
            let scope = c.permissions.join(" ");
            let grant = format!(
                "[] => [[Id: {}, ClientId: {}, PrincipalId: {}, ResourceId: {}, ConsentType: {}, Scope: {scope}, CreatedDateTime: , LastModifiedDateTime ]]; ",
                c.key_id,
                app.service_principal_id,
                consenting_user(env, c),
                stable_guid("tenant/northwind/sp/graph"),
                if c.admin_consent {
                    "AllPrincipals"
                } else {
                    "Principal"
                },
            );
            let flag = |b: bool| if b { "True" } else { "False" };
            vec![app_target(
                c,
                "ServicePrincipal",
                vec![
                    modified(
                        "ConsentContext.IsAdminConsent",
                        "",
                        json!(flag(c.admin_consent)),
                    ),
                    modified("ConsentContext.IsAppOnly", "", json!("False")),
                    modified(
                        "ConsentContext.OnBehalfOfAll",
                        "",
                        json!(flag(c.admin_consent)),
                    ),
                    modified(
                        "ConsentContext.Tags",
                        "",
                        json!("WindowsAzureActiveDirectoryIntegratedApp"),
                    ),
                    modified("ConsentAction.Permissions", "", json!(grant)),
                    modified("TargetId.ServicePrincipalNames", "", json!(app.app_id)),
                ],
            )]
        }
        activity @ (AuditActivity::AddServicePrincipalCredentials
        | AuditActivity::UpdateApplicationCredentials) => {
            let key = format!(
                "[KeyIdentifier={},KeyType=Password,KeyUsage=Verify,DisplayName=]",
                c.key_id
            );
            let kind = if activity == AuditActivity::UpdateApplicationCredentials {
                "Application"
            } else {
                "ServicePrincipal"
            };
            let app = c.target_app.as_ref().expect("validated: app given");
            vec![app_target(
                c,
                kind,
                vec![
                    modified("KeyDescription", "[]", json!([key])),
                    modified("Included Updated Properties", "", json!("KeyDescription")),
                    modified("TargetId.ServicePrincipalNames", "", json!(app.app_id)),
                ],
            )]
        }
        AuditActivity::AddServicePrincipal => {
            let app = c.target_app.as_ref().expect("validated: app given");
            vec![app_target(
                c,
                "ServicePrincipal",
                vec![
                    modified("AccountEnabled", "[]", json!([true])),
                    modified("AppPrincipalId", "[]", json!([app.app_id])),
                    modified("DisplayName", "[]", json!([app.display_name])),
                    modified("ServicePrincipalType", "[]", json!(["Application"])),
                ],
            )]
        }
        AuditActivity::AddUser => {
            let user = c.target_user.as_ref().expect("validated: new user given");
            vec![user_target(
                c,
                vec![
                    modified("AccountEnabled", "[]", json!([true])),
                    modified("DisplayName", "[]", json!([user.display_name])),
                    modified("UserPrincipalName", "[]", json!([user.upn])),
                    modified("UserType", "[]", json!(["Member"])),
                ],
            )]
        }
        AuditActivity::ResetUserPassword => vec![user_target(c, vec![])],
        AuditActivity::AddMemberToGroup => {
            let (group, id) = c.group.clone().expect("validated: group given");
            vec![
                user_target(
                    c,
                    vec![
                        modified("Group.ObjectID", "", json!(id)),
                        modified("Group.DisplayName", "", json!(group)),
                    ],
                ),
                json!({
                    "id": id,
                    "displayName": group,
                    "type": "Group",
                    "modifiedProperties": [],
                    "administrativeUnits": [],
                }),
            ]
        }
    };
    Value::Array(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_give_entras_os_and_browser_names() {
        let edge = crate::environment::cloud::ClientKind::Browser.default_user_agent();
        assert_eq!(
            describe_user_agent(edge),
            ("Windows10".to_string(), "Edge 130.0.0".to_string())
        );
        let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36";
        assert_eq!(
            describe_user_agent(mac),
            ("MacOs".to_string(), "Chrome 129.0.0".to_string())
        );
        assert_eq!(
            describe_user_agent("python-requests/2.31.0"),
            (String::new(), "Python Requests 2.31.0".to_string())
        );
        assert_eq!(describe_user_agent("Outlook-iOS/2.0").1, "Rich Client");
    }

    #[test]
    fn locations_come_from_the_geolocation_table_with_iso_country_codes() {
        let vps = location("185.225.17.44".parse().unwrap());
        assert_eq!(vps["countryOrRegion"], "NL");
        assert_eq!(vps["city"], "Amsterdam");
        assert!(vps["geoCoordinates"]["latitude"].is_f64());
        // A private address has no location, as Entra shows none.
        let lan = location("10.20.30.42".parse().unwrap());
        assert_eq!(lan["countryOrRegion"], "");
        assert_eq!(lan["geoCoordinates"]["latitude"], Value::Null);
    }

    #[test]
    fn every_country_of_the_geolocation_table_has_a_code() {
        let text = include_str!("../../data/geoip.yaml");
        let countries: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split("country: ").nth(1))
            .map(|rest| rest.split(',').next().unwrap().trim())
            .collect();
        assert!(countries.len() >= 5);
        for country in countries {
            assert!(country_code(country).is_some(), "{country}");
        }
    }
}
