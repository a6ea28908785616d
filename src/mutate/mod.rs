//! Technique-preserving mutations of a plan: the variations attackers make
//! while doing the same thing — command-line case, carets, `/` versus `-`
//! switches, environment-variable and short-path spellings, encoded versus
//! plain PowerShell, relocated or renamed LOLBins, a shell as the parent
//! process, and timing. Applied to the
//! planned processes and times before rendering, so every log that shows a
//! process (Sysmon, 4688, Defender, `SecurityEvent`) shows the mutated one.
//!
//! Deterministic: each (step, variant, mutator) draws from its own stream of
//! the plan's seed, so adding a mutator or a step does not reshuffle the
//! others. Only malicious steps of Windows specs are mutated: benign steps are
//! the background a rule must stay quiet on, and cloud steps have no
//! command lines.

mod caret;
mod case;
pub mod cmdline;
mod flags;
mod lolbin;
mod parent;
mod paths;
pub mod powershell;
mod timing;

use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::binaries::BinaryCatalog;
use crate::environment::Environment;
use crate::plan::Plan;
use crate::plan::rng::Rng;
use crate::spec::Spec;
use crate::spec::model::Platform;

/// The mutator names, in the order they are applied to a step.
pub const MUTATORS: [&str; 9] = [
    "relocated-lolbin",
    "encoded-powershell",
    "switch-character",
    "short-path",
    "env-var-path",
    "case",
    "caret",
    "timing-jitter",
    "shell-parent",
];

/// One change a variant makes, as its bundle header records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutation {
    /// The spec step whose process or time changed.
    pub step: String,
    /// One of [`MUTATORS`].
    pub mutator: String,
    /// What changed: `image`, `command_line`, `delay` or `parent`.
    pub field: String,
    pub before: String,
    pub after: String,
}

/// Apply variant `variant`'s mutations to `plan` (planned from `spec`) and
/// return them in step order. Variant numbers start at 1; each mutator
/// applies to a step with probability one half when it can (timing: one third).
pub fn mutate_plan(
    spec: &Spec,
    plan: &mut Plan,
    env: &Environment,
    catalog: &BinaryCatalog,
    variant: u32,
) -> Vec<Mutation> {
    let mut mutations = Vec::new();
    if spec.platform != Platform::Windows {
        return mutations;
    }
    let seed = plan.seed;
    for n in 0..plan.actions.len() {
        let step = &spec.steps[plan.actions[n].step];
        if step.benign {
            continue;
        }
        let stream = |mutator: &str| {
            Rng::derive(
                seed,
                &format!("{}/{}/variant/{variant}/{mutator}", spec.id, step.id),
            )
        };
        let mut record = |mutator: &str, field: &str, before: String, after: String| {
            mutations.push(Mutation {
                step: step.id.clone(),
                mutator: mutator.to_string(),
                field: field.to_string(),
                before,
                after,
            })
        };
        // Timing first: it changes when the step happens, not what it is.
        if n > 0 {
            let mut rng = stream("timing-jitter");
            let gap = plan.actions[n].time - plan.actions[n - 1].time;
            let scaled = timing::scaled_gap(gap, &mut rng);
            // One step in three: more would make timing the mutation every
            // variant shares, and hide the ones that matter in reports.
            if rng.below(3) == 0 && scaled != gap {
                timing::shift_from(plan, n, scaled - gap);
                record(
                    "timing-jitter",
                    "delay",
                    format_gap(gap),
                    format_gap(scaled),
                );
            }
        }
        let Action::ProcessCreate { process } = plan.actions[n].action else {
            continue;
        };
        let profile = env
            .user(&plan.processes[process].user)
            .map_or(String::new(), |u| u.profile.to_string());
        // The tool as planned: a renamed copy is still the same program.
        let tool = cmdline::tool_name(&plan.processes[process].image);
        let per_line = MUTATORS
            .iter()
            .filter(|m| !matches!(**m, "timing-jitter" | "shell-parent"));
        for mutator in per_line {
            let mut rng = stream(mutator);
            if rng.below(2) == 0 {
                continue;
            }
            let proc = &mut plan.processes[process];
            let line = proc.command_line.as_str();
            let changed = match *mutator {
                "relocated-lolbin" => {
                    if let Some((image, new_line)) =
                        lolbin::apply(&proc.image, line, &profile, &mut rng)
                    {
                        let before = std::mem::replace(&mut proc.image, image);
                        record(mutator, "image", before, proc.image.clone());
                        Some(new_line)
                    } else {
                        None
                    }
                }
                "encoded-powershell" => powershell::apply(&tool, line, &mut rng),
                "switch-character" => flags::apply(&tool, line, &mut rng),
                "short-path" => paths::short_names(&tool, line, &mut rng),
                "env-var-path" => paths::env_vars(&tool, line, &profile, &mut rng),
                "case" => case::apply(&tool, line, &mut rng),
                "caret" => caret::apply(&tool, line, &mut rng),
                other => unreachable!("mutator {other} has no implementation"),
            };
            if let Some(new_line) = changed {
                let before = std::mem::replace(&mut proc.command_line, new_line);
                record(mutator, "command_line", before, proc.command_line.clone());
            }
        }
    }
    // Last, and from the end: inserting a shell's creation shifts the
    // actions after it, and its command line runs the final, mutated line.
    let mut shells = Vec::new();
    for n in (0..plan.actions.len()).rev() {
        let step = &spec.steps[plan.actions[n].step];
        let Action::ProcessCreate { process } = plan.actions[n].action else {
            continue;
        };
        if step.benign || plan.processes[process].start != plan.actions[n].time {
            continue;
        }
        let label = format!("{}/{}/variant/{variant}/shell-parent", spec.id, step.id);
        let mut rng = Rng::derive(seed, &label);
        if rng.below(2) == 0 {
            continue;
        }
        if let Some((before, after)) = parent::insert_shell(plan, n, process, catalog, &mut rng) {
            shells.push(Mutation {
                step: step.id.clone(),
                mutator: "shell-parent".to_string(),
                field: "parent".to_string(),
                before,
                after,
            });
        }
    }
    mutations.extend(shells.into_iter().rev());
    mutations
}

/// A gap between steps as `12.345678s` (plans are timed to the microsecond).
fn format_gap(micros: i64) -> String {
    format!("{}.{:06}s", micros / 1_000_000, micros % 1_000_000)
}

#[cfg(test)]
mod tests;
