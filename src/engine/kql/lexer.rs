//! KQL tokens. Bracketed names (`['Col Name']`) are three tokens the parser
//! puts together, since the same text is an array inside `dynamic(…)`; numbers followed directly by a unit (`7d`, `30m`, `1.5h`, `100ms`) are
//! timespan literals; strings cover every Kusto form: `"…"`, `'…'` with
//! escapes, verbatim `@"…"`, obfuscated `h"…"`, and multi-line ```` ``` ````.

use super::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    /// An integer literal (`long`).
    Long(i64),
    Real(f64),
    /// A timespan literal in 100-nanosecond ticks.
    Timespan(i64),
    Str(String),
    Pipe,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Dot,
    DotDot,
    Colon,
    Assign,
    EqEq,
    NotEq,
    /// `<>`
    LtGt,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    /// `=~`
    EqTilde,
    /// `!~`
    BangTilde,
    Bang,
    Tilde,
    /// `=>`
    Arrow,
    Dollar,
    Eof,
}

impl Tok {
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Long(n) => format!("number `{n}`"),
            Tok::Real(n) => format!("number `{n}`"),
            Tok::Timespan(_) => "a timespan".into(),
            Tok::Str(_) => "a string".into(),
            Tok::Eof => "the end of the query".into(),
            other => format!("`{}`", punct(other)),
        }
    }
}

fn punct(t: &Tok) -> &'static str {
    match t {
        Tok::Pipe => "|",
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        Tok::Comma => ",",
        Tok::Semi => ";",
        Tok::Dot => ".",
        Tok::DotDot => "..",
        Tok::Colon => ":",
        Tok::Assign => "=",
        Tok::EqEq => "==",
        Tok::NotEq => "!=",
        Tok::LtGt => "<>",
        Tok::Lt => "<",
        Tok::Le => "<=",
        Tok::Gt => ">",
        Tok::Ge => ">=",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::Percent => "%",
        Tok::EqTilde => "=~",
        Tok::BangTilde => "!~",
        Tok::Bang => "!",
        Tok::Tilde => "~",
        Tok::Arrow => "=>",
        Tok::Dollar => "$",
        _ => "?",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
    /// Whether whitespace or a comment precedes the token (so `project-away`
    /// is one name but `a - b` is a subtraction).
    pub spaced: bool,
}

/// A lexing problem: message and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexError {
    pub message: String,
    pub span: Span,
}

pub const TICKS_PER_MICRO: i64 = 10;
pub const TICKS_PER_MILLI: i64 = 10_000;
pub const TICKS_PER_SECOND: i64 = 10_000_000;
pub const TICKS_PER_MINUTE: i64 = 60 * TICKS_PER_SECOND;
pub const TICKS_PER_HOUR: i64 = 60 * TICKS_PER_MINUTE;
pub const TICKS_PER_DAY: i64 = 24 * TICKS_PER_HOUR;

/// Ticks per unit of a timespan suffix, as Kusto spells them.
pub fn timespan_unit(unit: &str) -> Option<i64> {
    Some(match unit {
        "d" | "day" | "days" => TICKS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => TICKS_PER_HOUR,
        "m" | "min" | "minute" | "minutes" => TICKS_PER_MINUTE,
        "s" | "sec" | "second" | "seconds" => TICKS_PER_SECOND,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => TICKS_PER_MILLI,
        "microsecond" | "microseconds" => TICKS_PER_MICRO,
        "tick" | "ticks" => 1,
        _ => return None,
    })
}

