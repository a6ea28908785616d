//! Windows command-line structure the mutators need: where arguments start
//! and end, which bytes are inside double quotes, and which tool a process is.
//!
//! Quoting follows `CommandLineToArgvW` closely enough for generated lines:
//! `"` toggles quoting and `\"` is a literal quote that does not toggle it.

use std::ops::Range;

/// Byte ranges of the whitespace-separated arguments of `line`.
pub fn split_args(line: &str) -> Vec<Range<usize>> {
    let quoted = quoted_mask(line);
    let mut args = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        let separator = c.is_whitespace() && !quoted[i];
        match (start, separator) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                args.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        args.push(s..line.len());
    }
    args
}

/// For every byte of `line`, whether it lies inside double quotes (the
/// quote characters themselves count as quoted).
pub fn quoted_mask(line: &str) -> Vec<bool> {
    let bytes = line.as_bytes();
    let mut mask = vec![false; bytes.len()];
    let mut inside = false;
    for i in 0..bytes.len() {
        let escaped = i > 0 && bytes[i - 1] == b'\\';
        if bytes[i] == b'"' && !escaped {
            mask[i] = true;
            inside = !inside;
            continue;
        }
        mask[i] = inside;
    }
    mask
}

/// The tool an image is, lower case without the directory and `.exe`:
/// `C:\Windows\System32\CertUtil.exe` → `certutil`.
pub fn tool_name(image: &str) -> String {
    let file = image.rsplit('\\').next().unwrap_or(image);
    let lower = file.to_ascii_lowercase();
    lower.strip_suffix(".exe").unwrap_or(&lower).to_string()
}

/// Whether the first argument of `line` names the program `image` (by file
/// name, with or without `.exe`, case-insensitively), so it may be rewritten
/// together with the image.
pub fn program_arg(line: &str, image: &str) -> Option<Range<usize>> {
    let first = split_args(line).into_iter().next()?;
    let text = line[first.clone()].trim_matches('"');
    (tool_name(text) == tool_name(image)).then_some(first)
}

/// The argument that starts a PowerShell script (`-Command`, `-c`, `-File`,
/// `-EncodedCommand` and their abbreviations, with `-` or `/`), if any: its
/// index among the arguments. Everything after it belongs to the script, where
/// PowerShell's own syntax rules, not the host's switch parsing.
pub fn powershell_script_switch(line: &str, args: &[Range<usize>]) -> Option<usize> {
    args.iter().enumerate().skip(1).find_map(|(n, r)| {
        let name = switch_name(&line[r.clone()])?.to_ascii_lowercase();
        let starts_script = ["command", "file", "encodedcommand"]
            .iter()
            .any(|full| full.starts_with(&name))
            || name == "ec";
        starts_script.then_some(n)
    })
}

/// The name of a switch argument (`/all` → `all`, `-urlcache` → `urlcache`,
/// `/user:NAME` → `user`), or `None` when `arg` is not a switch.
pub fn switch_name(arg: &str) -> Option<&str> {
    let rest = arg.strip_prefix('/').or_else(|| arg.strip_prefix('-'))?;
    let end = rest.find([':', '=']).unwrap_or(rest.len());
    let name = &rest[..end];
    (!name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphabetic()))
    .then_some(name)
}

/// The index in `args` (from [`split_args`]) of a `cmd.exe` line's `/c` or
/// `/k`: the arguments after it are the command cmd.exe runs.
pub fn cmd_payload(line: &str, args: &[Range<usize>]) -> Option<usize> {
    args.iter().position(|r| {
        let arg = &line[r.clone()];
        arg.len() == 2
            && switch_name(arg)
                .is_some_and(|n| n.eq_ignore_ascii_case("c") || n.eq_ignore_ascii_case("k"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_respect_quotes_and_escaped_quotes() {
        let line = r#""C:\Program Files\x.exe" -C "a \"b c\" d" /f"#;
        let args: Vec<&str> = split_args(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(
            args,
            [
                r#""C:\Program Files\x.exe""#,
                "-C",
                r#""a \"b c\" d""#,
                "/f"
            ]
        );
    }

    #[test]
    fn program_and_tool_names() {
        assert_eq!(tool_name(r"C:\Windows\System32\CertUtil.exe"), "certutil");
        let line = r#""C:\Windows\system32\certutil.exe" -urlcache"#;
        let program = program_arg(line, r"C:\Windows\System32\certutil.exe").unwrap();
        assert_eq!(&line[program], r#""C:\Windows\system32\certutil.exe""#);
        assert_eq!(program_arg("certutil -f", r"C:\x\certutil.exe"), Some(0..8));
        assert_eq!(program_arg("cmd /c certutil", r"C:\x\certutil.exe"), None);
    }

    #[test]
    fn switches_and_powershell_script_start() {
        assert_eq!(switch_name("/user:NORTHWIND\\bob"), Some("user"));
        assert_eq!(switch_name("-urlcache"), Some("urlcache"));
        assert_eq!(switch_name(r"\\server\share"), None);
        assert_eq!(switch_name("-"), None);
        let line = r#"powershell.exe -NoP -W Hidden -C "Get-Process -Name x""#;
        let args = split_args(line);
        assert_eq!(powershell_script_switch(line, &args), Some(4));
        let enc = "powershell -nop -enc AAAA";
        assert_eq!(powershell_script_switch(enc, &split_args(enc)), Some(2));
    }
}
