//! The command line of `check_chrony_sources`: one clap derive, the one
//! source of truth for parsing and help.
//!
//! Conventions are `check_chrony_tracking`'s: `-H`, `-t`, ranges in the
//! guidelines' syntax, `--on-*` states, `-v` up to three times, an option
//! given twice refused. A usage error, `--help` and `--version` exit 3
//! (UNKNOWN), as monitoring-plugins' checks do.

use super::config::{Config, Thresholds};
use super::config::{
    DEFAULT_FALSETICKERS_WARNING, DEFAULT_REACHABLE_CRITICAL, DEFAULT_REACH_MEAN_CRITICAL,
    DEFAULT_REACH_MEAN_WARNING, DEFAULT_REACH_WORST_WARNING, DEFAULT_USABLE_CRITICAL,
    DEFAULT_USABLE_WARNING,
};
use super::model::Selector;
use crate::address::Target;
use crate::check::{Limits, Range, State, Unit};
use crate::number;
use crate::usage::{self, Usage};
use clap::{ArgAction, Parser};
use std::ffi::OsString;
use std::time::Duration;

/// The program's name in usage and help.
pub const NAME: &str = "check_chrony_sources";

/// Check chronyd's sources: how many are reachable and usable, falsetickers,
/// jittery ones, reachability, required sources and offsets, with perfdata.
///
/// RANGE: N (alert outside 0..N), N: (below N), ~:N (above N), N:M (outside
/// N..M), @N:M (inside N..M). Endpoints inclusive, critical checked before
/// warning, `~:` never alerts (switches a default off). Offsets also take
/// units: 500ms, 0.5s. STATE: ok, warning, critical or unknown. Exit codes:
/// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
#[derive(Parser, Debug)]
#[command(name = NAME, version, about, long_about, max_term_width = 100)]
struct Args {
    /// chronyd's address: auto (its Unix socket, then the UDP command port
    /// 127.0.0.1:323 and [::1]:323), a socket path, IP[:port],
    /// [IPv6]:port, or a comma-separated list tried in order.
    #[arg(
        short = 'H',
        long = "host",
        visible_alias = "hostname",
        value_name = "ADDRESS",
        default_value = "auto"
    )]
    target: Target,

    /// The whole run ends within this: 10, 2.5s, 500ms, 1m 30s, at most 1 day.
    #[arg(short = 't', long, value_name = "DURATION", default_value = "10s",
          value_parser = number::parse_timeout)]
    timeout: Duration,

    /// WARNING when the number of usable sources (selected, combined or
    /// selectable: chronyc's `*`, `+`, `-`) is outside RANGE.
    #[arg(short = 'm', long, value_name = "RANGE", default_value = DEFAULT_USABLE_WARNING,
          value_parser = count_range, allow_hyphen_values = true)]
    usable_warning: Range,

    /// CRITICAL likewise.
    #[arg(short = 'n', long, value_name = "RANGE", default_value = DEFAULT_USABLE_CRITICAL,
          value_parser = count_range, allow_hyphen_values = true)]
    usable_critical: Range,

    /// WARNING when the number of reachable sources (answered at least one
    /// of the last 8 polls) is outside RANGE.
    #[arg(long, value_name = "RANGE", value_parser = count_range, allow_hyphen_values = true)]
    reachable_warning: Option<Range>,

    /// CRITICAL likewise.
    #[arg(long, value_name = "RANGE", default_value = DEFAULT_REACHABLE_CRITICAL,
          value_parser = count_range, allow_hyphen_values = true)]
    reachable_critical: Range,

    /// WARNING when the number of falsetickers (`x`) is outside RANGE.
    #[arg(long, value_name = "RANGE", default_value = DEFAULT_FALSETICKERS_WARNING,
          value_parser = count_range, allow_hyphen_values = true)]
    falsetickers_warning: Range,

    /// CRITICAL likewise.
    #[arg(long, value_name = "RANGE", value_parser = count_range, allow_hyphen_values = true)]
    falsetickers_critical: Option<Range>,

    /// WARNING when the number of jittery sources (`~`) is outside RANGE.
    #[arg(long, value_name = "RANGE", value_parser = count_range, allow_hyphen_values = true)]
    jittery_warning: Option<Range>,

    /// CRITICAL likewise.
    #[arg(long, value_name = "RANGE", value_parser = count_range, allow_hyphen_values = true)]
    jittery_critical: Option<Range>,

    /// WARNING when any source's reachability (percent of its last 8 polls
    /// answered) is outside RANGE.
    #[arg(long, value_name = "RANGE", default_value = DEFAULT_REACH_WORST_WARNING,
          value_parser = count_range, allow_hyphen_values = true)]
    reach_worst_warning: Range,

    /// CRITICAL likewise.
    #[arg(long, value_name = "RANGE", value_parser = count_range, allow_hyphen_values = true)]
    reach_worst_critical: Option<Range>,

    /// WARNING when the mean reachability of all sources (percent) is
    /// outside RANGE.
    #[arg(long, value_name = "RANGE", default_value = DEFAULT_REACH_MEAN_WARNING,
          value_parser = count_range, allow_hyphen_values = true)]
    reach_mean_warning: Range,

    /// CRITICAL likewise.
    #[arg(long, value_name = "RANGE", default_value = DEFAULT_REACH_MEAN_CRITICAL,
          value_parser = count_range, allow_hyphen_values = true)]
    reach_mean_critical: Range,

    /// WARNING when a source's absolute offset + error of its last sample
    /// (seconds) is outside RANGE [default: not checked].
    #[arg(short = 'w', long, value_name = "RANGE", value_parser = seconds_range,
          allow_hyphen_values = true)]
    offset_warning: Option<Range>,

    /// CRITICAL likewise.
    #[arg(short = 'c', long, value_name = "RANGE", value_parser = seconds_range,
          allow_hyphen_values = true)]
    offset_critical: Option<Range>,

    /// This source must be there, reachable and usable (an IP address, or a
    /// refclock's refid such as GPS). Repeatable.
    #[arg(long, value_name = "ADDRESS/REFID", value_parser = Selector::parse,
          action = ArgAction::Append)]
    require: Vec<Selector>,

    /// Leave this source out of every count and check. Repeatable.
    #[arg(long, value_name = "ADDRESS/REFID", value_parser = Selector::parse,
          action = ArgAction::Append)]
    ignore: Vec<Selector>,

    /// No source is selected (chronyd synchronised to none).
    #[arg(long, value_name = "STATE", default_value = "critical", value_parser = state)]
    on_no_selected: State,

    /// A required source is missing, unreachable or not usable.
    #[arg(long, value_name = "STATE", default_value = "critical", value_parser = state)]
    on_required_failed: State,

    /// chronyd does not answer, refuses the connection or the request.
    #[arg(long, value_name = "STATE", default_value = "critical", value_parser = state)]
    on_unreachable: State,

    /// chronyd's Unix socket may not be used by this user.
    #[arg(long, value_name = "STATE", default_value = "unknown", value_parser = state)]
    on_permission_denied: State,

    /// Also perfdata per source: reach, offset, error, stratum, labelled
    /// ntp_192_0_2_1_reach, ntp_2001_db8__1_offset, ref_GPS_error, ...
    #[arg(long)]
    perfdata_sources: bool,

    /// More output: -v a line per count and per source, -vv how the address
    /// was found, -vvv every raw field.
    #[arg(short = 'v', long, action = ArgAction::Count)]
    verbose: u8,
}

