use super::*;

fn req(detection: &str) -> Requirement {
    let doc: Yaml = serde_norway::from_str(detection).unwrap();
    requirement(&doc)
}

fn w(field: Option<&str>, literal: &str) -> Witness {
    Witness {
        field: field.map(str::to_string),
        literal: literal.to_string(),
    }
}

#[test]
fn pieces_follow_sigma_wildcards_and_escapes() {
    // `\*` is an escaped star, as the Sigma specification and sigma-rust read it.
    assert_eq!(pieces("*\\Temp\\*.ps1", false), vec!["\\temp*.ps1"]);
    assert_eq!(pieces("*\\Temp\\\\*.ps1", false), vec!["\\temp\\", ".ps1"]);
    assert_eq!(pieces("a\\*b?c", false), vec!["a*b", "c"]);
    assert_eq!(pieces("C:\\\\x", false), vec!["c:\\x"]);
    assert_eq!(pieces("Ünïcode-x", false), vec!["ünïcode-x"]);
    assert_eq!(pieces("😀", false), vec!["😀"]);
    assert_eq!(pieces(" -enc /x", true), vec![" ", "enc ", "x"]);
    assert!(pieces("*", false).is_empty());
}

/// A requirement of single-witness clauses.
fn all_of(witnesses: &[Witness]) -> Requirement {
    Requirement::AllOf(witnesses.iter().map(|w| vec![w.clone()]).collect())
}

#[test]
fn and_requires_every_side() {
    let r = req(
        "s:\n  Image|endswith: '\\cmd.exe'\n  CommandLine|contains: ' /c whoami'\ncondition: s\n",
    );
    assert_eq!(
        r,
        all_of(&[
            w(Some("CommandLine"), " /c whoami"),
            w(Some("Image"), "\\cmd.exe")
        ])
    );
}

#[test]
fn and_keeps_the_most_selective_clauses() {
    let fields: String = (0..6)
        .map(|i| format!("  F{i}|contains: '{}'\n", "x".repeat(i + 1)))
        .collect();
    let Requirement::AllOf(clauses) = req(&format!("s:\n{fields}condition: s\n")) else {
        panic!()
    };
    let kept: Vec<&str> = clauses.iter().map(|c| c[0].literal.as_str()).collect();
    assert_eq!(kept, ["xxx", "xxxx", "xxxxx", "xxxxxx"]);
}

#[test]
fn or_of_conjunctions_pairs_their_clauses() {
    // (a1 and a2) or (b1 and b2) requires (a1 or b1) and (a2 or b2).
    let r = req(
        "a:\n  Image|endswith: '\\aaaa.exe'\n  CommandLine|contains: 'alpha'\nb:\n  Image|endswith: '\\bbbb.exe'\n  CommandLine|contains: 'beta'\ncondition: a or b\n",
    );
    assert_eq!(
        r,
        Requirement::AllOf(vec![
            vec![
                w(Some("CommandLine"), "alpha"),
                w(Some("CommandLine"), "beta")
            ],
            vec![
                w(Some("Image"), "\\aaaa.exe"),
                w(Some("Image"), "\\bbbb.exe")
            ],
        ])
    );
}

#[test]
fn lists_and_or_take_the_union() {
    let r = req(
        "a:\n  Image|endswith:\n    - '\\a.exe'\n    - '\\b.exe'\nb:\n  - 'mimikatz'\ncondition: a or b\n",
    );
    assert_eq!(
        r,
        Requirement::AllOf(vec![vec![
            w(None, "mimikatz"),
            w(Some("Image"), "\\a.exe"),
            w(Some("Image"), "\\b.exe"),
        ]])
    );
}

#[test]
fn negations_regexes_and_numbers_give_no_requirement_on_their_own() {
    for d in [
        "f:\n  Image: x\ncondition: not f\n",
        "s:\n  CommandLine|re: '.*a.b'\ncondition: s\n",
        "s:\n  EventID|gt: 4688\ncondition: s\n",
        "s:\n  CommandLine|base64offset|utf16le|contains: 'IEX'\ncondition: s\n",
        "s:\n  Image: '*'\ncondition: s\n",
        "s:\n  Image: x\ncondition: s | count() > 5\n",
        "s:\n  Image: x\nt:\n  Image|re: '.*y'\ncondition: s or t\n",
    ] {
        assert_eq!(req(d), Requirement::Always, "{d}");
    }
}

