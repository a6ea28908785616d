use super::*;
use crate::attack::matrix;
use crate::coverage::{BundleCoverage, Coverage, Status, TechniqueCoverage};

fn technique(
    id: &str,
    status: Status,
    score: Option<f64>,
    rules: &[&str],
    bundles: usize,
) -> TechniqueCoverage {
    TechniqueCoverage {
        id: id.parse().unwrap(),
        status,
        score,
        detecting_rules: rules.iter().map(|r| r.to_string()).collect(),
        claiming_rules: rules.iter().map(|r| r.to_string()).collect(),
        bundles: (0..bundles)
            .map(|i| BundleCoverage {
                path: format!("b{i}.jsonl"),
                spec: format!("b{i}"),
                detected_by: if (i as f64) < score.unwrap_or(0.0) * bundles as f64 {
                    rules.iter().map(|r| r.to_string()).collect()
                } else {
                    vec![]
                },
                missed_steps: vec!["step".into()],
                outcomes: vec![],
            })
            .collect(),
    }
}

fn sample() -> Coverage {
    Coverage {
        rules: 2,
        bundles: 2,
        techniques: vec![
            technique("T1003.001", Status::Untested, None, &["lsass.yml"], 0),
            technique("T1059.001", Status::Partial, Some(0.5), &["ps.yml"], 2),
            technique("T1105", Status::Missed, Some(0.0), &[], 1),
            technique("T9999", Status::Missed, Some(0.0), &[], 1),
        ],
    }
}

#[test]
fn the_table_groups_by_tactic_and_calls_out_techniques_nobody_detects() {
    let text = render_table(&sample(), matrix(), TableStyle::default());
    let execution = text.find("Execution").unwrap();
    let ps = text.find("T1059.001 PowerShell").unwrap();
    assert!(execution < ps, "{text}");
    assert!(text.contains("50% partial"));
    assert!(text.contains("0% NO DETECTION"));
    assert!(
        text.contains(NOT_IN_MATRIX),
        "unknown ids get their own group"
    );
    assert!(
        text.contains(
            "Shown by bundles, detected by no rule:\n  T1105 Ingress Tool Transfer: b0.jsonl (step)"
        ),
        "{text}"
    );
    assert!(text.contains(
        "4 techniques (ATT&CK v18.1): 0 detected, 1 partial, 2 not detected, 1 untested"
    ));
}

#[test]
fn json_names_techniques_and_their_tactics() {
    let v: serde_json::Value = serde_json::from_str(&render_json(&sample(), matrix())).unwrap();
    assert_eq!(v["attack_version"], "18.1");
    assert_eq!(v["statuses"]["missed"], 2);
    let ps = &v["techniques"][1];
    assert_eq!(ps["id"], "T1059.001");
    assert_eq!(ps["name"], "PowerShell");
    assert_eq!(ps["tactics"], serde_json::json!(["execution"]));
    assert_eq!(ps["score"], 0.5);
}

#[test]
fn navigator_layers_have_the_4_5_shape() {
    let v: serde_json::Value =
        serde_json::from_str(&render_navigator(&sample(), matrix())).unwrap();
    assert_eq!(v["versions"]["layer"], "4.5");
    assert_eq!(v["versions"]["attack"], "18");
    assert_eq!(v["domain"], "enterprise-attack");
    let techniques = v["techniques"].as_array().unwrap();
    let find = |id: &str| techniques.iter().find(|t| t["techniqueID"] == id).unwrap();
    // The parent of a covered sub-technique is expanded.
    assert_eq!(find("T1059")["showSubtechniques"], true);
    assert_eq!(find("T1059.001")["score"], 50);
    assert_eq!(find("T1105")["score"], 0);
    assert!(find("T1003.001").get("score").is_none());
    assert_eq!(find("T1003.001")["color"], UNTESTED);
    assert_eq!(v["gradient"]["maxValue"], 100);
    assert_eq!(v["legendItems"].as_array().unwrap().len(), 4);
    for t in techniques {
        assert!(t["techniqueID"].as_str().unwrap().starts_with('T'));
    }
}