fn count_range(text: &str) -> Result<Range, String> {
    Range::parse(text, Unit::Number).map_err(|e| e.to_string())
}

fn seconds_range(text: &str) -> Result<Range, String> {
    Range::parse(text, Unit::Seconds).map_err(|e| e.to_string())
}

fn state(text: &str) -> Result<State, String> {
    text.parse()
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// Run the check with this configuration.
    Run(Box<Config>),
    /// Print this text (help or version) and exit 3.
    Info(String),
}

/// Parses the arguments after the program name; a usage error is one line.
pub fn parse_args<I>(args: I) -> Result<Invocation, String>
where
    I: IntoIterator<Item = OsString>,
{
    let args = std::iter::once(OsString::from(NAME)).chain(args);
    let a = match usage::parse_from::<Args, _>(args) {
        Ok(a) => a,
        Err(Usage::Info(text)) => return Ok(Invocation::Info(text)),
        Err(Usage::Error(e)) => return Err(e),
    };
    if let Some(both) = a
        .require
        .iter()
        .find(|r| a.ignore.iter().any(|i| i.same(r)))
    {
        return Err(format!(
            "source '{both}' is given to both --require and --ignore"
        ));
    }
    let limits = |warning, critical| Limits { warning, critical };
    let thresholds = Thresholds {
        usable: limits(Some(a.usable_warning), Some(a.usable_critical)),
        reachable: limits(a.reachable_warning, Some(a.reachable_critical)),
        falsetickers: limits(Some(a.falsetickers_warning), a.falsetickers_critical),
        jittery: limits(a.jittery_warning, a.jittery_critical),
        reach_worst: limits(Some(a.reach_worst_warning), a.reach_worst_critical),
        reach_mean: limits(Some(a.reach_mean_warning), Some(a.reach_mean_critical)),
        offset: limits(a.offset_warning, a.offset_critical),
    };
    Ok(Invocation::Run(Box::new(Config {
        target: a.target,
        timeout: a.timeout,
        verbosity: a.verbose.min(3),
        thresholds,
        require: a.require,
        ignore: a.ignore,
        on_no_selected: a.on_no_selected,
        on_required_failed: a.on_required_failed,
        on_unreachable: a.on_unreachable,
        on_permission_denied: a.on_permission_denied,
        perfdata_sources: a.perfdata_sources,
    })))
}

