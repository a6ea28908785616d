use std::io::Write as _;
use std::path::Path;

use serde_json::{Value, json};

use super::*;
use crate::technique::Tactic;

/// A minimal ATT&CK bundle: a matrix listing persistence before execution
/// (the matrix, not ids or names, decides tactic order), a technique under
/// both, its sub-technique, a technique revoked by the sub-technique, and
/// objects the table ignores.
fn tiny_bundle() -> Value {
    let mitre = |id: &str| json!([{"source_name": "mitre-attack", "external_id": id, "url": "https://attack.mitre.org/"}]);
    json!({
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {"type": "marking-definition", "id": "marking-definition--m", "definition_type": "statement",
             "definition": {"statement": "Copyright 2015-2025, The MITRE Corporation."}},
            {"type": "x-mitre-matrix", "id": "x-mitre-matrix--m", "name": "Enterprise ATT&CK",
             "external_references": mitre("enterprise-attack"),
             "object_marking_refs": ["marking-definition--m"],
             "tactic_refs": ["x-mitre-tactic--p", "x-mitre-tactic--e"], "x_mitre_version": "1.0"},
            {"type": "x-mitre-tactic", "id": "x-mitre-tactic--e", "name": "Execution",
             "x_mitre_shortname": "execution", "external_references": mitre("TA0002")},
            {"type": "x-mitre-tactic", "id": "x-mitre-tactic--p", "name": "Persistence",
             "x_mitre_shortname": "persistence", "external_references": mitre("TA0003")},
            {"type": "attack-pattern", "id": "attack-pattern--sub", "name": "PowerShell",
             "external_references": mitre("T1059.001"), "x_mitre_is_subtechnique": true,
             "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
             "x_mitre_platforms": ["Windows"], "description": "ignored"},
            {"type": "attack-pattern", "id": "attack-pattern--base", "name": "Command and Scripting Interpreter",
             "external_references": mitre("T1059"), "x_mitre_is_subtechnique": false,
             "kill_chain_phases": [
                 {"kill_chain_name": "mitre-attack", "phase_name": "execution"},
                 {"kill_chain_name": "mitre-attack", "phase_name": "persistence"}],
             "x_mitre_platforms": ["Windows", "macOS", "Linux"], "revoked": false, "x_mitre_deprecated": false},
            {"type": "attack-pattern", "id": "attack-pattern--old", "name": "PowerShell",
             "external_references": mitre("T1086"), "revoked": true,
             "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}]},
            {"type": "relationship", "id": "relationship--r", "relationship_type": "revoked-by",
             "source_ref": "attack-pattern--old", "target_ref": "attack-pattern--sub"},
            {"type": "relationship", "id": "relationship--u", "relationship_type": "uses",
             "source_ref": "malware--x", "target_ref": "attack-pattern--base"},
            {"type": "malware", "id": "malware--x", "name": "X", "is_family": true},
        ]
    })
}

fn tiny_expected() -> Matrix {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Matrix {
        version: "9.0".into(),
        domain: "enterprise-attack".into(),
        name: "Enterprise ATT&CK".into(),
        copyright: Some("Copyright 2015-2025, The MITRE Corporation.".into()),
        tactics: vec![
            AttackTactic {
                id: "TA0003".into(),
                shortname: "persistence".into(),
                name: "Persistence".into(),
                techniques: s(&["T1059"]),
            },
            AttackTactic {
                id: "TA0002".into(),
                shortname: "execution".into(),
                name: "Execution".into(),
                techniques: s(&["T1059", "T1059.001"]),
            },
        ],
        techniques: vec![
            AttackTechnique {
                id: "T1059".into(),
                name: "Command and Scripting Interpreter".into(),
                tactics: s(&["persistence", "execution"]),
                parent: None,
                platforms: s(&["Linux", "macOS", "Windows"]),
            },
            AttackTechnique {
                id: "T1059.001".into(),
                name: "PowerShell".into(),
                tactics: s(&["execution"]),
                parent: Some("T1059".into()),
                platforms: s(&["Windows"]),
            },
        ],
        retired: vec![RetiredTechnique {
            id: "T1086".into(),
            name: "PowerShell".into(),
            kind: Retirement::Revoked,
            revoked_by: Some("T1059.001".into()),
        }],
    }
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// The error and its whole chain, as the CLI prints it.
fn chain(e: &AttackError) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}

