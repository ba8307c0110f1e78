//! Text from outside the program (arguments, paths, environment variables,
//! chronyd's replies, OS error messages) made safe to put on one line of
//! output: the check's status line, a Telegraf or collectd stderr line, a
//! usage error.
//!
//! Every consumer splits differently: Nagios and Icinga at `\n`, a terminal
//! returns to the line start at `\r` (and obeys ESC sequences), Unicode-aware
//! readers (journald viewers, web UIs, Python's `str.splitlines`) also break
//! at NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH SEPARATOR
//! (U+2029), and bidirectional overrides reorder what the reader sees. Any of
//! these in a quoted value could start what looks like a second line, e.g. a
//! forged `E! ` line on Telegraf's stderr. [`one_line`] escapes all of them,
//! readably and reversibly enough for an administrator (`\n`, `\u{85}`);
//! [`first_unsafe`] lets a parser refuse a value that holds one.
//!
//! Format-specific characters are not this module's business: the check
//! replaces `|` (perfdata) itself, and `;` in its messages is handled where
//! the messages are written.

use std::borrow::Cow;

/// Whether `c` may not appear as it is on a line of output: a C0 control
/// (tab, line feed, carriage return, ESC, ...), DEL, a C1 control (NEL and
/// the rest of U+0080 to U+009F), LINE and PARAGRAPH SEPARATOR, or a
/// bidirectional formatting character (U+200E, U+200F, U+202A to U+202E,
/// U+2066 to U+2069).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// The first character of `text` that [`is_unsafe`], if any.
pub fn first_unsafe(text: &str) -> Option<char> {
    text.chars().find(|&c| is_unsafe(c))
}

/// `text` with every [`is_unsafe`] character written as an escape (`\n`,
/// `\r`, `\t`, `\u{1b}`, `\u{85}`, `\u{2028}`), so that it stays on one
/// line whoever reads it. Borrowed when there is nothing to escape, which
/// is the usual case.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if first_unsafe(text).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A refusal naming the offending character: `contains a line break or
/// control character (\u{85})`. For parsers that refuse instead of escape.
pub fn unsafe_char_reason(c: char) -> String {
    format!(
        "contains a control character or line break ({})",
        c.escape_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_borrowed_unchanged() {
        let s = "127.0.0.1:323: no answer within 2s; /run/chrony|x ü €";
        assert!(matches!(one_line(s), Cow::Borrowed(t) if t == s));
    }

    #[test]
    fn pipe_and_semicolon_are_not_this_modules_business() {
        assert_eq!(one_line("a|b;c"), "a|b;c");
    }

    #[test]
    fn newline_and_carriage_return_escaped() {
        assert_eq!(one_line("a\nE! forged"), "a\\nE! forged");
        assert_eq!(one_line("a\rE! forged"), "a\\rE! forged");
        assert_eq!(one_line("a\r\nb"), "a\\r\\nb");
    }

    #[test]
    fn esc_and_other_c0_escaped() {
        assert_eq!(one_line("\u{1b}[2Jx"), "\\u{1b}[2Jx");
        assert_eq!(one_line("a\tb\u{0}c\u{7}"), "a\\tb\\u{0}c\\u{7}");
        assert_eq!(one_line("\u{7f}"), "\\u{7f}");
    }

    #[test]
    fn nel_and_c1_escaped() {
        assert_eq!(one_line("a\u{85}E! b"), "a\\u{85}E! b");
        assert_eq!(one_line("\u{80}\u{9b}\u{9f}"), "\\u{80}\\u{9b}\\u{9f}");
    }

    #[test]
    fn line_and_paragraph_separators_escaped() {
        assert_eq!(one_line("a\u{2028}b\u{2029}c"), "a\\u{2028}b\\u{2029}c");
    }

    #[test]
    fn bidi_overrides_escaped() {
        assert_eq!(one_line("a\u{202e}b\u{2066}c"), "a\\u{202e}b\\u{2066}c");
    }

    #[test]
    fn no_unsafe_character_survives() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let cleaned = one_line(&all);
        assert_eq!(first_unsafe(&cleaned), None);
        assert_eq!(cleaned.lines().count(), 1);
    }

    #[test]
    fn first_unsafe_finds_it() {
        assert_eq!(first_unsafe("/run/chrony/chronyd.sock"), None);
        assert_eq!(first_unsafe("/tmp/a\u{2028}b"), Some('\u{2028}'));
        assert_eq!(
            unsafe_char_reason('\u{85}'),
            "contains a control character or line break (\\u{85})"
        );
    }
}
