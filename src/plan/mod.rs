//! Planning: a validated spec, a seed and an environment become a causally ordered,
//! timestamped list of canonical actions with fully resolved process identities.
//!
//! Pure and deterministic: the same inputs give the same plan on any machine.
//! Steps happen in file order; each step's time is the previous step's time plus its
//! sampled delay (at least 1 ms later), so a child always starts after its parent
//! and every referenced process exists before it acts.

pub mod cloud;
pub mod rng;

use sha2::{Digest, Sha256};
use std::collections::HashSet;

use crate::action::{
    Action, FileFacts, LogonSession, Micros, Module, Process, Signature, TimedAction,
};
use crate::binaries::{BinaryCatalog, PeInfo};
use crate::environment::{AccountKind, Environment, User};
use crate::spec::model::{AuthPackage, Integrity, RegistryValueType};
use crate::spec::template::Template;
use crate::spec::{ProcessRef, Spec, StepAction};
use rng::Rng;

pub const MICROS_PER_SEC: i64 = 1_000_000;

#[derive(Debug, Clone)]
pub struct Plan {
    /// Ambient processes first, then those the steps start, in step order.
    pub processes: Vec<Process>,
    pub sessions: Vec<LogonSession>,
    pub actions: Vec<TimedAction>,
    pub seed: u64,
    pub start: Micros,
    /// The "now" of the bundle: the end of its window, for relative-time queries.
    pub reference_time: Micros,
}

/// Ambient processes are keyed by name and, for per-user ones, user key.
struct AmbientIndex {
    entries: Vec<(String, Option<String>, usize)>,
}

impl AmbientIndex {
    fn find(&self, name: &str, user: &str) -> Option<usize> {
        self.entries
            .iter()
            .find(|(n, u, _)| n == name && u.as_deref().is_none_or(|u| u == user))
            .map(|(_, _, i)| *i)
    }
}

struct Planner<'a> {
    env: &'a Environment,
    catalog: &'a BinaryCatalog,
    spec: &'a Spec,
    processes: Vec<Process>,
    sessions: Vec<LogonSession>,
    used_pids: HashSet<u32>,
    used_guids: HashSet<String>,
    boot: Micros,
}

pub fn plan(spec: &Spec, seed: u64, env: &Environment, catalog: &BinaryCatalog) -> Plan {
    plan_steps(spec, seed, env, catalog, None)
}

/// Step times fixed in advance, and the window's end: how background activity
/// is blended in (`crate::profile`). The times must increase by at least 1 ms.
#[derive(Debug, Clone, Copy)]
pub struct PinnedTimes<'a> {
    pub step_times: &'a [Micros],
    pub reference_time: Micros,
}

/// Plan with each step at its pinned time instead of after a sampled delay.
/// Every step still draws its delay and jitter, so the rest of its random
/// stream (PIDs, GUIDs, ports) is what an unpinned plan would draw.
pub fn plan_pinned(
    spec: &Spec,
    seed: u64,
    env: &Environment,
    catalog: &BinaryCatalog,
    pinned: PinnedTimes<'_>,
) -> Plan {
    assert_eq!(pinned.step_times.len(), spec.steps.len());
    plan_steps(spec, seed, env, catalog, Some(pinned))
}

