use super::*;
use crate::bundle::{Bundle, Class, EventLine, Labels};
use crate::config::Config;
use crate::engine::correlate::RuleSet;
use crate::engine::kql_rule::ExternalFixtures;
use crate::engine::{LogsourceTable, Placeholders, RuleLoader};
use crate::testrun::run_tests;

const WHOAMI: &str = "title: whoami\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  s:\n    Image|endswith: '\\whoami.exe'\n  condition: s\n";

/// A bundle of `profile` with one Sysmon process creation per image, each
/// labelled benign unless it is `evil`.
fn bundle(name: &str, profile: &str, images: &[&str]) -> (String, Bundle) {
    let table = LogsourceTable::builtin();
    let mut bundle = crate::bundle::bundle_from_records(name, vec![], &table);
    bundle.header.profile = profile.to_string();
    for image in images {
        let benign = !image.contains("evil");
        bundle.events.push(EventLine {
            labels: Labels {
                source: "sysmon".into(),
                step: Some(if benign { "background/1/x" } else { "attack" }.into()),
                technique: (!benign).then(|| "T1033".parse().unwrap()),
                class: if benign { Class::Benign } else { Class::Malicious },
                ingestion_time: None,
            },
            record: serde_json::json!({"Event": {"System": {"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational"},
                "EventData": {"Image": format!("C:\\Windows\\System32\\{image}")}}}),
        });
    }
    bundle.header.event_count = bundle.events.len();
    (format!("{name}.jsonl"), bundle)
}

fn rows(bundles: &[(String, Bundle)]) -> Vec<ProfileFalsePositives> {
    let loader = RuleLoader::new(&Placeholders::default());
    let rules = vec![loader.load_sigma("whoami.yml", WHOAMI).unwrap()];
    let fixtures = ExternalFixtures::default();
    let set = RuleSet {
        sigma: &rules,
        correlations: &[],
        kql: &[],
        kql_fixtures: &fixtures,
    };
    let results = run_tests(
        &set,
        bundles,
        &Config::default(),
        &loader.logsources,
        None,
        &|| {},
    );
    by_profile(&results)
}

#[test]
fn benign_hits_are_counted_per_profile_with_their_rate() {
    let bundles = vec![
        bundle(
            "a",
            "workstation",
            &["whoami.exe", "msedge.exe", "winword.exe", "evil-whoami.exe"],
        ),
        bundle("b", "workstation", &["whoami.exe", "msedge.exe"]),
        bundle("c", "domain-controller", &["gpupdate.exe", "dsa.exe"]),
        bundle("d", DEFAULT_PROFILE, &["msedge.exe"]),
    ];
    let rows = rows(&bundles);
    let summary: Vec<(&str, usize, usize, usize)> = rows
        .iter()
        .map(|r| {
            (
                r.profile.as_str(),
                r.bundles,
                r.benign_events,
                r.false_positives,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (DEFAULT_PROFILE, 1, 1, 0),
            ("domain-controller", 1, 2, 0),
            ("workstation", 2, 5, 2),
        ]
    );
    assert_eq!(rows[2].rate, 0.4);
    assert_eq!(rows[1].rate, 0.0);
}

#[test]
fn nothing_is_reported_without_a_blended_profile() {
    let bundles = vec![
        bundle("a", DEFAULT_PROFILE, &["whoami.exe"]),
        bundle("b", IMPORTED_PROFILE, &["whoami.exe"]),
    ];
    assert!(rows(&bundles).is_empty());
}
