//! Process constraints: parents start before their children and are described
//! alike by every record; the logs of one creation agree with each other;
//! processes act only while alive; a PID belongs to one live process at a time.
//!
//! A process is identified by what the records give: Sysmon's `ProcessGuid`,
//! or Defender's process id together with its creation time. Security 4688
//! names processes only by PID, which Windows reuses, so its records take part
//! only through the cross-source comparison of one creation.

use std::collections::BTreeMap;

use super::facts::{Creation, Facts, ProcessView, Schema, shown_time};
use super::{Constraint, Finding};
use crate::action::Micros;

/// Records of one creation in different logs are at most this far apart (the
/// Security log writes 4688 a little after the process starts).
const SAME_CREATION_MICROS: Micros = 1_000_000;

pub fn check(facts: &Facts, out: &mut Vec<Finding>) {
    let index = Index::build(facts);
    parents(facts, &index, out);
    identity_and_liveness(facts, &index, out);
    pid_reuse(facts, &index, out);
    cross_source(facts, out);
}

/// Where each identifiable process's creation is.
struct Index<'a> {
    /// (host, ProcessGuid) → Sysmon creation.
    by_guid: BTreeMap<(&'a str, &'a str), &'a Creation>,
    /// (host, pid, creation time) → Defender creation.
    by_pid_start: BTreeMap<(&'a str, u64, Micros), &'a Creation>,
    /// (host, ProcessGuid) → earliest Sysmon exit (time, event).
    exits: BTreeMap<(&'a str, &'a str), (Micros, usize)>,
}

impl<'a> Index<'a> {
    fn build(facts: &'a Facts) -> Index<'a> {
        let mut index = Index {
            by_guid: BTreeMap::new(),
            by_pid_start: BTreeMap::new(),
            exits: BTreeMap::new(),
        };
        for c in &facts.creations {
            let e = &facts.events[c.event];
            match (e.schema, &c.child.guid, c.child.pid, c.child.start) {
                (Schema::Sysmon, Some(g), _, _) => {
                    index.by_guid.entry((&e.host, g)).or_insert(c);
                }
                (Schema::Defender, _, Some(pid), Some(start)) => {
                    index.by_pid_start.entry((&e.host, pid, start)).or_insert(c);
                }
                _ => {}
            }
        }
        for x in &facts.exits {
            let e = &facts.events[x.event];
            if let (Schema::Sysmon, Some(g)) = (e.schema, &x.process.guid) {
                let entry = index.exits.entry((&e.host, g)).or_insert((x.time, x.event));
                if x.time < entry.0 {
                    *entry = (x.time, x.event);
                }
            }
        }
        index
    }

    /// The creation record of the process `view` names on `host`, if present.
    fn creation_of(
        &self,
        host: &'a str,
        schema: Schema,
        view: &ProcessView,
    ) -> Option<&'a Creation> {
        match schema {
            Schema::Sysmon => self.by_guid.get(&(host, view.guid.as_deref()?)).copied(),
            Schema::Defender => self
                .by_pid_start
                .get(&(host, view.pid?, view.start?))
                .copied(),
            _ => None,
        }
    }
}