fn plan_steps(
    spec: &Spec,
    seed: u64,
    env: &Environment,
    catalog: &BinaryCatalog,
    pinned: Option<PinnedTimes<'_>>,
) -> Plan {
    let start = spec.start.timestamp_micros();
    let mut planner = Planner {
        env,
        catalog,
        spec,
        processes: Vec::new(),
        sessions: Vec::new(),
        used_pids: HashSet::new(),
        used_guids: HashSet::new(),
        boot: start - env.host.uptime_secs * MICROS_PER_SEC,
    };
    let ambient = planner.start_ambient_processes();

    let mut step_process: Vec<Option<usize>> = vec![None; spec.steps.len()];
    let mut step_session: Vec<Option<usize>> = vec![None; spec.steps.len()];
    // Entra session id of each sign-in step, for later sign-ins that continue it.
    let mut step_cloud_session: Vec<Option<String>> = vec![None; spec.steps.len()];
    let mut actions = Vec::with_capacity(spec.steps.len());
    let mut clock = start;
    for (i, step) in spec.steps.iter().enumerate() {
        let mut rng = Rng::derive(seed, &format!("{}/{}", spec.id, step.id));
        let delay_ms = rng.between(step.delay.min_ms, step.delay.max_ms) as i64;
        let jitter = rng.below(1000) as i64;
        clock = match pinned {
            Some(p) => p.step_times[i],
            None => (clock + delay_ms * 1000 + jitter).max(clock + 1000),
        };
        let resolve = |r: &ProcessRef, user: &str| -> usize {
            match r {
                ProcessRef::Step(s) => {
                    step_process[*s].expect("validated: refers to a process step")
                }
                ProcessRef::Ambient(name) => ambient
                    .find(name, user)
                    .expect("validated: ambient process exists"),
            }
        };
        let default_user = env.default_user;
        let action = match &step.action {
            StepAction::ProcessCreate {
                params,
                parent,
                session,
            } => {
                let session =
                    session.map(|s| step_session[s].expect("validated: refers to a logon step"));
                let session_user = session.map(|s| planner.sessions[s].user.clone());
                let wanted_user = params.user.clone().or(session_user);
                let parent_idx = match parent {
                    Some(r) => resolve(r, wanted_user.as_deref().unwrap_or(default_user)),
                    None => {
                        let user = wanted_user.as_deref().unwrap_or(default_user);
                        // Validation requires a parent for processes in user-driven
                        // sessions; in network, batch and service sessions the service
                        // control manager starts them.
                        let name = match env.user(user).map(|u| u.kind) {
                            Some(AccountKind::Interactive) if session.is_none() => "explorer",
                            _ => "services",
                        };
                        ambient
                            .find(name, user)
                            .expect("environment has explorer and services")
                    }
                };
                let process = planner.create_process(
                    &mut rng,
                    params,
                    parent_idx,
                    wanted_user,
                    session,
                    clock,
                );
                step_process[i] = Some(process);
                Action::ProcessCreate { process }
            }
            StepAction::NetworkConnect { params, process } => {
                let process = resolve(process, default_user);
                Action::NetworkConnect {
                    process,
                    protocol: params.protocol,
                    source_ip: env.host.ip,
                    source_port: params
                        .source_port
                        .unwrap_or_else(|| rng.between(49152, 65535) as u16),
                    destination_ip: params.destination_ip.0,
                    destination_port: params.destination_port,
                    destination_hostname: params.destination_hostname.clone(),
                }
            }
            StepAction::DnsQuery { params, process } => {
                let process = resolve(process, default_user);
                Action::DnsQuery {
                    process,
                    query: planner.render(&params.query, process),
                    answers: params.answers.clone(),
                    status: params.status,
                }
            }
            StepAction::FileCreate { params, process } => {
                let process = resolve(process, default_user);
                Action::FileCreate {
                    process,
                    path: planner.render(&params.path, process),
                }
            }
            StepAction::RegistrySet { params, process } => {
                let process = resolve(process, default_user);
                let key = planner.render(&params.key, process);
                let user = planner.user_of(process);
                let target_object = format!(
                    "{}\\{}",
                    sysmon_registry_path(&key, &user.sid),
                    params.value_name
                );
                let data = planner.render(&params.data, process);
                Action::RegistrySet {
                    process,
                    details: registry_details(params.value_type, &data),
                    key,
                    value_name: params.value_name.clone(),
                    value_type: params.value_type,
                    data,
                    target_object,
                }
            }
            StepAction::ImageLoad { params, process } => {
                let process = resolve(process, default_user);
                let path = planner.render(&params.path, process);
                let pe = pe_info(
                    catalog,
                    &path,
                    [
                        &params.original_file_name,
                        &params.description,
                        &params.product,
                        &params.company,
                        &params.file_version,
                    ],
                );
                let signer = params.signature.clone().or_else(|| pe.signature.clone());
                let signed = params.signed.unwrap_or(signer.is_some());
                let signature = Signature {
                    signed,
                    status: params.signature_status.clone().unwrap_or_else(|| {
                        if signed { "Valid" } else { "Unavailable" }.to_string()
                    }),
                    signer: signer.filter(|_| signed).unwrap_or_else(|| "-".into()),
                };
                Action::ImageLoad {
                    process,
                    module: Box::new(Module {
                        file: file_facts(&path),
                        path,
                        pe,
                        signature,
                    }),
                }
            }
            StepAction::Logon { params } => {
                let user = env.user(&params.user).expect("validated: user exists");
                let auth = params.authentication.unwrap_or(match params.logon_type {
                    3 => AuthPackage::Ntlm,
                    _ => AuthPackage::Negotiate,
                });
                let logon_id = rng.between(0x0100_0000, 0x7fff_ffff);
                let guid = |id| logon_guid(env.host.machine_guid_prefix, clock, id);
                let interactive = INTERACTIVE_LOGON_TYPES.contains(&params.logon_type);
                // UAC gives an administrator's interactive logon a second, elevated session.
                let elevated = (interactive && user.elevated_logon_id.is_some()).then(|| {
                    let id = logon_id + rng.between(0x10, 0x60);
                    (id, guid(id))
                });
                let terminal_session_id = if interactive {
                    planner.next_terminal_session()
                } else {
                    0
                };
                let session = LogonSession {
                    user: user.key.to_string(),
                    logon_type: params.logon_type,
                    logon_id,
                    logon_guid: guid(logon_id),
                    elevated,
                    terminal_session_id,
                    source_ip: params.source_ip.as_ref().map(|ip| ip.0),
                    source_port: params
                        .source_ip
                        .as_ref()
                        .map(|_| rng.between(49152, 65535) as u16),
                    workstation: params.workstation.clone(),
                    auth,
                    admin: user.admin,
                };
                planner.sessions.push(session);
                step_session[i] = Some(planner.sessions.len() - 1);
                Action::Logon {
                    session: planner.sessions.len() - 1,
                }
            }
            StepAction::EntraSignin { params, session } => {
                let continued = session.and_then(|s| step_cloud_session[s].clone());
                let sign_in = cloud::sign_in(&env.cloud, params, continued, &mut rng);
                step_cloud_session[i] = Some(sign_in.session_id.clone());
                Action::EntraSignIn(Box::new(sign_in))
            }
            StepAction::EntraAudit { params } => Action::DirectoryChange(Box::new(
                cloud::directory_change(&env.cloud, params, &mut rng),
            )),
            StepAction::AzureActivity { params } => {
                Action::ArmOperation(Box::new(cloud::arm_operation(&env.cloud, params, &mut rng)))
            }
        };
        actions.push(TimedAction {
            step: i,
            time: clock,
            action,
        });
    }

    // The window closes on the next whole minute at least a minute after the last action.
    let minute = 60 * MICROS_PER_SEC;
    let reference_time = match pinned {
        Some(p) => p.reference_time,
        None => ((clock + minute) / minute + 1) * minute,
    };
    Plan {
        processes: planner.processes,
        sessions: planner.sessions,
        actions,
        seed,
        start,
        reference_time,
    }
}

