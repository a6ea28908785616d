use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
use crate::bundle::Bundle;
use crate::config::Config;
use crate::engine::kql_rule::ExternalFixtures;
use crate::engine::{LoadedRule, Placeholders, RuleLoader};
use crate::test_support::unlabelled_event;
use crate::testrun::{RuleResult, run_tests};

/// Entries in memory, counting stores.
#[derive(Default)]
struct MemoryStore {
    entries: Mutex<BTreeMap<String, Entry>>,
    stores: AtomicUsize,
}

impl ResultStore for MemoryStore {
    fn load(&self, key: &str) -> Option<Entry> {
        self.entries.lock().unwrap().get(key).cloned()
    }
    fn store(&self, key: &str, entry: &Entry) {
        self.stores.fetch_add(1, Ordering::Relaxed);
        self.entries
            .lock()
            .unwrap()
            .insert(key.to_string(), entry.clone());
    }
}

const WHOAMI: &str = "title: whoami\nid: 11111111-1111-4111-8111-111111111111\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    Image|endswith: '\\whoami.exe'\n  condition: s\n";
const NET: &str = "title: net\nname: net\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    Image|endswith: '\\net.exe'\n  condition: s\n";
const TWO_NETS: &str = "title: two nets\ncorrelation:\n  type: event_count\n  rules: [net]\n  group-by: [User]\n  timespan: 1h\n  condition:\n    gte: 2\n";
const KQL: &str = "DeviceProcessEvents\n| where FileName =~ \"whoami.exe\"\n";

struct Rules {
    sigma: Vec<crate::engine::SigmaRule>,
    correlations: Vec<crate::engine::CorrelationRule>,
    kql: Vec<crate::engine::KqlRule>,
}

fn load(files: &[(&str, &str)]) -> Rules {
    let loader = RuleLoader::new(&Placeholders::default());
    let mut rules = Rules {
        sigma: Vec::new(),
        correlations: Vec::new(),
        kql: Vec::new(),
    };
    for (path, text) in files {
        for rule in loader.load_file(path, text).unwrap() {
            match rule {
                LoadedRule::Sigma(r) => rules.sigma.push(*r),
                LoadedRule::Correlation(c) => rules.correlations.push(*c),
                LoadedRule::Kql(k) => rules.kql.push(*k),
            }
        }
    }
    rules
}

fn shipped_rules() -> Rules {
    load(&[
        ("whoami.yml", WHOAMI),
        ("net.yml", NET),
        ("two_nets.yml", TWO_NETS),
        ("whoami.kql", KQL),
    ])
}

/// A bundle of `n` process creations by one user, every third `whoami.exe`,
/// the others `net.exe`, in Sysmon and Defender form.
fn bundle(name: &str, n: usize) -> (String, Bundle) {
    let table = crate::engine::LogsourceTable::builtin();
    let mut bundle = crate::bundle::bundle_from_records(name, vec![], &table);
    for i in 0..n {
        let file = if i % 3 == 0 { "whoami.exe" } else { "net.exe" };
        let image = format!("C:\\Windows\\System32\\{file}");
        let time = format!("2026-01-05T09:00:{:02}.000Z", i % 60);
        bundle.events.push(unlabelled_event(
            "sysmon",
            serde_json::json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "TimeCreated": {"#attributes": {"SystemTime": time}}},
                "EventData": {"Image": image, "User": "NORTHWIND\\alice", "UtcTime": time}}}),
        ));
        bundle.events.push(unlabelled_event(
            "DeviceProcessEvents",
            serde_json::json!({"Timestamp": time, "ActionType": "ProcessCreated", "FileName": file, "FolderPath": image}),
        ));
    }
    bundle.header.event_count = bundle.events.len();
    (format!("{name}.jsonl"), bundle)
}

fn run(
    rules: &Rules,
    bundles: &[(String, Bundle)],
    cache: Option<&ResultCache<'_>>,
) -> Vec<RuleResult> {
    let fixtures = ExternalFixtures::default();
    let set = RuleSet {
        sigma: &rules.sigma,
        correlations: &rules.correlations,
        kql: &rules.kql,
        kql_fixtures: &fixtures,
    };
    let table = crate::engine::LogsourceTable::builtin();
    run_tests(&set, bundles, &Config::default(), &table, cache, &|| {})
}

