//! The Azure activity log as Log Analytics stores it (`AzureActivity`): an
//! Azure Resource Manager operation becomes two rows, as ARM logs them — the
//! `Start` of the request and its outcome (`Success` or `Failure`) — sharing
//! `CorrelationId` and `OperationId`.
//!
//! The current dynamic columns (`Authorization_d`, `Claims_d`, `Properties_d`)
//! and their deprecated text twins (`Authorization`, `Claims`, `Properties`)
//! hold the same content. The operation is written as the spec gives it.

use serde_json::{Value, json};

use super::row::{Row, kql_datetime};
use super::{Rendered, Source};
use crate::action::cloud::ArmOperation;
use crate::action::{Action, Micros, TimedAction};
use crate::environment::Environment;
use crate::plan::rng::Rng;
use crate::spec::cloud::{Outcome, split_operation};

/// The activity log reaches Log Analytics a few minutes after the operation.
const INGESTION_DELAY_US: (u64, u64) = (120_000_000, 600_000_000);

/// The Azure portal: the client the environment's administrators call ARM from.
const PORTAL_APP_ID: &str = "c44b4083-3bb0-49c1-b47d-974e53cbdf3c";

/// Display names (the deprecated `OperationName` column) of common operations,
/// keyed by the lower-case operation.
const OPERATION_NAMES: [(&str, &str); 14] = [
    (
        "microsoft.authorization/roleassignments/write",
        "Create role assignment",
    ),
    (
        "microsoft.authorization/roleassignments/delete",
        "Delete role assignment",
    ),
    (
        "microsoft.compute/virtualmachines/runcommand/action",
        "Run Command on Virtual Machine",
    ),
    (
        "microsoft.compute/virtualmachines/write",
        "Create or Update Virtual Machine",
    ),
    (
        "microsoft.compute/virtualmachines/delete",
        "Delete Virtual Machine",
    ),
    (
        "microsoft.compute/disks/begingetaccess/action",
        "Get Disk SAS URI",
    ),
    (
        "microsoft.compute/snapshots/write",
        "Create or Update Snapshot",
    ),
    (
        "microsoft.storage/storageaccounts/listkeys/action",
        "List Storage Account Keys",
    ),
    (
        "microsoft.storage/storageaccounts/write",
        "Create/Update Storage Account",
    ),
    (
        "microsoft.insights/diagnosticsettings/delete",
        "Delete diagnostic setting",
    ),
    (
        "microsoft.insights/diagnosticsettings/write",
        "Create or update resource diagnostic setting",
    ),
    (
        "microsoft.network/networksecuritygroups/securityrules/write",
        "Create or Update Security Rule",
    ),
    ("microsoft.keyvault/vaults/write", "Update Key Vault"),
    ("microsoft.resources/deployments/write", "Create Deployment"),
];

pub fn operation_display_name(operation: &str) -> String {
    let lower = operation.to_ascii_lowercase();
    OPERATION_NAMES
        .iter()
        .find(|(op, _)| *op == lower)
        .map_or_else(|| operation.to_string(), |(_, name)| name.to_string())
}