impl Planner<'_> {
    fn user_of(&self, process: usize) -> &User {
        let key = &self.processes[process].user;
        self.env
            .user(key)
            .expect("process users come from the environment")
    }

    /// Render a template for a step acting as `process`'s user.
    fn render(&self, template: &Template, process: usize) -> String {
        self.render_for(template, self.user_of(process))
    }

    fn render_for(&self, template: &Template, user: &User) -> String {
        let env = self.env;
        template
            .render(|name| {
                Some(match name {
                    "user.name" => user.name.to_string(),
                    "user.domain" => user.domain.to_string(),
                    "user.sid" => user.sid.clone(),
                    "user.profile" => user.profile.to_string(),
                    "host.name" => env.host.name.to_string(),
                    "host.fqdn" => env.host.fqdn.to_string(),
                    "host.ip" => env.host.ip.to_string(),
                    "domain.netbios" => env.domain.netbios.to_string(),
                    "domain.dns" => env.domain.dns.to_string(),
                    other => self.spec.vars.get(other)?.clone(),
                })
            })
            .expect("validated: every placeholder is a variable or a built-in")
    }

    fn unique_pid(&mut self, rng: &mut Rng) -> u32 {
        loop {
            let pid = (rng.between(250, 9000) * 4) as u32;
            if self.used_pids.insert(pid) {
                return pid;
            }
        }
    }

    fn unique_guid(&mut self, rng: &mut Rng, start: Micros) -> String {
        loop {
            let secs = (start / MICROS_PER_SEC) as u64;
            let guid = format!(
                "{}-{:04X}-{:04X}-{}-000000000800",
                self.env.host.machine_guid_prefix,
                secs & 0xffff,
                (secs >> 16) & 0xffff,
                rng.hex(4)
            );
            if self.used_guids.insert(guid.clone()) {
                return guid;
            }
        }
    }

    fn terminal_session(&self, user: &User) -> u32 {
        match user.kind {
            AccountKind::Service => 0,
            AccountKind::Interactive => {
                1 + self
                    .env
                    .users
                    .iter()
                    .filter(|u| u.kind == AccountKind::Interactive)
                    .position(|u| u.key == user.key)
                    .unwrap_or(0) as u32
            }
        }
    }

    /// Standing logon session (LogonId, LogonGuid) of a user's desktop or service account.
    fn standing_logon(&self, user: &User, elevated: bool) -> (u64, String) {
        let logged_on =
            self.boot + (95 + 41 * 60 * self.terminal_session(user) as i64) * MICROS_PER_SEC;
        let id = match (elevated, user.elevated_logon_id) {
            (true, Some(id)) => id,
            _ => user.logon_id,
        };
        (
            id,
            logon_guid(self.env.host.machine_guid_prefix, logged_on, id),
        )
    }

    /// Terminal-services session number for a new interactive logon: after the
    /// standing desktop sessions and earlier interactive logons of the bundle.
    fn next_terminal_session(&self) -> u32 {
        let desktops = self
            .env
            .users
            .iter()
            .filter(|u| u.kind == AccountKind::Interactive)
            .count() as u32;
        let earlier = self
            .sessions
            .iter()
            .filter(|s| s.terminal_session_id != 0)
            .count() as u32;
        desktops + earlier + 1
    }

    fn start_ambient_processes(&mut self) -> AmbientIndex {
        // Fixed per environment, not per seed: it is the same machine in every bundle.
        let mut rng = Rng::derive(0, "environment/ambient");
        let mut entries = Vec::new();
        let env = self.env;
        for (n, ambient) in env.ambient.iter().enumerate() {
            let users: Vec<&User> = match ambient.user {
                Some(key) => env.user(key).into_iter().collect(),
                None => env
                    .users
                    .iter()
                    .filter(|u| u.kind == AccountKind::Interactive)
                    .collect(),
            };
            for user in users {
                let offset_secs = match ambient.user {
                    Some(_) => 3 + 4 * n as i64,
                    None => 95 + 41 * 60 * (self.terminal_session(user) as i64 - 1) + 6,
                };
                let start = self.boot + offset_secs * MICROS_PER_SEC + rng.below(1_000_000) as i64;
                let (logon_id, logon_guid) =
                    self.standing_logon(user, is_elevated(ambient.integrity));
                let process = Process {
                    guid: self.unique_guid(&mut rng, start),
                    pid: self.unique_pid(&mut rng),
                    image: ambient.image.to_string(),
                    command_line: ambient.command_line.to_string(),
                    current_directory: default_directory(user),
                    user: user.key.to_string(),
                    integrity: ambient.integrity,
                    logon_id,
                    logon_guid,
                    terminal_session_id: self.terminal_session(user),
                    start,
                    parent: None,
                    pe: self
                        .catalog
                        .lookup(ambient.image)
                        .cloned()
                        .unwrap_or_else(PeInfo::unknown),
                    file: file_facts(ambient.image),
                };
                self.processes.push(process);
                let per_user = ambient.user.is_none().then(|| user.key.to_string());
                entries.push((ambient.name.to_string(), per_user, self.processes.len() - 1));
            }
        }
        AmbientIndex { entries }
    }

    fn create_process(
        &mut self,
        rng: &mut Rng,
        params: &crate::spec::model::ProcessCreateParams,
        parent: usize,
        wanted_user: Option<String>,
        session: Option<usize>,
        start: Micros,
    ) -> usize {
        let parent_proc = self.processes[parent].clone();
        let user_key = wanted_user.unwrap_or_else(|| parent_proc.user.clone());
        let user = self
            .env
            .user(&user_key)
            .expect("validated: user exists")
            .clone();
        let same_user = user.key == parent_proc.user;
        let integrity = params.integrity.unwrap_or(if same_user {
            parent_proc.integrity
        } else {
            user.integrity
        });
        // An administrator's high-integrity process runs on the elevated linked token.
        let elevated = is_elevated(integrity) && user.elevated_logon_id.is_some();
        let (logon_id, logon_guid, terminal_session_id) = match session {
            Some(s) => {
                let session = &self.sessions[s];
                let terminal = match session.terminal_session_id {
                    0 => parent_proc.terminal_session_id,
                    t => t,
                };
                let (id, guid) = match (&session.elevated, elevated) {
                    (Some((id, guid)), true) => (*id, guid.clone()),
                    _ => (session.logon_id, session.logon_guid.clone()),
                };
                (id, guid, terminal)
            }
            None if same_user && is_elevated(parent_proc.integrity) == elevated => (
                parent_proc.logon_id,
                parent_proc.logon_guid.clone(),
                parent_proc.terminal_session_id,
            ),
            None => {
                let (id, guid) = self.standing_logon(&user, elevated);
                (id, guid, self.terminal_session(&user))
            }
        };
        let image = self.render_for(&params.image, &user);
        let command_line = match &params.command_line {
            Some(c) => self.render_for(c, &user),
            None => format!("\"{image}\""),
        };
        let current_directory = match &params.current_directory {
            Some(d) => {
                let d = self.render_for(d, &user);
                if d.ends_with('\\') {
                    d
                } else {
                    format!("{d}\\")
                }
            }
            None if parent_proc.parent.is_none() || !same_user => default_directory(&user),
            None => parent_proc.current_directory.clone(),
        };
        let pe = pe_info(
            self.catalog,
            &image,
            [
                &params.original_file_name,
                &params.description,
                &params.product,
                &params.company,
                &params.file_version,
            ],
        );
        let process = Process {
            guid: self.unique_guid(rng, start),
            pid: self.unique_pid(rng),
            file: file_facts(&image),
            image,
            command_line,
            current_directory,
            user: user.key.to_string(),
            integrity,
            logon_id,
            logon_guid,
            terminal_session_id,
            start,
            parent: Some(parent),
            pe,
        };
        self.processes.push(process);
        self.processes.len() - 1
    }
}

