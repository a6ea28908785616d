//! Blending a profile's background activity into a spec's bundle.
//!
//! The spec is planned alone first, which fixes its steps' times and the
//! bundle's window. Occurrences of each activity are then scheduled in the
//! window from streams of their own, expanded into benign steps, and merged
//! with the spec's steps in time order into one spec that is planned with
//! every step at its time — one plan, so PIDs, GUIDs and sessions stay unique
//! and coherent across attack and background. The narrative stays the spec's.

use super::{Activity, Profile};
use crate::action::Micros;
use crate::binaries::BinaryCatalog;
use crate::bundle::{Bundle, IncoherentSpec, assemble_bundle, build_coherent_with};
use crate::environment::Environment;
use crate::plan::rng::Rng;
use crate::plan::{self, MICROS_PER_SEC, PinnedTimes};
use crate::spec::{ProcessRef, Spec, Step, StepAction};

const MILLI: Micros = 1000;

/// [`build_blended_bundle`] validated and re-planned like every generated
/// bundle: the first coherent seed of the spec's attempt seeds.
pub fn build_coherent_blended_bundle(
    spec: &Spec,
    seed: u64,
    env: &Environment,
    catalog: &BinaryCatalog,
    profile: &Profile,
    rate: f64,
) -> Result<Bundle, IncoherentSpec> {
    build_coherent_with(spec, seed, |s| {
        build_blended_bundle(spec, s, env, catalog, profile, rate)
    })
}

/// `spec`'s bundle with `profile`'s activity at `rate` times its rates blended
/// in over the spec's window, every background event labelled benign with the
/// step id `ACTIVITY/N/STEP` (N counts the activity's occurrences from 0).
pub fn build_blended_bundle(
    spec: &Spec,
    seed: u64,
    env: &Environment,
    catalog: &BinaryCatalog,
    profile: &Profile,
    rate: f64,
) -> Bundle {
    let story = plan::plan(spec, seed, env, catalog);
    let mut story_times = vec![story.start; spec.steps.len()];
    for a in &story.actions {
        story_times[a.step] = a.time;
    }
    let occurrences = schedule(
        spec,
        seed,
        profile,
        rate,
        (story.start, story.reference_time),
    );
    let (merged, times) = merge(spec, &story_times, profile, &occurrences);
    // Background ends a second before the window closes; only when so many
    // steps crowd the window that spacing them 1 ms apart overruns it does
    // the window grow, as a plain plan's would.
    let last = times.last().copied().unwrap_or(story.start);
    let minute = 60 * MICROS_PER_SEC;
    let reference_time = if last < story.reference_time {
        story.reference_time
    } else {
        ((last + minute) / minute + 1) * minute
    };
    let plan = plan::plan_pinned(
        &merged,
        seed,
        env,
        catalog,
        PinnedTimes {
            step_times: &times,
            reference_time,
        },
    );
    assemble_bundle(spec, &merged, &plan, env, &profile.name)
}

/// One occurrence of an activity: its steps' times and the user it runs as.
#[derive(Debug, Clone)]
struct Occurrence {
    activity: usize,
    number: usize,
    times: Vec<Micros>,
    user: String,
}

/// Occurrences of every activity in `(start, end)`: for an expected count λ
/// (rate × hours), ⌊λ⌋ occurrences plus one with probability λ − ⌊λ⌋, each at
/// a uniform time; each activity draws from its own stream, so editing one
/// activity does not move another's.
fn schedule(
    spec: &Spec,
    seed: u64,
    profile: &Profile,
    rate: f64,
    (start, end): (Micros, Micros),
) -> Vec<Occurrence> {
    let hours = (end - start) as f64 / (3600 * MICROS_PER_SEC) as f64;
    let mut out = Vec::new();
    for (a, activity) in profile.activities.iter().enumerate() {
        let mut rng = Rng::derive(
            seed,
            &format!("{}/background/{}/{}", spec.id, profile.name, activity.id),
        );
        let expected = activity.rate_per_hour * rate * hours;
        let whole = expected.floor();
        let extra = rng.below(1_000_000) < ((expected - whole) * 1_000_000.0) as u64;
        let count = whole as usize + usize::from(extra);
        for number in 0..count {
            let offsets = step_offsets(activity, &mut rng);
            let span = *offsets.last().expect("activities have steps");
            // The first step after the window opens, the last a second before it closes.
            let latest = end - MICROS_PER_SEC - span;
            if latest <= start + MILLI {
                continue;
            }
            let at = start + MILLI + rng.below((latest - start - MILLI) as u64) as Micros;
            let user = rng.pick(&profile.users).clone();
            out.push(Occurrence {
                activity: a,
                number,
                times: offsets.iter().map(|o| at + o).collect(),
                user,
            });
        }
    }
    out
}

