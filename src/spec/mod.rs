//! TTP specs: loading, validation and the validated model the planner consumes.
//!
//! `model` is the file as written; this module checks what serde cannot (one action
//! per step, references to earlier steps, known placeholders and users) and
//! collects every problem of a file, each located at its line.

pub mod cloud;
pub mod duration;
pub mod model;
pub mod template;

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use chrono::{DateTime, Utc};

use crate::diagnostic::SourceError;
use crate::environment::Environment;
use crate::technique::{Tactic, TechniqueId};
use duration::DelayRange;
use model::*;
use template::{BUILTINS, Template};

/// Start time used when a spec gives none: a Monday morning, so that a working-day
/// timeline reads naturally.
pub const DEFAULT_START: &str = "2026-01-05T09:00:00Z";

/// A validated TTP spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The spec's identity: its file stem (`ttps/T1059.001-encoded.yaml` → `T1059.001-encoded`).
    pub id: String,
    pub path: String,
    pub name: String,
    pub description: Option<String>,
    pub techniques: Vec<TechniqueId>,
    pub tactics: Vec<Tactic>,
    pub platform: Platform,
    pub seed: u64,
    pub start: DateTime<Utc>,
    pub vars: BTreeMap<String, String>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    /// 1-based line of the step's `id:` in the spec file.
    pub line: usize,
    pub technique: Option<TechniqueId>,
    pub description: Option<String>,
    pub benign: bool,
    /// Indices of earlier steps this one waits for (explicit `after:` only).
    pub after: Vec<usize>,
    pub delay: DelayRange,
    pub action: StepAction,
}

/// A process a step refers to: one started by an earlier step, or one that was
/// already running when the bundle starts (`@explorer`, `@services`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessRef {
    Step(usize),
    Ambient(String),
}

#[derive(Debug, Clone)]
pub enum StepAction {
    ProcessCreate {
        params: Box<ProcessCreateParams>,
        parent: Option<ProcessRef>,
        session: Option<usize>,
    },
    NetworkConnect {
        params: NetworkConnectParams,
        process: ProcessRef,
    },
    DnsQuery {
        params: DnsQueryParams,
        process: ProcessRef,
    },
    FileCreate {
        params: FileCreateParams,
        process: ProcessRef,
    },
    RegistrySet {
        params: RegistrySetParams,
        process: ProcessRef,
    },
    ImageLoad {
        params: ImageLoadParams,
        process: ProcessRef,
    },
    Logon {
        params: LogonParams,
    },
    EntraSignin {
        params: cloud::EntraSigninParams,
        /// The earlier `entra_signin` step whose session this one continues.
        session: Option<usize>,
    },
    EntraAudit {
        params: cloud::EntraAuditParams,
    },
    AzureActivity {
        params: cloud::AzureActivityParams,
    },
}

impl StepAction {
    pub fn kind(&self) -> &'static str {
        match self {
            StepAction::ProcessCreate { .. } => "process_create",
            StepAction::NetworkConnect { .. } => "network_connect",
            StepAction::DnsQuery { .. } => "dns_query",
            StepAction::FileCreate { .. } => "file_create",
            StepAction::RegistrySet { .. } => "registry_set",
            StepAction::ImageLoad { .. } => "image_load",
            StepAction::Logon { .. } => "logon",
            StepAction::EntraSignin { .. } => "entra_signin",
            StepAction::EntraAudit { .. } => "entra_audit",
            StepAction::AzureActivity { .. } => "azure_activity",
        }
    }
}

const VALID_LOGON_TYPES: [u8; 9] = [2, 3, 4, 5, 7, 8, 9, 10, 11];

/// Logon types whose processes the service control manager starts (network,
/// batch, service, network-cleartext): `services.exe` is a sensible default parent.
/// Processes in other sessions must name their parent.
pub const SERVICE_STARTED_LOGON_TYPES: [u8; 4] = [3, 4, 5, 8];

