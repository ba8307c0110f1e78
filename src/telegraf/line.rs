//! InfluxDB line protocol: escaping and one line's assembly.
//!
//! `measurement[,tag=value...] field=value[,field=value...] timestamp`, with
//! the escapes of the line protocol reference: commas and spaces in the
//! measurement; commas, `=` and spaces in tag keys, tag values and field keys;
//! `"` and `\` inside double-quoted string field values.

use crate::number;
use std::fmt::Write;

/// Why a text cannot be carried in a tag value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagValueError {
    value: String,
    why: &'static str,
}

impl std::fmt::Display for TagValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} cannot be a line-protocol tag value: {}",
            self.value, self.why
        )
    }
}

impl std::error::Error for TagValueError {}

/// Checks that `value` reads back unchanged from an escaped tag value.
///
/// Line protocol has no escape for a line break, and a backslash right
/// before a comma, `=`, a space or the end of the value would swallow the
/// next character (InfluxDB reads `\\` in a tag as two backslashes, so there
/// is no way to write one there). Such values are refused up front rather
/// than written so that they come back different.
pub fn check_tag_value(value: &str) -> Result<(), TagValueError> {
    let bad = |why| {
        Err(TagValueError {
            value: value.to_string(),
            why,
        })
    };
    if value.is_empty() {
        return bad("it is empty");
    }
    if value.chars().any(|c| c.is_control()) {
        return bad("it contains a control character (line break, tab, ...)");
    }
    let bytes = value.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\\' && matches!(bytes.get(i + 1), None | Some(b',' | b'=' | b' ')) {
            return bad("a backslash before a comma, '=', a space or at the end has no escape");
        }
    }
    Ok(())
}

