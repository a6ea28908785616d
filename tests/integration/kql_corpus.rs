//! The KQL engine over the real queries of `../shared/corpora/kql/queries.jsonl`
//! (skipped when the corpus is absent): the share that parse and the share
//! that run without error against the shipped bundles, with the top reasons
//! for the rest printed (`cargo test kql_corpus -- --nocapture`).

use super::*;
use rulecheck::kql_corpus::{measure, merge_bundles, read_corpus};

#[test]
fn real_queries_parse_and_run_against_generated_bundles() {
    let Some(corpora) = corpora_or_skip("KQL corpus check") else {
        return;
    };
    let path = corpora.join("kql/queries.jsonl");
    let queries = read_corpus(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut paths: Vec<_> = std::fs::read_dir(repo().join("bundles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    let bundles = paths
        .iter()
        .map(|p| rulecheck::bundle::read_bundle(p).unwrap())
        .collect();
    let bundle = merge_bundles(bundles).unwrap();
    let m = measure(&queries, &bundle, &Default::default());
    eprintln!("{}", m.report(10));
    assert_eq!(m.panics, 0, "evaluation must never panic");
    assert!(m.total >= 500, "{} queries", m.total);
    assert!(
        m.parse_share() >= 0.97,
        "parse share {:.3}",
        m.parse_share()
    );
    assert!(m.run_share() >= 0.90, "run share {:.3}", m.run_share());
}