#[test]
fn a_negated_filter_leaves_the_selection_requirement() {
    let r = req("s:\n  Image|endswith: '\\x.exe'\nf:\n  User: SYSTEM\ncondition: s and not f\n");
    assert_eq!(r, all_of(&[w(Some("Image"), "\\x.exe")]));
}

#[test]
fn of_patterns_union_or_pick_one() {
    let d =
        "sel_a:\n  Image: '*\\aaa.exe'\nsel_b:\n  Image: '*\\bb.exe'\nfilter:\n  Image: zzzzzz\n";
    assert_eq!(
        req(&format!("{d}condition: 1 of sel_* and not filter\n")),
        Requirement::AllOf(vec![vec![
            w(Some("Image"), "\\aaa.exe"),
            w(Some("Image"), "\\bb.exe")
        ]])
    );
    assert_eq!(
        req(&format!("{d}condition: all of sel_*\n")),
        all_of(&[w(Some("Image"), "\\aaa.exe"), w(Some("Image"), "\\bb.exe")])
    );
    // `1 of them` covers the filter too, so its literal joins the union.
    let Requirement::AllOf(them) = req(&format!("{d}condition: 1 of them\n")) else {
        panic!()
    };
    assert_eq!(them.len(), 1);
    assert_eq!(them[0].len(), 3);
    assert_eq!(
        req(&format!("{d}condition: 1 of nothing_*\n")),
        Requirement::Always
    );
}

#[test]
fn all_modifier_requires_every_value_and_windash_splits() {
    let r = req(
        "s:\n  CommandLine|contains|all:\n    - ' -nop'\n    - 'downloadstring'\ncondition: s\n",
    );
    assert_eq!(
        r,
        all_of(&[
            w(Some("CommandLine"), " -nop"),
            w(Some("CommandLine"), "downloadstring")
        ])
    );
    let r = req("s:\n  CommandLine|windash|contains: ' -urlcache '\ncondition: s\n");
    assert_eq!(r, all_of(&[w(Some("CommandLine"), "urlcache ")]));
}

#[test]
fn conditions_in_a_list_are_alternatives() {
    let r = req("a:\n  Image: aaaa\nb:\n  Image|re: '.*x'\ncondition:\n  - a\n  - b\n");
    assert_eq!(r, Requirement::Always);
}

fn view(v: serde_json::Value) -> Map<String, Value> {
    serde_json::from_value(v).unwrap()
}

#[test]
fn the_index_finds_witnesses_per_field_ignoring_case() {
    let reqs = [
        req("s:\n  Image|endswith: '\\cmd.exe'\ncondition: s\n"),
        req("s:\n  - mimikatz\ncondition: s\n"),
        req("s:\n  Image|re: '.*x'\ncondition: s\n"),
        req("s:\n  Process.Name: evil\ncondition: s\n"),
        req("s:\n  Flag: 'TRUE'\n  Ratio|endswith: '.5'\ncondition: s\n"),
        req("s:\n  CommandLine|contains: 'İ😀'\ncondition: s\n"),
    ];
    let (index, per_rule) = LiteralIndex::build(&reqs);
    assert!(per_rule[2].is_none());
    let holds = |v: serde_json::Value, rule: usize| {
        let mut found = index.found();
        index.present(&view(v), &mut found);
        per_rule[rule]
            .as_ref()
            .unwrap()
            .iter()
            .all(|clause| clause.iter().any(|&id| found.contains(id)))
    };
    assert!(holds(
        serde_json::json!({"Image": "C:\\Windows\\System32\\CMD.EXE"}),
        0
    ));
    // The literal in another field is not the rule's witness.
    assert!(!holds(serde_json::json!({"ParentImage": "C:\\cmd.exe"}), 0));
    assert!(holds(serde_json::json!({"x": ["a", {"y": "MimiKatz"}]}), 1));
    assert!(!holds(serde_json::json!({"x": 12}), 1));
    // Other scalars are searched as the text sigma-rust compares them as.
    assert!(!holds(serde_json::json!({"Image": 1.5}), 0));
    assert!(!holds(serde_json::json!({"Image": null}), 0));
    assert!(holds(serde_json::json!({"Image": ["x"]}), 0));
    // Non-ASCII text is lowercased as sigma-rust does before the search.
    assert!(holds(serde_json::json!({"Image": "D:\\É\\CMD.exe"}), 0));
    // Dotted names may resolve into a nested object.
    assert!(holds(serde_json::json!({"Process": {"Name": "x"}}), 3));
    assert!(!holds(serde_json::json!({"Process.Name": "benign"}), 3));
    assert!(holds(serde_json::json!({"Process.Name": "EVIL"}), 3));
    assert!(holds(serde_json::json!({"Flag": true, "Ratio": 2.5}), 4));
    assert!(!holds(serde_json::json!({"Flag": false, "Ratio": 2.5}), 4));
    // Both fields are required: either alone is not enough.
    assert!(!holds(serde_json::json!({"Flag": true}), 4));
    // Non-ASCII literals: lowercased as sigma-rust lowercases, both sides.
    assert!(holds(serde_json::json!({"CommandLine": "echo İ😀!"}), 5));
    assert!(!holds(serde_json::json!({"CommandLine": "echo I😀!"}), 5));
}

