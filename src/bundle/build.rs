//! Spec → bundle: plan, render, label. Pure; the CLI writes the result.

use super::{
    BUNDLE_FORMAT, BUNDLE_VERSION, Bundle, Class, EventLine, Header, Labels, NarrativeStep,
};
use crate::binaries::BinaryCatalog;
use crate::environment::Environment;
use crate::plan::{self, Plan};
use crate::render::row::kql_datetime;
use crate::render::{evtx, render_plan};
use crate::spec::{ProcessRef, Spec, StepAction};

/// Name of the built-in environment, recorded in bundle headers.
pub const DEFAULT_PROFILE: &str = "default-workstation";

pub fn build_bundle(spec: &Spec, seed: u64, env: &Environment, catalog: &BinaryCatalog) -> Bundle {
    let plan = plan::plan(spec, seed, env, catalog);
    bundle_from_plan(spec, &plan, env)
}

/// Render and label a plan of `spec` (possibly mutated, `crate::mutate`).
pub fn bundle_from_plan(spec: &Spec, plan: &Plan, env: &Environment) -> Bundle {
    assemble_bundle(spec, spec, plan, env, DEFAULT_PROFILE)
}

/// Render `plan` (planned from `planned`) and label each event by the step of
/// `planned` it came from; the header and narrative tell `story`. They differ
/// when background activity is blended in: `planned` then holds the story's
/// steps and the background's, and the narrative stays the story's.
pub(crate) fn assemble_bundle(
    story: &Spec,
    planned: &Spec,
    plan: &Plan,
    env: &Environment,
    profile: &str,
) -> Bundle {
    let spec = story;
    let seed = plan.seed;
    let records = render_plan(plan, env, &spec.id);
    let events: Vec<EventLine> = records
        .into_iter()
        .map(|r| {
            let step = &planned.steps[r.step];
            EventLine {
                labels: Labels {
                    source: r.rendered.source.as_str().to_string(),
                    step: Some(step.id.clone()),
                    technique: step.technique.clone(),
                    class: if step.benign {
                        Class::Benign
                    } else {
                        Class::Malicious
                    },
                    ingestion_time: r.rendered.ingested.map(kql_datetime),
                },
                record: r.rendered.record,
            }
        })
        .collect();
    let ref_name = |r: &ProcessRef| match r {
        ProcessRef::Step(i) => spec.steps[*i].id.clone(),
        ProcessRef::Ambient(name) => format!("@{name}"),
    };
    let narrative = spec
        .steps
        .iter()
        .map(|s| NarrativeStep {
            id: s.id.clone(),
            technique: s.technique.clone(),
            class: if s.benign {
                Class::Benign
            } else {
                Class::Malicious
            },
            action: s.action.kind().to_string(),
            description: s.description.clone(),
            parent: match &s.action {
                StepAction::ProcessCreate { parent, .. } => parent.as_ref().map(ref_name),
                StepAction::NetworkConnect { process, .. }
                | StepAction::DnsQuery { process, .. }
                | StepAction::FileCreate { process, .. }
                | StepAction::RegistrySet { process, .. }
                | StepAction::ImageLoad { process, .. } => Some(ref_name(process)),
                StepAction::Logon { .. }
                | StepAction::EntraSignin { .. }
                | StepAction::EntraAudit { .. }
                | StepAction::AzureActivity { .. } => None,
            },
            after: s.after.iter().map(|i| spec.steps[*i].id.clone()).collect(),
        })
        .collect();
    Bundle {
        header: Header {
            format: BUNDLE_FORMAT.to_string(),
            version: BUNDLE_VERSION,
            generator: format!("rulecheck {}", env!("CARGO_PKG_VERSION")),
            spec: spec.id.clone(),
            name: spec.name.clone(),
            description: spec.description.clone(),
            techniques: spec.techniques.clone(),
            tactics: spec.tactics.clone(),
            platform: spec.platform.as_str().to_string(),
            seed,
            profile: profile.to_string(),
            host: env.host.fqdn.to_string(),
            start: evtx::system_time(plan.start),
            reference_time: evtx::system_time(plan.reference_time),
            event_count: events.len(),
            narrative,
            variant: None,
        },
        events,
    }
}