#[test]
fn shipped_table_parses_with_the_v18_1_counts() {
    let m = Matrix::parse_yaml(BUILTIN).unwrap();
    assert_eq!(&m, matrix());
    assert_eq!(m.version, "18.1");
    assert_eq!(m.domain, "enterprise-attack");
    assert_eq!(m.tactics.len(), 14);
    let subtechniques = m.techniques.iter().filter(|t| t.parent.is_some()).count();
    assert_eq!(m.techniques.len() - subtechniques, 216);
    assert_eq!(subtechniques, 475);
    assert!(
        m.copyright
            .as_deref()
            .unwrap()
            .contains("The MITRE Corporation")
    );
}

#[test]
fn shipped_tactics_are_in_matrix_order_and_match_the_tactic_enum() {
    let m = matrix();
    let order: Vec<&str> = m.tactics.iter().map(|t| t.shortname.as_str()).collect();
    assert_eq!(order.first(), Some(&"reconnaissance"));
    assert_eq!(order.last(), Some(&"impact"));
    let known: Vec<&str> = Tactic::ALL.iter().map(|t| t.short_name()).collect();
    assert_eq!(order, known, "crate::technique::Tactic follows the matrix");
    let execution = m.tactic("execution").unwrap();
    assert_eq!(
        (execution.id.as_str(), execution.name.as_str()),
        ("TA0002", "Execution")
    );
    assert!(execution.techniques.windows(2).all(|w| w[0] < w[1]));
    assert!(execution.techniques.iter().any(|t| t == "T1059.001"));
    assert_eq!(m.tactic("Command-And-Control").unwrap().id, "TA0011");
    assert!(m.tactic("exploitation").is_none());
}

#[test]
fn powershell_is_a_sub_technique_of_command_and_scripting_interpreter() {
    let m = matrix();
    let ps = m.technique("T1059.001").unwrap();
    assert_eq!(ps.name, "PowerShell");
    assert_eq!(ps.tactics, ["execution"]);
    assert_eq!(ps.parent.as_deref(), Some("T1059"));
    assert_eq!(ps.platforms, ["Windows"]);
    assert_eq!(
        m.technique("t1059.001"),
        Some(ps),
        "Sigma tags are lower-case"
    );
    assert_eq!(
        m.technique("T1059").unwrap().name,
        "Command and Scripting Interpreter"
    );
    let subs: Vec<&str> = m.subtechniques("T1059").map(|t| t.id.as_str()).collect();
    assert_eq!(subs.first(), Some(&"T1059.001"));
    assert!(subs.len() >= 12 && subs.iter().all(|s| s.starts_with("T1059.")));
    // A technique under several tactics lists them in matrix order.
    assert_eq!(
        m.technique("T1078").unwrap().tactics,
        [
            "initial-access",
            "persistence",
            "privilege-escalation",
            "defense-evasion"
        ]
    );
    assert!(m.technique("T9999").is_none());
}

#[test]
fn retired_techniques_are_listed_apart_with_their_replacement() {
    let m = matrix();
    assert!(m.technique("T1086").is_none());
    let powershell = m.retired("T1086").unwrap();
    assert_eq!(powershell.name, "PowerShell");
    assert_eq!(powershell.kind, Retirement::Revoked);
    assert_eq!(powershell.revoked_by.as_deref(), Some("T1059.001"));
    assert!(m.technique("T1064").is_none());
    let scripting = m.retired("t1064").unwrap();
    assert_eq!(
        (
            scripting.name.as_str(),
            scripting.kind,
            scripting.revoked_by.as_deref()
        ),
        ("Scripting", Retirement::Deprecated, None)
    );
    // T1150 was revoked by T1547.011, itself revoked by T1647: the
    // replacement is the current one.
    assert_eq!(
        m.retired("T1150").unwrap().revoked_by.as_deref(),
        Some("T1647")
    );
    for r in &m.retired {
        if let Some(by) = &r.revoked_by {
            assert!(m.technique(by).is_some(), "{} → {by} is current", r.id);
        }
    }
}

#[test]
fn the_shipped_file_is_in_canonical_form() {
    assert_eq!(matrix().to_yaml(), BUILTIN, "regenerate data/attack.yaml");
}

#[test]
fn stix_is_converted_to_the_expected_table() {
    let json = bytes(&tiny_bundle());
    let m = from_stix_with_version(&json, Some("9.0")).unwrap();
    assert_eq!(m, tiny_expected());
    assert_eq!(m.subtechniques("T1059").count(), 1);
    assert!(matches!(from_stix(&json), Err(AttackError::NoVersion)));

    // An x-mitre-collection's version wins over the fallback.
    let mut bundle = tiny_bundle();
    bundle["objects"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "x-mitre-collection", "id": "x-mitre-collection--c", "x_mitre_version": "9.1"}));
    let m = from_stix_with_version(&bytes(&bundle), Some("9.0")).unwrap();
    assert_eq!(m.version, "9.1");
    assert_eq!(from_stix(&bytes(&bundle)).unwrap().version, "9.1");
}