#[test]
fn integers_are_witnessed_by_their_digits() {
    assert_eq!(
        req("s:\n  EventID: 4720\ncondition: s\n"),
        all_of(&[w(Some("EventID"), "4720")])
    );
    assert_eq!(
        req("s:\n  EventID:\n    - 4720\n    - 4722\ncondition: s\n"),
        Requirement::AllOf(vec![vec![
            w(Some("EventID"), "4720"),
            w(Some("EventID"), "4722")
        ]])
    );
    // Floats and booleans are not read; keywords that are numbers neither.
    for d in [
        "s:\n  Ratio: 1.5\ncondition: s\n",
        "s:\n  Flag: true\ncondition: s\n",
        "s:\n  - 4720\ncondition: s\n",
    ] {
        assert_eq!(req(d), Requirement::Always, "{d}");
    }
}

#[test]
fn base64_encodings_are_sigma_rusts() {
    // sigma-rust 0.7's own expectations (src/field/transformation.rs tests).
    assert_eq!(base64_encoding(b"/bin/bash"), "L2Jpbi9iYXNo");
    assert_eq!(base64_encoding(b"/bin/sh"), "L2Jpbi9za");
    assert_eq!(base64_encoding(b"/bin/zsh"), "L2Jpbi96c2");
    assert_eq!(
        base64_offset_encodings("/bin/bash"),
        ["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
    );
    assert_eq!(
        base64_offset_encodings("/bin/sh"),
        ["L2Jpbi9za", "9iaW4vc2", "vYmluL3No"]
    );
    assert_eq!(base64_offset_encodings("1"), ["M", "x"]);
    let r = req("s:\n  CommandLine|base64offset|contains: '/bin/sh'\ncondition: s\n");
    assert_eq!(
        r,
        Requirement::AllOf(vec![vec![
            w(Some("CommandLine"), "9iaw4vc2"),
            w(Some("CommandLine"), "l2jpbi9za"),
            w(Some("CommandLine"), "vymlul3no"),
        ]])
    );
    // UTF-16 variants are left to the evaluator.
    assert_eq!(
        req("s:\n  CommandLine|base64offset|utf16le|contains: 'x'\ncondition: s\n"),
        Requirement::Always
    );
}

#[test]
fn regexes_are_witnessed_by_their_prefix_literals() {
    assert_eq!(
        req("s:\n  CommandLine|re: 'cmd\\.exe /c (whoami|hostname)'\ncondition: s\n"),
        Requirement::AllOf(vec![vec![
            w(Some("CommandLine"), "cmd.exe /c hostname"),
            w(Some("CommandLine"), "cmd.exe /c whoami"),
        ]])
    );
    // Case-insensitive patterns: the extractor's case variants, lowercased.
    assert_eq!(
        req("s:\n  CommandLine|re: '(?i)IEX\\('\ncondition: s\n"),
        all_of(&[w(Some("CommandLine"), "iex(")])
    );
    // A pattern that may start anywhere, or match the empty string, has none.
    for d in [
        "s:\n  CommandLine|re: '.*abc'\ncondition: s\n",
        "s:\n  CommandLine|re: 'a?'\ncondition: s\n",
        "s:\n  CommandLine|re: '['\ncondition: s\n",
    ] {
        assert_eq!(req(d), Requirement::Always, "{d}");
    }
}