impl Spec {
    /// Parse and validate one spec file. `path` is used in messages and for the
    /// spec id; all problems found are returned together.
    pub fn parse(path: &str, text: &str, env: &Environment) -> Result<Spec, Vec<SourceError>> {
        let raw: RawSpec = serde_norway::from_str(text).map_err(|e| {
            let err = SourceError::from_yaml(path, text, &e);
            let help = hint_for_yaml_error(&err.message);
            vec![match help {
                Some(h) => err.with_help(h),
                None => err,
            }]
        })?;
        Validator {
            path,
            text,
            env,
            errors: Vec::new(),
        }
        .validate(raw)
    }
}

/// Validate steps written outside a spec file — a profile's background
/// activity template — with the spec's own rules, as one all-benign baseline.
/// `text` must keep the file's line numbering (lines outside the template
/// blanked) so errors point at the user's file and line.
pub fn parse_benign_steps(
    path: &str,
    text: &str,
    steps: Vec<RawStep>,
    env: &Environment,
) -> Result<Vec<Step>, Vec<SourceError>> {
    let raw = RawSpec {
        format: None,
        name: String::new(),
        description: None,
        techniques: Vec::new(),
        tactics: Vec::new(),
        platform: Platform::Windows,
        seed: None,
        start: None,
        vars: BTreeMap::new(),
        steps,
    };
    Validator {
        path,
        text,
        env,
        errors: Vec::new(),
    }
    .validate(raw)
    .map(|spec| spec.steps)
}

fn hint_for_yaml_error(message: &str) -> Option<String> {
    if message.contains("unknown field") && message.contains("process_create") {
        Some(format!(
            "a step takes `id`, `technique`, `description`, `benign`, `after`, `delay` and one action: {}",
            ACTION_KINDS.join(", ")
        ))
    } else if message.contains("unknown field") {
        Some("check the spelling against docs/ttp-spec.md; unknown keys are never ignored".into())
    } else if message.contains("unknown variant") {
        Some("the accepted values are listed above; see docs/ttp-spec.md".into())
    } else {
        None
    }
}

struct Validator<'a> {
    path: &'a str,
    text: &'a str,
    env: &'a Environment,
    errors: Vec<SourceError>,
}

