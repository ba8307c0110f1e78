//! The Nagios/Icinga check `check_chrony_tracking`: threshold ranges, the
//! configuration they make up, and the plugin output as a pure function of
//! a tracking report (or the error that stood in its way).
//!
//! - [`range`]: the guidelines' range syntax (`N`, `N:`, `~:N`, `N:M`,
//!   `@N:M`), endpoints in seconds in the grammar of [`crate::number`].
//! - [`Config`], [`Limits`], [`Thresholds`]: what the user asked to check,
//!   with the documented defaults.
//! - [`render`]: the complete stdout and the exit state, so that snapshots can
//!   pin both for fixed inputs.

pub mod cli;
#[cfg(test)]
pub(crate) mod consumers;
#[cfg(test)]
mod parsers;
pub mod range;
mod render;
#[cfg(test)]
mod snapshots;

pub use range::{Range, RangeError, Unit};
pub use render::{render, Report, Resolution};
// Shared with check_chrony_sources: one wording of failures and numbers.
pub(crate) use render::{clean, clean_lines, render_error, resolution_lines, short};

/// Writes all of `text` to stdout and gives `state`'s exit code: how both
/// checks end. A closed stdout is not worth a panic: the exit code still
/// tells the state.
pub fn emit(text: &str, state: State) -> std::process::ExitCode {
    let _ = crate::output::print_all(text);
    std::process::ExitCode::from(state.code())
}

/// `text` made safe for the one status line: no `|` (Icinga and Nagios
/// split perfdata there) and no line breaks.
pub fn one_line(text: &str) -> String {
    render::clean(text)
}

use crate::address::Target;
use crate::error::ErrorKind;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A plugin state, with the exit code the guidelines give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// 0: all is well.
    Ok,
    /// 1: a warning threshold was crossed, or a condition that needs a look.
    Warning,
    /// 2: a critical threshold was crossed, or chronyd does not answer.
    Critical,
    /// 3: the check itself could not do its job (bad usage, no permission).
    Unknown,
}

impl State {
    /// The exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    pub fn code(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Warning => 1,
            State::Critical => 2,
            State::Unknown => 3,
        }
    }

    /// The word in the output: `OK`, `WARNING`, `CRITICAL`, `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Critical => "CRITICAL",
            State::Unknown => "UNKNOWN",
        }
    }

    /// How bad a state is when several are combined: CRITICAL, then
    /// WARNING, then UNKNOWN, then OK (monitoring-plugins' `max_state_alt`),
    /// so that a real alarm is never hidden behind an UNKNOWN.
    fn severity(self) -> u8 {
        match self {
            State::Ok => 0,
            State::Unknown => 1,
            State::Warning => 2,
            State::Critical => 3,
        }
    }

    /// The worse of two states (see [`State::worst`]).
    pub fn worst(self, other: State) -> State {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for State {
    type Err = String;

    /// `ok`, `warning`, `critical`, `unknown` in any case, or the exit code 0 to 3.
    fn from_str(s: &str) -> Result<State, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ok" | "0" => Ok(State::Ok),
            "warning" | "warn" | "1" => Ok(State::Warning),
            "critical" | "crit" | "2" => Ok(State::Critical),
            "unknown" | "3" => Ok(State::Unknown),
            _ => Err("expected ok, warning, critical or unknown".to_string()),
        }
    }
}

/// The warning and critical range of one metric; either may be absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Limits {
    /// Alert WARNING when the value is outside (or, for `@`, inside) this.
    pub warning: Option<Range>,
    /// Alert CRITICAL likewise; evaluated before `warning`.
    pub critical: Option<Range>,
}

impl Limits {
    /// Which state `value` is in, and the range that put it there.
    pub fn evaluate(&self, value: f64) -> (State, Option<&Range>) {
        if let Some(r) = self.critical.as_ref().filter(|r| r.alerts(value)) {
            return (State::Critical, Some(r));
        }
        if let Some(r) = self.warning.as_ref().filter(|r| r.alerts(value)) {
            return (State::Warning, Some(r));
        }
        (State::Ok, None)
    }

    /// Whether neither range is set (the metric is not evaluated).
    pub fn is_empty(&self) -> bool {
        self.warning.is_none() && self.critical.is_none()
    }
}

