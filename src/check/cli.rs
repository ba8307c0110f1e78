//! The command line of `check_chrony_tracking`, parsed by hand.
//!
//! A check runs every minute on thousands of hosts and its start-up is most
//! of its run time: building and running a clap parser for 27 options cost
//! about 0.14 ms of a 1.3 ms run here (`perf stat -r 500` by hand, as the
//! README says: no script repeats it), more than the
//! whole budget against chronyc. This parser does the same job with no
//! allocation beyond the values: GNU-style `-w 0.1`, `-w0.1`, `-vvv`,
//! `--warning 0.1`, `--warning=0.1`, `--` ends the options. A value may start
//! with `-` (negative ranges). An option given twice or an argument that is
//! not an option is an error: nothing the user wrote is silently dropped.

use super::range::{Range, Unit};
use super::{Config, State, DEFAULT_OFFSET_CRITICAL, DEFAULT_OFFSET_WARNING};
use super::{DEFAULT_REF_AGE_CRITICAL, DEFAULT_REF_AGE_WARNING};
use crate::address::Target;
use crate::number::parse_timeout;
use std::ffi::OsString;
use std::fmt;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// Run the check with this configuration.
    Run(Box<Config>),
    /// Print [`help`] and exit 3 (UNKNOWN), as every monitoring-plugins check.
    Help,
    /// Print [`version`] and exit 3 (UNKNOWN).
    Version,
}

/// A command line that cannot be run; `Display` is one line naming the
/// option and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The program's name in usage and help.
pub const NAME: &str = "check_chrony_tracking";

/// The short usage printed after a usage error.
pub const USAGE: &str = "Usage: check_chrony_tracking [-H ADDRESS] [-t DURATION] [-w RANGE] [-c RANGE] \
[-W RANGE] [-C RANGE] [--METRIC-warning RANGE] [--METRIC-critical RANGE] [--on-CONDITION STATE] [-v]...\n\
Run 'check_chrony_tracking --help' for all options.\n";

/// `check_chrony_tracking 0.1.0`.
pub fn version() -> String {
    format!("{NAME} {}\n", env!("CARGO_PKG_VERSION"))
}

/// The full help text.
pub fn help() -> String {
    format!(
        "{NAME} {version}
Check chronyd's tracking report: offset, stratum, root distance, age of the
last clock update and more against threshold ranges, with perfdata.

Usage: {NAME} [OPTIONS]

Options:
  -H, --host ADDRESS             chronyd's address: auto (its Unix socket, then the
                                 UDP command port 127.0.0.1:323 and [::1]:323), a
                                 socket path, IP[:port], [IPv6]:port, or a comma-
                                 separated list tried in order [default: auto]
                                 (also --hostname)
  -t, --timeout DURATION         the whole run ends within this: 10, 2.5s, 500ms,
                                 1m 30s, at most 1 day [default: 10s]
  -w, --warning RANGE            WARNING when |offset| (chronyc's \"System time\",
                                 seconds) is outside RANGE [default: {ow}]
  -c, --critical RANGE           CRITICAL likewise [default: {oc}]
                                 (also --offset-warning, --offset-critical)
  -W, --stratum-warning RANGE    WARNING when the stratum is outside RANGE
  -C, --stratum-critical RANGE   CRITICAL likewise
      --root-distance-warning RANGE, --root-distance-critical RANGE
                                 root delay / 2 + root dispersion, seconds
      --ref-age-warning RANGE, --ref-age-critical RANGE
                                 age of the last clock update (now minus
                                 reference time), seconds [default: {aw}, {ac}]
      --rms-offset-warning RANGE, --rms-offset-critical RANGE
                                 RMS offset, seconds
      --frequency-warning RANGE, --frequency-critical RANGE
                                 |frequency offset|, ppm
      --skew-warning RANGE, --skew-critical RANGE
                                 skew, ppm
      --on-unsynchronized STATE  chronyd not synchronised (no usable source)
                                 [default: critical] (also --on-unsynchronised)
      --on-unreachable STATE     chronyd does not answer, refuses the connection
                                 or the request [default: critical]
      --on-permission-denied STATE
                                 chronyd's Unix socket may not be used by this
                                 user [default: unknown]
      --on-local-reference STATE synchronised only to chronyd's own local
                                 reference (LOCL) [default: warning]
      --on-leap-pending STATE    a leap second is pending [default: ok]
  -v, --verbose                  more output: -v a line per metric, -vv how the
                                 address was found, -vvv every raw field
  -h, --help                     print this help
  -V, --version                  print the version

RANGE: N (alert outside 0..N), N: (below N), ~:N (above N), N:M (outside
N..M), @N:M (inside N..M). Endpoints inclusive, critical checked before
warning, `~:` never alerts. Ranges in seconds also take units on each
endpoint: 500ms, 0.5s, 15m, 1h:. STATE: ok, warning, critical or unknown.
Exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
",
        version = env!("CARGO_PKG_VERSION"),
        ow = DEFAULT_OFFSET_WARNING,
        oc = DEFAULT_OFFSET_CRITICAL,
        aw = DEFAULT_REF_AGE_WARNING,
        ac = DEFAULT_REF_AGE_CRITICAL,
    )
}

