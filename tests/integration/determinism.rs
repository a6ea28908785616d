//! The same specs and seed give byte-identical bundles, run after run and from
//! any working directory.

use super::*;

#[test]
fn generating_twice_and_in_two_directories_gives_identical_bytes() {
    let a = generated_project();
    let b = fixture_project();
    // Generate b from a nested working directory with explicit paths.
    let nested = b.path().join("work");
    std::fs::create_dir_all(&nested).unwrap();
    rulecheck(&nested)
        .args(["generate", "../ttps", "--out", "../bundles"])
        .assert()
        .success();
    let first = files_in(&a.path().join("bundles"));
    assert_eq!(first.len(), 2);
    assert_eq!(first, files_in(&b.path().join("bundles")));

    let again = rulecheck(a.path()).arg("generate").output().unwrap();
    assert!(
        stdout(&again).contains("unchanged bundles/encoded-powershell.jsonl"),
        "{}",
        stdout(&again)
    );
    assert_eq!(first, files_in(&a.path().join("bundles")));
}

#[test]
fn the_seed_flag_changes_the_bundle_and_is_recorded() {
    let a = generated_project();
    let before = files_in(&a.path().join("bundles"));
    rulecheck(a.path())
        .args(["generate", "--seed", "99"])
        .assert()
        .success();
    let after = files_in(&a.path().join("bundles"));
    assert_ne!(before, after);
    let text = String::from_utf8(after[0].1.clone()).unwrap();
    assert!(text.lines().next().unwrap().contains("\"seed\":99"));
}
