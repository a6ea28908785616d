//! Timing jitter: an attacker (or their C2's sleep) does not keep the
//! spec's pace. Each gap before a step is scaled by a factor between 0.5 and
//! 3, and everything after it moves with it, so order and causality hold:
//! every step stays at least 1 ms after the previous one.

use crate::action::{Action, Micros};
use crate::plan::rng::Rng;
use crate::plan::{MICROS_PER_SEC, Plan};

/// The scaled gap between two steps: `gap × factor‰`, at least 1 ms.
pub fn scaled_gap(gap: Micros, rng: &mut Rng) -> Micros {
    let per_mille = rng.between(500, 3000) as i64;
    (gap * per_mille / 1000).max(1000)
}

/// Move action `n` and everything after it by `shift` microseconds, with the
/// processes those actions start, and close the window after the last one.
pub fn shift_from(plan: &mut Plan, n: usize, shift: Micros) {
    for timed in &mut plan.actions[n..] {
        timed.time += shift;
        if let Action::ProcessCreate { process } = timed.action {
            plan.processes[process].start += shift;
        }
    }
    plan.reference_time = window_end(plan.actions.last().map_or(plan.start, |a| a.time));
}

/// The planner's rule: the next whole minute at least a minute after the last action.
fn window_end(last: Micros) -> Micros {
    let minute = 60 * MICROS_PER_SEC;
    ((last + minute) / minute + 1) * minute
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_scale_within_bounds_and_never_below_a_millisecond() {
        let mut rng = Rng::derive(0, "t");
        for _ in 0..200 {
            let g = scaled_gap(10 * MICROS_PER_SEC, &mut rng);
            assert!(
                (5 * MICROS_PER_SEC..=30 * MICROS_PER_SEC).contains(&g),
                "{g}"
            );
        }
        assert_eq!(scaled_gap(1, &mut rng), 1000);
    }

    #[test]
    fn window_end_matches_the_planner() {
        assert_eq!(window_end(0), 120 * MICROS_PER_SEC);
        assert_eq!(window_end(59 * MICROS_PER_SEC), 120 * MICROS_PER_SEC);
    }
}
