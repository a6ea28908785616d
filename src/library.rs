//! The built-in technique library: the shipped `ttps/` specs, compiled into the
//! binary (see `build.rs`), so `rulecheck test` has attacks to test rules
//! against in a repository without bundles of its own.

use crate::binaries::BinaryCatalog;
use crate::bundle::{Bundle, IncoherentSpec, build_coherent_bundle};
use crate::diagnostic::SourceError;
use crate::environment::Environment;
use crate::spec::Spec;

include!(concat!(env!("OUT_DIR"), "/library.rs"));

/// Path under which library bundles are reported (`builtin:<spec id>`).
pub fn builtin_path(spec_id: &str) -> String {
    format!("builtin:{spec_id}")
}

/// Parse every built-in spec.
pub fn builtin_specs(env: &Environment) -> Result<Vec<Spec>, Vec<SourceError>> {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in LIBRARY {
        match Spec::parse(&format!("ttps/{name}"), text, env) {
            Ok(s) => specs.push(s),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(specs)
    } else {
        Err(errors)
    }
}

/// Library bundles by the path they are reported under, and the specs that
/// gave no coherent bundle.
pub struct LibraryBundles {
    pub bundles: Vec<(String, Bundle)>,
    pub incoherent: Vec<(String, IncoherentSpec)>,
}

/// Bundles for `specs`, generated in memory with each spec's own seed and
/// validated like `rulecheck generate`'s; specs that give no coherent bundle
/// are returned as errors instead.
/// `own` specs (from the repository's `ttps/`) replace built-in ones of the same id.
pub fn library_bundles(
    builtin: Vec<Spec>,
    own: Vec<(String, Spec)>,
    env: &Environment,
) -> LibraryBundles {
    let catalog = BinaryCatalog::builtin();
    let own_ids: Vec<String> = own.iter().map(|(_, s)| s.id.clone()).collect();
    let mut bundles = Vec::new();
    let mut incoherent = Vec::new();
    let specs = builtin
        .into_iter()
        .filter(|b| !own_ids.contains(&b.id))
        .map(|s| (builtin_path(&s.id), s))
        .chain(own);
    for (path, spec) in specs {
        match build_coherent_bundle(&spec, spec.seed, env, &catalog) {
            Ok(bundle) => bundles.push((path, bundle)),
            Err(e) => incoherent.push((path, e)),
        }
    }
    bundles.sort_by(|a, b| a.0.cmp(&b.0));
    incoherent.sort_by(|a, b| a.0.cmp(&b.0));
    LibraryBundles {
        bundles,
        incoherent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_spec_is_valid_and_ids_are_unique() {
        let env = Environment::default_workstation();
        let specs = builtin_specs(&env).unwrap_or_else(|e| panic!("{e:#?}"));
        assert_eq!(specs.len(), LIBRARY.len());
        assert!(specs.len() >= 12);
        let mut ids: Vec<_> = specs.iter().map(|s| s.id.clone()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), specs.len());
    }

    /// The embedded library is exactly this checkout's `ttps/`: same files,
    /// same text (a build script reused from another checkout once embedded
    /// that checkout's specs instead).
    #[test]
    fn library_is_this_checkouts_ttps_directory() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ttps");
        let mut on_disk: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<(String, String)> = LIBRARY
            .iter()
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        assert_eq!(
            embedded.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            on_disk.iter().map(|(n, _)| n).collect::<Vec<_>>()
        );
        for ((name, text), (_, disk)) in embedded.iter().zip(&on_disk) {
            assert!(
                text == disk,
                "{name}: embedded text differs from ttps/{name}"
            );
        }
    }

    #[test]
    fn own_specs_replace_builtin_ones_of_the_same_id() {
        let env = Environment::default_workstation();
        let specs = builtin_specs(&env).unwrap();
        let mut own = specs[0].clone();
        own.name = "mine".into();
        let LibraryBundles {
            bundles,
            incoherent,
        } = library_bundles(specs.clone(), vec![("ttps/x.yaml".into(), own)], &env);
        assert!(incoherent.is_empty());
        assert_eq!(bundles.len(), specs.len());
        let mine: Vec<_> = bundles
            .iter()
            .filter(|(_, b)| b.header.name == "mine")
            .collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].0, "ttps/x.yaml");
    }
}
