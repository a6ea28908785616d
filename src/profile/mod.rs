//! Environment profiles: the users of a host and its benign background
//! activity, each activity a small template of spec steps with a rate per
//! hour. `rulecheck generate --profile` blends occurrences of the activities
//! into a bundle (`blend`), labelled benign, so reports can count each rule's
//! false positives on ordinary activity. Format: `docs/profiles.md`.

mod blend;
mod model;

#[cfg(test)]
mod tests;

pub use blend::{build_blended_bundle, build_coherent_blended_bundle};
pub use model::{Activity, Profile};

use crate::diagnostic::SourceError;
use crate::environment::Environment;

/// The built-in profiles, by name: compiled in from `data/profiles/`.
pub const BUILTIN: [(&str, &str); 3] = [
    (
        "workstation",
        include_str!("../../data/profiles/workstation.yaml"),
    ),
    ("server", include_str!("../../data/profiles/server.yaml")),
    (
        "domain-controller",
        include_str!("../../data/profiles/domain-controller.yaml"),
    ),
];

/// Why `--profile NAME|FILE` gave no profile.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(
        "`{name}` is neither a built-in profile ({}) nor a profile file",
        BUILTIN.map(|(n, _)| n).join(", ")
    )]
    Unknown { name: String },
    #[error("cannot read profile {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("profile {path} is invalid ({} problem{})", errors.len(), if errors.len() == 1 { "" } else { "s" })]
    Invalid {
        path: String,
        errors: Vec<SourceError>,
    },
}

/// A built-in profile by name, else the profile file at that path.
pub fn load(name_or_path: &str, env: &Environment) -> Result<Profile, ProfileError> {
    let (shown, text) = match BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
        Some((name, text)) => (format!("data/profiles/{name}.yaml"), (*text).to_string()),
        None => {
            let path = std::path::Path::new(name_or_path);
            if !path.is_file() {
                return Err(ProfileError::Unknown {
                    name: name_or_path.to_string(),
                });
            }
            let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
                path: name_or_path.to_string(),
                source,
            })?;
            (name_or_path.to_string(), text)
        }
    };
    Profile::parse(&shown, &text, env).map_err(|errors| ProfileError::Invalid {
        path: shown,
        errors,
    })
}
