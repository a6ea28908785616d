//! Sigma evaluation at SigmaHQ scale: SigmaHQ `rules/` against generated
//! bundles plus SigmaHQ's regression EVTX, evaluated by
//!
//! 1. rulecheck's matcher (routing + literal prefilter + `sigma-rust`), one
//!    thread and all cores;
//! 2. the same matcher without the prefilter (routing only), on a sample;
//! 3. the plain `sigma-rust` loop — every rule on every event — on the same
//!    sample;
//!
//! and checks that 1 and 2 find identical matches on the sample. It can also
//! write the events, flattened as rules see them, as JSON Lines for other
//! evaluators (`--export PATH`, used by `scripts/bench_sigma.sh` for rsigma).
//!
//! ```sh
//! cargo run --release --example sigma_bench -- [--events N] [--sample M] [--export PATH]
//! cargo run --release --example sigma_bench -- --stream N [--threads T]
//! ```
//! Defaults: 100,000 generated events, a 2,000-event sample (every k-th event).
//!
//! `--explain PATH` writes, for every rule whose match count on the sample
//! differs between rulecheck and the plain loop, one tab-separated line:
//! the rule, both counts, and each difference with its cause (the event's
//! source is not routed to the rule's logsource; or the rule matched the
//! field-mapped view of a routed event but not its raw record, or the
//! reverse), so every difference is accounted for rule by rule.
//!
//! `--stream N` measures a streamed run instead: the library is generated one
//! round at a time and each bundle is prepared, matched and dropped, until N
//! events have been evaluated; it reports throughput, matches and peak RSS
//! (which must not grow with N).

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use rulecheck::engine::{Placeholders, PreparedEvent, RuleLoader, SigmaMatcher, prepare};
use rulecheck::sigma_workload::{
    evtx_bundles, generated_bundles, library_rounds, load_rules, peak_rss_bytes,
};

struct Args {
    events: usize,
    sample: usize,
    export: Option<PathBuf>,
    corpus: PathBuf,
    stream: Option<usize>,
    threads: Option<usize>,
    explain: Option<PathBuf>,
}

fn args() -> Args {
    let mut out = Args {
        events: 100_000,
        sample: 2_000,
        export: None,
        stream: None,
        threads: None,
        explain: None,
        corpus: std::env::var_os("RULECHECK_CORPORA")
            .map_or_else(|| PathBuf::from("../shared/corpora"), PathBuf::from),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--events" => out.events = value().parse().expect("--events N"),
            "--sample" => out.sample = value().parse().expect("--sample M"),
            "--export" => out.export = Some(PathBuf::from(value())),
            "--corpus" => out.corpus = PathBuf::from(value()),
            "--stream" => out.stream = Some(value().parse().expect("--stream N")),
            "--threads" => out.threads = Some(value().parse().expect("--threads T")),
            "--explain" => out.explain = Some(PathBuf::from(value())),
            other => panic!("unknown argument {other}"),
        }
    }
    out
}