/// Every option; the discriminant indexes the "given once" table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Opt {
    Host,
    Timeout,
    Warning,
    Critical,
    StratumWarning,
    StratumCritical,
    RootDistanceWarning,
    RootDistanceCritical,
    RefAgeWarning,
    RefAgeCritical,
    RmsOffsetWarning,
    RmsOffsetCritical,
    FrequencyWarning,
    FrequencyCritical,
    SkewWarning,
    SkewCritical,
    OnUnsynchronised,
    OnUnreachable,
    OnPermissionDenied,
    OnLocalReference,
    OnLeapPending,
    Verbose,
    Help,
    Version,
}

const OPTION_COUNT: usize = Opt::Version as usize + 1;

/// Long names, aliases included.
const LONG: &[(&str, Opt)] = &[
    ("host", Opt::Host),
    ("hostname", Opt::Host),
    ("timeout", Opt::Timeout),
    ("warning", Opt::Warning),
    ("offset-warning", Opt::Warning),
    ("critical", Opt::Critical),
    ("offset-critical", Opt::Critical),
    ("stratum-warning", Opt::StratumWarning),
    ("stratum-critical", Opt::StratumCritical),
    ("root-distance-warning", Opt::RootDistanceWarning),
    ("root-distance-critical", Opt::RootDistanceCritical),
    ("ref-age-warning", Opt::RefAgeWarning),
    ("ref-age-critical", Opt::RefAgeCritical),
    ("rms-offset-warning", Opt::RmsOffsetWarning),
    ("rms-offset-critical", Opt::RmsOffsetCritical),
    ("frequency-warning", Opt::FrequencyWarning),
    ("frequency-critical", Opt::FrequencyCritical),
    ("skew-warning", Opt::SkewWarning),
    ("skew-critical", Opt::SkewCritical),
    ("on-unsynchronized", Opt::OnUnsynchronised),
    ("on-unsynchronised", Opt::OnUnsynchronised),
    ("on-unreachable", Opt::OnUnreachable),
    ("on-permission-denied", Opt::OnPermissionDenied),
    ("on-local-reference", Opt::OnLocalReference),
    ("on-leap-pending", Opt::OnLeapPending),
    ("verbose", Opt::Verbose),
    ("help", Opt::Help),
    ("version", Opt::Version),
];

impl Opt {
    fn from_short(c: char) -> Option<Opt> {
        Some(match c {
            'H' => Opt::Host,
            't' => Opt::Timeout,
            'w' => Opt::Warning,
            'c' => Opt::Critical,
            'W' => Opt::StratumWarning,
            'C' => Opt::StratumCritical,
            'v' => Opt::Verbose,
            'h' => Opt::Help,
            'V' => Opt::Version,
            _ => return None,
        })
    }

    fn takes_value(self) -> bool {
        !matches!(self, Opt::Verbose | Opt::Help | Opt::Version)
    }

    /// How the option is named in messages: `-w/--warning`, `--skew-warning`.
    fn name(self) -> String {
        let long = LONG
            .iter()
            .find(|(_, o)| *o == self)
            .map(|(l, _)| *l)
            .unwrap_or("?");
        let short = [
            ('H', Opt::Host),
            ('t', Opt::Timeout),
            ('w', Opt::Warning),
            ('c', Opt::Critical),
            ('W', Opt::StratumWarning),
            ('C', Opt::StratumCritical),
        ]
        .iter()
        .find(|(_, o)| *o == self)
        .map(|(c, _)| *c);
        match short {
            Some(c) => format!("-{c}/--{long}"),
            None => format!("--{long}"),
        }
    }
}

