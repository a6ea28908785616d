//! Cloud actions: what happened in the Entra tenant and the Azure
//! subscription, resolved from a step (identities, addresses, request ids) and
//! independent of the tables that record it.

use std::net::IpAddr;

use crate::spec::cloud::{AuditActivity, MfaMethod, Outcome, SigninDevice};

/// An application as a cloud record names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppIdentity {
    pub display_name: String,
    pub app_id: String,
    /// Tenant that registered the app.
    pub owner_tenant: String,
    /// Object id of the app's service principal in this tenant.
    pub service_principal_id: String,
}

/// One Entra ID sign-in (an authentication and the token it issued, or the
/// error that stopped it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// Tenant user key.
    pub user: String,
    pub app: AppIdentity,
    pub resource: AppIdentity,
    pub ip: IpAddr,
    pub user_agent: String,
    pub client_app_used: &'static str,
    /// Entra error code; 0 for success.
    pub result: u32,
    pub mfa: MfaMethod,
    pub device: SigninDevice,
    /// The sign-in's request id (`Id`, `OriginalRequestId`).
    pub request_id: String,
    pub correlation_id: String,
    /// The session the sign-in belongs to: new, or an earlier sign-in's.
    pub session_id: String,
    /// Whether the session was established by an earlier sign-in.
    pub continues_session: bool,
    /// `UniqueTokenIdentifier` of the token issued.
    pub token_id: String,
    pub processing_ms: u32,
}

/// Who made a directory change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Tenant user key.
    User(String),
    App(AppIdentity),
}

/// A user a directory change is about: a tenant user, or one being created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUser {
    pub upn: String,
    pub object_id: String,
    pub display_name: String,
}

/// One audited change to the directory (Entra audit log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryChange {
    pub activity: AuditActivity,
    pub actor: Actor,
    pub actor_ip: IpAddr,
    pub target_user: Option<TargetUser>,
    pub target_app: Option<AppIdentity>,
    /// Directory role (display name, template id).
    pub role: Option<(String, String)>,
    /// Group (display name, object id).
    pub group: Option<(String, String)>,
    pub permissions: Vec<String>,
    pub admin_consent: bool,
    pub result: Outcome,
    /// Audit record id (`Directory_<correlation>_<suffix>`).
    pub id: String,
    pub correlation_id: String,
    /// Key id of a credential the change adds.
    pub key_id: String,
    pub user_agent: String,
}

/// One Azure Resource Manager operation (Azure activity log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmOperation {
    /// Tenant user key.
    pub caller: String,
    /// As written in the spec: `Microsoft.Authorization/roleAssignments/write`.
    pub operation: String,
    pub provider: String,
    /// Full resource id (`/subscriptions/…/resourceGroups/…/providers/…`).
    pub resource_id: String,
    pub resource_group: Option<String>,
    pub ip: IpAddr,
    pub result: Outcome,
    pub correlation_id: String,
    pub operation_id: String,
    /// `EventDataId`s of the operation's Start and completion records.
    pub event_ids: [String; 2],
    pub client_request_id: String,
    /// Role assignments: the role (display name, definition id) and the assignee (tenant user key).
    pub role: Option<(String, String)>,
    pub principal: Option<String>,
    /// Milliseconds from the Start record to the completion record.
    pub duration_ms: u32,
}