fn same_text(a: &Option<String>, b: &Option<String>, ignore_case: bool) -> bool {
    match (a, b) {
        (Some(a), Some(b)) if ignore_case => a.eq_ignore_ascii_case(b),
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

fn same_number(a: Option<u64>, b: Option<u64>) -> bool {
    a.zip(b).is_none_or(|(a, b)| a == b)
}

/// Where a view and the process's own record differ, as `field a vs b` parts.
fn differences(named: &ProcessView, own: &ProcessView, with_command_line: bool) -> Vec<String> {
    let mut parts = Vec::new();
    if !same_number(named.pid, own.pid) {
        parts.push(format!(
            "PID {} vs {}",
            named.pid.unwrap_or_default(),
            own.pid.unwrap_or_default()
        ));
    }
    if !same_text(&named.image, &own.image, true) {
        parts.push(format!(
            "image {:?} vs {:?}",
            named.image.as_deref().unwrap_or_default(),
            own.image.as_deref().unwrap_or_default()
        ));
    }
    if !same_text(&named.user, &own.user, false) {
        parts.push(format!(
            "user {:?} vs {:?}",
            named.user.as_deref().unwrap_or_default(),
            own.user.as_deref().unwrap_or_default()
        ));
    }
    if with_command_line && !same_text(&named.command_line, &own.command_line, false) {
        parts.push(format!(
            "command line {:?} vs {:?}",
            named.command_line.as_deref().unwrap_or_default(),
            own.command_line.as_deref().unwrap_or_default()
        ));
    }
    parts
}

fn parents(facts: &Facts, index: &Index, out: &mut Vec<Finding>) {
    for c in &facts.creations {
        let e = &facts.events[c.event];
        // Defender states both creation times in the child's own row.
        if let (Some(parent), Some(child)) = (c.parent.start, c.child.start) {
            if parent > child {
                out.push(Finding::new(
                    Constraint::ProcessParentOrder,
                    vec![c.event],
                    format!(
                        "process {} starts at {} but its parent (PID {}) starts later, at {}",
                        c.child.pid.unwrap_or_default(),
                        shown_time(child),
                        c.parent.pid.unwrap_or_default(),
                        shown_time(parent)
                    ),
                ));
            }
        }
        let Some(p) = index.creation_of(&e.host, e.schema, &c.parent) else {
            continue;
        };
        if let (Some(parent), Some(child)) = (p.child.start, c.child.start) {
            if parent > child && c.parent.start.is_none() {
                out.push(Finding::new(
                    Constraint::ProcessParentOrder,
                    vec![p.event, c.event],
                    format!(
                        "process {} starts at {} before its parent {} (created at {})",
                        c.child.pid.unwrap_or_default(),
                        shown_time(child),
                        p.child.pid.unwrap_or_default(),
                        shown_time(parent)
                    ),
                ));
            }
        }
        let parts = differences(&c.parent, &p.child, true);
        if !parts.is_empty() {
            out.push(Finding::new(
                Constraint::ProcessParentMismatch,
                vec![p.event, c.event],
                format!(
                    "the child's record describes its parent unlike the parent's creation: {}",
                    parts.join(", ")
                ),
            ));
        }
    }
    // Defender rows also name the acting process's parent.
    for a in &facts.acts {
        let e = &facts.events[a.event];
        if let (Some(parent), Some(actor)) = (a.parent.start, a.actor.start) {
            if parent > actor {
                out.push(Finding::new(
                    Constraint::ProcessParentOrder,
                    vec![a.event],
                    format!(
                        "initiating process {} starts at {} but its parent (PID {}) starts later, at {}",
                        a.actor.pid.unwrap_or_default(),
                        shown_time(actor),
                        a.parent.pid.unwrap_or_default(),
                        shown_time(parent)
                    ),
                ));
            }
        }
        if a.parent.pid.is_none() {
            continue;
        }
        if let Some(own) = index.creation_of(&e.host, e.schema, &a.actor) {
            let stated = (a.parent.pid, a.parent.start);
            let created = (own.parent.pid, own.parent.start);
            if own.event != a.event
                && created.0.is_some()
                && created.1.is_some()
                && stated.1.is_some()
                && stated != created
            {
                out.push(Finding::new(
                    Constraint::ProcessParentMismatch,
                    vec![own.event, a.event],
                    format!(
                        "the row names the initiating process's parent as PID {} started {}, its creation as PID {} started {}",
                        stated.0.unwrap_or_default(),
                        stated.1.map(shown_time).unwrap_or_default(),
                        created.0.unwrap_or_default(),
                        created.1.map(shown_time).unwrap_or_default()
                    ),
                ));
            }
        }
    }
}

fn identity_and_liveness(facts: &Facts, index: &Index, out: &mut Vec<Finding>) {
    let mut is_creation = vec![false; facts.events.len()];
    for c in &facts.creations {
        is_creation[c.event] = true;
    }
    for a in &facts.acts {
        let e = &facts.events[a.event];
        // Defender states the actor's creation time in every row.
        if let Some(start) = a.actor.start {
            if start > a.time {
                out.push(Finding::new(
                    Constraint::ProcessNotLive,
                    vec![a.event],
                    format!(
                        "process {} acts at {} but was created at {}",
                        a.actor.pid.unwrap_or_default(),
                        shown_time(a.time),
                        shown_time(start)
                    ),
                ));
            }
        }
        if let Some(own) = index.creation_of(&e.host, e.schema, &a.actor) {
            if let Some(start) = own
                .child
                .start
                .filter(|s| *s > a.time && a.actor.start.is_none())
            {
                out.push(Finding::new(
                    Constraint::ProcessNotLive,
                    vec![own.event, a.event],
                    format!(
                        "process {} acts at {} before its creation at {}",
                        own.child.pid.unwrap_or_default(),
                        shown_time(a.time),
                        shown_time(start)
                    ),
                ));
            }
            // A creation row's initiating process is the parent, checked above.
            if !is_creation[a.event] {
                let with_command_line = e.schema == Schema::Defender;
                let parts = differences(&a.actor, &own.child, with_command_line);
                if !parts.is_empty() {
                    out.push(Finding::new(
                        Constraint::ProcessIdentity,
                        vec![own.event, a.event],
                        format!(
                            "the record names its process unlike the process's creation: {}",
                            parts.join(", ")
                        ),
                    ));
                }
            }
        }
        if let Some(guid) = a.actor.guid.as_deref() {
            if let Some(&(exit, exit_event)) = index.exits.get(&(e.host.as_str(), guid)) {
                if exit < a.time {
                    out.push(Finding::new(
                        Constraint::ProcessNotLive,
                        vec![exit_event, a.event],
                        format!(
                            "process {guid} acts at {} after it exited at {}",
                            shown_time(a.time),
                            shown_time(exit)
                        ),
                    ));
                }
            }
        }
    }
    // A parent that exited cannot create a child.
    for c in &facts.creations {
        let e = &facts.events[c.event];
        let (Some(guid), Some(start)) = (c.parent.guid.as_deref(), c.child.start) else {
            continue;
        };
        if let Some(&(exit, exit_event)) = index.exits.get(&(e.host.as_str(), guid)) {
            if exit < start {
                out.push(Finding::new(
                    Constraint::ProcessNotLive,
                    vec![exit_event, c.event],
                    format!(
                        "process {guid} creates a child at {} after it exited at {}",
                        shown_time(start),
                        shown_time(exit)
                    ),
                ));
            }
        }
    }
}

/// What the records show of one identifiable process: its PID and when it
/// was seen alive.
struct Seen {
    pid: u64,
    first: (Micros, usize),
    last: (Micros, usize),
    label: String,
}

impl Seen {
    fn at(&mut self, time: Micros, event: usize) {
        if time < self.first.0 {
            self.first = (time, event);
        }
        if time > self.last.0 {
            self.last = (time, event);
        }
    }
}

fn pid_reuse(facts: &Facts, index: &Index, out: &mut Vec<Finding>) {
    // Identity → sightings, per family of identity (Sysmon GUIDs and Defender
    // (PID, creation time) keys never mix: the same process has one of each).
    type Key = (String, Schema, String);
    let mut seen: BTreeMap<Key, Seen> = BTreeMap::new();
    let mut sight = |host: &str, schema: Schema, view: &ProcessView, time: Micros, event: usize| {
        let (id, pid) = match (schema, &view.guid, view.pid, view.start) {
            (Schema::Sysmon, Some(g), pid, _) => {
                let pid = pid.or_else(|| index.by_guid.get(&(host, g.as_str()))?.child.pid);
                (g.clone(), pid)
            }
            (Schema::Defender, _, Some(pid), Some(start)) => (format!("{pid}@{start}"), Some(pid)),
            _ => return,
        };
        let Some(pid) = pid else { return };
        seen.entry((host.to_string(), schema, id.clone()))
            .and_modify(|s| s.at(time, event))
            .or_insert_with(|| Seen {
                pid,
                first: (time, event),
                last: (time, event),
                label: match schema {
                    Schema::Sysmon => format!("{{{id}}}"),
                    _ => format!("created {}", view.start.map(shown_time).unwrap_or_default()),
                },
            });
    };
    for c in &facts.creations {
        let e = &facts.events[c.event];
        if let Some(start) = c.child.start {
            sight(&e.host, e.schema, &c.child, start, c.event);
            sight(&e.host, e.schema, &c.parent, start, c.event);
        }
    }
    for a in &facts.acts {
        let e = &facts.events[a.event];
        sight(&e.host, e.schema, &a.actor, a.time, a.event);
        if let Some(actor_start) = a.actor.start {
            sight(&e.host, e.schema, &a.parent, actor_start, a.event);
        }
    }
    for x in &facts.exits {
        let e = &facts.events[x.event];
        sight(&e.host, e.schema, &x.process, x.time, x.event);
    }
    let mut by_pid: BTreeMap<(&str, Schema, u64), Vec<&Seen>> = BTreeMap::new();
    for ((host, schema, _), s) in &seen {
        by_pid.entry((host, *schema, s.pid)).or_default().push(s);
    }
    for ((host, _, pid), mut list) in by_pid {
        list.sort_by_key(|s| s.first);
        for (i, earlier) in list.iter().enumerate() {
            for later in &list[i + 1..] {
                if earlier.last.0 > later.first.0 {
                    out.push(Finding::new(
                        Constraint::ProcessPidReuse,
                        vec![later.first.1, earlier.last.1],
                        format!(
                            "PID {pid} on {host} belongs to process {} from {} while process {} still has it at {}",
                            later.label,
                            shown_time(later.first.0),
                            earlier.label,
                            shown_time(earlier.last.0)
                        ),
                    ));
                }
            }
        }
    }
}

/// One field of a creation as each schema records it.
struct Field {
    name: &'static str,
    value: fn(&Creation) -> Option<String>,
}

const CREATION_FIELDS: [Field; 9] = [
    Field {
        name: "PID",
        value: |c| c.child.pid.map(|p| p.to_string()),
    },
    Field {
        name: "image",
        value: |c| c.child.image.as_ref().map(|s| s.to_ascii_lowercase()),
    },
    Field {
        name: "command line",
        value: |c| c.child.command_line.clone(),
    },
    Field {
        name: "parent PID",
        value: |c| c.parent.pid.map(|p| p.to_string()),
    },
    Field {
        name: "parent image",
        value: |c| c.parent.image.as_ref().map(|s| s.to_ascii_lowercase()),
    },
    Field {
        name: "parent command line",
        value: |c| c.parent.command_line.clone(),
    },
    Field {
        name: "user",
        value: |c| c.child.user.clone(),
    },
    Field {
        name: "parent's user",
        value: |c| c.parent.user.clone(),
    },
    Field {
        name: "LogonId",
        value: |c| c.child.logon_id.map(|p| format!("{p:#x}")),
    },
];

/// Records of the same creation in different logs: same host, close in time,
/// agreeing on at least two of PID, image and command line (so that one wrong
/// value is reported rather than splitting the creation in two), and each the
/// other's best match in the other's log (most agreement, then closest in
/// time) — many identical commands started together stay distinct processes.
fn cross_source(facts: &Facts, out: &mut Vec<Finding>) {
    let creations = &facts.creations;
    // (start, host, source, identifying values) of each creation with a start.
    type Key<'a> = (Micros, &'a str, &'a str, [Option<String>; 3]);
    let keys: Vec<Option<Key>> = creations
        .iter()
        .map(|c| {
            let e = &facts.events[c.event];
            let values = [0, 1, 2].map(|f| (CREATION_FIELDS[f].value)(c));
            c.child
                .start
                .map(|t| (t, e.host.as_str(), e.source.as_str(), values))
        })
        .collect();
    let mut by_start: Vec<usize> = (0..creations.len())
        .filter(|i| keys[*i].is_some())
        .collect();
    by_start.sort_by_key(|i| keys[*i].as_ref().map(|k| k.0));
    // (creation, other source) → (agreement, time apart, candidate): its best match there.
    let mut best: BTreeMap<(usize, &str), (std::cmp::Reverse<usize>, Micros, usize)> =
        BTreeMap::new();
    for (n, &i) in by_start.iter().enumerate() {
        let Some((ti, host_i, source_i, values_i)) = &keys[i] else {
            continue;
        };
        for &j in &by_start[n + 1..] {
            let Some((tj, host_j, source_j, values_j)) = &keys[j] else {
                continue;
            };
            if tj - ti > SAME_CREATION_MICROS {
                break;
            }
            if host_i != host_j || source_i == source_j {
                continue;
            }
            let agree = values_i
                .iter()
                .zip(values_j)
                .filter(|(x, y)| x.is_some() && x == y)
                .count();
            if agree < 2 {
                continue;
            }
            let candidate = (std::cmp::Reverse(agree), tj - ti, 0);
            for (me, other, other_source) in [(i, j, *source_j), (j, i, *source_i)] {
                let entry =
                    best.entry((me, other_source))
                        .or_insert((candidate.0, candidate.1, other));
                if (candidate.0, candidate.1, other) < *entry {
                    *entry = (candidate.0, candidate.1, other);
                }
            }
        }
    }
    let mut group: Vec<usize> = (0..creations.len()).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while group[i] != i {
            group[i] = group[group[i]];
            i = group[i];
        }
        i
    }
    for (&(i, _), &(_, _, j)) in &best {
        let source_i = keys[i].as_ref().map(|k| k.2).unwrap_or_default();
        let mutual = best.get(&(j, source_i)).is_some_and(|m| m.2 == i);
        if mutual {
            let (ri, rj) = (root(&mut group, i), root(&mut group, j));
            group[ri.max(rj)] = ri.min(rj);
        }
    }
    let mut groups: BTreeMap<usize, Vec<&Creation>> = BTreeMap::new();
    for (i, c) in creations.iter().enumerate() {
        let r = root(&mut group, i);
        groups.entry(r).or_default().push(c);
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        for field in &CREATION_FIELDS {
            // Distinct values in order of first appearance, with who said them.
            let mut values: Vec<(String, Vec<&str>, Vec<usize>)> = Vec::new();
            for c in members {
                let Some(v) = (field.value)(c) else { continue };
                let source = facts.events[c.event].source.as_str();
                match values.iter_mut().find(|(x, _, _)| *x == v) {
                    Some((_, sources, events)) => {
                        sources.push(source);
                        events.push(c.event);
                    }
                    None => values.push((v, vec![source], vec![c.event])),
                }
            }
            if values.len() > 1 {
                let said: Vec<String> = values
                    .iter()
                    .map(|(v, sources, _)| format!("{v:?} ({})", sources.join(", ")))
                    .collect();
                out.push(Finding::new(
                    Constraint::ProcessCrossSource,
                    values.iter().flat_map(|(_, _, e)| e.clone()).collect(),
                    format!(
                        "records of one process creation disagree on its {}: {}",
                        field.name,
                        said.join(" vs ")
                    ),
                ));
            }
        }
    }
}
