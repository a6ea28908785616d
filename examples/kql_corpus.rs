//! Parse and run every query of a KQL corpus against the shipped bundles, and
//! summarise why the others fail:
//!
//! ```text
//! cargo run --release --example kql_corpus -- [CORPUS.jsonl] [BUNDLE_DIR]
//! ```
//!
//! Defaults: `../shared/corpora/kql/queries.jsonl` and `bundles`. With
//! `SHOW=text`, each query whose first error contains `text` is printed.

use rulecheck::kql_corpus::{measure, merge_bundles, read_corpus};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let corpus = args
        .next()
        .unwrap_or_else(|| "../shared/corpora/kql/queries.jsonl".into());
    let bundle_dir = args.next().unwrap_or_else(|| "bundles".into());
    let queries = read_corpus(&std::fs::read_to_string(&corpus)?)?;
    let mut bundles = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&bundle_dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    for path in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
    {
        bundles.push(rulecheck::bundle::read_bundle(path)?);
    }
    let bundle = merge_bundles(bundles).ok_or("no bundles")?;
    let started = std::time::Instant::now();
    let m = measure(&queries, &bundle, &Default::default());
    let elapsed = started.elapsed();
    if let Ok(show) = std::env::var("SHOW") {
        for f in m.failures.iter().filter(|f| f.message.contains(&show)) {
            let q = &queries[f.index];
            println!("---- {} {}: {}\n{}\n", q.repo, q.path, f.message, q.query);
        }
    }
    print!("{}", m.report(25));
    println!(
        "{} queries on {} events in {:.2} s",
        m.total,
        bundle.events.len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
