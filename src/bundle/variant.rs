//! Variant bundles (`generate --variants N`): the spec's plan with variant
//! `k`'s mutations (`crate::mutate`), rendered and validated like any bundle.
//! An incoherent variant is re-planned with the same derived seeds the
//! spec's own bundle would try, so the same spec, seed and number always give
//! the same bytes.

use super::coherent::{IncoherentSpec, build_coherent_with};
use super::{Bundle, Variant, bundle_from_plan};
use crate::binaries::BinaryCatalog;
use crate::environment::Environment;
use crate::mutate::mutate_plan;
use crate::plan;
use crate::spec::Spec;

/// Variant `number` (1-based) of `spec` under `seed`, with its mutations in
/// the header.
pub fn build_coherent_variant(
    spec: &Spec,
    seed: u64,
    number: u32,
    env: &Environment,
    catalog: &BinaryCatalog,
) -> Result<Bundle, IncoherentSpec> {
    build_coherent_with(spec, seed, |s| {
        let mut plan = plan::plan(spec, s, env, catalog);
        let mutations = mutate_plan(spec, &mut plan, env, catalog, number);
        let mut bundle = bundle_from_plan(spec, &plan, env);
        bundle.header.variant = Some(Variant {
            number,
            requested_seed: seed,
            mutations,
        });
        bundle
    })
}
