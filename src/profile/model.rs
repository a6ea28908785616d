//! The profile file as written (serde, unknown keys denied) and validated:
//! users must exist in the environment, rates must be positive, and each
//! activity's steps are checked by the spec validator at their own lines.

use serde::Deserialize;

use crate::diagnostic::SourceError;
use crate::environment::{AccountKind, Environment};
use crate::spec::model::RawStep;
use crate::spec::{Step, parse_benign_steps};

/// The profile format version this build reads.
pub const PROFILE_FORMAT: u32 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    #[serde(default)]
    format: Option<u32>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    /// Interactive users whose desktops background activity happens on.
    users: Vec<String>,
    activities: Vec<RawActivity>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivity {
    id: String,
    #[serde(default)]
    description: Option<String>,
    rate_per_hour: f64,
    steps: Vec<RawStep>,
}

#[derive(Debug, Clone)]
pub struct Profile {
    /// Recorded in the bundle header's `profile`.
    pub name: String,
    pub description: Option<String>,
    /// Keys of interactive environment users, in file order.
    pub users: Vec<String>,
    pub activities: Vec<Activity>,
}

#[derive(Debug, Clone)]
pub struct Activity {
    pub id: String,
    pub description: Option<String>,
    /// Expected occurrences per hour at `--background-rate 1`.
    pub rate_per_hour: f64,
    /// Benign steps; references point at earlier steps of this template.
    pub steps: Vec<Step>,
}

impl Profile {
    /// Parse and validate a profile; every problem is returned, each at its line.
    pub fn parse(path: &str, text: &str, env: &Environment) -> Result<Profile, Vec<SourceError>> {
        let raw: RawProfile = serde_norway::from_str(text)
            .map_err(|e| vec![SourceError::from_yaml(path, text, &e)])?;
        let mut errors = Vec::new();
        let at = |line: usize, message: String, help: &str| {
            SourceError::at_line(path, text, line, message).with_help(help)
        };
        if let Some(v) = raw.format.filter(|v| *v != PROFILE_FORMAT) {
            errors.push(at(
                key_line(text, 1, usize::MAX, "format").unwrap_or(1),
                format!("profile format {v} is not supported; this rulecheck reads format {PROFILE_FORMAT}"),
                "remove `format` or write `format: 1`",
            ));
        }
        let users_line = key_line(text, 1, usize::MAX, "users").unwrap_or(1);
        if raw.users.is_empty() {
            errors.push(at(
                users_line,
                "`users` is empty".into(),
                "name the interactive users background activity runs as",
            ));
        }
        for user in &raw.users {
            if !env
                .user(user)
                .is_some_and(|u| u.kind == AccountKind::Interactive)
            {
                let known: Vec<&str> = env
                    .users
                    .iter()
                    .filter(|u| u.kind == AccountKind::Interactive)
                    .map(|u| u.key)
                    .collect();
                errors.push(at(
                    users_line,
                    format!("`{user}` is not an interactive user of the environment"),
                    &format!("interactive users: {}", known.join(", ")),
                ));
            }
        }
        if raw.activities.is_empty() {
            errors.push(at(
                key_line(text, 1, usize::MAX, "activities").unwrap_or(1),
                "a profile needs at least one activity".into(),
                "see docs/profiles.md",
            ));
        }

        let lines = activity_lines(text, &raw.activities);
        let mut activities: Vec<Activity> = Vec::new();
        for (i, ra) in raw.activities.into_iter().enumerate() {
            let line = lines[i];
            let end = lines.get(i + 1).copied().unwrap_or(usize::MAX);
            if activities.iter().any(|a| a.id == ra.id) {
                errors.push(at(
                    line,
                    format!("activity id `{}` is used twice", ra.id),
                    "activity ids label background events; make them unique",
                ));
            }
            if !(ra.rate_per_hour.is_finite() && ra.rate_per_hour > 0.0) {
                errors.push(at(
                    key_line(text, line, end, "rate_per_hour").unwrap_or(line),
                    format!(
                        "rate_per_hour {} is not a positive number",
                        ra.rate_per_hour
                    ),
                    "write the expected occurrences per hour, e.g. `rate_per_hour: 12` or `0.5`",
                ));
            }
            if let Some(s) = ra.steps.iter().find(|s| s.technique.is_some()) {
                errors.push(at(
                    step_line(text, line, end, &s.id),
                    format!("step `{}` of a profile has a technique", s.id),
                    "profile activity is benign: remove `technique`",
                ));
                continue;
            }
            let mut raw_steps = ra.steps;
            for s in &mut raw_steps {
                s.benign = true;
            }
            // The spec validator finds steps by their `id:` lines: show it only
            // this activity, keeping the file's line numbers.
            let only_this = blank_outside(text, line, end);
            match parse_benign_steps(path, &only_this, raw_steps, env) {
                Ok(steps) => activities.push(Activity {
                    id: ra.id,
                    description: ra.description,
                    rate_per_hour: ra.rate_per_hour,
                    steps,
                }),
                // Re-anchor on the whole file so the snippet shows its context.
                Err(step_errors) => errors.extend(step_errors.into_iter().map(|e| {
                    let mut full = SourceError::at_line(
                        path,
                        text,
                        e.line().unwrap_or(line),
                        e.message.clone(),
                    );
                    full.help = e.help.clone();
                    full
                })),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Profile {
            name: raw.name,
            description: raw.description.map(|d| d.trim().to_string()),
            users: raw.users,
            activities,
        })
    }
}

/// `text` with every line outside `[from, to)` (1-based) emptied.
fn blank_outside(text: &str, from: usize, to: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, l) in text.lines().enumerate() {
        let n = i + 1;
        if n >= from && n < to {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

/// 1-based line of each activity's `id:` under `activities:`.
fn activity_lines(text: &str, activities: &[RawActivity]) -> Vec<usize> {
    let start = key_line(text, 1, usize::MAX, "activities").unwrap_or(1);
    let mut from = start;
    activities
        .iter()
        .map(|a| {
            // An activity's `- id:` is the list item directly under `activities:`;
            // its steps' ids are indented further.
            let found = text
                .lines()
                .enumerate()
                .skip(from)
                .find(|(_, l)| {
                    let t = l.trim_start();
                    t.starts_with("- ")
                        && l.len() - t.len() <= 2
                        && t[2..]
                            .trim_start()
                            .strip_prefix("id:")
                            .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == a.id)
                })
                .map(|(i, _)| i + 1);
            match found {
                Some(l) => {
                    from = l;
                    l
                }
                None => start,
            }
        })
        .collect()
}

fn step_line(text: &str, from: usize, to: usize, id: &str) -> usize {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .skip(from)
        .take_while(|(n, _)| *n < to)
        .find(|(_, l)| {
            l.trim_start()
                .trim_start_matches("- ")
                .strip_prefix("id:")
                .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == id)
        })
        .map(|(n, _)| n)
        .unwrap_or(from)
}

/// First line in `[from, to)` (1-based) whose key is `key`.
fn key_line(text: &str, from: usize, to: usize, key: &str) -> Option<usize> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .skip(from.saturating_sub(1))
        .take_while(|(n, _)| *n < to)
        .find(|(_, l)| {
            l.trim_start()
                .trim_start_matches("- ")
                .strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|(n, _)| n)
}