/// Ranges for every metric that can be checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// |current correction| in seconds (`-w`/`-c`).
    pub offset: Limits,
    /// Stratum (`-W`/`-C`).
    pub stratum: Limits,
    /// Root distance (root delay / 2 + root dispersion) in seconds.
    pub root_distance: Limits,
    /// Seconds since the last clock update (now minus reference time).
    pub ref_age: Limits,
    /// RMS offset in seconds.
    pub rms_offset: Limits,
    /// |frequency offset| in ppm.
    pub frequency: Limits,
    /// Skew in ppm.
    pub skew: Limits,
}

/// Default `-w`: 100 ms, a bit below the 128 ms at which NTP steps a clock;
/// a chrony client on a working network stays well within a millisecond or two.
pub const DEFAULT_OFFSET_WARNING: &str = "0.1";
/// Default `-c`: 1 s, beyond which logs, TLS and Kerberos start to disagree.
pub const DEFAULT_OFFSET_CRITICAL: &str = "1";
/// Default `--ref-age-warning`: 1 h, more than three missed updates at
/// chrony's longest default polling interval (1024 s).
pub const DEFAULT_REF_AGE_WARNING: &str = "1h";
/// Default `--ref-age-critical`: 4 h; chronyd then long since lost its sources
/// and is coasting on its last frequency estimate.
pub const DEFAULT_REF_AGE_CRITICAL: &str = "4h";

impl Default for Thresholds {
    /// Offset and reference age have defaults (see the `DEFAULT_*`
    /// constants); the other metrics are checked only when asked.
    fn default() -> Thresholds {
        let secs = |s| Some(Range::parse(s, Unit::Seconds).expect("built-in default parses"));
        Thresholds {
            offset: Limits {
                warning: secs(DEFAULT_OFFSET_WARNING),
                critical: secs(DEFAULT_OFFSET_CRITICAL),
            },
            stratum: Limits::default(),
            root_distance: Limits::default(),
            ref_age: Limits {
                warning: secs(DEFAULT_REF_AGE_WARNING),
                critical: secs(DEFAULT_REF_AGE_CRITICAL),
            },
            rms_offset: Limits::default(),
            frequency: Limits::default(),
            skew: Limits::default(),
        }
    }
}

/// Everything the check was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where chronyd is (`-H`).
    pub target: Target,
    /// How long the whole run may take (`-t`).
    pub timeout: Duration,
    /// `-v` count, 0 to 3.
    pub verbosity: u8,
    /// The ranges per metric.
    pub thresholds: Thresholds,
    /// State when chronyd is not synchronised (leap status 3). Default CRITICAL.
    pub on_unsynchronised: State,
    /// State when chronyd does not answer, refuses the connection or the
    /// request. Default CRITICAL, as the guidelines want for a dead service.
    pub on_unreachable: State,
    /// State when chronyd's Unix socket is not ours to use. Default UNKNOWN:
    /// a monitoring set-up problem, not a time problem.
    pub on_permission_denied: State,
    /// State when the only reference is chronyd's own `local` clock.
    /// Default WARNING (a client that lost all its upstream sources).
    pub on_local_reference: State,
    /// State when a leap second is pending. Default OK (with a note).
    pub on_leap_pending: State,
}

/// Default `-t`: 10 s, as the guidelines give.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for Config {
    fn default() -> Config {
        Config {
            target: Target::auto(),
            timeout: DEFAULT_TIMEOUT,
            verbosity: 0,
            thresholds: Thresholds::default(),
            on_unsynchronised: State::Critical,
            on_unreachable: State::Critical,
            on_permission_denied: State::Unknown,
            on_local_reference: State::Warning,
            on_leap_pending: State::Ok,
        }
    }
}