fn main() {
    let args = args();
    let sigmahq = args.corpus.join("sigmahq");
    if !sigmahq.join("rules").is_dir() {
        eprintln!(
            "note: {} not found (set RULECHECK_CORPORA); nothing to measure",
            sigmahq.display()
        );
        return;
    }
    let loader = RuleLoader::new(&Placeholders::builtin());
    let corpus = load_rules(&sigmahq.join("rules"), &loader);
    println!(
        "rules: {} Sigma detection rules loaded ({} files not loaded or not detection rules) in {:.3} s",
        corpus.rules.len(),
        corpus.not_loaded,
        corpus.load_time.as_secs_f64()
    );
    let always = corpus
        .rules
        .iter()
        .filter(|r| r.requirement == rulecheck::engine::prefilter::Requirement::Always)
        .count();
    println!("rules without a provable literal (always evaluated): {always}");
    report_rss("after loading the rules");
    if let Some(events) = args.stream {
        stream(&corpus.rules, &loader, events, args.threads);
        return;
    }

    let started = Instant::now();
    let mut bundles = generated_bundles(args.events);
    let generated: usize = bundles.iter().map(|b| b.events.len()).sum();
    let generated_bundles = bundles.len();
    let real = evtx_bundles(&sigmahq.join("regression_data"), &loader.logsources);
    let real_events: usize = real.iter().map(|b| b.events.len()).sum();
    bundles.extend(real);
    let prepared: Vec<Vec<PreparedEvent>> = bundles
        .iter()
        .map(|b| prepare(b, &loader.logsources))
        .collect();
    let total: usize = prepared.iter().map(Vec::len).sum();
    println!(
        "events: {total} ({generated} generated in {} bundles, {real_events} from regression EVTX), built and prepared in {:.2} s",
        generated_bundles,
        started.elapsed().as_secs_f64()
    );
    report_rss("after preparing the events");
    if let Some(path) = &args.export {
        export(path, &prepared);
    }

    let matcher = SigmaMatcher::new(&corpus.rules, true);
    let count = |hits: &[Vec<Vec<usize>>]| -> usize { hits.iter().flatten().map(Vec::len).sum() };
    let run = |threads: usize, m: &SigmaMatcher<'_>, events: &[&[PreparedEvent]]| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let start = Instant::now();
        let hits: Vec<Vec<Vec<usize>>> =
            pool.install(|| events.par_iter().map(|e| m.hits(e)).collect());
        (start.elapsed().as_secs_f64(), hits)
    };
    let all: Vec<&[PreparedEvent]> = prepared.iter().map(Vec::as_slice).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (t1, hits1) = run(1, &matcher, &all);
    let (tn, hitsn) = run(cores, &matcher, &all);
    assert_eq!(hits1, hitsn, "thread count changed the matches");
    println!(
        "rulecheck, 1 thread:   {:>10.0} events/s ({t1:.2} s), {} matches",
        total as f64 / t1,
        count(&hits1)
    );
    println!(
        "rulecheck, {cores} threads:  {:>10.0} events/s ({tn:.2} s), {} matches",
        total as f64 / tn,
        count(&hitsn)
    );

    // The sample: every k-th event of every bundle, so each source is represented.
    let step = (total / args.sample.max(1)).max(1);
    let sample: Vec<Vec<PreparedEvent>> = bundles
        .iter()
        .map(|b| {
            let mut thin = b.clone();
            thin.events = thin.events.into_iter().step_by(step).collect();
            prepare(&thin, &loader.logsources)
        })
        .collect();
    let sample_refs: Vec<&[PreparedEvent]> = sample.iter().map(Vec::as_slice).collect();
    let sampled: usize = sample.iter().map(Vec::len).sum();
    let unfiltered = SigmaMatcher::new(&corpus.rules, false);
    let (tp, with) = run(1, &matcher, &sample_refs);
    let (tr, without) = run(1, &unfiltered, &sample_refs);
    println!(
        "sample of {sampled} events (every {step}th): with prefilter {:.0} events/s, {} matches; routing only {:.0} events/s, {} matches",
        sampled as f64 / tp,
        count(&with),
        sampled as f64 / tr,
        count(&without)
    );
    assert_eq!(with, without, "the prefilter changed the matches");
    println!("prefilter: identical matches on the sample");

    // The plain sigma-rust loop: every rule on every event, no routing.
    let start = Instant::now();
    let plain: Vec<Vec<Vec<usize>>> = sample
        .iter()
        .map(|events| {
            corpus
                .rules
                .iter()
                .map(|r| {
                    (0..events.len())
                        .filter(|&i| r.matches_unrouted(&events[i]))
                        .collect()
                })
                .collect()
        })
        .collect();
    let tb = start.elapsed().as_secs_f64();
    println!(
        "plain sigma-rust loop (every rule on every event): {:.1} events/s ({tb:.2} s), {} matches",
        sampled as f64 / tb,
        count(&plain)
    );
    if let Some(path) = &args.explain {
        explain(path, &corpus.rules, &sample, &with, &plain);
    }
    report_rss("at the end");
}

