//! Finding and reading the user's files: the only place rulecheck walks directories.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// A path the user named that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: no such file or directory")]
    Missing { path: String },
    #[error("{path}: cannot read")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot walk directory")]
    Walk {
        path: String,
        #[source]
        source: walkdir::Error,
    },
}

/// Files under `roots` whose extension is one of `extensions`, sorted by path so
/// every run sees them in the same order. A file named directly is taken whatever
/// its extension. Hidden files and directories (`.git`, editor temp files) are skipped.
pub fn collect_files(roots: &[PathBuf], extensions: &[&str]) -> (Vec<PathBuf>, Vec<InputError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in roots {
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        if !root.exists() {
            errors.push(InputError::Missing {
                path: root.display().to_string(),
            });
            continue;
        }
        let walker = WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            match entry {
                Ok(e) if e.file_type().is_file() && has_extension(e.path(), extensions) => {
                    files.push(e.into_path());
                }
                Ok(_) => {}
                Err(source) => errors.push(InputError::Walk {
                    path: root.display().to_string(),
                    source,
                }),
            }
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

pub fn read_text(path: &Path) -> Result<String, InputError> {
    std::fs::read_to_string(path).map_err(|source| InputError::Unreadable {
        path: path.display().to_string(),
        source,
    })
}

/// How a path is shown in reports: as the user gave it, with `/` separators.
pub fn display_path(path: &Path) -> String {
    crate::config::normalize(&path.display().to_string())
}
