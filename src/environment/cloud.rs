//! The Microsoft Entra tenant and Azure subscription of the built-in
//! environment: who signs in to the cloud, from where, with which apps.
//!
//! The domain users of the workstation are synchronised to the tenant (Entra
//! Connect) under the routable UPN suffix; two cloud-only administrators exist
//! only here. Identifiers are fixed per environment, derived from labels with
//! SHA-256 ([`stable_guid`]), so every bundle shows the same tenant.

use std::net::{IpAddr, Ipv4Addr};

use sha2::{Digest, Sha256};

/// The Microsoft services tenant, owner of Microsoft's first-party apps.
pub const MICROSOFT_SERVICES_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Entra tenant id.
    pub id: String,
    pub display_name: &'static str,
    /// Verified domain: the UPN suffix of every cloud account.
    pub domain: &'static str,
    pub subscription: Subscription,
    /// Log Analytics workspace the Sentinel tables live in (`TenantId` column).
    pub workspace_id: String,
    /// Public address the office's traffic leaves from: where users sign in
    /// from unless a step says otherwise.
    pub office_egress_ip: IpAddr,
    pub users: Vec<CloudUser>,
    pub apps: Vec<CloudApp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub name: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudUser {
    /// The key specs use (`user: carol`); synchronised users share the
    /// workstation environment's key.
    pub key: &'static str,
    pub upn: String,
    pub display_name: &'static str,
    pub object_id: String,
    /// Key of the on-premises account this one is synchronised from.
    pub on_premises: Option<&'static str>,
    /// Entra directory roles the user holds (display names).
    pub roles: Vec<&'static str>,
}

/// An application (or the API it calls) as Entra knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudApp {
    /// The key specs use (`app: azure_cli`).
    pub key: &'static str,
    pub display_name: String,
    pub app_id: String,
    /// Tenant that registered the application (Microsoft's for first-party apps).
    pub owner_tenant: String,
    /// Object id of the app's service principal in this tenant.
    pub service_principal_id: String,
    /// Key of the resource (API) a sign-in to this app requests by default.
    pub default_resource: &'static str,
    /// How the app's traffic identifies itself, for sign-ins that name none.
    pub client: ClientKind,
}

/// The kind of client an app is, which decides its default user agent and
/// what Entra records as `ClientAppUsed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Browser,
    /// A desktop or command-line client using modern authentication.
    Desktop,
}

impl ClientKind {
    /// The user agent of the environment's workstation for this kind of client.
    pub fn default_user_agent(self) -> &'static str {
        match self {
            ClientKind::Browser => {
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"
            }
            ClientKind::Desktop => {
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; WebView/3.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"
            }
        }
    }

    pub fn client_app_used(self) -> &'static str {
        match self {
            ClientKind::Browser => "Browser",
            ClientKind::Desktop => "Mobile Apps and Desktop clients",
        }
    }
}

/// An Entra directory role: display name, template id, well-known object name.
pub const DIRECTORY_ROLES: [(&str, &str); 9] = [
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    ),
    (
        "Privileged Role Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
    ),
    (
        "Application Administrator",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    ),
    (
        "Cloud Application Administrator",
        "158c047a-c907-4556-b7ef-446551a6b5f7",
    ),
    ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
    (
        "Helpdesk Administrator",
        "729827e3-9c14-4f63-b871-c7ed8c1a2a7f",
    ),
    (
        "Exchange Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
    ),
    ("Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509"),
    ("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
];