#[test]
fn yaml_round_trips() {
    let tiny = tiny_expected();
    let text = tiny.to_yaml();
    assert!(
        text.contains("  - [T1059.001, \"PowerShell\", [execution], [Windows]]\n"),
        "{text}"
    );
    assert!(
        text.contains("  - [T1086, \"PowerShell\", revoked, T1059.001]\n"),
        "{text}"
    );
    assert_eq!(Matrix::parse_yaml(&text).unwrap(), tiny);
    assert_eq!(Matrix::parse_yaml(&text).unwrap().to_yaml(), text);

    // Names YAML would misread bare, and words that need quoting.
    let mut odd = tiny;
    odd.name = "Odd: \"quoted\", [bracketed] & #hashed".into();
    odd.techniques[0].name = "yes: no, # - 'x' \\ ü".into();
    odd.techniques[0].platforms = vec!["null".into(), "Office Suite".into(), "1.0".into()];
    let back = Matrix::parse_yaml(&odd.to_yaml()).unwrap();
    assert_eq!(back.name, odd.name);
    assert_eq!(back.techniques[0].name, odd.techniques[0].name);
    assert_eq!(
        back.techniques[0].platforms,
        ["1.0", "null", "Office Suite"]
    );
}

#[test]
fn bad_stix_is_rejected_with_what_is_wrong() {
    let convert =
        |bundle: &Value| chain(&from_stix_with_version(&bytes(bundle), Some("9.0")).unwrap_err());
    let edit = |f: &dyn Fn(&mut Vec<Value>)| {
        let mut bundle = tiny_bundle();
        f(bundle["objects"].as_array_mut().unwrap());
        bundle
    };
    let find = |objects: &mut Vec<Value>, id: &str| -> usize {
        objects.iter().position(|o| o["id"] == id).unwrap()
    };

    let e = chain(&from_stix(b"{\"type\": \"bundle\", \"objects\": [").unwrap_err());
    assert!(e.starts_with("STIX bundle is not valid JSON"), "{e}");
    let e = chain(&from_stix(b"{\"type\": \"bundle\"}").unwrap_err());
    assert!(e.contains("missing field `objects`"), "{e}");

    let e = convert(&edit(&|o| o.retain(|o| o["type"] != "x-mitre-matrix")));
    assert!(e.contains("no x-mitre-matrix"), "{e}");

    let e = convert(&edit(&|o| {
        let i = find(o, "x-mitre-tactic--e");
        o.remove(i);
    }));
    assert!(e.contains("`x-mitre-tactic--e`"), "{e}");

    let e = convert(&edit(&|o| {
        let i = find(o, "attack-pattern--sub");
        o[i]["kill_chain_phases"][0]["phase_name"] = json!("exploitation");
    }));
    assert!(
        e.contains("`T1059.001`") && e.contains("`exploitation`"),
        "{e}"
    );

    let e = convert(&edit(&|o| {
        let i = find(o, "attack-pattern--sub");
        o[i]["x_mitre_is_subtechnique"] = json!(false);
    }));
    assert!(
        e.contains("`T1059.001` has x_mitre_is_subtechnique: false"),
        "{e}"
    );

    let e = convert(&edit(&|o| {
        let i = find(o, "attack-pattern--base");
        o[i]["x_mitre_deprecated"] = json!(true);
    }));
    assert!(
        e.contains("sub-technique `T1059.001` has no current parent technique `T1059`"),
        "{e}"
    );

    let e = convert(&edit(&|o| {
        let i = find(o, "attack-pattern--old");
        o[i]["external_references"][0]["external_id"] = json!("T1059");
    }));
    assert!(e.contains("`T1059` is listed twice"), "{e}");

    let e = convert(&edit(&|o| {
        let i = find(o, "relationship--r");
        o[i]["target_ref"] = json!("attack-pattern--gone");
    }));
    assert!(
        e.contains("`T1086`") && e.contains("`attack-pattern--gone`"),
        "{e}"
    );

    let e = convert(&edit(&|o| {
        let i = find(o, "attack-pattern--base");
        o[i]["external_references"][0]["external_id"] = json!("T59");
    }));
    assert!(
        e.contains("`T59` is not a valid ATT&CK technique id"),
        "{e}"
    );

    let e = convert(&edit(&|o| {
        let i = find(o, "x-mitre-tactic--p");
        o[i].as_object_mut().unwrap().remove("x_mitre_shortname");
    }));
    assert!(
        e.contains("tactic `TA0003` has no x_mitre_shortname"),
        "{e}"
    );
}

