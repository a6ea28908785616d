//! The same specs and seed give byte-identical bundles, run after run and from
//! any working directory.

use super::*;

fn bundle_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("bundles"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

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
    let first = bundle_bytes(a.path());
    assert_eq!(first.len(), 2);
    assert_eq!(first, bundle_bytes(b.path()));

    let again = rulecheck(a.path()).arg("generate").output().unwrap();
    assert!(
        stdout(&again).contains("unchanged bundles/encoded-powershell.jsonl"),
        "{}",
        stdout(&again)
    );
    assert_eq!(first, bundle_bytes(a.path()));
}

#[test]
fn the_seed_flag_changes_the_bundle_and_is_recorded() {
    let a = generated_project();
    let before = bundle_bytes(a.path());
    rulecheck(a.path())
        .args(["generate", "--seed", "99"])
        .assert()
        .success();
    let after = bundle_bytes(a.path());
    assert_ne!(before, after);
    let text = String::from_utf8(after[0].1.clone()).unwrap();
    assert!(text.lines().next().unwrap().contains("\"seed\":99"));
}