/// Parses the arguments after the program name.
pub fn parse_args<I>(args: I) -> Result<Invocation, UsageError>
where
    I: IntoIterator<Item = OsString>,
{
    let mut config = Config::default();
    let mut given = [false; OPTION_COUNT];
    let mut wants_help = false;
    let mut wants_version = false;
    let mut args = args.into_iter();
    let mut only_positional = false;

    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| UsageError(format!("argument {a:?} is not valid UTF-8")))?;
        if only_positional || arg == "-" || !arg.starts_with('-') {
            return Err(UsageError(format!(
                "unexpected argument '{arg}' (this check takes options only)"
            )));
        }
        if arg == "--" {
            only_positional = true;
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let opt = LONG
                .iter()
                .find(|(l, _)| *l == name)
                .map(|(_, o)| *o)
                .ok_or_else(|| UsageError(format!("unknown option '--{name}'")))?;
            if opt.takes_value() {
                let value = match inline {
                    Some(v) => v,
                    None => next_value(&mut args, opt)?,
                };
                set(&mut config, &mut given, opt, &value)?;
            } else if inline.is_some() {
                return Err(UsageError(format!("option '--{name}' takes no value")));
            } else {
                flag(&mut config, opt, &mut wants_help, &mut wants_version);
            }
            continue;
        }
        // A cluster of short options: flags, then at most one with a value
        // that takes the rest of the cluster or the next argument.
        let cluster = &arg[1..];
        for (i, c) in cluster.char_indices() {
            let opt =
                Opt::from_short(c).ok_or_else(|| UsageError(format!("unknown option '-{c}'")))?;
            if opt.takes_value() {
                let rest = &cluster[i + c.len_utf8()..];
                let value = if rest.is_empty() {
                    next_value(&mut args, opt)?
                } else {
                    rest.to_string()
                };
                set(&mut config, &mut given, opt, &value)?;
                break;
            }
            flag(&mut config, opt, &mut wants_help, &mut wants_version);
        }
    }
    if wants_help {
        return Ok(Invocation::Help);
    }
    if wants_version {
        return Ok(Invocation::Version);
    }
    Ok(Invocation::Run(Box::new(config)))
}

fn next_value(args: &mut impl Iterator<Item = OsString>, opt: Opt) -> Result<String, UsageError> {
    let value = args
        .next()
        .ok_or_else(|| UsageError(format!("option {} needs a value", opt.name())))?;
    value
        .into_string()
        .map_err(|v| UsageError(format!("value {v:?} for {} is not valid UTF-8", opt.name())))
}

fn flag(config: &mut Config, opt: Opt, help: &mut bool, version: &mut bool) {
    match opt {
        // More than three adds nothing more to see.
        Opt::Verbose => config.verbosity = (config.verbosity + 1).min(3),
        Opt::Help => *help = true,
        Opt::Version => *version = true,
        _ => {}
    }
}

