//! The machine and identities the attack happens on.
//!
//! One built-in environment for now: a domain-joined Windows 11 workstation with a
//! standard user and an administrator. A later issue turns this into loadable
//! profiles; until then every bundle is rendered on this host, which keeps bundles
//! comparable with each other.

pub mod cloud;

use std::net::{IpAddr, Ipv4Addr};

use crate::spec::model::Integrity;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub host: Host,
    pub domain: Domain,
    pub users: Vec<User>,
    /// Key of the user whose desktop processes without a parent or user run under.
    pub default_user: &'static str,
    pub ambient: Vec<AmbientProcess>,
    /// The Entra tenant and Azure subscription the organisation's users work in.
    pub cloud: cloud::Tenant,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// NetBIOS name, upper case as Windows shows it.
    pub name: &'static str,
    pub fqdn: &'static str,
    pub ip: IpAddr,
    /// First 8 hex digits of every Sysmon GUID on this host (derived from the machine id).
    pub machine_guid_prefix: &'static str,
    /// PID of Sysmon64.exe, which appears in every Sysmon event's `Execution`.
    pub sysmon_pid: u32,
    /// PID of lsass.exe, the process that writes Security events.
    pub lsass_pid: u32,
    /// Seconds the host has been up when the first step of a bundle starts.
    pub uptime_secs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub netbios: &'static str,
    pub dns: &'static str,
    pub sid: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// A person with a desktop session (Explorer running).
    Interactive,
    /// A built-in service account (SYSTEM, LOCAL SERVICE, NETWORK SERVICE).
    Service,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The key specs use (`user: alice`).
    pub key: &'static str,
    pub name: &'static str,
    /// `NORTHWIND` for domain accounts, `NT AUTHORITY` for built-in ones.
    pub domain: &'static str,
    pub sid: String,
    /// User principal name of a domain account (`alice.mercer@northwind.local`);
    /// built-in accounts have none.
    pub upn: Option<String>,
    pub profile: &'static str,
    pub kind: AccountKind,
    pub admin: bool,
    /// LogonId of the account's standing session (interactive desktop or service).
    pub logon_id: u64,
    /// For administrators under UAC: the LogonId of the elevated (linked) token
    /// of the same desktop session, used by their high-integrity processes.
    pub elevated_logon_id: Option<u64>,
    /// Integrity level of the user's desktop processes.
    pub integrity: Integrity,
}

impl User {
    /// `DOMAIN\name`, the form of Sysmon's `User` field.
    pub fn qualified(&self) -> String {
        format!("{}\\{}", self.domain, self.name)
    }
}

/// A process running before the bundle starts, addressable in specs as `@name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmbientProcess {
    pub name: &'static str,
    pub image: &'static str,
    pub command_line: &'static str,
    /// `None` means "one per interactive user" (Explorer).
    pub user: Option<&'static str>,
    pub integrity: Integrity,
}

const DOMAIN_SID: &str = "S-1-5-21-1537229476-3061498215-2870127409";