/// Working directory Windows gives a process started from a user's shell or a service.
fn default_directory(user: &User) -> String {
    match user.kind {
        AccountKind::Interactive => format!("{}\\", user.profile),
        AccountKind::Service => r"C:\Windows\system32\".to_string(),
    }
}

/// Sysmon's LogonGuid: machine prefix, logon time, then the LogonId's bytes.
fn logon_guid(prefix: &str, at: Micros, logon_id: u64) -> String {
    let secs = (at / MICROS_PER_SEC) as u64;
    let b = (logon_id as u32).to_le_bytes();
    format!(
        "{prefix}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}00000000",
        secs & 0xffff,
        (secs >> 16) & 0xffff,
        b[0],
        b[1],
        b[2],
        b[3]
    )
}

/// PE metadata of an image from the catalog (by file name), with the spec's
/// overrides in the order original file name, description, product, company,
/// file version.
fn pe_info(catalog: &BinaryCatalog, path: &str, overrides: [&Option<String>; 5]) -> PeInfo {
    let mut pe = catalog
        .lookup(path)
        .cloned()
        .unwrap_or_else(PeInfo::unknown);
    let fields = [
        &mut pe.original_file_name,
        &mut pe.description,
        &mut pe.product,
        &mut pe.company,
        &mut pe.file_version,
    ];
    for (given, field) in overrides.into_iter().zip(fields) {
        if let Some(v) = given {
            *field = v.clone();
        }
    }
    pe
}

