use super::*;
use crate::binaries::BinaryCatalog;
use crate::bundle::{Class, build_bundle};
use crate::spec::Spec;
use crate::validate::validate_bundle;

fn env() -> Environment {
    Environment::default_workstation()
}

fn attack_spec() -> Spec {
    crate::library::builtin_specs(&env())
        .unwrap()
        .into_iter()
        .find(|s| s.id == "chain-phishing-doc-encoded-powershell-runkey")
        .expect("shipped spec")
}

const MINIMAL: &str = "\
name: tiny
users: [alice]
activities:
  - id: notepad
    rate_per_hour: 60
    steps:
      - id: start
        process_create:
          image: C:\\Windows\\System32\\notepad.exe
";

#[test]
fn every_builtin_profile_parses() {
    for (name, _) in BUILTIN {
        let p = load(name, &env()).unwrap_or_else(|e| match e {
            ProfileError::Invalid { errors, .. } => panic!("{name}: {errors:#?}"),
            e => panic!("{name}: {e}"),
        });
        assert_eq!(p.name, name);
        assert!(!p.activities.is_empty());
    }
}

#[test]
fn an_unknown_name_that_is_no_file_lists_the_builtins() {
    let e = load("no-such-profile", &env()).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.contains("workstation, server, domain-controller"),
        "{shown}"
    );
}

fn errors_of(text: &str) -> Vec<SourceError> {
    Profile::parse("p.yaml", text, &env()).unwrap_err()
}

#[test]
fn an_unknown_key_is_an_error_at_its_line() {
    let text = MINIMAL.replace(
        "    rate_per_hour: 60\n",
        "    rate_per_hour: 60\n    rates: 2\n",
    );
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].message.contains("unknown field `rates`"));
    assert_eq!(errors[0].line(), Some(6));
}

#[test]
fn a_bad_step_in_a_later_activity_is_reported_at_its_own_line() {
    // Both activities have a step `start`: the error must name the second's.
    let text = format!(
        "{MINIMAL}  - id: calc\n    rate_per_hour: 1\n    steps:\n      - id: start\n        dns_query:\n          process: nowhere\n          query: example.org\n"
    );
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].message.contains("nowhere"),
        "{}",
        errors[0].message
    );
    let line = errors[0].line().unwrap();
    assert!((13..=15).contains(&line), "line {line}");
}

#[test]
fn rates_users_and_techniques_are_checked() {
    let text = MINIMAL
        .replace("rate_per_hour: 60", "rate_per_hour: 0")
        .replace("[alice]", "[alice, system, mallory]")
        .replace(
            "      - id: start\n",
            "      - id: start\n        technique: T1059\n",
        );
    let errors = errors_of(&text);
    let messages: Vec<(&str, Option<usize>)> = errors
        .iter()
        .map(|e| (e.message.as_str(), e.line()))
        .collect();
    assert_eq!(errors.len(), 4, "{messages:#?}");
    assert!(messages.contains(&(
        "`system` is not an interactive user of the environment",
        Some(2)
    )));
    assert!(messages.contains(&(
        "`mallory` is not an interactive user of the environment",
        Some(2)
    )));
    assert!(messages.contains(&("rate_per_hour 0 is not a positive number", Some(5))));
    assert!(messages.contains(&("step `start` of a profile has a technique", Some(7))));
}

fn blended(profile: &str, rate: f64) -> Bundle {
    let env = env();
    let profile = load(profile, &env).unwrap();
    let spec = attack_spec();
    build_coherent_blended_bundle(
        &spec,
        spec.seed,
        &env,
        &BinaryCatalog::builtin(),
        &profile,
        rate,
    )
    .unwrap()
}

use crate::bundle::Bundle;

#[test]
fn blending_is_deterministic_and_labels_background_benign_by_activity() {
    let a = blended("workstation", 20.0);
    assert_eq!(a, blended("workstation", 20.0));
    assert_eq!(a.header.profile, "workstation");

    let plain = {
        let spec = attack_spec();
        build_bundle(&spec, spec.seed, &env(), &BinaryCatalog::builtin())
    };
    let profile = load("workstation", &env()).unwrap();
    let story_steps: Vec<&str> = plain
        .header
        .narrative
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    let mut background = 0;
    for e in &a.events {
        let step = e.labels.step.as_deref().unwrap();
        if story_steps.contains(&step) {
            continue;
        }
        background += 1;
        assert_eq!(e.labels.class, Class::Benign, "{step}");
        assert_eq!(e.labels.technique, None);
        let activity = step.split('/').next().unwrap();
        assert!(
            profile.activities.iter().any(|x| x.id == activity),
            "{step} names no activity"
        );
    }
    assert!(background > 100, "only {background} background events");
    // The story is told as before: same narrative, same malicious events.
    assert_eq!(a.header.narrative, plain.header.narrative);
    let malicious = |b: &Bundle| {
        b.events
            .iter()
            .filter(|e| e.labels.class == Class::Malicious)
            .count()
    };
    assert_eq!(malicious(&a), malicious(&plain));
    assert_eq!(a.header.start, plain.header.start);
    assert_eq!(a.header.reference_time, plain.header.reference_time);
}

#[test]
fn the_rate_scales_the_background() {
    let low = blended("workstation", 5.0);
    let high = blended("workstation", 50.0);
    assert!(
        high.events.len() > low.events.len() * 3,
        "{} vs {}",
        high.events.len(),
        low.events.len()
    );
}

#[test]
fn every_profile_blended_into_every_windows_library_spec_validates() {
    let env = env();
    let catalog = BinaryCatalog::builtin();
    for (name, _) in BUILTIN {
        let profile = load(name, &env).unwrap();
        for spec in crate::library::builtin_specs(&env).unwrap() {
            // Specs spanning hours would give thousands of background steps:
            // too slow for the default test run, and nothing they would add.
            let window = crate::plan::plan(&spec, spec.seed, &env, &catalog);
            let short = window.reference_time - window.start <= 3600 * crate::plan::MICROS_PER_SEC;
            if spec.platform != crate::spec::model::Platform::Windows || !short {
                continue;
            }
            let bundle = build_blended_bundle(&spec, spec.seed, &env, &catalog, &profile, 3.0);
            let findings = validate_bundle(&bundle);
            assert!(findings.is_empty(), "{name} + {}: {findings:#?}", spec.id);
        }
    }
}