/// Stores one option's value, refusing a second occurrence.
fn set(
    config: &mut Config,
    given: &mut [bool; OPTION_COUNT],
    opt: Opt,
    value: &str,
) -> Result<(), UsageError> {
    if std::mem::replace(&mut given[opt as usize], true) {
        return Err(UsageError(format!(
            "option {} given more than once",
            opt.name()
        )));
    }
    let bad =
        |why: String| UsageError(format!("invalid value '{value}' for {}: {why}", opt.name()));
    let range = |unit: Unit| {
        Range::parse(value, unit)
            .map(Some)
            .map_err(|e| bad(e.to_string()))
    };
    let state = || value.parse::<State>().map_err(bad);
    let t = &mut config.thresholds;
    match opt {
        Opt::Host => config.target = value.parse::<Target>().map_err(|e| bad(e.to_string()))?,
        Opt::Timeout => config.timeout = parse_timeout(value).map_err(bad)?,
        Opt::Warning => t.offset.warning = range(Unit::Seconds)?,
        Opt::Critical => t.offset.critical = range(Unit::Seconds)?,
        Opt::StratumWarning => t.stratum.warning = range(Unit::Number)?,
        Opt::StratumCritical => t.stratum.critical = range(Unit::Number)?,
        Opt::RootDistanceWarning => t.root_distance.warning = range(Unit::Seconds)?,
        Opt::RootDistanceCritical => t.root_distance.critical = range(Unit::Seconds)?,
        Opt::RefAgeWarning => t.ref_age.warning = range(Unit::Seconds)?,
        Opt::RefAgeCritical => t.ref_age.critical = range(Unit::Seconds)?,
        Opt::RmsOffsetWarning => t.rms_offset.warning = range(Unit::Seconds)?,
        Opt::RmsOffsetCritical => t.rms_offset.critical = range(Unit::Seconds)?,
        Opt::FrequencyWarning => t.frequency.warning = range(Unit::Number)?,
        Opt::FrequencyCritical => t.frequency.critical = range(Unit::Number)?,
        Opt::SkewWarning => t.skew.warning = range(Unit::Number)?,
        Opt::SkewCritical => t.skew.critical = range(Unit::Number)?,
        Opt::OnUnsynchronised => config.on_unsynchronised = state()?,
        Opt::OnUnreachable => config.on_unreachable = state()?,
        Opt::OnPermissionDenied => config.on_permission_denied = state()?,
        Opt::OnLocalReference => config.on_local_reference = state()?,
        Opt::OnLeapPending => config.on_leap_pending = state()?,
        Opt::Verbose | Opt::Help | Opt::Version => unreachable!("flags take no value"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parse(args: &[&str]) -> Result<Invocation, UsageError> {
        parse_args(args.iter().map(OsString::from))
    }

    fn run(args: &[&str]) -> Config {
        match parse(args) {
            Ok(Invocation::Run(c)) => *c,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        parse(args).unwrap_err().to_string()
    }

    #[test]
    fn no_arguments_gives_defaults() {
        assert_eq!(run(&[]), Config::default());
    }

    #[test]
    fn short_and_long_forms_agree() {
        let a = run(&["-H", "127.0.0.1:1234", "-w", "0.01", "-c", "0.1", "-t", "2"]);
        let b = run(&[
            "--host=127.0.0.1:1234",
            "--warning",
            "0.01",
            "--critical=0.1",
            "--timeout",
            "2s",
        ]);
        let c = run(&["-H127.0.0.1:1234", "-w0.01", "-c0.1", "-t2000ms"]);
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.timeout, Duration::from_secs(2));
        assert_eq!(a.thresholds.offset.warning.unwrap().to_string(), "0.01");
        assert_eq!(a.target.to_string(), "127.0.0.1:1234");
    }

    #[test]
    fn aliases() {
        assert_eq!(
            run(&["--hostname", "::1", "--offset-warning", "1"]),
            run(&["-H", "::1", "-w", "1"])
        );
        assert_eq!(
            run(&["--on-unsynchronised", "ok"]),
            run(&["--on-unsynchronized", "ok"])
        );
    }

    #[test]
    fn every_threshold_option_lands_in_its_metric() {
        let c = run(&[
            "-W",
            "1:5",
            "-C",
            "1:10",
            "--root-distance-warning",
            "50ms",
            "--root-distance-critical",
            "1",
            "--ref-age-warning",
            "15m",
            "--ref-age-critical",
            "1h:",
            "--rms-offset-warning",
            "0.001",
            "--rms-offset-critical",
            "0.01",
            "--frequency-warning",
            "100",
            "--frequency-critical",
            "200",
            "--skew-warning",
            "5",
            "--skew-critical",
            "@10:20",
        ]);
        let t = &c.thresholds;
        let s = |r: &Option<Range>| r.as_ref().unwrap().to_string();
        assert_eq!(
            (s(&t.stratum.warning), s(&t.stratum.critical)),
            ("1:5".into(), "1:10".into())
        );
        assert_eq!(s(&t.root_distance.warning), "0.05");
        assert_eq!(s(&t.root_distance.critical), "1");
        assert_eq!(
            (s(&t.ref_age.warning), s(&t.ref_age.critical)),
            ("900".into(), "3600:".into())
        );
        assert_eq!(s(&t.rms_offset.critical), "0.01");
        assert_eq!(s(&t.frequency.warning), "100");
        assert_eq!(s(&t.skew.critical), "@10:20");
    }

    #[test]
    fn states_options() {
        let c = run(&[
            "--on-unsynchronized",
            "warning",
            "--on-unreachable",
            "unknown",
            "--on-permission-denied",
            "critical",
            "--on-local-reference",
            "ok",
            "--on-leap-pending",
            "WARNING",
        ]);
        assert_eq!(c.on_unsynchronised, State::Warning);
        assert_eq!(c.on_unreachable, State::Unknown);
        assert_eq!(c.on_permission_denied, State::Critical);
        assert_eq!(c.on_local_reference, State::Ok);
        assert_eq!(c.on_leap_pending, State::Warning);
    }

    #[test]
    fn negative_range_values_are_values() {
        let c = run(&["-w", "-0.5:0.5", "--frequency-warning", "~:-3"]);
        assert_eq!(c.thresholds.offset.warning.unwrap().to_string(), "-0.5:0.5");
        assert_eq!(c.thresholds.frequency.warning.unwrap().to_string(), "~:-3");
    }

    #[test]
    fn verbosity_counts_and_caps_at_three() {
        assert_eq!(run(&["-v"]).verbosity, 1);
        assert_eq!(run(&["-vv"]).verbosity, 2);
        assert_eq!(run(&["-v", "--verbose", "-v"]).verbosity, 3);
        assert_eq!(run(&["-vvvvv"]).verbosity, 3);
        assert_eq!(run(&["-vw", "0.2"]).verbosity, 1);
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(&["-h"]).unwrap(), Invocation::Help);
        assert_eq!(parse(&["--help"]).unwrap(), Invocation::Help);
        assert_eq!(parse(&["-V"]).unwrap(), Invocation::Version);
        assert_eq!(parse(&["--version"]).unwrap(), Invocation::Version);
        // Help wins wherever it stands, as long as the line parses.
        assert_eq!(parse(&["-w", "1", "-h"]).unwrap(), Invocation::Help);
        assert!(help().contains("--on-leap-pending"));
        assert_eq!(
            version(),
            format!("check_chrony_tracking {}\n", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn bad_range_names_option_and_cause() {
        assert_eq!(
            err(&["-w", "1:0"]),
            "invalid value '1:0' for -w/--warning: start 1 is greater than end 0"
        );
        assert!(
            err(&["--skew-critical", "5s"]).starts_with("invalid value '5s' for --skew-critical:")
        );
    }

    #[test]
    fn bad_duration_and_address_and_state() {
        assert!(err(&["-t", "soon"])
            .starts_with("invalid value 'soon' for -t/--timeout: not a duration"));
        assert_eq!(
            err(&["-t", "0"]),
            "invalid value '0' for -t/--timeout: must be longer than zero"
        );
        assert!(err(&["-H", "not an address"])
            .starts_with("invalid value 'not an address' for -H/--host: invalid chronyd address"));
        assert_eq!(
            err(&["--on-unreachable", "panic"]),
            "invalid value 'panic' for --on-unreachable: expected ok, warning, critical or unknown"
        );
    }

    #[test]
    fn unknown_options_refused() {
        assert_eq!(err(&["--foo"]), "unknown option '--foo'");
        assert_eq!(err(&["-x"]), "unknown option '-x'");
        assert_eq!(err(&["-vx"]), "unknown option '-x'");
    }

    #[test]
    fn missing_value_refused() {
        assert_eq!(err(&["-w"]), "option -w/--warning needs a value");
        assert_eq!(
            err(&["--ref-age-warning"]),
            "option --ref-age-warning needs a value"
        );
    }

    #[test]
    fn repeated_option_refused() {
        assert_eq!(
            err(&["-w", "1", "--warning", "2"]),
            "option -w/--warning given more than once"
        );
    }

    #[test]
    fn positional_arguments_refused() {
        assert!(err(&["localhost"]).starts_with("unexpected argument 'localhost'"));
        assert!(err(&["--", "-w"]).starts_with("unexpected argument '-w'"));
        assert!(err(&["-"]).starts_with("unexpected argument '-'"));
    }

    #[test]
    fn flag_with_value_refused() {
        assert_eq!(err(&["--verbose=2"]), "option '--verbose' takes no value");
    }

    #[test]
    fn non_utf8_refused() {
        use std::os::unix::ffi::OsStringExt;
        let e = parse_args([OsString::from_vec(vec![0xff])]).unwrap_err();
        assert!(e.to_string().contains("not valid UTF-8"), "{e}");
    }

    /// `-t 100000` (27 hours) was taken here and refused by the other
    /// binaries; `-t 1e3` the reverse. One grammar, one set of limits.
    #[test]
    fn timeout_has_the_suites_grammar_and_limits() {
        assert_eq!(
            err(&["-t", "100000"]),
            "invalid value '100000' for -t/--timeout: must be at most 1 day"
        );
        assert!(
            err(&["-t", "1e3"]).starts_with("invalid value '1e3' for -t/--timeout: not a duration")
        );
        assert!(err(&["-t", "NaN"]).contains("not a duration"));
        assert!(err(&["-t", "-1"]).ends_with("must not be negative"));
        assert_eq!(run(&["-t", "1d"]).timeout, crate::number::MAX_TIMEOUT);
        assert_eq!(run(&["-t", "1m 30s"]).timeout, Duration::from_secs(90));
        assert_eq!(run(&["-t", "0.25"]).timeout, Duration::from_millis(250));
    }

    /// A value may hold anything; the message quoting it is made one line
    /// by the plugin (see `check::one_line`), and an address with a line
    /// break or separator is refused.
    #[test]
    fn host_with_line_breaks_refused() {
        for bad in [
            "/tmp/a\u{85}b.sock",
            "/tmp/a\u{2028}b.sock",
            "/tmp/a\rb.sock",
        ] {
            assert!(
                err(&["-H", bad]).contains("for -H/--host: invalid chronyd address"),
                "{bad:?}"
            );
        }
    }
}