/// Stable pseudo-hashes and size of a file: the same path (case-insensitively,
/// as Windows paths are) always "has" the same file. Each value is a slice of a
/// labelled SHA-256 digest, so changing one never changes the others.
pub fn file_facts(path: &str) -> FileFacts {
    let digest = |label: &str| {
        let mut h = Sha256::new();
        h.update(label.as_bytes());
        h.update(path.to_ascii_lowercase().as_bytes());
        h.finalize()
    };
    let hex = |label: &str| {
        digest(label)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    };
    let size_bytes = digest("size:");
    let raw = u32::from_le_bytes([size_bytes[0], size_bytes[1], size_bytes[2], size_bytes[3]]);
    // 16 KiB to about 4 MiB, in whole 512-byte sectors.
    let size = 16_384 + u64::from(raw % 4_177_920) / 512 * 512;
    FileFacts {
        md5: hex("md5:")[..32].to_string(),
        sha1: hex("sha1:")[..40].to_string(),
        sha256: hex("sha256:"),
        imphash: hex("imphash:")[..32].to_string(),
        size,
    }
}

/// Registry paths as Sysmon writes them: `HKCU` becomes `HKU\<SID>`, long hive
/// names become short ones.
fn sysmon_registry_path(key: &str, user_sid: &str) -> String {
    let key = key.trim_end_matches('\\');
    let (hive, rest) = key.split_once('\\').unwrap_or((key, ""));
    let hive = match hive.to_ascii_uppercase().as_str() {
        "HKCU" | "HKEY_CURRENT_USER" => format!("HKU\\{user_sid}"),
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKLM".to_string(),
        "HKU" | "HKEY_USERS" => "HKU".to_string(),
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKCR".to_string(),
        other => other.to_string(),
    };
    // Sysmon spells the machine's SYSTEM hive `HKLM\System\…` (SOFTWARE stays upper case).
    let rest = match rest.get(..7) {
        Some(head) if hive == "HKLM" && head.eq_ignore_ascii_case("SYSTEM\\") => {
            format!("System\\{}", &rest[7..])
        }
        _ => rest.to_string(),
    };
    if rest.is_empty() {
        hive
    } else {
        format!("{hive}\\{rest}")
    }
}