/// Appends `text` with `\` before each character in `special`.
fn push_escaped(out: &mut String, text: &str, special: &[char]) {
    for c in text.chars() {
        if special.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Appends a measurement name: commas and spaces escaped.
pub fn push_measurement(out: &mut String, name: &str) {
    push_escaped(out, name, &[',', ' ']);
}

/// Appends a tag key, tag value or field key: commas, `=` and spaces escaped.
pub fn push_key(out: &mut String, key: &str) {
    push_escaped(out, key, &[',', '=', ' ']);
}

/// Appends a double-quoted string field value: `"` and `\` escaped. Line
/// protocol has no escape for a line break in a value: InfluxDB 1.x and
/// Telegraf's execd stream parser take a raw one inside quotes, but the
/// reference says it is not supported and line-based readers (Telegraf
/// issue 12436, VictoriaMetrics) split there. So line breaks and other
/// controls are first written as text escapes (`\n`, `\u{85}`; see
/// [`crate::text::one_line`]): a state byte from chronyd is copied as a
/// character and could be one.
pub fn push_string_value(out: &mut String, value: &str) {
    out.push('"');
    push_escaped(out, &crate::text::one_line(value), &['"', '\\']);
    out.push('"');
}

/// One field value in its line-protocol type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue<'a> {
    /// A float, printed with the fewest digits that read back exactly; a
    /// NaN or infinite float has no line-protocol form and is left out.
    Float(f64),
    /// A signed integer, written with the `i` suffix.
    Integer(i64),
    /// `true` or `false`.
    Boolean(bool),
    /// A string, double-quoted.
    String(&'a str),
}

/// Builds one line: tags and fields are written sorted by key (as Telegraf
/// writes them), tags with empty values and non-finite floats are left out.
#[derive(Debug, Default)]
pub struct Line<'a> {
    measurement: &'a str,
    tags: Vec<(&'a str, &'a str)>,
    fields: Vec<(&'a str, FieldValue<'a>)>,
}

impl<'a> Line<'a> {
    /// A line for `measurement`.
    pub fn new(measurement: &'a str) -> Line<'a> {
        Line {
            measurement,
            tags: Vec::with_capacity(4),
            fields: Vec::with_capacity(16),
        }
    }

    /// Adds a tag; an empty value is left out (line protocol has none).
    pub fn tag(&mut self, key: &'a str, value: &'a str) -> &mut Self {
        if !value.is_empty() {
            self.tags.push((key, value));
        }
        self
    }

    /// Adds a field; a NaN or infinite float is left out.
    pub fn field(&mut self, key: &'a str, value: FieldValue<'a>) -> &mut Self {
        if !matches!(value, FieldValue::Float(v) if !v.is_finite()) {
            self.fields.push((key, value));
        }
        self
    }

    /// Appends the line, with its newline, to `out`. `None` (and nothing
    /// appended) when no field is left: a line needs at least one.
    pub fn write(&mut self, timestamp_ns: i128, out: &mut String) -> Option<()> {
        if self.fields.is_empty() {
            return None;
        }
        self.tags.sort_by(|a, b| a.0.cmp(b.0));
        self.fields.sort_by(|a, b| a.0.cmp(b.0));
        push_measurement(out, self.measurement);
        for (key, value) in &self.tags {
            out.push(',');
            push_key(out, key);
            out.push('=');
            push_key(out, value);
        }
        for (i, (key, value)) in self.fields.iter().enumerate() {
            out.push(if i == 0 { ' ' } else { ',' });
            push_key(out, key);
            out.push('=');
            match *value {
                FieldValue::Float(v) => {
                    out.push_str(&number::decimal(v).expect("non-finite floats were left out"))
                }
                FieldValue::Integer(v) => {
                    let _ = write!(out, "{v}i");
                }
                FieldValue::Boolean(v) => out.push_str(if v { "true" } else { "false" }),
                FieldValue::String(v) => push_string_value(out, v),
            }
        }
        let _ = writeln!(out, " {timestamp_ns}");
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(build: impl FnOnce(&mut Line)) -> Option<String> {
        let mut l = Line::new("m");
        build(&mut l);
        let mut out = String::new();
        l.write(7, &mut out).map(|()| out)
    }

    #[test]
    fn measurement_escapes_comma_and_space() {
        let mut s = String::new();
        push_measurement(&mut s, "a b,c=d");
        assert_eq!(s, r"a\ b\,c=d");
    }

    #[test]
    fn key_escapes_comma_equals_space() {
        let mut s = String::new();
        push_key(&mut s, "a b,c=d");
        assert_eq!(s, r"a\ b\,c\=d");
    }

    #[test]
    fn string_value_escapes_quote_and_backslash() {
        let mut s = String::new();
        push_string_value(&mut s, r#"say "hi" \ bye"#);
        assert_eq!(s, r#""say \"hi\" \\ bye""#);
    }

    #[test]
    fn tags_and_fields_sorted() {
        let out = line(|l| {
            l.tag("z", "1").tag("a", "2");
            l.field("y", FieldValue::Integer(-3))
                .field("b", FieldValue::Boolean(true));
        });
        assert_eq!(out.unwrap(), "m,a=2,z=1 b=true,y=-3i 7\n");
    }

    #[test]
    fn empty_tag_left_out() {
        let out = line(|l| {
            l.tag("e", "").field("f", FieldValue::Float(1.5));
        });
        assert_eq!(out.unwrap(), "m f=1.5 7\n");
    }

    #[test]
    fn non_finite_float_left_out() {
        let out = line(|l| {
            l.field("nan", FieldValue::Float(f64::NAN))
                .field("inf", FieldValue::Float(f64::INFINITY))
                .field("ok", FieldValue::Float(0.000001));
        });
        assert_eq!(out.unwrap(), "m ok=0.000001 7\n");
    }

    #[test]
    fn no_field_no_line() {
        assert_eq!(
            line(|l| {
                l.field("nan", FieldValue::Float(f64::NAN));
            }),
            None
        );
    }

    #[test]
    fn string_field() {
        let out = line(|l| {
            l.field("s", FieldValue::String("not synchronized"));
        });
        assert_eq!(out.unwrap(), "m s=\"not synchronized\" 7\n");
    }

    #[test]
    fn string_field_never_breaks_the_line() {
        let out = line(|l| {
            l.field("s", FieldValue::String("a\nb\rc\u{85}d\u{2028}e"));
        })
        .unwrap();
        assert_eq!(out.lines().count(), 1, "{out:?}");
        assert_eq!(out, "m s=\"a\\\\nb\\\\rc\\\\u{85}d\\\\u{2028}e\" 7\n");
    }

    #[test]
    fn tag_value_plain_path_ok() {
        assert!(check_tag_value("/run/chrony dir/a,b=c.sock").is_ok());
        assert!(check_tag_value(r"/a\b").is_ok());
    }

    #[test]
    fn tag_value_invalid_line_break() {
        assert!(check_tag_value("/a\nb").is_err());
    }

    #[test]
    fn tag_value_invalid_backslash_before_special() {
        for v in [r"/a\ b", r"/a\,b", r"/a\=b", r"/a\"] {
            assert!(check_tag_value(v).is_err(), "{v}");
        }
    }

    #[test]
    fn tag_value_invalid_empty() {
        assert!(check_tag_value("").is_err());
    }
}
