//! Embeds the shipped TTP specs (`ttps/*.yaml`) as the built-in technique
//! library: `rulecheck test` falls back to it in repositories without bundles.
//! Generates `$OUT_DIR/library.rs`, a sorted list of (file name, contents).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // The manifest directory of *this* run, not `env!` (the one the build
    // script was compiled in): a build script reused from another checkout
    // (a copied `target/`) would otherwise embed that checkout's specs.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest_dir).join("ttps");
    // Cargo rescans the whole directory, so added and removed specs count too.
    println!("cargo:rerun-if-changed=ttps");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("ttps/ exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .collect();
    names.sort();
    let mut code = String::from(
        "/// Built-in TTP specs: (file name, YAML text), sorted by file name.\npub const LIBRARY: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        let path = dir.join(name);
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to String");
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("library.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