/// Results as comparable text (verdicts, hits and all).
fn text(results: &[RuleResult]) -> String {
    serde_json::to_string(results).unwrap()
}

fn context(text: &str) -> Digest {
    Digest::of(text.as_bytes())
}

#[test]
fn a_second_run_reuses_every_result_and_changes_none() {
    let rules = shipped_rules();
    let bundles = vec![bundle("a", 30), bundle("b", 7)];
    let reference = run(&rules, &bundles, None);
    assert!(
        text(&reference).contains("\"hits\""),
        "{}",
        text(&reference)
    );

    let store = MemoryStore::default();
    let first = ResultCache::new(&store, context("engine"));
    assert_eq!(text(&run(&rules, &bundles, Some(&first))), text(&reference));
    // 2 Sigma + 1 correlation + 1 KQL rule on 2 bundles.
    assert_eq!(
        first.stats(),
        CacheStats {
            reused: 0,
            evaluated: 8
        }
    );
    assert_eq!(store.stores.load(Ordering::Relaxed), 2);

    let second = ResultCache::new(&store, context("engine"));
    assert_eq!(
        text(&run(&rules, &bundles, Some(&second))),
        text(&reference)
    );
    assert_eq!(
        second.stats(),
        CacheStats {
            reused: 8,
            evaluated: 0
        }
    );
    assert_eq!(
        store.stores.load(Ordering::Relaxed),
        2,
        "nothing new to store"
    );
}

#[test]
fn cached_hits_are_what_a_run_reports() {
    // Proof that results really come from the cache: tamper with an entry.
    let rules = load(&[("whoami.yml", WHOAMI)]);
    let bundles = vec![bundle("a", 6)];
    let store = MemoryStore::default();
    run(
        &rules,
        &bundles,
        Some(&ResultCache::new(&store, context("e"))),
    );
    for entry in store.entries.lock().unwrap().values_mut() {
        for outcome in entry.results.values_mut() {
            *outcome = Outcome::Hits(vec![1]);
        }
    }
    let results = run(
        &rules,
        &bundles,
        Some(&ResultCache::new(&store, context("e"))),
    );
    let hits = &serde_json::to_value(&results).unwrap()[0]["hits"];
    assert_eq!(hits.as_array().unwrap().len(), 1, "{hits}");
}

#[test]
fn an_edited_rule_is_re_evaluated_on_every_bundle_and_nothing_else_is() {
    let bundles = vec![bundle("a", 30), bundle("b", 7)];
    let store = MemoryStore::default();
    run(
        &shipped_rules(),
        &bundles,
        Some(&ResultCache::new(&store, context("e"))),
    );

    let edited_whoami = WHOAMI.replace("whoami.exe", "WHOAMI.EXE");
    let edited = load(&[
        ("whoami.yml", edited_whoami.as_str()),
        ("net.yml", NET),
        ("two_nets.yml", TWO_NETS),
        ("whoami.kql", KQL),
    ]);
    let cache = ResultCache::new(&store, context("e"));
    let results = run(&edited, &bundles, Some(&cache));
    assert_eq!(
        cache.stats(),
        CacheStats {
            reused: 6,
            evaluated: 2
        }
    );
    assert_eq!(text(&results), text(&run(&edited, &bundles, None)));
}