/// Azure built-in RBAC roles: display name and role definition id.
pub const AZURE_ROLES: [(&str, &str); 6] = [
    ("Owner", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"),
    ("Contributor", "b24988ac-6180-42a0-ab88-20f7382dd24c"),
    ("Reader", "acdd72a7-3385-48ef-bd42-f606fba81ae7"),
    (
        "User Access Administrator",
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    ),
    (
        "Virtual Machine Contributor",
        "9980e02c-c2be-4d73-94e8-173b1dc7cf3c",
    ),
    (
        "Storage Blob Data Reader",
        "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
    ),
];

/// A GUID derived from a label: fixed identifiers of the environment's
/// objects (tenant, users, service principals) without a table of literals.
pub fn stable_guid(label: &str) -> String {
    let digest = Sha256::digest(label.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    // Version 4, RFC 4122 variant, as Entra's own object ids are.
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        8 | (u8::from_str_radix(&hex[16..17], 16).unwrap_or(0) & 3),
        &hex[17..20],
        &hex[20..32]
    )
}

impl Tenant {
    /// The built-in tenant, documented in `docs/ttp-spec.md`.
    pub fn northwind() -> Tenant {
        let id = stable_guid("tenant/northwind");
        let domain = "northwindtraders.com";
        let user =
            |key, name: &str, display_name, on_premises, roles: Vec<&'static str>| CloudUser {
                key,
                upn: format!("{name}@{domain}"),
                display_name,
                object_id: stable_guid(&format!("tenant/northwind/user/{key}")),
                on_premises,
                roles,
            };
        let first_party =
            |key, display_name: &str, app_id: &str, default_resource, client| CloudApp {
                key,
                display_name: display_name.to_string(),
                app_id: app_id.to_string(),
                owner_tenant: MICROSOFT_SERVICES_TENANT.to_string(),
                service_principal_id: stable_guid(&format!("tenant/northwind/sp/{key}")),
                default_resource,
                client,
            };
        let tenant_app = |key, display_name: &str, default_resource, client| CloudApp {
            key,
            display_name: display_name.to_string(),
            app_id: stable_guid(&format!("tenant/northwind/app/{key}")),
            owner_tenant: id.clone(),
            service_principal_id: stable_guid(&format!("tenant/northwind/sp/{key}")),
            default_resource,
            client,
        };
        use ClientKind::{Browser, Desktop};
        let apps = vec![
            first_party(
                "azure_portal",
                "Azure Portal",
                "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
                "azure_management",
                Browser,
            ),
            first_party(
                "azure_cli",
                "Microsoft Azure CLI",
                "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                "azure_management",
                Desktop,
            ),
            first_party(
                "azure_powershell",
                "Microsoft Azure PowerShell",
                "1950a258-227b-4e31-a9cf-717495945fc2",
                "azure_management",
                Desktop,
            ),
            first_party(
                "office_365",
                "OfficeHome",
                "4765445b-32c6-49b0-83e6-1d93765276ca",
                "office_365_portal",
                Browser,
            ),
            first_party(
                "outlook",
                "Microsoft Office",
                "d3590ed6-52b3-4102-aeff-aad2292ab01c",
                "exchange_online",
                Desktop,
            ),
            first_party(
                "teams",
                "Microsoft Teams",
                "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
                "teams_services",
                Desktop,
            ),
            first_party(
                "graph_powershell",
                "Microsoft Graph Command Line Tools",
                "14d82eec-204b-4c2f-b7e8-296a70dab67e",
                "graph",
                Desktop,
            ),
            first_party(
                "graph_explorer",
                "Graph Explorer",
                "de8bc8b5-d9f9-48b1-a8ad-b748da725064",
                "graph",
                Browser,
            ),
            // Resources (APIs) that sign-ins request tokens for.
            first_party(
                "azure_management",
                "Windows Azure Service Management API",
                "797f4846-ba00-4fd7-ba43-dac1f8f63013",
                "azure_management",
                Desktop,
            ),
            first_party(
                "graph",
                "Microsoft Graph",
                "00000003-0000-0000-c000-000000000000",
                "graph",
                Desktop,
            ),
            first_party(
                "exchange_online",
                "Office 365 Exchange Online",
                "00000002-0000-0ff1-ce00-000000000000",
                "exchange_online",
                Desktop,
            ),
            first_party(
                "office_365_portal",
                "Microsoft Office 365 Portal",
                "00000006-0000-0ff1-ce00-000000000000",
                "office_365_portal",
                Browser,
            ),
            first_party(
                "teams_services",
                "Microsoft Teams Services",
                "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
                "teams_services",
                Desktop,
            ),
            // The tenant's own registrations.
            tenant_app("hr_portal", "Northwind HR Portal", "graph", Browser),
            tenant_app(
                "backup_automation",
                "Northwind Backup Automation",
                "azure_management",
                Desktop,
            ),
        ];
        Tenant {
            subscription: Subscription {
                id: stable_guid("tenant/northwind/subscription/production"),
                name: "Northwind Production",
            },
            workspace_id: stable_guid("tenant/northwind/workspace/sentinel"),
            office_egress_ip: IpAddr::V4(Ipv4Addr::new(198, 51, 100, 23)),
            users: vec![
                user(
                    "alice",
                    "alice.mercer",
                    "Alice Mercer",
                    Some("alice"),
                    vec![],
                ),
                user("bob", "bob.keller", "Bob Keller", Some("bob"), vec![]),
                user(
                    "carol",
                    "carol.diaz",
                    "Carol Diaz",
                    None,
                    vec!["Global Administrator"],
                ),
                user(
                    "dave",
                    "dave.okafor",
                    "Dave Okafor",
                    None,
                    vec!["Application Administrator"],
                ),
            ],
            apps,
            id,
            display_name: "Northwind Traders",
            domain,
        }
    }

    pub fn user(&self, key: &str) -> Option<&CloudUser> {
        self.users.iter().find(|u| u.key == key)
    }

    pub fn user_keys(&self) -> Vec<&'static str> {
        self.users.iter().map(|u| u.key).collect()
    }

    pub fn app(&self, key: &str) -> Option<&CloudApp> {
        self.apps.iter().find(|a| a.key == key)
    }

    pub fn app_keys(&self) -> Vec<&'static str> {
        self.apps.iter().map(|a| a.key).collect()
    }

    /// `/subscriptions/<id>`: the prefix of every Azure resource id.
    pub fn subscription_scope(&self) -> String {
        format!("/subscriptions/{}", self.subscription.id)
    }
}