/// Each step's offset from the activity's first step: the steps' delays
/// (the first step's is ignored), at least 1 ms apart.
fn step_offsets(activity: &Activity, rng: &mut Rng) -> Vec<Micros> {
    let mut offset = 0;
    activity
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i > 0 {
                let ms = rng.between(s.delay.min_ms, s.delay.max_ms) as Micros;
                offset += (ms * MILLI + rng.below(1000) as Micros).max(MILLI);
            }
            offset
        })
        .collect()
}

/// The spec's steps and the occurrences' steps in one time-ordered spec, and
/// each step's time, at least 1 ms after the previous one.
fn merge(
    spec: &Spec,
    story_times: &[Micros],
    profile: &Profile,
    occurrences: &[Occurrence],
) -> (Spec, Vec<Micros>) {
    // (time, source): None for a spec step, Some(occurrence) for background.
    let mut slots: Vec<(Micros, Option<usize>, usize)> = Vec::new();
    slots.extend(story_times.iter().enumerate().map(|(i, t)| (*t, None, i)));
    for (o, occ) in occurrences.iter().enumerate() {
        slots.extend(occ.times.iter().enumerate().map(|(i, t)| (*t, Some(o), i)));
    }
    // Stable: equal times keep the spec's order and each template's order.
    slots.sort_by_key(|(t, _, _)| *t);

    let mut story_index = vec![0; spec.steps.len()];
    let mut occ_base: Vec<Vec<usize>> =
        occurrences.iter().map(|o| vec![0; o.times.len()]).collect();
    for (new, (_, source, i)) in slots.iter().enumerate() {
        match source {
            None => story_index[*i] = new,
            Some(o) => occ_base[*o][*i] = new,
        }
    }

    let mut steps = Vec::with_capacity(slots.len());
    let mut times = Vec::with_capacity(slots.len());
    let mut clock = Micros::MIN;
    for (t, source, i) in &slots {
        clock = (*t).max(clock.saturating_add(MILLI));
        times.push(clock);
        let step = match source {
            None => remapped(&spec.steps[*i], &story_index),
            Some(o) => {
                let occ = &occurrences[*o];
                let activity = &profile.activities[occ.activity];
                let template = &activity.steps[*i];
                let mut step = remapped(template, &occ_base[*o]);
                step.id = format!("{}/{}/{}", activity.id, occ.number, template.id);
                step.description = activity.description.clone();
                run_as_occurrence_user(&mut step, &occ.user);
                step
            }
        };
        steps.push(step);
    }
    let merged = Spec {
        steps,
        ..spec.clone()
    };
    (merged, times)
}

/// A desktop process the template leaves to the default user runs as the
/// occurrence's user; processes with a user, a session or a non-desktop
/// parent keep theirs.
fn run_as_occurrence_user(step: &mut Step, user: &str) {
    if let StepAction::ProcessCreate {
        params,
        parent,
        session: None,
    } = &mut step.action
    {
        let desktop = match parent {
            None => true,
            Some(ProcessRef::Ambient(name)) => name == "explorer",
            Some(ProcessRef::Step(_)) => false,
        };
        if desktop && params.user.is_none() {
            params.user = Some(user.to_string());
        }
    }
}

/// `step` with its references to other steps renumbered by `index`.
fn remapped(step: &Step, index: &[usize]) -> Step {
    let mut step = step.clone();
    let map = |r: &mut ProcessRef| {
        if let ProcessRef::Step(s) = r {
            *s = index[*s];
        }
    };
    match &mut step.action {
        StepAction::ProcessCreate {
            parent, session, ..
        } => {
            if let Some(p) = parent {
                map(p);
            }
            if let Some(s) = session {
                *s = index[*s];
            }
        }
        StepAction::NetworkConnect { process, .. }
        | StepAction::DnsQuery { process, .. }
        | StepAction::FileCreate { process, .. }
        | StepAction::RegistrySet { process, .. }
        | StepAction::ImageLoad { process, .. } => map(process),
        StepAction::EntraSignin { session, .. } => {
            if let Some(s) = session {
                *s = index[*s];
            }
        }
        StepAction::Logon { .. }
        | StepAction::EntraAudit { .. }
        | StepAction::AzureActivity { .. } => {}
    }
    for a in &mut step.after {
        *a = index[*a];
    }
    step
}