#[test]
fn a_correlation_is_re_evaluated_when_a_rule_it_refers_to_changes() {
    let bundles = vec![bundle("a", 30)];
    let store = MemoryStore::default();
    run(
        &shipped_rules(),
        &bundles,
        Some(&ResultCache::new(&store, context("e"))),
    );

    // Same `name`, different detection: the correlation's input changed.
    let edited_net = NET.replace("net.exe", "net1.exe");
    let edited = load(&[
        ("whoami.yml", WHOAMI),
        ("net.yml", edited_net.as_str()),
        ("two_nets.yml", TWO_NETS),
        ("whoami.kql", KQL),
    ]);
    let cache = ResultCache::new(&store, context("e"));
    let results = run(&edited, &bundles, Some(&cache));
    // `net` and `two nets` evaluated; `whoami` and the KQL rule reused.
    assert_eq!(
        cache.stats(),
        CacheStats {
            reused: 2,
            evaluated: 2
        }
    );
    assert_eq!(text(&results), text(&run(&edited, &bundles, None)));
}

#[test]
fn an_edited_bundle_is_re_evaluated_by_every_rule_and_no_other_bundle_is() {
    let rules = shipped_rules();
    let store = MemoryStore::default();
    run(
        &rules,
        &[bundle("a", 30), bundle("b", 7)],
        Some(&ResultCache::new(&store, context("e"))),
    );

    let mut changed = bundle("b", 7);
    changed.1.events[2].record["Event"]["EventData"]["Image"] =
        "C:\\Windows\\System32\\whoami.exe".into();
    let bundles = vec![bundle("a", 30), changed];
    let cache = ResultCache::new(&store, context("e"));
    let results = run(&rules, &bundles, Some(&cache));
    assert_eq!(
        cache.stats(),
        CacheStats {
            reused: 4,
            evaluated: 4
        }
    );
    assert_eq!(text(&results), text(&run(&rules, &bundles, None)));
}

#[test]
fn another_context_shares_nothing() {
    // The context stands for the binary, mappings, placeholders and fixtures.
    let rules = shipped_rules();
    let bundles = vec![bundle("a", 9)];
    let store = MemoryStore::default();
    run(
        &rules,
        &bundles,
        Some(&ResultCache::new(&store, context("engine 1"))),
    );
    let cache = ResultCache::new(&store, context("engine 2"));
    run(&rules, &bundles, Some(&cache));
    assert_eq!(
        cache.stats(),
        CacheStats {
            reused: 0,
            evaluated: 4
        }
    );
}

#[test]
fn entries_of_another_format_are_misses() {
    let rules = load(&[("whoami.yml", WHOAMI)]);
    let bundles = vec![bundle("a", 6)];
    let store = MemoryStore::default();
    run(
        &rules,
        &bundles,
        Some(&ResultCache::new(&store, context("e"))),
    );
    for entry in store.entries.lock().unwrap().values_mut() {
        entry.format = CACHE_FORMAT + 1;
    }
    let cache = ResultCache::new(&store, context("e"));
    run(&rules, &bundles, Some(&cache));
    assert_eq!(
        cache.stats(),
        CacheStats {
            reused: 0,
            evaluated: 1
        }
    );
}

#[test]
fn an_entry_drops_results_of_absent_rules_once_they_outnumber_the_runs() {
    let store = MemoryStore::default();
    let bundles = vec![bundle("a", 3)];
    // 70 edits of one rule: 70 results for the same bundle.
    for n in 0..70 {
        let text = WHOAMI.replace("title: whoami", &format!("title: whoami {n}"));
        run(
            &load(&[("whoami.yml", text.as_str())]),
            &bundles,
            Some(&ResultCache::new(&store, context("e"))),
        );
    }
    let sizes: Vec<usize> = store
        .entries
        .lock()
        .unwrap()
        .values()
        .map(|e| e.results.len())
        .collect();
    assert_eq!(sizes.len(), 1);
    assert!(sizes[0] <= 2 + 64 + 1, "{sizes:?}");
}

#[test]
fn rules_not_loaded_from_text_are_never_cached() {
    let mut rules = load(&[("whoami.yml", WHOAMI)]);
    rules.sigma[0].digest = None;
    let store = MemoryStore::default();
    let cache = ResultCache::new(&store, context("e"));
    run(&rules, &[bundle("a", 3)], Some(&cache));
    assert_eq!(
        cache.stats(),
        CacheStats {
            reused: 0,
            evaluated: 1
        }
    );
    assert_eq!(store.stores.load(Ordering::Relaxed), 0);
}
