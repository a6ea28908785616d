//! Builders shared by unit tests: a small labelled bundle and expectations.

use serde_json::json;

use crate::bundle::{Bundle, Class, EventLine, Header, Labels, NarrativeStep};
use crate::config::Expectation;

pub fn step(id: &str, technique: Option<&str>, class: Class) -> NarrativeStep {
    NarrativeStep {
        id: id.into(),
        technique: technique.map(|t| t.parse().unwrap()),
        class,
        action: "process_create".into(),
        description: None,
        parent: None,
        after: vec![],
    }
}

/// An event of `source` with no step, technique or class, as imported real
/// records are labelled.
pub fn unlabelled_event(source: &str, record: serde_json::Value) -> EventLine {
    EventLine {
        labels: Labels {
            source: source.into(),
            step: None,
            technique: None,
            class: Class::Unknown,
            ingestion_time: None,
        },
        record,
    }
}

/// A bundle with one event per narrative step: `office` (benign), `ps`
/// (T1059.001), `runkey` (T1547.001).
pub fn bundle() -> Bundle {
    bundle_of(vec![
        step("office", None, Class::Benign),
        step("ps", Some("T1059.001"), Class::Malicious),
        step("runkey", Some("T1547.001"), Class::Malicious),
    ])
}

/// A bundle with one event per given narrative step.
pub fn bundle_of(narrative: Vec<NarrativeStep>) -> Bundle {
    let events = narrative
        .iter()
        .map(|s| EventLine {
            labels: Labels {
                source: "sysmon".into(),
                step: Some(s.id.clone()),
                technique: s.technique.clone(),
                class: s.class,
                ingestion_time: None,
            },
            record: json!({}),
        })
        .collect::<Vec<_>>();
    Bundle {
        header: Header {
            format: "rulecheck-bundle".into(),
            version: 1,
            generator: "test".into(),
            spec: "t".into(),
            name: "t".into(),
            description: None,
            techniques: vec![],
            tactics: vec![],
            platform: "windows".into(),
            seed: 0,
            profile: "p".into(),
            host: "h".into(),
            start: "s".into(),
            reference_time: "r".into(),
            event_count: events.len(),
            narrative,
            variant: None,
        },
        events,
    }
}

pub fn expect(techniques: &[&str]) -> Expectation {
    Expectation {
        techniques: techniques.iter().map(|t| t.parse().unwrap()).collect(),
        allow_benign_hits: false,
        overrides: vec![],
    }
}