/// Account for every difference between rulecheck's matches (`routed`) and
/// the plain loop's (`plain`), per bundle then per rule, rule by rule.
fn explain(
    path: &std::path::Path,
    rules: &[rulecheck::engine::SigmaRule],
    sample: &[Vec<PreparedEvent>],
    routed: &[Vec<Vec<usize>>],
    plain: &[Vec<Vec<usize>>],
) {
    use std::collections::BTreeMap;
    use std::io::Write;
    let mut causes_total: BTreeMap<String, usize> = BTreeMap::new();
    let mut lines = Vec::new();
    let mut plain_counts = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        let (mut ours, mut theirs) = (0, 0);
        let mut causes: BTreeMap<String, usize> = BTreeMap::new();
        for (b, events) in sample.iter().enumerate() {
            let (ours_b, theirs_b) = (&routed[b][r], &plain[b][r]);
            ours += ours_b.len();
            theirs += theirs_b.len();
            for &e in theirs_b.iter().filter(|e| !ours_b.contains(e)) {
                let event = &events[e];
                let cause = match rule.route_for(event) {
                    None => format!(
                        "plain only: {} not routed to {}",
                        event.source, rule.logsource
                    ),
                    Some(_) => format!(
                        "plain only: raw {} record matches, mapped view does not",
                        event.source
                    ),
                };
                *causes.entry(cause).or_default() += 1;
            }
            for &e in ours_b.iter().filter(|e| !theirs_b.contains(e)) {
                let cause = format!(
                    "rulecheck only: mapped view of {} matches, raw record does not",
                    events[e].source
                );
                *causes.entry(cause).or_default() += 1;
            }
        }
        if theirs > 0 {
            plain_counts.push(format!(
                "{}\t{}\t{theirs}",
                rule.id.as_deref().unwrap_or("-"),
                rule.path
            ));
        }
        if ours != theirs || !causes.is_empty() {
            let listed: Vec<String> = causes.iter().map(|(c, n)| format!("{n}× {c}")).collect();
            lines.push(format!(
                "{}\t{theirs}\t{ours}\t{}",
                rule.path,
                listed.join("; ")
            ));
            for (c, n) in causes {
                // Aggregate by kind, without the logsource, for the summary.
                let kind = c.split(" to ").next().unwrap_or(&c).to_string();
                *causes_total.entry(kind).or_default() += n;
            }
        }
    }
    let file = std::fs::File::create(path).expect("create explain file");
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "rule\tplain loop\trulecheck\tdifferences").expect("write");
    for line in &lines {
        writeln!(out, "{line}").expect("write");
    }
    out.flush().expect("flush");
    // Per rule, the plain loop's count, for comparison with other evaluators
    // run on the same events (`scripts/bench_sigma.sh`).
    let counts_path = path.with_extension("plain_counts.tsv");
    std::fs::write(&counts_path, plain_counts.join("\n") + "\n").expect("write plain counts");
    println!(
        "{} rules differ; every difference explained in {}:",
        lines.len(),
        path.display()
    );
    for (kind, n) in causes_total {
        println!("  {n:>6} × {kind}");
    }
}

/// Generate, prepare, match and drop one bundle at a time until `events`
/// events have been evaluated.
fn stream(
    rules: &[rulecheck::engine::SigmaRule],
    loader: &RuleLoader,
    events: usize,
    threads: Option<usize>,
) {
    let matcher = SigmaMatcher::new(rules, true);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(0))
        .build()
        .expect("thread pool");
    let (mut evaluated, mut matches, mut bundles) = (0usize, 0usize, 0usize);
    let mut matching = std::time::Duration::ZERO;
    let mut funnel = rulecheck::engine::Funnel::default();
    let started = Instant::now();
    'rounds: for round in library_rounds() {
        for bundle in round {
            let start = Instant::now();
            let prepared = prepare(&bundle, &loader.logsources);
            let (hits, f) = pool.install(|| matcher.hits_counted(&prepared, None));
            matching += start.elapsed();
            funnel.routed += f.routed;
            funnel.evaluated += f.evaluated;
            matches += hits.iter().map(Vec::len).sum::<usize>();
            evaluated += prepared.len();
            bundles += 1;
            if evaluated >= events {
                break 'rounds;
            }
        }
    }
    let total = started.elapsed().as_secs_f64();
    let m = matching.as_secs_f64();
    println!(
        "streamed: {evaluated} events in {bundles} bundles on {} threads; {matches} matches; prepare + match {:.0} events/s ({m:.2} s), with generation {:.0} events/s ({total:.2} s)",
        pool.current_num_threads(),
        evaluated as f64 / m,
        evaluated as f64 / total
    );
    println!(
        "per event: {:.1} rules routed, {:.2} evaluated by sigma-rust after the prefilter, {:.3} matched",
        funnel.routed as f64 / evaluated as f64,
        funnel.evaluated as f64 / evaluated as f64,
        matches as f64 / evaluated as f64
    );
    report_rss("at the end of the streamed run");
}

fn report_rss(when: &str) {
    if let Some(rss) = peak_rss_bytes() {
        println!("peak RSS {when}: {} MB", rss / 1_000_000);
    }
}

/// Write each event's unmapped view (the flattened record) as one JSON line.
fn export(path: &std::path::Path, prepared: &[Vec<PreparedEvent>]) {
    use std::io::Write;
    let file = std::fs::File::create(path).expect("create export file");
    let mut out = std::io::BufWriter::new(file);
    for e in prepared.iter().flatten() {
        serde_json::to_writer(&mut out, &e.flat).expect("write");
        out.write_all(b"\n").expect("write");
    }
    out.flush().expect("flush");
    println!("exported to {}", path.display());
}
