//! Logon constraints: a LogonId belongs to one account; the processes of a
//! session start after its logon; the two logons of a UAC split token name
//! each other.

use std::collections::BTreeMap;

use super::facts::{Account, Facts, Logon, Schema, shown_time};
use super::{Constraint, Finding};
use crate::action::Micros;

/// LogonIds below this are the fixed sessions Windows creates at boot
/// (0x3e7 SYSTEM, 0x3e4 NETWORK SERVICE, 0x3e5 LOCAL SERVICE, 0x3e3 IUSR):
/// their logon is never inside a bundle's window.
const FIRST_DYNAMIC_LOGON_ID: u64 = 0x3e8;

pub fn check(facts: &Facts, out: &mut Vec<Finding>) {
    accounts(facts, out);
    order(facts, out);
    linked(facts, out);
}

/// Machine accounts (`WS-0142$`) stand for SYSTEM and the network service in
/// Security subjects, so their names are not compared with others.
fn comparable_name(account: &Account) -> Option<String> {
    account
        .name
        .as_ref()
        .filter(|n| !n.ends_with('$'))
        .map(|n| n.to_lowercase())
}

fn accounts(facts: &Facts, out: &mut Vec<Finding>) {
    // (host, LogonId) → every (event, account) that names it.
    let mut named: BTreeMap<(&str, u64), Vec<(usize, &Account)>> = BTreeMap::new();
    for l in &facts.logons {
        named
            .entry((&facts.events[l.event].host, l.logon_id))
            .or_default()
            .push((l.event, &l.account));
    }
    for u in &facts.logon_uses {
        named
            .entry((&facts.events[u.event].host, u.logon_id))
            .or_default()
            .push((u.event, &u.account));
    }
    for ((host, logon_id), list) in named {
        let mut sids: Vec<(&str, usize)> = Vec::new();
        let mut names: Vec<(String, usize)> = Vec::new();
        for (event, account) in &list {
            if let Some(sid) = account.sid.as_deref() {
                if !sids.iter().any(|(s, _)| s.eq_ignore_ascii_case(sid)) {
                    sids.push((sid, *event));
                }
            }
            if let Some(name) = comparable_name(account) {
                if !names.iter().any(|(n, _)| *n == name) {
                    names.push((name, *event));
                }
            }
        }
        for (what, distinct) in [
            (
                "SIDs",
                sids.iter()
                    .map(|(s, e)| (s.to_string(), *e))
                    .collect::<Vec<_>>(),
            ),
            ("account names", names),
        ] {
            if distinct.len() > 1 {
                let shown: Vec<String> = distinct
                    .iter()
                    .map(|(v, e)| format!("{v} (event {})", e + 1))
                    .collect();
                out.push(Finding::new(
                    Constraint::LogonAccount,
                    distinct.iter().map(|(_, e)| *e).collect(),
                    format!(
                        "LogonId {logon_id:#x} on {host} has {what} {}",
                        shown.join(" and ")
                    ),
                ));
            }
        }
    }
}

/// Milliseconds: Sysmon writes process times to the millisecond, so finer
/// differences are not evidence.
fn millis(t: Micros) -> Micros {
    t.div_euclid(1000)
}

fn order(facts: &Facts, out: &mut Vec<Finding>) {
    let mut first_logon: BTreeMap<(&str, u64), &Logon> = BTreeMap::new();
    for l in &facts.logons {
        let entry = first_logon
            .entry((&facts.events[l.event].host, l.logon_id))
            .or_insert(l);
        if l.time < entry.time {
            *entry = l;
        }
    }
    for u in &facts.logon_uses {
        let Some(start) = u.process_start else {
            continue;
        };
        if u.logon_id < FIRST_DYNAMIC_LOGON_ID {
            continue;
        }
        let host = facts.events[u.event].host.as_str();
        if let Some(logon) = first_logon.get(&(host, u.logon_id)) {
            if millis(start) < millis(logon.time) {
                out.push(Finding::new(
                    Constraint::LogonOrder,
                    vec![logon.event, u.event],
                    format!(
                        "a process of logon session {:#x} starts at {}, before the session's logon at {}",
                        u.logon_id,
                        shown_time(start),
                        shown_time(logon.time)
                    ),
                ));
            }
        }
    }
}

fn linked(facts: &Facts, out: &mut Vec<Finding>) {
    for a in &facts.logons {
        let Some(other) = a.linked else { continue };
        let host = &facts.events[a.event].host;
        for b in facts
            .logons
            .iter()
            .filter(|b| b.logon_id == other && facts.events[b.event].host == *host)
        {
            // Defender's logon rows do not carry the linked LogonId.
            let names_back =
                facts.events[b.event].schema != Schema::Security || b.linked == Some(a.logon_id);
            let same_account = match (&a.account.sid, &b.account.sid) {
                (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
                _ => true,
            };
            if !names_back || !same_account {
                out.push(Finding::new(
                    Constraint::LogonLinked,
                    vec![a.event, b.event],
                    format!(
                        "logon {:#x} of {} is linked to {:#x}, whose logon is of {} and links to {}",
                        a.logon_id,
                        a.account.shown(),
                        other,
                        b.account.shown(),
                        b.linked.map_or("nothing".to_string(), |l| format!("{l:#x}"))
                    ),
                ));
            }
        }
    }
}
