//! The program behind `telegraf-chrony` and its old name
//! `telegraf-chrony-tracking` (two thin binaries, `plugins/telegraf-chrony.rs`
//! and `plugins/telegraf-chrony-tracking.rs`, that both run [`main`]): a
//! Telegraf `inputs.execd` (or `inputs.exec`) input that writes chronyd's
//! reports as the measurements of Telegraf's own inputs.chrony
//! (`--metrics`, default tracking only), in InfluxDB line protocol.
//!
//! One long-lived process with one client: each newline on stdin
//! (`signal = "STDIN"`) or SIGHUP/SIGUSR1/SIGUSR2 (`signal = "SIGHUP"`, ...)
//! gathers once, or `--interval` gathers on its own absolute schedule
//! (`signal = "none"`); stdin EOF, SIGTERM or SIGINT end it with status 0.
//! `--once` gathers once and exits (for `inputs.exec`). The loop is
//! [`chrony_plugins::runner`], the measurements
//! [`chrony_plugins::telegraf`]; this file parses options.

use chrony_plugins::runner::{Mode, Runner, Voice};
use chrony_plugins::telegraf::{self, ExtraField, Format, Gather, Metric};
use chrony_plugins::{number, usage, Client, Target};
use clap::{Parser, ValueEnum};
use std::process::ExitCode;
use std::time::Duration;

/// Write chronyd's reports as Telegraf's inputs.chrony metrics (InfluxDB
/// line protocol), for Telegraf's inputs.execd.
///
/// By default each newline on stdin (execd `signal = "STDIN"`) and each
/// SIGHUP, SIGUSR1 or SIGUSR2 (execd `signal = "SIGHUP"`, ...) gathers once;
/// triggers queued during a stall give one gather. stdin's end, SIGTERM,
/// SIGINT or SIGQUIT stop the process. Status lines go to stderr with
/// Telegraf's `E! `/`I! ` prefixes, once per change of condition.
#[derive(Parser)]
#[command(name = env!("CARGO_BIN_NAME"), version, long_about)]
struct Args {
    /// chronyd's address: `auto`, a Unix socket path, IP[:port], [IPv6]:port,
    /// or a comma-separated list tried in order. An explicit address is
    /// written as the `source` tag, as inputs.chrony does.
    #[arg(
        short = 'H',
        long = "host",
        default_value = "auto",
        value_name = "ADDRESS",
        value_parser = parse_target
    )]
    target: Target,

    /// Reports to write, as inputs.chrony's `metrics` (comma-separated):
    /// tracking, sources, sourcestats, activity, serverstats, and beyond
    /// inputs.chrony selectdata, ntpdata, authdata. serverstats, selectdata,
    /// ntpdata and authdata need the Unix socket before chrony 4.7's
    /// `opencommands`. A report that fails does not stop the others.
    #[arg(
        long,
        value_name = "REPORT,...",
        value_delimiter = ',',
        default_value = "tracking",
        value_parser = parse_metric
    )]
    metrics: Vec<Metric>,

    /// Give up a gather (all its reports together) after this long (e.g.
    /// `3s`, `500ms`; a bare number is seconds).
    #[arg(short = 't', long, default_value = "3s", value_parser = number::parse_timeout)]
    timeout: Duration,

    /// Gather on this absolute schedule instead of on stdin newlines and
    /// signals (execd `signal = "none"`); the first gather is at start, missed
    /// slots are skipped. Still ends on stdin EOF.
    #[arg(long, value_name = "DURATION", value_parser = number::parse_interval, conflicts_with = "once")]
    interval: Option<Duration>,

    /// Gather once and exit (for `inputs.exec`): status 0 when every report
    /// was written, 1 when not (the reports that worked are still written).
    #[arg(long)]
    once: bool,

    /// Add fields beyond inputs.chrony's (comma-separated, or `all`).
    #[arg(long, value_name = "FIELD,...", value_delimiter = ',')]
    extra_fields: Vec<Extra>,

    /// Write `stratum` (integer) and `leap_status` (string) as fields, not
    /// tags, so that a change of either does not start a new series.
    #[arg(long)]
    stratum_leap_as_fields: bool,
}

/// An opt-in field, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Extra {
    /// Every field below.
    All,
    /// Unix nanoseconds of the last clock update (integer).
    #[value(name = "reference_time")]
    ReferenceTime,
    /// Seconds since the last clock update, at the gather (float).
    #[value(name = "reference_age")]
    ReferenceAge,
    /// Root delay / 2 + root dispersion, seconds (float).
    #[value(name = "root_distance")]
    RootDistance,
    /// Leap status as 0 to 3 (integer).
    #[value(name = "leap_status_code")]
    LeapStatusCode,
    /// Whether chronyd is synchronised (boolean).
    #[value(name = "synchronized")]
    Synchronized,
}

impl Extra {
    fn fields(self) -> &'static [ExtraField] {
        match self {
            Extra::All => &ExtraField::ALL,
            Extra::ReferenceTime => &[ExtraField::ReferenceTime],
            Extra::ReferenceAge => &[ExtraField::ReferenceAge],
            Extra::RootDistance => &[ExtraField::RootDistance],
            Extra::LeapStatusCode => &[ExtraField::LeapStatusCode],
            Extra::Synchronized => &[ExtraField::Synchronized],
        }
    }
}

/// A target whose explicit addresses can all be written as a `source` tag.
fn parse_target(s: &str) -> Result<Target, String> {
    let target: Target = s.parse().map_err(|e| format!("{e}"))?;
    telegraf::check_source_tags(&target).map_err(|e| format!("{e}"))?;
    Ok(target)
}

fn parse_metric(s: &str) -> Result<Metric, String> {
    s.parse().map_err(|e| format!("{e}"))
}

/// The program: parse arguments, then run the shared loop with one
/// [`Gather`] per trigger.
pub fn main() -> ExitCode {
    // One `error: ` line that no argument can break into two (or into a
    // forged `E! ` line); help and version on stdout.
    let args = match usage::parse::<Args>() {
        Ok(args) => args,
        Err(usage) => return usage.exit("error: "),
    };
    let mut extras: Vec<ExtraField> = args
        .extra_fields
        .iter()
        .flat_map(|e| e.fields().iter().copied())
        .collect();
    extras.sort();
    extras.dedup();
    let format = Format {
        extras,
        stratum_leap_as_fields: args.stratum_leap_as_fields,
    };
    let gather = Gather::new(args.metrics, format, args.timeout);
    let names: Vec<&str> = gather.metrics.iter().map(|m| m.name()).collect();
    let voice = Voice {
        error: "E! ".into(),
        // Not with --once, where every run would log the same line.
        info: (!args.once).then(|| "I! ".into()),
        what: if names == ["tracking"] {
            "chronyd's tracking report".into()
        } else {
            format!("chronyd's reports ({})", names.join(", "))
        },
    };
    // Also with --once: a signal that arrives during a read cancels it and
    // the session closes the libchrony way (no socket directory left
    // behind) instead of the process dying.
    let runner = match Runner::new(Client::new(args.target), args.timeout, voice) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mode = match (args.once, args.interval) {
        (true, _) => Mode::Once,
        (false, Some(interval)) => Mode::Every {
            interval,
            stdin_eof_stops: true,
        },
        (false, None) => Mode::Triggered,
    };
    runner.run(mode, |tick, out| gather.run(tick, out))
}