/// The template id of a directory role by display name.
pub fn directory_role(name: &str) -> Option<&'static str> {
    DIRECTORY_ROLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

/// The role definition id of an Azure built-in role by display name.
pub fn azure_role(name: &str) -> Option<&'static str> {
    AZURE_ROLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, id)| *id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_guid(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
            && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
    }

    #[test]
    fn stable_guids_are_version_4_and_depend_only_on_the_label() {
        let a = stable_guid("tenant/northwind");
        assert!(is_guid(&a), "{a}");
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
        assert_eq!(a, stable_guid("tenant/northwind"));
        assert_ne!(a, stable_guid("tenant/northwind/"));
    }

    #[test]
    fn synchronised_users_exist_on_premises_and_every_id_is_unique() {
        let env = super::super::Environment::default_workstation();
        let tenant = &env.cloud;
        for user in &tenant.users {
            assert!(user.upn.ends_with("@northwindtraders.com"), "{}", user.upn);
            if let Some(key) = user.on_premises {
                let local = env.user(key).unwrap();
                assert_eq!(user.upn.split('@').next(), Some(local.name));
            }
            for role in &user.roles {
                assert!(directory_role(role).is_some(), "{role}");
            }
        }
        let mut ids: Vec<&str> = tenant
            .users
            .iter()
            .map(|u| u.object_id.as_str())
            .chain(tenant.apps.iter().map(|a| a.service_principal_id.as_str()))
            .chain(tenant.apps.iter().map(|a| a.app_id.as_str()))
            .chain([tenant.id.as_str(), tenant.subscription.id.as_str()])
            .collect();
        assert!(ids.iter().all(|id| is_guid(id)));
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for app in &tenant.apps {
            assert!(tenant.app(app.default_resource).is_some(), "{}", app.key);
        }
    }
}