pub fn lex(text: &str) -> (Vec<Token>, Vec<LexError>) {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    let mut spaced = true;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            spaced = true;
            continue;
        }
        // Non-breaking and zero-width spaces pasted from web pages are spaces too.
        if let Some(ws) = ["\u{a0}", "\u{202f}", "\u{feff}", "\u{200b}", "\u{2003}"]
            .iter()
            .find(|w| text[i..].starts_with(**w))
        {
            i += ws.len();
            spaced = true;
            continue;
        }
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            spaced = true;
            continue;
        }
        let start = i;
        let push = |tok: Tok, end: usize, tokens: &mut Vec<Token>| {
            tokens.push(Token {
                tok,
                span: Span::new(start, end),
                spaced,
            });
        };
        // Strings, including verbatim (@) and obfuscated (h/H) prefixes.
        let (prefix_len, verbatim) = match (c, bytes.get(i + 1)) {
            (b'@', Some(b'"' | b'\'')) => (1, true),
            (b'h' | b'H', Some(b'"' | b'\'')) => (1, false),
            (b'h' | b'H', Some(b'@')) if matches!(bytes.get(i + 2), Some(b'"' | b'\'')) => {
                (2, true)
            }
            _ => (0, false),
        };
        let quote_at = i + prefix_len;
        if text[quote_at..].starts_with("```") {
            match text[quote_at + 3..].find("```") {
                Some(end) => {
                    let s = text[quote_at + 3..quote_at + 3 + end].to_string();
                    i = quote_at + 3 + end + 3;
                    push(Tok::Str(s), i, &mut tokens);
                }
                None => {
                    errors.push(LexError {
                        message: "unterminated ``` string".into(),
                        span: Span::new(start, text.len()),
                    });
                    i = text.len();
                }
            }
            spaced = false;
            continue;
        }
        if matches!(bytes.get(quote_at), Some(b'"' | b'\''))
            && (prefix_len > 0 || c == b'"' || c == b'\'')
        {
            let quote = bytes[quote_at];
            let mut j = quote_at + 1;
            let mut s = String::new();
            let mut closed = false;
            while j < bytes.len() {
                let b = bytes[j];
                if b == quote {
                    if verbatim && bytes.get(j + 1) == Some(&quote) {
                        s.push(quote as char);
                        j += 2;
                        continue;
                    }
                    closed = true;
                    j += 1;
                    break;
                }
                if b == b'\n' {
                    break;
                }
                if b == b'\\' && !verbatim {
                    // The escaped character may be multi-byte, or absent at the end of the text.
                    let Some(esc) = text[j + 1..].chars().next() else {
                        j += 1;
                        continue;
                    };
                    match esc {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        '\\' => s.push('\\'),
                        '"' => s.push('"'),
                        '\'' => s.push('\''),
                        '0' => s.push('\0'),
                        'u' if j + 5 < bytes.len() => {
                            match text
                                .get(j + 2..j + 6)
                                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                                .and_then(char::from_u32)
                            {
                                Some(ch) => {
                                    s.push(ch);
                                    j += 6;
                                    continue;
                                }
                                None => s.push_str("\\u"),
                            }
                        }
                        // Unknown escapes keep the character, as Kusto does.
                        other => s.push(other),
                    }
                    j += 1 + esc.len_utf8();
                    continue;
                }
                // Copy the whole UTF-8 character.
                let ch_len = utf8_len(b);
                s.push_str(&text[j..(j + ch_len).min(text.len())]);
                j += ch_len;
            }
            if !closed {
                errors.push(LexError {
                    message: "unterminated string".into(),
                    span: Span::new(start, j.min(text.len())),
                });
            }
            i = j;
            push(Tok::Str(s), i, &mut tokens);
            spaced = false;
            continue;
        }
        if c.is_ascii_digit()
            || (c == b'.'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                && !prev_is_value(&tokens, spaced))
        {
            let mut j = i;
            let mut is_real = false;
            if c == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) {
                j += 2;
                while j < bytes.len() && bytes[j].is_ascii_hexdigit() {
                    j += 1;
                }
                match i64::from_str_radix(&text[i + 2..j], 16) {
                    Ok(n) => push(Tok::Long(n), j, &mut tokens),
                    Err(_) => errors.push(LexError {
                        message: "invalid hexadecimal number".into(),
                        span: Span::new(i, j),
                    }),
                }
                i = j;
                spaced = false;
                continue;
            }
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j < bytes.len()
                && bytes[j] == b'.'
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                is_real = true;
                j += 1;
                while j < bytes.len() && bytes[j].is_ascii_digit() {
                    j += 1;
                }
            } else if j < bytes.len()
                && bytes[j] == b'.'
                && !bytes
                    .get(j + 1)
                    .is_some_and(|b| *b == b'.' || b.is_ascii_alphabetic())
            {
                // `1000.`: a real with nothing after the point.
                is_real = true;
                j += 1;
            }
            if j < bytes.len()
                && matches!(bytes[j], b'e' | b'E')
                && bytes
                    .get(j + 1)
                    .is_some_and(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+')
            {
                let mut k = j + 1;
                if matches!(bytes[k], b'-' | b'+') {
                    k += 1;
                }
                if bytes.get(k).is_some_and(u8::is_ascii_digit) {
                    is_real = true;
                    j = k;
                    while j < bytes.len() && bytes[j].is_ascii_digit() {
                        j += 1;
                    }
                }
            }
            let number = &text[i..j];
            // A unit directly after the number makes a timespan literal.
            let mut k = j;
            while k < bytes.len() && bytes[k].is_ascii_alphabetic() {
                k += 1;
            }
            if k > j {
                let unit = &text[j..k];
                match (timespan_unit(unit), number.parse::<f64>()) {
                    (Some(ticks), Ok(n)) => {
                        push(
                            Tok::Timespan((n * ticks as f64).round() as i64),
                            k,
                            &mut tokens,
                        );
                        i = k;
                        spaced = false;
                        continue;
                    }
                    _ if unit == "L" || unit == "l" => {
                        match number.parse::<i64>() {
                            Ok(n) => push(Tok::Long(n), k, &mut tokens),
                            Err(_) => errors.push(LexError {
                                message: format!("invalid number `{}`", &text[i..k]),
                                span: Span::new(i, k),
                            }),
                        }
                        i = k;
                        spaced = false;
                        continue;
                    }
                    _ => {
                        // Not a number: a word starting with digits (as in an
                        // unquoted guid). The parser says where it does not fit.
                        let mut k = k;
                        while k < bytes.len()
                            && (bytes[k].is_ascii_alphanumeric() || bytes[k] == b'_')
                        {
                            k += 1;
                        }
                        push(Tok::Ident(text[i..k].to_string()), k, &mut tokens);
                        i = k;
                        spaced = false;
                        continue;
                    }
                }
            }
            if is_real {
                match number.parse::<f64>() {
                    Ok(n) => push(Tok::Real(n), j, &mut tokens),
                    Err(_) => errors.push(LexError {
                        message: format!("invalid number `{number}`"),
                        span: Span::new(i, j),
                    }),
                }
            } else {
                match number.parse::<i64>() {
                    Ok(n) => push(Tok::Long(n), j, &mut tokens),
                    Err(_) => match number.parse::<f64>() {
                        Ok(n) => push(Tok::Real(n), j, &mut tokens),
                        Err(_) => errors.push(LexError {
                            message: format!("invalid number `{number}`"),
                            span: Span::new(i, j),
                        }),
                    },
                }
            }
            i = j;
            spaced = false;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let mut j = i;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            push(Tok::Ident(text[i..j].to_string()), j, &mut tokens);
            i = j;
            spaced = false;
            continue;
        }
        let two = text.get(i..i + 2).unwrap_or("");
        let (tok, len) = match two {
            "==" => (Tok::EqEq, 2),
            "!=" => (Tok::NotEq, 2),
            "<>" => (Tok::LtGt, 2),
            "<=" => (Tok::Le, 2),
            ">=" => (Tok::Ge, 2),
            "=~" => (Tok::EqTilde, 2),
            "!~" => (Tok::BangTilde, 2),
            "=>" => (Tok::Arrow, 2),
            ".." => (Tok::DotDot, 2),
            _ => match c {
                b'|' => (Tok::Pipe, 1),
                b'(' => (Tok::LParen, 1),
                b')' => (Tok::RParen, 1),
                b'[' => (Tok::LBracket, 1),
                b']' => (Tok::RBracket, 1),
                b'{' => (Tok::LBrace, 1),
                b'}' => (Tok::RBrace, 1),
                b',' => (Tok::Comma, 1),
                b';' => (Tok::Semi, 1),
                b'.' => (Tok::Dot, 1),
                b':' => (Tok::Colon, 1),
                b'=' => (Tok::Assign, 1),
                b'<' => (Tok::Lt, 1),
                b'>' => (Tok::Gt, 1),
                b'+' => (Tok::Plus, 1),
                b'-' => (Tok::Minus, 1),
                b'*' => (Tok::Star, 1),
                b'/' => (Tok::Slash, 1),
                b'%' => (Tok::Percent, 1),
                b'!' => (Tok::Bang, 1),
                b'~' => (Tok::Tilde, 1),
                b'$' => (Tok::Dollar, 1),
                _ => {
                    let ch_len = utf8_len(c);
                    errors.push(LexError {
                        message: format!(
                            "unexpected character `{}`",
                            &text[i..(i + ch_len).min(text.len())]
                        ),
                        span: Span::new(i, (i + ch_len).min(text.len())),
                    });
                    i += ch_len;
                    spaced = false;
                    continue;
                }
            },
        };
        i += len;
        push(tok, i, &mut tokens);
        spaced = false;
    }
    tokens.push(Token {
        tok: Tok::Eof,
        span: Span::new(text.len(), text.len()),
        spaced: true,
    });
    (tokens, errors)
}