/// The short usage printed after a usage error.
pub const USAGE: &str = "Usage: check_chrony_sources [-H ADDRESS] [-t DURATION] [-m RANGE] [-n RANGE] \
[-w RANGE] [-c RANGE] [--require ADDRESS/REFID]... [--ignore ADDRESS/REFID]... [--on-CONDITION STATE] [-v]...\n\
Run 'check_chrony_sources --help' for all options.\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Config {
        match parse_args(args.iter().map(OsString::from)) {
            Ok(Invocation::Run(c)) => *c,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        parse_args(args.iter().map(OsString::from)).unwrap_err()
    }

    fn info(args: &[&str]) -> String {
        match parse_args(args.iter().map(OsString::from)) {
            Ok(Invocation::Info(t)) => t,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn no_arguments_gives_the_documented_defaults() {
        assert_eq!(run(&[]), Config::default());
    }

    #[test]
    fn every_option_lands() {
        let c = run(&[
            "-H",
            "127.0.0.1:1234",
            "-t",
            "2s",
            "-m",
            "4:",
            "-n",
            "2:",
            "--reachable-warning",
            "3:",
            "--reachable-critical",
            "2:",
            "--falsetickers-warning",
            "~:",
            "--falsetickers-critical",
            "1",
            "--jittery-warning",
            "0",
            "--jittery-critical",
            "2",
            "--reach-worst-warning",
            "75:",
            "--reach-worst-critical",
            "25:",
            "--reach-mean-warning",
            "90:",
            "--reach-mean-critical",
            "60:",
            "-w",
            "50ms",
            "-c",
            "0.5",
            "--require",
            "127.0.0.2",
            "--require",
            "GPS",
            "--ignore",
            "[2001:db8::1]",
            "--on-no-selected",
            "warning",
            "--on-required-failed",
            "warning",
            "--on-unreachable",
            "unknown",
            "--on-permission-denied",
            "critical",
            "--perfdata-sources",
            "-vvvv",
        ]);
        let t = &c.thresholds;
        let s = |r: &Option<Range>| r.as_ref().unwrap().to_string();
        assert_eq!(c.target.to_string(), "127.0.0.1:1234");
        assert_eq!(c.timeout, Duration::from_secs(2));
        assert_eq!(
            (s(&t.usable.warning), s(&t.usable.critical)),
            ("4:".into(), "2:".into())
        );
        assert_eq!(s(&t.reachable.warning), "3:");
        assert_eq!(s(&t.falsetickers.warning), "~:");
        assert_eq!(s(&t.jittery.critical), "2");
        assert_eq!(s(&t.reach_worst.critical), "25:");
        assert_eq!(s(&t.reach_mean.warning), "90:");
        assert_eq!(
            (s(&t.offset.warning), s(&t.offset.critical)),
            ("0.05".into(), "0.5".into())
        );
        assert_eq!(c.require.len(), 2);
        assert_eq!(c.ignore[0].to_string(), "2001:db8::1");
        assert_eq!(c.on_no_selected, State::Warning);
        assert_eq!(c.on_required_failed, State::Warning);
        assert_eq!(c.on_unreachable, State::Unknown);
        assert_eq!(c.on_permission_denied, State::Critical);
        assert!(c.perfdata_sources);
        assert_eq!(c.verbosity, 3);
    }

    #[test]
    fn hostname_alias_and_inline_values() {
        assert_eq!(
            run(&["--hostname", "::1", "-m3:", "--usable-critical=2:"]),
            run(&["-H", "::1", "--usable-warning", "3:", "-n", "2:"])
        );
    }

    #[test]
    fn usage_errors_are_one_line_naming_the_option() {
        let e = err(&["-m", "3:1"]);
        assert!(
            e.contains("'3:1'") && e.contains("start 3 is greater than end 1"),
            "{e}"
        );
        assert!(err(&["--require", "ntp.example.com"]).contains("host names are not resolved"));
        assert!(err(&["--on-no-selected", "panic"]).contains("expected ok, warning"));
        assert!(err(&["-t", "0"]).contains("must be longer than zero"));
        assert!(err(&["--bogus"]).contains("'--bogus'"));
        assert!(err(&["localhost"]).contains("'localhost'"));
        assert!(err(&["-x\nE! forged"]).contains("no option takes one"));
        for e in [err(&["-m", "3:1"]), err(&["--bogus"])] {
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn option_given_twice_refused() {
        assert!(err(&["-m", "3:", "-m", "2:"]).contains("cannot be used multiple times"));
    }

    #[test]
    fn required_and_ignored_at_once_refused() {
        assert_eq!(
            err(&["--require", "127.0.0.2", "--ignore", "127.0.0.2"]),
            "source '127.0.0.2' is given to both --require and --ignore"
        );
        // However spelt.
        assert!(
            err(&["--require", "::ffff:127.0.0.2", "--ignore", "127.0.0.2"])
                .contains("given to both")
        );
        assert!(
            err(&["--require", "2001:DB8::1", "--ignore", "[2001:db8::1]"])
                .contains("given to both")
        );
    }

    #[test]
    fn help_lists_every_option_and_version() {
        let help = info(&["--help"]);
        for option in [
            "--host",
            "--hostname",
            "--timeout",
            "--usable-warning",
            "--usable-critical",
            "--reachable-warning",
            "--reachable-critical",
            "--falsetickers-warning",
            "--falsetickers-critical",
            "--jittery-warning",
            "--jittery-critical",
            "--reach-worst-warning",
            "--reach-worst-critical",
            "--reach-mean-warning",
            "--reach-mean-critical",
            "--offset-warning",
            "--offset-critical",
            "--require",
            "--ignore",
            "--on-no-selected",
            "--on-required-failed",
            "--on-unreachable",
            "--on-permission-denied",
            "--perfdata-sources",
            "--verbose",
            "--help",
            "--version",
        ] {
            assert!(
                help.contains(option),
                "{option} missing from --help:\n{help}"
            );
        }
        assert!(!help.contains(';'), "Nagios turns ';' into ':'");
        // Run as a check by mistake, a `|` would start perfdata.
        assert!(!help.contains('|'), "{help}");
        assert!(!USAGE.contains('|') && !USAGE.contains(';'));
        assert_eq!(
            info(&["-V"]),
            format!("{NAME} {}\n", env!("CARGO_PKG_VERSION"))
        );
    }

    /// Every argument of the shipped Icinga CheckCommand is an option of
    /// the check (the other direction, every option has an argument, with
    /// `repeat_key` for the repeatable ones, is
    /// `tests/check_icinga.rs::every_option_has_a_checkcommand_argument`).
    #[test]
    fn icinga_command_matches_the_options() {
        let conf = include_str!("../../icinga/command-chrony-sources.conf");
        let keys: Vec<&str> = conf
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .filter_map(|l| l.split_once("\" = {").map(|(k, _)| k))
            .collect();
        let help = info(&["--help"]);
        for key in &keys {
            let shown = |end: &str| {
                if key.starts_with("--") {
                    help.contains(&format!("{key}{end}"))
                } else {
                    help.contains(&format!("{key}, "))
                }
            };
            assert!(shown(" ") || shown("\n"), "{key} is not an option");
        }
        assert_eq!(keys.len(), 24, "{keys:?}");
    }
}