impl Validator<'_> {
    fn error_at(&mut self, line: usize, message: String, help: Option<String>) {
        let mut e = SourceError::at_line(self.path, self.text, line, message);
        e.help = help;
        self.errors.push(e);
    }

    fn validate(mut self, raw: RawSpec) -> Result<Spec, Vec<SourceError>> {
        let top = |key: &str| find_key_line(self.text, 1, usize::MAX, key).unwrap_or(1);
        if let Some(v) = raw.format.filter(|v| *v != SPEC_FORMAT) {
            let line = top("format");
            self.error_at(
                line,
                format!(
                    "spec format {v} is not supported; this rulecheck reads format {SPEC_FORMAT}"
                ),
                None,
            );
        }
        // A spec of only benign steps is a baseline of legitimate activity: it
        // demonstrates no technique. Any malicious step needs both lists.
        let attack = raw.steps.iter().any(|s| !s.benign);
        if attack && raw.techniques.is_empty() {
            self.error_at(
                top("techniques"),
                "`techniques` is empty".into(),
                Some("list the ATT&CK techniques this spec demonstrates (only all-benign specs have none)".into()),
            );
        }
        if attack && raw.tactics.is_empty() {
            self.error_at(
                top("tactics"),
                "`tactics` is empty".into(),
                Some("list the tactics of the techniques (only all-benign specs have none)".into()),
            );
        }
        if raw.steps.is_empty() {
            self.error_at(top("steps"), "a spec needs at least one step".into(), None);
        }

        let vars = self.resolve_vars(&raw.vars);
        let step_lines = step_lines(self.text, &raw.steps);
        let mut index_of: HashMap<String, usize> = HashMap::new();
        let mut steps = Vec::with_capacity(raw.steps.len());
        for (i, rs) in raw.steps.into_iter().enumerate() {
            let line = step_lines[i];
            let end = step_lines.get(i + 1).copied().unwrap_or(usize::MAX);
            let key_line = |key: &str| find_key_line(self.text, line, end, key).unwrap_or(line);
            if let Some(step) = self.validate_step(rs, line, &key_line, &index_of, &steps, &vars) {
                if index_of.contains_key(&step.id) {
                    self.error_at(
                        line,
                        format!("step id `{}` is used twice", step.id),
                        Some("step ids must be unique within a spec".into()),
                    );
                } else {
                    index_of.insert(step.id.clone(), steps.len());
                }
                steps.push(step);
            }
        }

        // Only meaningful once every step is valid; otherwise it echoes step errors.
        let step_errors = !self.errors.is_empty();
        for technique in raw.techniques.iter().filter(|_| !step_errors) {
            let shown = steps
                .iter()
                .any(|s| s.technique.as_ref().is_some_and(|t| technique.covers(t)));
            if !shown {
                self.error_at(
                    top("techniques"),
                    format!("technique {technique} is listed but no step belongs to it"),
                    Some("give a step `technique: ...` or remove it from `techniques`".into()),
                );
            }
        }

        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let start = raw.start.map(|t| t.0).unwrap_or_else(|| {
            DateTime::parse_from_rfc3339(DEFAULT_START)
                .expect("DEFAULT_START is valid RFC 3339")
                .with_timezone(&Utc)
        });
        Ok(Spec {
            id: spec_id(self.path),
            path: self.path.to_string(),
            name: raw.name,
            description: raw.description.map(|d| d.trim().to_string()),
            techniques: raw.techniques,
            tactics: raw.tactics,
            platform: raw.platform,
            seed: raw.seed.unwrap_or(0),
            start,
            vars,
            steps,
        })
    }

    /// Report a cloud step's problems at the lines of the keys they are about;
    /// keys of a one-line (flow) mapping are on the action's own line.
    fn report_cloud(
        &mut self,
        problems: Vec<cloud::Problem>,
        action: &str,
        step_line: usize,
        key_line: &dyn Fn(&str) -> usize,
    ) {
        for p in problems {
            let line = match key_line(p.key) {
                l if l == step_line => key_line(action),
                l => l,
            };
            self.error_at(line, p.message, p.help);
        }
    }

    fn resolve_vars(&mut self, defs: &BTreeMap<String, VarDef>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (name, def) in defs {
            if BUILTINS.contains(&name.as_str()) || name.contains('.') {
                let line = find_key_line(self.text, 1, usize::MAX, name).unwrap_or(1);
                self.error_at(
                    line,
                    format!("variable name `{name}` may not contain `.`"),
                    Some("dotted names are reserved for built-ins such as user.profile".into()),
                );
                continue;
            }
            let value = match def {
                VarDef::Literal(s) => s.clone(),
                VarDef::Transformed(VarTransform::Base64(s)) => {
                    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
                }
                VarDef::Transformed(VarTransform::Base64Utf16le(s)) => {
                    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                }
            };
            out.insert(name.clone(), value);
        }
        out
    }

    fn validate_step(
        &mut self,
        rs: RawStep,
        line: usize,
        key_line: &dyn Fn(&str) -> usize,
        index_of: &HashMap<String, usize>,
        earlier: &[Step],
        vars: &BTreeMap<String, String>,
    ) -> Option<Step> {
        let id_ok = !rs.id.is_empty()
            && rs
                .id
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && rs
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if !id_ok {
            self.error_at(
                line,
                format!("step id `{}` is not valid", rs.id),
                Some("use lower-case letters, digits, `_` and `-`".into()),
            );
        }
        match (&rs.technique, rs.benign) {
            (None, false) => self.error_at(
                line,
                format!("step `{}` has no `technique`", rs.id),
                Some("every malicious step belongs to a technique; mark legitimate activity with `benign: true`".into()),
            ),
            (Some(t), true) => self.error_at(
                key_line("technique"),
                format!("benign step `{}` has technique {t}", rs.id),
                Some("benign steps are background activity and belong to no technique".into()),
            ),
            _ => {}
        }

        let mut after = Vec::new();
        for dep in &rs.after {
            match index_of.get(dep) {
                Some(&i) => after.push(i),
                None => self.error_at(
                    key_line("after"),
                    format!(
                        "step `{}` waits for `{dep}`, which is not an earlier step",
                        rs.id
                    ),
                    Some("`after` may only name steps written above this one".into()),
                ),
            }
        }

        let given: Vec<&str> = [
            rs.process_create.is_some(),
            rs.network_connect.is_some(),
            rs.dns_query.is_some(),
            rs.file_create.is_some(),
            rs.registry_set.is_some(),
            rs.image_load.is_some(),
            rs.logon.is_some(),
            rs.entra_signin.is_some(),
            rs.entra_audit.is_some(),
            rs.azure_activity.is_some(),
        ]
        .iter()
        .zip(ACTION_KINDS)
        .filter_map(|(set, kind)| set.then_some(kind))
        .collect();
        if given.len() != 1 {
            let message = if given.is_empty() {
                format!("step `{}` has no action", rs.id)
            } else {
                format!(
                    "step `{}` has {} actions ({}); a step performs exactly one",
                    rs.id,
                    given.len(),
                    given.join(", ")
                )
            };
            self.error_at(
                line,
                message,
                Some(format!("action kinds: {}", ACTION_KINDS.join(", "))),
            );
            return None;
        }

        let step_id = rs.id.clone();
        let resolve_process = |this: &mut Self, name: &str, key: &str| -> Option<ProcessRef> {
            if let Some(ambient) = name.strip_prefix('@') {
                if this.env.ambient(ambient).is_some() {
                    return Some(ProcessRef::Ambient(ambient.to_string()));
                }
                let known: Vec<String> = this
                    .env
                    .ambient
                    .iter()
                    .map(|a| format!("@{}", a.name))
                    .collect();
                this.error_at(
                    key_line(key),
                    format!("`{name}` is not a running process of the environment"),
                    Some(format!("running processes: {}", known.join(", "))),
                );
                return None;
            }
            match index_of.get(name) {
                Some(&i) if matches!(earlier[i].action, StepAction::ProcessCreate { .. }) => {
                    Some(ProcessRef::Step(i))
                }
                Some(_) => {
                    this.error_at(key_line(key), format!("step `{step_id}` refers to `{name}` as a process, but that step does not start one"), Some("name a `process_create` step, or a running process such as @explorer".into()));
                    None
                }
                None => {
                    this.error_at(key_line(key), format!("step `{step_id}` refers to process `{name}`, which is not an earlier step"), Some("name a `process_create` step written above this one, or a running process such as @explorer".into()));
                    None
                }
            }
        };

        let mut templates: Vec<(&'static str, Template)> = Vec::new();
        let mut users: Vec<(&'static str, String)> = Vec::new();
        let action = if let Some(p) = rs.process_create {
            let parent = match &p.parent {
                Some(name) => Some(resolve_process(self, name, "parent")?),
                None => None,
            };
            let session = match &p.session {
                Some(name) => match index_of.get(name) {
                    Some(&i) if matches!(earlier[i].action, StepAction::Logon { .. }) => {
                        let StepAction::Logon { params: logon } = &earlier[i].action else {
                            unreachable!("matched a logon step above")
                        };
                        if p.parent.is_none()
                            && !SERVICE_STARTED_LOGON_TYPES.contains(&logon.logon_type)
                        {
                            self.error_at(
                                line,
                                format!(
                                    "step `{}` runs in logon session `{name}` (type {}) but names no `parent`",
                                    rs.id, logon.logon_type
                                ),
                                Some("in an interactive session, start the session's own shell first (e.g. userinit.exe → explorer.exe with `session:`) and give it as `parent`".into()),
                            );
                        }
                        Some(i)
                    }
                    _ => {
                        self.error_at(
                            key_line("session"),
                            format!("`session: {name}` must name an earlier `logon` step"),
                            None,
                        );
                        return None;
                    }
                },
                None => None,
            };
            if p.session.is_some() && p.user.is_some() {
                self.error_at(
                    key_line("user"),
                    "give either `user` or `session`, not both: a session has its own user".into(),
                    None,
                );
            }
            templates.push(("image", p.image.clone()));
            if let Some(c) = &p.command_line {
                templates.push(("command_line", c.clone()));
            }
            if let Some(c) = &p.current_directory {
                templates.push(("current_directory", c.clone()));
            }
            if let Some(u) = &p.user {
                users.push(("user", u.clone()));
            }
            StepAction::ProcessCreate {
                params: Box::new(p),
                parent,
                session,
            }
        } else if let Some(p) = rs.network_connect {
            let process = resolve_process(self, &p.process.clone(), "process")?;
            StepAction::NetworkConnect { params: p, process }
        } else if let Some(p) = rs.dns_query {
            let process = resolve_process(self, &p.process.clone(), "process")?;
            templates.push(("query", p.query.clone()));
            StepAction::DnsQuery { params: p, process }
        } else if let Some(p) = rs.file_create {
            let process = resolve_process(self, &p.process.clone(), "process")?;
            templates.push(("path", p.path.clone()));
            StepAction::FileCreate { params: p, process }
        } else if let Some(p) = rs.registry_set {
            let process = resolve_process(self, &p.process.clone(), "process")?;
            let hive_ok = matches!(p.key.segments.first(), Some(template::Segment::Literal(first)) if crate::plan::known_hive(first));
            if !hive_ok {
                self.error_at(
                    key_line("key"),
                    format!("registry key `{}` does not start with a hive", p.key),
                    Some("start with HKLM\\, HKCU\\, HKU\\ or HKCR\\ (or their long forms)".into()),
                );
            }
            let numeric = matches!(
                p.value_type,
                RegistryValueType::Dword | RegistryValueType::Qword
            );
            if numeric && crate::plan::parse_number(&p.data.source).is_none() {
                self.error_at(
                    key_line("data"),
                    format!(
                        "`{}` is not a number for a {} value",
                        p.data,
                        if p.value_type == RegistryValueType::Dword {
                            "dword"
                        } else {
                            "qword"
                        }
                    ),
                    Some("write a decimal or 0x-prefixed hexadecimal number".into()),
                );
            }
            templates.push(("key", p.key.clone()));
            templates.push(("data", p.data.clone()));
            StepAction::RegistrySet { params: p, process }
        } else if let Some(p) = rs.image_load {
            let process = resolve_process(self, &p.process.clone(), "process")?;
            match (p.signed, &p.signature) {
                (Some(false), Some(signer)) => self.error_at(
                    key_line("signature"),
                    format!("module is `signed: false` but names signer `{signer}`"),
                    Some("drop `signature`, or drop `signed: false`".into()),
                ),
                (Some(true), None) => self.error_at(
                    key_line("signed"),
                    "`signed: true` needs the signer's name in `signature`".into(),
                    Some("e.g. `signature: Microsoft Windows`".into()),
                ),
                _ => {}
            }
            templates.push(("path", p.path.clone()));
            StepAction::ImageLoad { params: p, process }
        } else if let Some(p) = rs.logon {
            if !VALID_LOGON_TYPES.contains(&p.logon_type) {
                self.error_at(
                    key_line("logon_type"),
                    format!("logon type {} does not exist", p.logon_type),
                    Some("Windows logon types: 2, 3, 4, 5, 7, 8, 9, 10, 11".into()),
                );
            }
            users.push(("user", p.user.clone()));
            StepAction::Logon { params: p }
        } else if let Some(p) = rs.entra_signin {
            let problems = cloud::check_signin(&self.env.cloud, &p);
            self.report_cloud(problems, "entra_signin", line, key_line);
            let session = match &p.session {
                Some(name) => match index_of.get(name) {
                    Some(&i) if matches!(earlier[i].action, StepAction::EntraSignin { .. }) => {
                        Some(i)
                    }
                    _ => {
                        self.error_at(
                            key_line("session"),
                            format!("`session: {name}` must name an earlier `entra_signin` step"),
                            Some(
                                "a sign-in continues the session of a sign-in written above it"
                                    .into(),
                            ),
                        );
                        return None;
                    }
                },
                None => None,
            };
            StepAction::EntraSignin { params: p, session }
        } else if let Some(p) = rs.entra_audit {
            let problems = cloud::check_audit(&self.env.cloud, &p);
            self.report_cloud(problems, "entra_audit", line, key_line);
            StepAction::EntraAudit { params: p }
        } else if let Some(p) = rs.azure_activity {
            let problems = cloud::check_activity(&self.env.cloud, &p);
            self.report_cloud(problems, "azure_activity", line, key_line);
            StepAction::AzureActivity { params: p }
        } else {
            unreachable!("exactly one action kind was checked above")
        };

        for (key, template) in &templates {
            for name in template.placeholders() {
                if !vars.contains_key(name) && !BUILTINS.contains(&name) {
                    self.error_at(
                        key_line(key),
                        format!(
                            "`{{{{{name}}}}}` in `{key}` is neither a spec variable nor a built-in"
                        ),
                        Some(format!(
                            "built-ins: {}; define others under `vars:`",
                            BUILTINS.join(", ")
                        )),
                    );
                }
            }
        }
        for (key, user) in users {
            if self.env.user(&user).is_none() {
                self.error_at(
                    key_line(key),
                    format!("user `{user}` is not in the environment"),
                    Some(format!("users: {}", self.env.user_keys().join(", "))),
                );
            }
        }

        Some(Step {
            id: rs.id,
            line,
            technique: rs.technique,
            description: rs.description.map(|d| d.trim().to_string()),
            benign: rs.benign,
            after,
            delay: rs.delay.unwrap_or(DelayRange::DEFAULT),
            action,
        })
    }
}

/// The spec id: the file name without directory and extension.
pub fn spec_id(path: &str) -> String {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file.strip_suffix(".yaml")
        .or_else(|| file.strip_suffix(".yml"))
        .unwrap_or(file)
        .to_string()
}

/// Lines of each step's `id:` key, found in the text because serde does not keep
/// positions of values; falls back to the line of `steps:`.
fn step_lines(text: &str, steps: &[RawStep]) -> Vec<usize> {
    let steps_line = find_key_line(text, 1, usize::MAX, "steps").unwrap_or(1);
    let mut from = steps_line;
    steps
        .iter()
        .map(|s| {
            let found = text
                .lines()
                .enumerate()
                .skip(from)
                .find(|(_, l)| {
                    let t = l.trim_start().trim_start_matches("- ").trim();
                    t.strip_prefix("id:")
                        .map(|v| v.trim().trim_matches(['"', '\'']) == s.id)
                        .unwrap_or(false)
                })
                .map(|(i, _)| i + 1);
            match found {
                Some(l) => {
                    from = l;
                    l
                }
                None => steps_line,
            }
        })
        .collect()
}

/// First line in `[from, to)` (1-based) whose key is `key`.
fn find_key_line(text: &str, from: usize, to: usize, key: &str) -> Option<usize> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .skip(from.saturating_sub(1))
        .take_while(|(n, _)| *n < to)
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|(n, _)| n)
}

#[cfg(test)]
mod tests;
