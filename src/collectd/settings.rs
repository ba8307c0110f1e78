//! What collectd's exec plugin tells the program through its environment,
//! and the system host name to fall back on.

use crate::number;
use std::fmt;
use std::time::Duration;

/// The variable collectd sets to its interval in seconds (`10.000`).
pub const INTERVAL_VAR: &str = "COLLECTD_INTERVAL";
/// The variable collectd sets to the host name it files values under.
pub const HOSTNAME_VAR: &str = "COLLECTD_HOSTNAME";

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingError(String);

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingError {}

/// `COLLECTD_INTERVAL`'s value (seconds as a decimal number, `10.000`) as a
/// duration, within the limits of `--interval` ([`number::MIN_INTERVAL`] to
/// [`number::MAX_INTERVAL`]): a value like `0.000001` would be a busy loop
/// that floods chronyd and raises false "not answering" notifications.
/// The error is one line naming the variable and its value.
pub fn parse_collectd_interval(value: &str) -> Result<Duration, SettingError> {
    let shown = crate::text::one_line(value);
    let secs = number::plain_number(value.trim()).ok_or_else(|| {
        SettingError(format!(
            "{INTERVAL_VAR} is '{shown}': expected the interval in seconds, e.g. 10.000"
        ))
    })?;
    number::interval_from_secs(secs)
        .map_err(|why| SettingError(format!("{INTERVAL_VAR} is '{shown}': the interval {why}")))
}

/// The system's host name, as `hostname` prints it: from
/// `/proc/sys/kernel/hostname`, else `/etc/hostname`.
pub fn system_hostname() -> Result<String, SettingError> {
    for path in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(text) = std::fs::read_to_string(path) {
            let name = text.trim();
            if !name.is_empty() {
                return Ok(name.to_string());
            }
        }
    }
    Err(SettingError(format!(
        "cannot find the host name (neither /proc/sys/kernel/hostname nor /etc/hostname \
         gives one): set {HOSTNAME_VAR} or pass --hostname"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collectd_interval_with_decimals() {
        assert_eq!(
            parse_collectd_interval("10.000").unwrap(),
            Duration::from_secs(10)
        );
        assert_eq!(
            parse_collectd_interval("0.500").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_collectd_interval("60").unwrap(),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn collectd_interval_malformed() {
        for bad in ["", "ten", "10s", "-1", "0", "0.000", "nan", "inf", "1e400"] {
            let e = parse_collectd_interval(bad).unwrap_err();
            assert!(
                e.to_string().starts_with("COLLECTD_INTERVAL is "),
                "{bad}: {e}"
            );
        }
    }

    /// `0.000001` was taken and the plugin gathered in a busy loop.
    #[test]
    fn collectd_interval_has_the_interval_limits() {
        assert_eq!(
            parse_collectd_interval("0.000001").unwrap_err().to_string(),
            "COLLECTD_INTERVAL is '0.000001': the interval must be at least 1ms"
        );
        assert_eq!(
            parse_collectd_interval("0.001").unwrap(),
            Duration::from_millis(1)
        );
        assert_eq!(
            parse_collectd_interval("86400.000").unwrap(),
            Duration::from_secs(86_400)
        );
        for bad in [
            "0.0009",
            "86401",
            "1e9",
            "99999999999999999999999",
            "-0",
            "+inf",
        ] {
            assert!(parse_collectd_interval(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn collectd_interval_error_is_one_line() {
        let e = parse_collectd_interval("1\nE! x\u{85}")
            .unwrap_err()
            .to_string();
        assert_eq!(crate::text::first_unsafe(&e), None, "{e}");
    }

    #[test]
    fn hostname_found() {
        assert!(!system_hostname().unwrap().is_empty());
    }
}
