//! The result cache on disk ([`crate::cache`]): one JSON file per bundle entry
//! in the cache directory (default `.rulecheck/cache`), each written
//! atomically, so a crashed or concurrent run leaves whole entries or none.
//! The directory is marked as a cache (`CACHEDIR.TAG`) and ignores itself in
//! git (`.gitignore`), so it is never committed or backed up by mistake.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::bundle::write_atomically;
use crate::cache::{Entry, ResultStore};
use crate::digest::Digest;
use crate::engine::RuleLoader;
use crate::engine::kql_rule::ExternalFixtures;

/// Where results are cached when neither `--cache-dir` nor `rulecheck.yaml` says.
pub const DEFAULT_DIR: &str = ".rulecheck/cache";

/// The tag the Cache Directory Tagging Specification asks for
/// (<https://bford.info/cachedir/>): backup tools skip the directory.
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This directory holds rulecheck's result cache; it can be deleted at any time.\n";

/// Entries as files under one directory. Problems never fail a run (a lost
/// entry is only a re-evaluation); they are collected for one warning each.
pub struct DirStore {
    dir: PathBuf,
    problems: Mutex<Vec<String>>,
}

impl DirStore {
    /// Create the directory (and its tag and `.gitignore`) if needed.
    pub fn open(dir: &Path) -> std::io::Result<DirStore> {
        std::fs::create_dir_all(dir)?;
        for (name, text) in [("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "*\n")] {
            let path = dir.join(name);
            if !path.exists() {
                write_atomically(&path, text.as_bytes())?;
            }
        }
        Ok(DirStore {
            dir: dir.to_path_buf(),
            problems: Mutex::new(Vec::new()),
        })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    fn note(&self, problem: String) {
        self.problems
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(problem);
    }

    /// What went wrong reading or writing entries, in the order it happened.
    pub fn problems(self) -> Vec<String> {
        self.problems
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl ResultStore for DirStore {
    fn load(&self, key: &str) -> Option<Entry> {
        let path = self.path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => {
                self.note(format!("cannot read cache entry {}: {e}", path.display()));
                return None;
            }
        };
        match serde_json::from_slice(&bytes) {
            Ok(entry) => Some(entry),
            Err(e) => {
                self.note(format!(
                    "ignoring damaged cache entry {} ({e}); it will be rewritten",
                    path.display()
                ));
                None
            }
        }
    }

    fn store(&self, key: &str, entry: &Entry) {
        let path = self.path(key);
        let bytes = serde_json::to_vec(entry).expect("cache entries serialise");
        if let Err(e) = write_atomically(&path, &bytes) {
            self.note(format!("cannot write cache entry {}: {e}", path.display()));
        }
    }
}

/// The run's context digest: everything results depend on besides rules and
/// bundles — this very binary (any rebuild is a new engine), the logsource
/// routing and field mappings, the placeholder values and the KQL
/// `externaldata` fixtures.
pub fn context(loader: &RuleLoader, fixtures: &ExternalFixtures) -> std::io::Result<Digest> {
    let exe = std::fs::read(std::env::current_exe()?)?;
    let binary = Digest::of(&exe);
    let routing = format!("{:?}", loader.logsources);
    let placeholders = format!("{:?}", loader.placeholders);
    let mut urls: Vec<(&String, &String)> = fixtures.by_url.iter().collect();
    urls.sort();
    let mut parts: Vec<&[u8]> = vec![
        env!("CARGO_PKG_VERSION").as_bytes(),
        binary.as_bytes(),
        routing.as_bytes(),
        placeholders.as_bytes(),
    ];
    for (url, text) in &urls {
        parts.push(url.as_bytes());
        parts.push(text.as_bytes());
    }
    Ok(Digest::of_parts(parts))
}

/// The run's result cache as `args` ask: `None` with `--no-cache`, or when the
/// directory or the binary cannot be read (warned; the run goes on without it).
pub fn open(
    ui: &super::Ui,
    args: &super::args::CacheArgs,
    loader: &RuleLoader,
    fixtures: &ExternalFixtures,
) -> Option<(DirStore, Digest)> {
    if args.no_cache {
        return None;
    }
    let dir = args
        .cache_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR));
    let opened = DirStore::open(&dir).and_then(|store| Ok((store, context(loader, fixtures)?)));
    match opened {
        Ok(opened) => Some(opened),
        Err(e) => {
            ui.warn(&format!(
                "result cache {} unusable ({e}); evaluating every rule",
                dir.display()
            ));
            None
        }
    }
}

/// Warn about entries that could not be read or written, and, on a terminal,
/// say what the cache saved.
pub fn finish(ui: &super::Ui, store: DirStore, stats: crate::cache::CacheStats) {
    use std::io::IsTerminal;
    let dir = store.dir.clone();
    for problem in store.problems() {
        ui.warn(&problem);
    }
    if std::io::stderr().is_terminal() {
        eprintln!(
            "note: {} results reused from the cache ({}), {} evaluated",
            stats.reused,
            dir.display(),
            stats.evaluated
        );
    }
}