/// Sysmon's `Details` text for registry data (validated at load for numbers).
fn registry_details(kind: RegistryValueType, data: &str) -> String {
    match kind {
        // Sysmon writes an empty string value as `(Empty)`, never as nothing
        // (SigmaHQ rules match `Details: '(Empty)'`, e.g. for DelegateExecute).
        RegistryValueType::String | RegistryValueType::ExpandString if data.is_empty() => {
            "(Empty)".to_string()
        }
        RegistryValueType::String | RegistryValueType::ExpandString => data.to_string(),
        RegistryValueType::Dword => {
            format!("DWORD (0x{:08x})", parse_number(data).unwrap_or(0) as u32)
        }
        RegistryValueType::Qword => {
            let v = parse_number(data).unwrap_or(0);
            format!("QWORD (0x{:08x}-0x{:08x})", v >> 32, v & 0xffff_ffff)
        }
        RegistryValueType::Binary => "Binary Data".to_string(),
    }
}

/// A decimal or `0x` hexadecimal registry number.
pub fn parse_number(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Known registry hive prefixes, for validation.
pub fn known_hive(key: &str) -> bool {
    let hive = key.split('\\').next().unwrap_or("").to_ascii_uppercase();
    matches!(
        hive.as_str(),
        "HKCU"
            | "HKEY_CURRENT_USER"
            | "HKLM"
            | "HKEY_LOCAL_MACHINE"
            | "HKU"
            | "HKEY_USERS"
            | "HKCR"
            | "HKEY_CLASSES_ROOT"
    )
}

/// Logon types that open a desktop session of their own.
pub const INTERACTIVE_LOGON_TYPES: [u8; 3] = [2, 10, 11];

/// Whether `integrity` is at least High (an elevated token).
pub fn is_elevated(integrity: Integrity) -> bool {
    integrity >= Integrity::High
}

#[cfg(test)]
mod tests;