impl Environment {
    /// The built-in environment, documented in `docs/ttp-spec.md`.
    pub fn default_workstation() -> Environment {
        let domain_user = |key, name, rid: u32, profile, admin: bool, logon_id: u64| User {
            key,
            name,
            domain: "NORTHWIND",
            sid: format!("{DOMAIN_SID}-{rid}"),
            // The implicit UPN: sAMAccountName at the domain's DNS name.
            upn: Some(format!("{name}@northwind.local")),
            profile,
            kind: AccountKind::Interactive,
            admin,
            logon_id,
            // Windows creates the linked elevated session right after the limited one.
            elevated_logon_id: admin.then_some(logon_id + 0x35),
            integrity: Integrity::Medium,
        };
        let builtin = |key, name, sid: &str, profile, logon_id| User {
            key,
            name,
            domain: "NT AUTHORITY",
            sid: sid.to_string(),
            upn: None,
            profile,
            kind: AccountKind::Service,
            admin: true,
            logon_id,
            elevated_logon_id: None,
            integrity: Integrity::System,
        };
        Environment {
            host: Host {
                name: "WS-0142",
                fqdn: "WS-0142.northwind.local",
                ip: IpAddr::V4(Ipv4Addr::new(10, 20, 30, 42)),
                machine_guid_prefix: "8E2F41A6",
                sysmon_pid: 3412,
                lsass_pid: 788,
                uptime_secs: 2 * 3600 + 17 * 60 + 31,
            },
            domain: Domain {
                netbios: "NORTHWIND",
                dns: "northwind.local",
                sid: DOMAIN_SID,
            },
            users: vec![
                domain_user(
                    "alice",
                    "alice.mercer",
                    1104,
                    r"C:\Users\alice.mercer",
                    false,
                    0x45e2c1,
                ),
                domain_user(
                    "bob",
                    "bob.keller",
                    1107,
                    r"C:\Users\bob.keller",
                    true,
                    0x61a0f7,
                ),
                builtin(
                    "system",
                    "SYSTEM",
                    "S-1-5-18",
                    r"C:\Windows\system32\config\systemprofile",
                    0x3e7,
                ),
                builtin(
                    "local_service",
                    "LOCAL SERVICE",
                    "S-1-5-19",
                    r"C:\Windows\ServiceProfiles\LocalService",
                    0x3e5,
                ),
                builtin(
                    "network_service",
                    "NETWORK SERVICE",
                    "S-1-5-20",
                    r"C:\Windows\ServiceProfiles\NetworkService",
                    0x3e4,
                ),
            ],
            default_user: "alice",
            ambient: vec![
                AmbientProcess {
                    name: "explorer",
                    image: r"C:\Windows\explorer.exe",
                    command_line: r"C:\Windows\Explorer.EXE",
                    user: None,
                    integrity: Integrity::Medium,
                },
                AmbientProcess {
                    name: "winlogon",
                    image: r"C:\Windows\System32\winlogon.exe",
                    command_line: "winlogon.exe",
                    user: Some("system"),
                    integrity: Integrity::System,
                },
                AmbientProcess {
                    name: "services",
                    image: r"C:\Windows\System32\services.exe",
                    command_line: r"C:\Windows\system32\services.exe",
                    user: Some("system"),
                    integrity: Integrity::System,
                },
                AmbientProcess {
                    name: "svchost",
                    image: r"C:\Windows\System32\svchost.exe",
                    command_line: r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
                    user: Some("system"),
                    integrity: Integrity::System,
                },
                AmbientProcess {
                    name: "wmiprvse",
                    image: r"C:\Windows\System32\wbem\WmiPrvSE.exe",
                    command_line: r"C:\Windows\system32\wbem\wmiprvse.exe -Embedding",
                    user: Some("network_service"),
                    integrity: Integrity::System,
                },
            ],
            cloud: cloud::Tenant::northwind(),
        }
    }

    pub fn user(&self, key: &str) -> Option<&User> {
        self.users.iter().find(|u| u.key == key)
    }

    pub fn user_keys(&self) -> Vec<&'static str> {
        self.users.iter().map(|u| u.key).collect()
    }

    pub fn ambient(&self, name: &str) -> Option<&AmbientProcess> {
        self.ambient.iter().find(|a| a.name == name)
    }

    /// The machine account (`WS-0142$`), the subject of logons the system performs.
    pub fn machine_account(&self) -> String {
        format!("{}$", self.host.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_sids_are_well_formed_and_unique() {
        let env = Environment::default_workstation();
        let re = regex::Regex::new(r"^S-1-5-(18|19|20|21(-\d{1,10}){3}-\d{3,10})$").unwrap();
        let mut sids: Vec<_> = env.users.iter().map(|u| u.sid.as_str()).collect();
        for sid in &sids {
            assert!(re.is_match(sid), "{sid}");
        }
        sids.sort();
        sids.dedup();
        assert_eq!(sids.len(), env.users.len());
    }

    #[test]
    fn domain_users_have_a_upn_at_the_domains_dns_name() {
        let env = Environment::default_workstation();
        for user in &env.users {
            match user.kind {
                AccountKind::Interactive => assert_eq!(
                    user.upn.as_deref(),
                    Some(format!("{}@{}", user.name, env.domain.dns).as_str())
                ),
                AccountKind::Service => assert_eq!(user.upn, None, "{}", user.key),
            }
        }
    }

    #[test]
    fn default_user_and_ambient_users_exist() {
        let env = Environment::default_workstation();
        assert!(env.user(env.default_user).is_some());
        for a in &env.ambient {
            if let Some(u) = a.user {
                assert!(env.user(u).is_some(), "{}", a.name);
            }
        }
    }
}