#[test]
fn bad_tables_are_rejected_with_what_is_wrong() {
    let good = tiny_expected().to_yaml();
    let parse = |text: &str| chain(&Matrix::parse_yaml(text).unwrap_err());

    let e = parse(&good.replace("[persistence, execution]", "[persistence, exploitation]"));
    assert!(e.contains("`T1059` is under tactic `exploitation`"), "{e}");
    let e = parse(&good.replace("revoked, T1059.001]", "revoked, T1234]"));
    assert!(e.contains("`T1086` is replaced by `T1234`"), "{e}");
    let e = parse(&good.replace("revoked, T1059.001]", "obsolete, ~]"));
    assert!(
        e.starts_with("ATT&CK table is not valid YAML") && e.contains("obsolete"),
        "{e}"
    );
    let e = parse(&good.replace("[T1059.001, \"PowerShell\"", "[T1058.001, \"PowerShell\""));
    assert!(
        e.contains("`T1058.001` has no current parent technique `T1058`"),
        "{e}"
    );
    let e = parse(&good.replace("TA0002", "TA0003"));
    assert!(e.contains("`TA0003` is listed twice"), "{e}");
    let e = parse(&good.replace("version: \"9.0\"", "version: \"9.0\"\nrelease: x"));
    assert!(e.contains("unknown field `release`"), "{e}");
    let e = parse(&good.replace(
        "[T1086, \"PowerShell\", revoked, T1059.001]",
        "[T1086, \"PowerShell\", deprecated, T1059.001]",
    ));
    assert!(
        e.contains("deprecated technique `T1086` names a replacement"),
        "{e}"
    );
}

#[test]
fn stix_files_are_read_plain_or_gzipped_with_the_version_from_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let json = bytes(&tiny_bundle());
    let plain = dir.path().join("enterprise-attack-9.0.json");
    std::fs::write(&plain, &json).unwrap();
    assert_eq!(read_stix_file(&plain).unwrap(), tiny_expected());

    let gz = dir.path().join("enterprise-attack-v9.0.json.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&json).unwrap();
    std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
    assert_eq!(read_stix_file(&gz).unwrap(), tiny_expected());

    let unversioned = dir.path().join("enterprise-attack.json");
    std::fs::write(&unversioned, &json).unwrap();
    assert!(matches!(
        read_stix_file(&unversioned),
        Err(AttackError::NoVersion)
    ));

    let broken = dir.path().join("enterprise-attack-9.0.json.gz");
    std::fs::write(&broken, [0x1f, 0x8b, 0x08, 0x00, 0x01]).unwrap();
    let e = chain(&read_stix_file(&broken).unwrap_err());
    assert!(e.starts_with("cannot decompress gzip STIX bundle"), "{e}");

    let e = chain(&read_stix_file(&dir.path().join("missing.json")).unwrap_err());
    assert!(
        e.starts_with("cannot read STIX bundle") && e.contains("missing.json"),
        "{e}"
    );
}

#[test]
fn versions_come_from_mitres_file_names() {
    assert_eq!(
        version_from_file_name("enterprise-attack-18.1.json").as_deref(),
        Some("18.1")
    );
    assert_eq!(
        version_from_file_name("enterprise-attack-v18.1.json.gz").as_deref(),
        Some("18.1")
    );
    assert_eq!(
        version_from_file_name("enterprise-attack-17.json").as_deref(),
        Some("17")
    );
    assert_eq!(version_from_file_name("enterprise-attack.json"), None);
    assert_eq!(version_from_file_name("enterprise-attack-v.json"), None);
    assert_eq!(version_from_file_name("enterprise-attack-18..1.json"), None);
}

/// Regenerating from the corpus bundle reproduces the shipped file byte for
/// byte: `data/attack.yaml` is what the code makes of v18.1, nothing edited.
#[test]
fn the_shipped_table_is_regenerated_from_the_corpus_bundle() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpora/attack/enterprise-attack-v18.1.json.gz");
    if !path.exists() {
        eprintln!("skipping: {} is absent", path.display());
        return;
    }
    let m = read_stix_file(&path).unwrap();
    assert_eq!(&m, matrix());
    assert!(
        m.to_yaml() == BUILTIN,
        "data/attack.yaml differs from what the corpus bundle gives; regenerate it"
    );
}