/// Whether the previous token ends a value, so a `.` after it is member access.
fn prev_is_value(tokens: &[Token], spaced: bool) -> bool {
    !spaced
        && matches!(
            tokens.last().map(|t| &t.tok),
            Some(Tok::Ident(_) | Tok::RParen | Tok::RBracket | Tok::Str(_))
        )
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        let (t, e) = lex(s);
        assert!(e.is_empty(), "{e:?}");
        t.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn strings_of_every_form() {
        assert_eq!(toks(r#""a\"b""#), vec![Tok::Str("a\"b".into()), Tok::Eof]);
        assert_eq!(
            toks(r"@'C:\Windows\'"),
            vec![Tok::Str(r"C:\Windows\".into()), Tok::Eof]
        );
        assert_eq!(toks(r#"@"a""b""#), vec![Tok::Str("a\"b".into()), Tok::Eof]);
        assert_eq!(toks("h'secret'"), vec![Tok::Str("secret".into()), Tok::Eof]);
        assert_eq!(toks("```x\ny```"), vec![Tok::Str("x\ny".into()), Tok::Eof]);
    }

    #[test]
    fn numbers_and_timespans() {
        assert_eq!(toks("7d"), vec![Tok::Timespan(7 * TICKS_PER_DAY), Tok::Eof]);
        assert_eq!(
            toks("1.5h"),
            vec![Tok::Timespan(90 * TICKS_PER_MINUTE), Tok::Eof]
        );
        assert_eq!(
            toks("100ms 3"),
            vec![Tok::Timespan(100 * TICKS_PER_MILLI), Tok::Long(3), Tok::Eof]
        );
        assert_eq!(
            toks("2.5 0x10"),
            vec![Tok::Real(2.5), Tok::Long(16), Tok::Eof]
        );
        assert_eq!(toks("7x"), vec![Tok::Ident("7x".into()), Tok::Eof]);
    }

    #[test]
    fn operators_and_comments() {
        assert_eq!(
            toks("a =~ b // note\n| c !~ d"),
            vec![
                Tok::Ident("a".into()),
                Tok::EqTilde,
                Tok::Ident("b".into()),
                Tok::Pipe,
                Tok::Ident("c".into()),
                Tok::BangTilde,
                Tok::Ident("d".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("['a']"),
            vec![Tok::LBracket, Tok::Str("a".into()), Tok::RBracket, Tok::Eof]
        );
        assert_eq!(
            toks("1000. 2"),
            vec![Tok::Real(1000.0), Tok::Long(2), Tok::Eof]
        );
        assert_eq!(
            toks("1..2"),
            vec![Tok::Long(1), Tok::DotDot, Tok::Long(2), Tok::Eof]
        );
    }

    #[test]
    fn errors_are_located() {
        let (_, e) = lex("a | where x == \"open");
        assert_eq!(e[0].message, "unterminated string");
        assert_eq!(e[0].span.start, 15);
        let (_, e) = lex("a ¤ b");
        assert!(e[0].message.contains("unexpected character"));
    }
}
