//! What collectd's exec plugin tells the program through its environment,
//! and the system host name to fall back on.

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
/// duration; an error for anything else, zero, or a negative number.
pub fn parse_collectd_interval(value: &str) -> Result<Duration, SettingError> {
    let bad = || {
        SettingError(format!(
            "{INTERVAL_VAR} is {value:?}: expected the interval in seconds, e.g. 10.000"
        ))
    };
    let secs: f64 = value.trim().parse().map_err(|_| bad())?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(bad());
    }
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(bad)
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

    #[test]
    fn hostname_found() {
        assert!(!system_hostname().unwrap().is_empty());
    }
}
