//! Encoded versus plain PowerShell: `-Command "<script>"` and
//! `-EncodedCommand <base64 of the script's UTF-16LE bytes>` run the same
//! script, and attackers switch between them to get past rules that look for
//! one or the other. Both directions are mutations.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::cmdline::{powershell_script_switch, split_args, switch_name};
use crate::plan::rng::Rng;

/// Spellings of the encoded-command switch seen in attacks.
const ENCODED_SWITCHES: [&str; 4] = ["-EncodedCommand", "-enc", "-e", "-ec"];
const COMMAND_SWITCHES: [&str; 2] = ["-Command", "-c"];

pub fn apply(tool: &str, line: &str, rng: &mut Rng) -> Option<String> {
    if tool != "powershell" && tool != "pwsh" {
        return None;
    }
    let args = split_args(line);
    let at = powershell_script_switch(line, &args)?;
    let name = switch_name(&line[args[at].clone()])?.to_ascii_lowercase();
    let script_start = args.get(at + 1)?.start;
    let rest = &line[script_start..];
    let replacement = if "command".starts_with(&name) {
        let script = unquote(rest);
        format!("{} {}", rng.pick(&ENCODED_SWITCHES), encode(&script))
    } else if "file".starts_with(&name) {
        return None;
    } else {
        // -EncodedCommand: the single argument after it is the base64.
        if at + 2 != args.len() {
            return None;
        }
        let script = decode(rest)?;
        format!("{} {}", rng.pick(&COMMAND_SWITCHES), quote(&script))
    };
    Some(format!("{}{}", &line[..args[at].start], replacement))
}

/// The script text of everything after `-Command`: a single quoted argument
/// loses its quotes and `\"` escapes; anything else is the text as written.
fn unquote(rest: &str) -> String {
    let args = split_args(rest);
    match args.as_slice() {
        [only]
            if rest.len() >= 2
                && rest.starts_with('"')
                && rest.ends_with('"')
                && *only == (0..rest.len()) =>
        {
            rest[1..rest.len() - 1].replace(r#"\""#, "\"")
        }
        _ => rest.to_string(),
    }
}

fn quote(script: &str) -> String {
    format!("\"{}\"", script.replace('"', r#"\""#))
}

/// Base64 of the script's UTF-16LE bytes, as `-EncodedCommand` takes it.
pub fn encode(script: &str) -> String {
    let bytes: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    STANDARD.encode(bytes)
}

/// The script an `-EncodedCommand` argument holds, when it is valid.
pub fn decode(encoded: &str) -> Option<String> {
    let bytes = STANDARD.decode(encoded.trim()).ok()?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_commands_are_encoded_as_utf16le_base64() {
        let line = r#"powershell.exe -NoP -W Hidden -C "$i.Save(\"$env:TEMP\ss.png\")""#;
        let v = apply("powershell", line, &mut Rng::derive(0, "ps")).unwrap();
        assert!(v.starts_with("powershell.exe -NoP -W Hidden -e"), "{v}");
        let encoded = v.rsplit(' ').next().unwrap();
        assert_eq!(decode(encoded).unwrap(), r#"$i.Save("$env:TEMP\ss.png")"#);
        // Known value: PowerShell's own encoding of `whoami`.
        assert_eq!(encode("whoami"), "dwBoAG8AYQBtAGkA");
    }

    #[test]
    fn encoded_commands_are_decoded_and_back() {
        let script = r#"IEX "x"; Get-Date"#;
        let line = format!("powershell -nop -enc {}", encode(script));
        let plain = apply("powershell", &line, &mut Rng::derive(3, "ps")).unwrap();
        assert!(plain.starts_with("powershell -nop -"), "{plain}");
        assert!(plain.ends_with(r#" "IEX \"x\"; Get-Date""#), "{plain}");
        let again = apply("powershell", &plain, &mut Rng::derive(3, "ps")).unwrap();
        assert_eq!(decode(again.rsplit(' ').next().unwrap()).unwrap(), script);
    }

    #[test]
    fn files_and_other_tools_are_not_touched() {
        let file = r"powershell.exe -NoProfile -File C:\x.ps1";
        assert_eq!(apply("powershell", file, &mut Rng::derive(0, "ps")), None);
        assert_eq!(apply("cmd", "cmd /c -c x", &mut Rng::derive(0, "ps")), None);
        assert_eq!(
            apply("powershell", "powershell.exe", &mut Rng::derive(0, "ps")),
            None
        );
    }
}
