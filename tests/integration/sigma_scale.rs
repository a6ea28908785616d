//! The literal prefilter is sound on real content: over every rule of
//! SigmaHQ's `rules/` and events from the built-in library plus SigmaHQ's
//! regression EVTX, the matcher finds exactly what routing-only evaluation
//! finds. Skips with a note when `../shared/corpora` is absent.
//!
//! `RULECHECK_SOUNDNESS_EVENTS=N` raises the generated event count (the
//! library is regenerated with more seeds); the default is one round of the
//! library (about 1,300 events) to keep `cargo test` short. The large run is
//! documented in BENCHMARKS.md.

use rulecheck::engine::{Placeholders, RuleLoader, SigmaMatcher, prepare};
use rulecheck::sigma_workload::{evtx_bundles, generated_bundles, load_rules};

use super::*;

#[test]
fn the_prefilter_changes_no_match_over_the_sigmahq_corpus() {
    let Some(corpora) = corpora_or_skip("prefilter soundness test") else {
        return;
    };
    let sigmahq = corpora.join("sigmahq");
    let loader = RuleLoader::new(&Placeholders::builtin());
    let corpus = load_rules(&sigmahq.join("rules"), &loader);
    assert!(corpus.rules.len() > 3000, "{}", corpus.rules.len());
    let generated: usize = std::env::var("RULECHECK_SOUNDNESS_EVENTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let mut bundles = evtx_bundles(&sigmahq.join("regression_data"), &loader.logsources);
    assert!(!bundles.is_empty(), "no regression EVTX found");
    bundles.extend(generated_bundles(generated));
    let with = SigmaMatcher::new(&corpus.rules, true);
    let without = SigmaMatcher::new(&corpus.rules, false);
    let (mut events, mut matches) = (0, 0);
    for bundle in &bundles {
        let prepared = prepare(bundle, &loader.logsources);
        let expected = without.hits(&prepared);
        let got = with.hits(&prepared);
        for (rule, (e, g)) in corpus.rules.iter().zip(expected.iter().zip(&got)) {
            assert_eq!(e, g, "{} on {}", rule.path, bundle.header.name);
        }
        events += prepared.len();
        matches += got.iter().map(Vec::len).sum::<usize>();
    }
    eprintln!(
        "{} rules × {events} events: {matches} matches, identical with and without the prefilter",
        corpus.rules.len()
    );
    // The comparison means something only if there are matches to keep.
    assert!(matches > 100, "{matches}");
}
