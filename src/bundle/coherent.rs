//! Generation that never yields an incoherent bundle: each built bundle is
//! validated (`crate::validate`); an invalid one is re-planned with a seed
//! derived from the requested one, a bounded number of times, and if no
//! attempt holds together the findings are the error. Deterministic: the same
//! spec and seed try the same seeds in the same order.

use super::{Bundle, build_bundle};
use crate::binaries::BinaryCatalog;
use crate::environment::Environment;
use crate::plan::rng::Rng;
use crate::spec::Spec;
use crate::validate::{Finding, validate_bundle};

/// Plans tried per spec: the requested seed, then derived ones.
pub const ATTEMPTS: usize = 8;

/// No attempt gave a coherent bundle; the findings are the last attempt's.
#[derive(Debug, thiserror::Error)]
#[error(
    "spec `{spec}` gives no coherent bundle: {attempts} plans (seed {seed} and seeds derived from it) all fail validation; the last one (seed {last_seed}) has {} finding{}",
    findings.len(),
    if findings.len() == 1 { "" } else { "s" }
)]
pub struct IncoherentSpec {
    pub spec: String,
    pub seed: u64,
    pub attempts: usize,
    pub last_seed: u64,
    pub findings: Vec<Finding>,
}

/// The seeds generation tries for `seed`: `seed` itself, then a stream drawn
/// from it (labelled by the spec, like every stream of a plan).
pub fn attempt_seeds(spec_id: &str, seed: u64) -> impl Iterator<Item = u64> {
    let mut derived = Rng::derive(seed, &format!("{spec_id}/regenerate"));
    std::iter::once(seed).chain(std::iter::repeat_with(move || derived.next_u64()))
}

/// Build `spec`'s bundle with the first seed of [`attempt_seeds`] whose
/// bundle validates clean. The bundle's header records the seed it was built
/// with, so `generate --seed` reproduces it.
pub fn build_coherent_bundle(
    spec: &Spec,
    seed: u64,
    env: &Environment,
    catalog: &BinaryCatalog,
) -> Result<Bundle, IncoherentSpec> {
    build_coherent_with(spec, seed, |s| build_bundle(spec, s, env, catalog))
}

/// [`build_coherent_bundle`] with another way to build a bundle from a seed
/// (background activity blended in): the same seeds, the same validation.
pub fn build_coherent_with(
    spec: &Spec,
    seed: u64,
    build: impl FnMut(u64) -> Bundle,
) -> Result<Bundle, IncoherentSpec> {
    first_coherent(
        attempt_seeds(&spec.id, seed).take(ATTEMPTS),
        build,
        validate_bundle,
    )
    .map_err(|(last_seed, findings)| IncoherentSpec {
        spec: spec.id.clone(),
        seed,
        attempts: ATTEMPTS,
        last_seed,
        findings,
    })
}

/// The first of `seeds` whose build `check` finds nothing in, or the last
/// seed tried with its findings.
fn first_coherent<T>(
    seeds: impl Iterator<Item = u64>,
    mut build: impl FnMut(u64) -> T,
    mut check: impl FnMut(&T) -> Vec<Finding>,
) -> Result<T, (u64, Vec<Finding>)> {
    let mut last = None;
    for seed in seeds {
        let built = build(seed);
        let findings = check(&built);
        if findings.is_empty() {
            return Ok(built);
        }
        last = Some((seed, findings));
    }
    Err(last.expect("at least one attempt"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::validate_bundle;

    fn fake_finding() -> Vec<Finding> {
        // A real finding, taken from a bundle made incoherent on purpose.
        let env = Environment::default_workstation();
        let spec = crate::library::builtin_specs(&env).unwrap().remove(0);
        let mut bundle = build_bundle(&spec, spec.seed, &env, &BinaryCatalog::builtin());
        let record = &mut bundle.events[0].record;
        let time = ["Timestamp", "TimeGenerated"]
            .into_iter()
            .find(|k| record.get(*k).is_some());
        match time {
            Some(k) => record[k] = "not a time".into(),
            None => {
                record["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"] =
                    "not a time".into()
            }
        }
        let findings = validate_bundle(&bundle);
        assert!(!findings.is_empty());
        findings
    }

    #[test]
    fn an_incoherent_attempt_is_replanned_with_the_next_seed() {
        let seeds: Vec<u64> = attempt_seeds("x", 7).take(4).collect();
        let mut tried = Vec::new();
        let bad = fake_finding();
        let got = first_coherent(
            seeds.iter().copied(),
            |s| {
                tried.push(s);
                s
            },
            // The first two seeds give incoherent bundles.
            |s| {
                if *s == seeds[0] || *s == seeds[1] {
                    bad.clone()
                } else {
                    Vec::new()
                }
            },
        );
        assert_eq!(got, Ok(seeds[2]));
        assert_eq!(tried, seeds[..3]);
    }

    #[test]
    fn when_no_attempt_is_coherent_the_last_findings_are_the_error() {
        let bad = fake_finding();
        let seeds: Vec<u64> = attempt_seeds("x", 7).take(ATTEMPTS).collect();
        let got = first_coherent(seeds.iter().copied(), |s| s, |_| bad.clone());
        assert_eq!(got, Err((seeds[ATTEMPTS - 1], bad)));
    }

    #[test]
    fn attempt_seeds_start_with_the_seed_and_are_deterministic_and_distinct() {
        let a: Vec<u64> = attempt_seeds("spec", 42).take(ATTEMPTS).collect();
        assert_eq!(a[0], 42);
        assert_eq!(
            a,
            attempt_seeds("spec", 42).take(ATTEMPTS).collect::<Vec<_>>()
        );
        let mut unique = a.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ATTEMPTS);
        assert_ne!(a[1], attempt_seeds("other", 42).nth(1).unwrap());
    }

    #[test]
    fn every_builtin_spec_is_coherent_with_its_own_seed() {
        let env = Environment::default_workstation();
        let catalog = BinaryCatalog::builtin();
        for spec in crate::library::builtin_specs(&env).unwrap() {
            let bundle = build_coherent_bundle(&spec, spec.seed, &env, &catalog)
                .unwrap_or_else(|e| panic!("{e}: {:#?}", e.findings));
            assert_eq!(bundle.header.seed, spec.seed, "{}", spec.id);
        }
    }
}