pub fn render(env: &Environment, action: &TimedAction, rng: &mut Rng) -> Vec<Rendered> {
    let Action::ArmOperation(op) = &action.action else {
        return Vec::new();
    };
    let start = action.time;
    let end = start + i64::from(op.duration_ms) * 1000;
    let (min, max) = INGESTION_DELAY_US;
    let ingested = start + rng.between(min, max) as Micros;
    [(Phase::Start, start), (Phase::Completed, end)]
        .into_iter()
        .map(|(phase, time)| Rendered {
            time,
            source: Source::AzureActivity,
            record: row(env, op, phase, time).into_value(),
            // Both records of an operation arrive in the same batch.
            ingested: Some(ingested + (time - start)),
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Start,
    Completed,
}

fn row(env: &Environment, op: &ArmOperation, phase: Phase, time: Micros) -> Row {
    let tenant = &env.cloud;
    let caller = tenant.user(&op.caller).expect("planned: caller in tenant");
    let (_, _, verb) = split_operation(&op.operation).expect("planned: valid operation");
    let verb = verb.to_ascii_lowercase();
    let hierarchy = format!("{}/{}", tenant.id, tenant.subscription.id);
    let ip = op.ip.to_string();

    let mut row = Row::new("AzureActivity");
    row.set("TimeGenerated", kql_datetime(time));
    row.set("EventSubmissionTimestamp", kql_datetime(time + 1_500_000));
    row.set("Type", "AzureActivity");
    row.set("SourceSystem", "Azure");
    row.set("TenantId", tenant.workspace_id.clone());
    row.set("SubscriptionId", tenant.subscription.id.clone());
    row.set("_SubscriptionId", tenant.subscription.id.clone());
    row.set("Hierarchy", hierarchy.clone());
    row.set("Category", "Administrative");
    row.set("CategoryValue", "Administrative");
    row.set("OperationName", operation_display_name(&op.operation));
    row.set("OperationNameValue", op.operation.clone());
    row.set("CorrelationId", op.correlation_id.clone());
    row.set("OperationId", op.operation_id.clone());
    row.set(
        "EventDataId",
        op.event_ids[usize::from(phase == Phase::Completed)].clone(),
    );
    row.set("Caller", caller.upn.clone());
    row.set("CallerIpAddress", ip.clone());
    row.set("ResourceId", op.resource_id.clone());
    row.set("_ResourceId", op.resource_id.to_ascii_lowercase());
    row.set(
        "Resource",
        op.resource_id
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
    );
    row.set(
        "ResourceGroup",
        op.resource_group.clone().unwrap_or_default(),
    );
    row.set("ResourceProvider", op.provider.clone());
    row.set("ResourceProviderValue", op.provider.to_ascii_uppercase());

    let (status, substatus, level, http_status) = match (phase, op.result) {
        (Phase::Start, _) => ("Start", "", "Informational", None),
        (Phase::Completed, Outcome::Success) => {
            let created = verb == "write";
            let status = if created { "Created" } else { "OK" };
            ("Success", status, "Informational", Some(status))
        }
        (Phase::Completed, Outcome::Failure) => {
            ("Failure", "Forbidden", "Error", Some("Forbidden"))
        }
    };
    row.set("ActivityStatus", status);
    row.set("ActivityStatusValue", status);
    row.set("ActivitySubstatus", substatus);
    row.set("ActivitySubstatusValue", substatus);
    row.set("Level", level);

    let authorization = json!({ "action": op.operation, "scope": op.resource_id });
    row.set("Authorization", authorization.to_string());
    row.set("Authorization_d", authorization);
    let claims = json!({
        "aud": "https://management.core.windows.net/",
        "iss": format!("https://sts.windows.net/{}/", tenant.id),
        "appid": PORTAL_APP_ID,
        "http://schemas.microsoft.com/claims/authnmethodsreferences": "pwd,mfa",
        "http://schemas.microsoft.com/identity/claims/objectidentifier": caller.object_id,
        "http://schemas.microsoft.com/identity/claims/tenantid": tenant.id,
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": caller.upn,
        "name": caller.display_name,
        "ipaddr": ip,
    });
    row.set("Claims", claims.to_string());
    row.set("Claims_d", claims);
    let method = match verb.as_str() {
        "write" => "PUT",
        "delete" => "DELETE",
        _ => "POST",
    };
    row.set(
        "HTTPRequest",
        json!({ "clientRequestId": op.client_request_id, "clientIpAddress": ip, "method": method })
            .to_string(),
    );
    let properties = properties(env, op, phase, http_status, &hierarchy);
    row.set("Properties", properties.to_string());
    row.set("Properties_d", properties);
    row.set("_IsBillable", "False");
    let billed = row.billed_size();
    row.set("_BilledSize", billed);
    row
}

fn properties(
    env: &Environment,
    op: &ArmOperation,
    phase: Phase,
    http_status: Option<&str>,
    hierarchy: &str,
) -> Value {
    let mut props = serde_json::Map::new();
    if let Some(status) = http_status {
        props.insert("statusCode".into(), json!(status));
        props.insert("serviceRequestId".into(), json!(op.correlation_id));
    }
    props.insert("eventCategory".into(), json!("Administrative"));
    props.insert("entity".into(), json!(op.resource_id));
    props.insert("message".into(), json!(op.operation));
    props.insert("hierarchy".into(), json!(hierarchy));
    // A role assignment's request names the role and the assignee.
    if let (Some((_, role_id)), Some(principal)) = (&op.role, &op.principal) {
        let tenant = &env.cloud;
        let principal = tenant
            .user(principal)
            .expect("validated: principal in tenant");
        let scope = op
            .resource_id
            .split("/providers/Microsoft.Authorization/roleAssignments/")
            .next()
            .unwrap_or(&op.resource_id);
        let body = json!({
            "Id": op.resource_id.rsplit('/').next().unwrap_or_default(),
            "Properties": {
                "PrincipalId": principal.object_id,
                "PrincipalType": "User",
                "RoleDefinitionId": format!(
                    "{}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
                    tenant.subscription_scope()
                ),
                "Scope": scope,
            },
        })
        .to_string();
        let key = match phase {
            Phase::Start => "requestbody",
            Phase::Completed => "responseBody",
        };
        if phase == Phase::Start || op.result == Outcome::Success {
            props.insert(key.into(), json!(body));
        }
    }
    Value::Object(props)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_operations_have_display_names_whatever_their_case() {
        assert_eq!(
            operation_display_name("MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE"),
            "Create role assignment"
        );
        assert_eq!(
            operation_display_name("Microsoft.Insights/diagnosticSettings/delete"),
            "Delete diagnostic setting"
        );
        // Unknown ones keep the operation itself.
        assert_eq!(
            operation_display_name("Microsoft.Web/sites/restart/action"),
            "Microsoft.Web/sites/restart/action"
        );
    }
}
