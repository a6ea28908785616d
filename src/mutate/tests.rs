//! Mutations over the built-in library: deterministic, recorded, confined to
//! malicious steps, and every variant still a coherent bundle.

use crate::binaries::BinaryCatalog;
use crate::bundle::build_coherent_variant;
use crate::environment::Environment;
use crate::library::builtin_specs;
use crate::validate::validate_bundle;

use super::MUTATORS;

#[test]
fn every_builtin_spec_gives_coherent_recorded_deterministic_variants() {
    let env = Environment::default_workstation();
    let catalog = BinaryCatalog::builtin();
    let mut used = std::collections::BTreeSet::new();
    for spec in builtin_specs(&env).unwrap() {
        for number in 1..=2 {
            let bundle = build_coherent_variant(&spec, spec.seed, number, &env, &catalog)
                .unwrap_or_else(|e| panic!("{e}: {:#?}", e.findings));
            assert!(validate_bundle(&bundle).is_empty(), "{}", spec.id);
            let again = build_coherent_variant(&spec, spec.seed, number, &env, &catalog).unwrap();
            assert_eq!(bundle, again, "{} v{number}", spec.id);
            let variant = bundle.header.variant.as_ref().expect("variant header");
            assert_eq!(variant.number, number);
            for (i, m) in variant.mutations.iter().enumerate() {
                assert!(MUTATORS.contains(&m.mutator.as_str()), "{}", m.mutator);
                assert_ne!(m.before, m.after);
                let step = spec.steps.iter().find(|s| s.id == m.step).unwrap();
                assert!(!step.benign, "{}: benign step {} mutated", spec.id, m.step);
                used.insert(m.mutator.clone());
                // The last value of a process field is what the records carry,
                // and each mutation starts from the previous one's result.
                let later = &variant.mutations[i + 1..];
                if let Some(next) = later
                    .iter()
                    .find(|n| n.step == m.step && n.field == m.field)
                {
                    assert_eq!(next.before, m.after);
                } else if m.field == "command_line" || m.field == "image" {
                    let text = serde_json::to_string(&bundle.events).unwrap();
                    let json = serde_json::to_string(&m.after).unwrap();
                    assert!(
                        text.contains(json.trim_matches('"')),
                        "{}: {} not rendered",
                        spec.id,
                        m.after
                    );
                }
            }
        }
    }
    // Across the library every mutator finds something to change.
    assert_eq!(used.len(), MUTATORS.len(), "{used:?}");
}

#[test]
fn variants_differ_from_each_other() {
    let env = Environment::default_workstation();
    let catalog = BinaryCatalog::builtin();
    let spec = builtin_specs(&env)
        .unwrap()
        .into_iter()
        .find(|s| s.id.starts_with("T1105-certutil"))
        .unwrap();
    let one = build_coherent_variant(&spec, spec.seed, 1, &env, &catalog).unwrap();
    let two = build_coherent_variant(&spec, spec.seed, 2, &env, &catalog).unwrap();
    assert_ne!(
        one.header.variant.unwrap().mutations,
        two.header.variant.unwrap().mutations
    );
}
