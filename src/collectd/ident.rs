//! collectd identifiers (`host/plugin[-instance]/type[-instance]`): which
//! names collectd can parse back, and how to quote them.
//!
//! collectd's parser (`parse_identifier` behind `PUTVAL`) splits the host at
//! the first `/`, the plugin and the type each at their first `-`, and copies
//! every part into a 128-byte buffer, silently cutting longer ones. Lines are
//! split on white space unless a field is double-quoted, with `\` escaping
//! the next character inside quotes. The names we accept are exactly those
//! that survive that round trip unchanged.

use std::fmt;

/// The plugin name collectd's own chrony plugin uses, kept so that existing
/// graphs and RRD files carry on.
pub const PLUGIN: &str = "chrony";

/// Longest name part collectd keeps (its buffers hold 128 bytes with the NUL).
pub const MAX_PART: usize = 127;

/// Why a host name or plugin instance cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    what: &'static str,
    value: String,
    why: &'static str,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?} {}", self.what, self.value, self.why)
    }
}

impl std::error::Error for NameError {}

/// Checks one identifier part: collectd must read it back unchanged.
fn check_part(what: &'static str, value: &str) -> Result<(), NameError> {
    let error = |why| {
        Err(NameError {
            what,
            value: value.to_string(),
            why,
        })
    };
    if value.is_empty() {
        return error("is empty");
    }
    if value.len() > MAX_PART {
        return error("is longer than 127 bytes, collectd would cut it");
    }
    if value.contains('/') {
        return error("contains '/', which separates the parts of a collectd identifier");
    }
    if value.chars().any(char::is_control) {
        return error("contains a control character (a line break would split the line)");
    }
    Ok(())
}

/// Who the values are about: the host collectd files them under and an
/// optional plugin instance (`chrony-NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    host: String,
    plugin_instance: Option<String>,
}

impl Identity {
    /// An identity for `host`, with an optional plugin instance (for several
    /// chronyd instances, or to run beside collectd's own chrony plugin).
    pub fn new(host: &str, plugin_instance: Option<&str>) -> Result<Identity, NameError> {
        check_part("host name", host)?;
        if let Some(instance) = plugin_instance {
            check_part("plugin instance", instance)?;
        }
        Ok(Identity {
            host: host.to_string(),
            plugin_instance: plugin_instance.map(str::to_string),
        })
    }

    /// The host name.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The plugin instance, if any.
    pub fn plugin_instance(&self) -> Option<&str> {
        self.plugin_instance.as_deref()
    }

    /// `host/chrony[-instance]/type-type_instance`, quoted when needed
    /// (`host/chrony[-instance]/type` when `type_instance` is empty).
    /// `type_name` is one of this crate's constants: it has no `-` (it would
    /// move into the type instance).
    pub fn identifier(&self, type_name: &str, type_instance: &str) -> String {
        debug_assert!(!type_name.contains('-') && !type_name.is_empty());
        let mut id = String::with_capacity(64);
        id.push_str(&self.host);
        id.push('/');
        id.push_str(PLUGIN);
        if let Some(instance) = &self.plugin_instance {
            id.push('-');
            id.push_str(instance);
        }
        id.push('/');
        id.push_str(type_name);
        if !type_instance.is_empty() {
            id.push('-');
            id.push_str(type_instance);
        }
        quote(&id)
    }
}

/// `value` as one field of a collectd command line: as is when collectd
/// reads it back unchanged, else in double quotes with `"` and `\` escaped.
pub fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b == b'"' || b == b'\\' || b == 0x0b);
    if plain {
        return value.to_string();
    }
    always_quote(value)
}

/// `value` in double quotes with `"` and `\` escaped (notification messages
/// are always quoted, as collectd's documentation writes them). Control
/// characters become spaces: a newline would end the command early and
/// start another one.
pub fn always_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(if c.is_control() { ' ' } else { c });
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_identifier() {
        let id = Identity::new("host.example.org", None).unwrap();
        assert_eq!(
            id.identifier("clock_stratum", "chrony"),
            "host.example.org/chrony/clock_stratum-chrony"
        );
    }

    #[test]
    fn plugin_instance_joins_with_dash() {
        let id = Identity::new("h", Some("ntp-2")).unwrap();
        assert_eq!(
            id.identifier("time_offset", "chrony"),
            "h/chrony-ntp-2/time_offset-chrony"
        );
    }

    #[test]
    fn empty_type_instance_leaves_out_the_dash() {
        let id = Identity::new("h", None).unwrap();
        assert_eq!(id.identifier("time_offset", ""), "h/chrony/time_offset");
    }

    #[test]
    fn space_is_quoted() {
        let id = Identity::new("my host", None).unwrap();
        assert_eq!(
            id.identifier("gauge", "chrony_synchronised"),
            "\"my host/chrony/gauge-chrony_synchronised\""
        );
    }

    #[test]
    fn quote_and_backslash_are_escaped() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("plain"), "plain");
        assert_eq!(quote(""), "\"\"");
    }

    #[test]
    fn slash_rejected() {
        let e = Identity::new("a/b", None).unwrap_err();
        assert!(e.to_string().contains("'/'"), "{e}");
        assert!(Identity::new("h", Some("x/y")).is_err());
    }

    #[test]
    fn empty_rejected() {
        assert!(Identity::new("", None).is_err());
        assert!(Identity::new("h", Some("")).is_err());
    }

    #[test]
    fn newline_rejected() {
        let e = Identity::new("h\nPUTVAL", None).unwrap_err();
        assert!(e.to_string().contains("control character"), "{e}");
    }

    #[test]
    fn length_limit_is_127_bytes() {
        assert!(Identity::new(&"a".repeat(127), None).is_ok());
        assert!(Identity::new(&"a".repeat(128), None).is_err());
        assert!(Identity::new("h", Some(&"é".repeat(64))).is_err());
    }
}
