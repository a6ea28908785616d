//! Rendering: each canonical action becomes the records of every log schema that
//! would observe it. Renderers are pure; randomness (logging latency, thread ids,
//! record numbers) comes from seeded streams so output is reproducible.
//!
//! Windows event logs (`sysmon`, `security`) are rendered as evtx records; the
//! same actions are also rendered as rows of Microsoft's tables (`defender`:
//! Defender XDR advanced hunting; `sentinel`: `SecurityEvent`), whose columns
//! come from `data/tables.yaml` (`row`). Cloud actions become rows of the
//! Log Analytics tables that record them: `entra` (`SigninLogs`, `AuditLogs`)
//! and `azure_activity` (`AzureActivity`).

pub mod azure_activity;
pub mod defender;
pub mod entra;
pub mod evtx;
pub mod row;
pub mod security;
pub mod sentinel;
pub mod sysmon;

use serde_json::Value;

use crate::action::Micros;
use crate::environment::Environment;
use crate::plan::Plan;
use crate::plan::rng::Rng;

/// The log or table a record belongs to. Names are the `source` labels in
/// bundles and the keys of the logsource routing table (`data/logsources.yaml`);
/// tables are named as in KQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Sysmon,
    Security,
    DeviceProcessEvents,
    DeviceNetworkEvents,
    DeviceFileEvents,
    DeviceRegistryEvents,
    DeviceLogonEvents,
    DeviceImageLoadEvents,
    DeviceEvents,
    SecurityEvent,
    SigninLogs,
    AuditLogs,
    AzureActivity,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Sysmon => "sysmon",
            Source::Security => "security",
            Source::DeviceProcessEvents => "DeviceProcessEvents",
            Source::DeviceNetworkEvents => "DeviceNetworkEvents",
            Source::DeviceFileEvents => "DeviceFileEvents",
            Source::DeviceRegistryEvents => "DeviceRegistryEvents",
            Source::DeviceLogonEvents => "DeviceLogonEvents",
            Source::DeviceImageLoadEvents => "DeviceImageLoadEvents",
            Source::DeviceEvents => "DeviceEvents",
            Source::SecurityEvent => "SecurityEvent",
            Source::SigninLogs => "SigninLogs",
            Source::AuditLogs => "AuditLogs",
            Source::AzureActivity => "AzureActivity",
        }
    }

    /// Whether records of this source are rows of a Microsoft table (flat JSON
    /// objects with the table's columns) rather than evtx records.
    pub fn is_table(self) -> bool {
        !matches!(self, Source::Sysmon | Source::Security)
    }

    /// Defender XDR tables number their rows with `ReportId`.
    fn is_defender(self) -> bool {
        matches!(
            self,
            Source::DeviceProcessEvents
                | Source::DeviceNetworkEvents
                | Source::DeviceFileEvents
                | Source::DeviceRegistryEvents
                | Source::DeviceLogonEvents
                | Source::DeviceImageLoadEvents
                | Source::DeviceEvents
        )
    }
}

/// The event logs that number records with `EventRecordID`, with the range of
/// their first number in a bundle, chosen so the numbers look like a log that
/// has been running for a while.
const RECORD_ID_BASES: [(Source, (u64, u64)); 2] = [
    (Source::Sysmon, (40_000, 400_000)),
    (Source::Security, (200_000, 2_000_000)),
];

/// One record produced by a renderer, before it is placed in the bundle.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// When the log wrote the record (its `SystemTime`; a table row's
    /// `Timestamp` or `TimeGenerated`).
    pub time: Micros,
    pub source: Source,
    pub record: Value,
    /// For table rows: when the cloud service ingested the row (KQL's
    /// `ingestion_time()`).
    pub ingested: Option<Micros>,
}

/// A rendered record attributed to the step whose action produced it.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub step: usize,
    pub rendered: Rendered,
}

/// Render every action of a plan, sorted by log time (ties keep action order),
/// with `EventRecordID`s numbered per log, and Defender `ReportId`s across its
/// tables, in that order.
pub fn render_plan(plan: &Plan, env: &Environment, label: &str) -> Vec<StepRecord> {
    let mut out = Vec::new();
    for (n, action) in plan.actions.iter().enumerate() {
        let mut rng = Rng::derive(plan.seed, &format!("{label}/render/{n}"));
        let logs: Vec<Rendered> = sysmon::render(plan, env, action, &mut rng)
            .into_iter()
            .chain(security::render(plan, env, action, &mut rng))
            .collect();
        // Tables draw from a stream of their own, so the event-log records stay
        // what they were before tables existed.
        let mut table_rng = Rng::derive(plan.seed, &format!("{label}/render/{n}/tables"));
        let mut tables = defender::render(plan, env, action, &mut table_rng);
        tables.extend(entra::render(env, action, &mut table_rng));
        tables.extend(azure_activity::render(env, action, &mut table_rng));
        for record in logs.iter().filter(|r| r.source == Source::Security) {
            tables.extend(sentinel::from_security(env, record, &mut table_rng));
        }
        for rendered in logs.into_iter().chain(tables) {
            out.push(StepRecord {
                step: action.step,
                rendered,
            });
        }
    }
    // Stable sort: equal times keep the order actions and renderers produced them.
    out.sort_by_key(|r| r.rendered.time);
    let mut rng = Rng::derive(plan.seed, &format!("{label}/record-ids"));
    let mut next_ids = RECORD_ID_BASES.map(|(s, (lo, hi))| (s, rng.between(lo, hi)));
    // Defender numbers a device's reports with one counter, whatever the table.
    let mut next_report =
        Rng::derive(plan.seed, &format!("{label}/report-ids")).between(2_000, 250_000);
    for r in &mut out {
        if let Some((_, next)) = next_ids.iter_mut().find(|(s, _)| *s == r.rendered.source) {
            evtx::set_record_id(&mut r.rendered.record, *next);
            *next += 1;
        } else if r.rendered.source.is_defender() {
            if let Some(slot) = r.rendered.record.get_mut("ReportId") {
                *slot = Value::from(next_report);
                next_report += 1;
            }
        }
    }
    out
}