impl Config {
    /// The state for a failed read of kind `kind`.
    ///
    /// Not answering, refusing, or answering "not allowed" mean the service
    /// is not usable: [`Config::on_unreachable`]. A denied socket is
    /// [`Config::on_permission_denied`]. A path that is not a socket or too
    /// long, another OS error, or a reply the check cannot read is the
    /// check's own problem: UNKNOWN.
    pub fn state_for_error(&self, kind: ErrorKind) -> State {
        match kind {
            ErrorKind::NoSocket
            | ErrorKind::ConnectionRefused
            | ErrorKind::Timeout
            | ErrorKind::Unauthorized
            | ErrorKind::Disabled => self.on_unreachable,
            ErrorKind::PermissionDenied => self.on_permission_denied,
            _ => State::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(w: Option<&str>, c: Option<&str>) -> Limits {
        let r = |s: &str| Range::parse(s, Unit::Number).unwrap();
        Limits {
            warning: w.map(r),
            critical: c.map(r),
        }
    }

    #[test]
    fn critical_evaluated_before_warning() {
        // Both trip: critical wins.
        let l = limits(Some("5"), Some("10"));
        assert_eq!(l.evaluate(11.0).0, State::Critical);
        assert_eq!(l.evaluate(7.0).0, State::Warning);
        assert_eq!(l.evaluate(5.0).0, State::Ok);
    }

    #[test]
    fn critical_wins_even_when_narrower() {
        // A critical range inside the warning one still is checked first.
        let l = limits(Some("10"), Some("5"));
        assert_eq!(l.evaluate(7.0).0, State::Critical);
    }

    #[test]
    fn inclusive_endpoints() {
        let l = limits(Some("1:2"), Some("0:3"));
        assert_eq!(l.evaluate(1.0).0, State::Ok);
        assert_eq!(l.evaluate(2.0).0, State::Ok);
        assert_eq!(l.evaluate(3.0).0, State::Warning);
        assert_eq!(l.evaluate(3.0000001).0, State::Critical);
    }

    #[test]
    fn inside_ranges() {
        let l = limits(Some("@1:2"), Some("@2:3"));
        assert_eq!(l.evaluate(1.5).0, State::Warning);
        assert_eq!(l.evaluate(2.0).0, State::Critical);
        assert_eq!(l.evaluate(0.5).0, State::Ok);
    }

    #[test]
    fn reports_the_range_that_tripped() {
        let l = limits(Some("5"), Some("10"));
        assert_eq!(l.evaluate(7.0).1.unwrap().to_string(), "5");
        assert!(l.evaluate(1.0).1.is_none());
    }

    #[test]
    fn no_limits_always_ok() {
        assert_eq!(Limits::default().evaluate(1e300), (State::Ok, None));
    }

    #[test]
    fn worst_orders_critical_warning_unknown_ok() {
        assert_eq!(State::Ok.worst(State::Unknown), State::Unknown);
        assert_eq!(State::Unknown.worst(State::Warning), State::Warning);
        assert_eq!(State::Critical.worst(State::Warning), State::Critical);
        assert_eq!(State::Warning.worst(State::Ok), State::Warning);
    }

    #[test]
    fn state_words_and_codes() {
        assert_eq!("Critical".parse::<State>().unwrap(), State::Critical);
        assert_eq!("ok".parse::<State>().unwrap(), State::Ok);
        assert_eq!("3".parse::<State>().unwrap(), State::Unknown);
        assert!("fine".parse::<State>().is_err());
        assert_eq!(State::Warning.code(), 1);
    }

    #[test]
    fn error_kinds_map_to_documented_states() {
        let c = Config::default();
        for kind in [
            ErrorKind::NoSocket,
            ErrorKind::ConnectionRefused,
            ErrorKind::Timeout,
            ErrorKind::Unauthorized,
            ErrorKind::Disabled,
        ] {
            assert_eq!(c.state_for_error(kind), State::Critical, "{kind}");
        }
        assert_eq!(
            c.state_for_error(ErrorKind::PermissionDenied),
            State::Unknown
        );
        assert_eq!(c.state_for_error(ErrorKind::Protocol), State::Unknown);
        assert_eq!(c.state_for_error(ErrorKind::NotASocket), State::Unknown);
    }

    #[test]
    fn default_thresholds() {
        let t = Thresholds::default();
        assert_eq!(t.offset.warning.unwrap().to_string(), "0.1");
        assert_eq!(t.offset.critical.unwrap().to_string(), "1");
        assert_eq!(t.ref_age.warning.unwrap().to_string(), "3600");
        assert_eq!(t.ref_age.critical.unwrap().to_string(), "14400");
        assert!(t.stratum.is_empty());
    }
}
