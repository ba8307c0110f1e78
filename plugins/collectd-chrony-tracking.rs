//! `collectd-chrony-tracking`: collectd exec plugin that sends chronyd's
//! tracking report and the eight values per source of collectd's own chrony
//! plugin as `PUTVAL` lines (its identifiers, plus a few tracking values it
//! never sent) and `PUTNOTIF` lines when
//! chronyd stops answering or loses synchronisation. What is printed lives in
//! `chrony_plugins::collectd`; this file parses options; the loop is
//! `chrony_plugins::runner`.
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

use chrony_plugins::collectd::settings::{self, HOSTNAME_VAR, INTERVAL_VAR};
use chrony_plugins::collectd::{Gather, Identity, ValueSet};
use chrony_plugins::runner::{Mode, Runner, Voice};
use chrony_plugins::{number, text, usage, Client, Target};
use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

chrony_plugins::entry!(main);

const NAME: &str = "collectd-chrony-tracking";
/// Interval when neither `--interval` nor `COLLECTD_INTERVAL` gives one
/// (collectd's own default).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// Longest default read timeout (collectd's chrony plugin waits 2 s).
const MAX_DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Exit status for bad options or settings (clap's convention).
const USAGE: u8 = 2;

/// Send chronyd's tracking report and sources to collectd, as an exec plugin.
///
/// Prints PUTVAL lines every interval under the identifiers of collectd's
/// own chrony plugin (HOST/chrony/TYPE-chrony for tracking, eight values per
/// source under HOST/chrony/TYPE-ADDRESS), and PUTNOTIF lines when
/// chronyd stops or starts answering or loses or regains synchronisation.
/// Runs until SIGTERM (collectd sends it at shutdown); stdin is not read.
///
/// Environment: COLLECTD_INTERVAL (seconds, e.g. 10.000) and
/// COLLECTD_HOSTNAME, both set by collectd's exec plugin; the options below
/// take precedence over them.
#[derive(Parser)]
#[command(name = NAME, version, about)]
struct Args {
    /// chronyd's address: `auto`, a Unix socket path, IP[:port], [IPv6]:port,
    /// or a comma-separated list tried in order. collectd runs exec plugins
    /// unprivileged, so give the UDP command port (127.0.0.1:323).
    #[arg(
        short = 'H',
        long = "host",
        default_value = "auto",
        value_name = "ADDRESS"
    )]
    target: Target,

    /// Time between gathers (`10s`, `500ms`, or seconds) [default:
    /// $COLLECTD_INTERVAL, else 10s].
    #[arg(short = 'i', long, value_name = "DURATION", value_parser = number::parse_interval)]
    interval: Option<Duration>,

    /// Host name the values are filed under [default: $COLLECTD_HOSTNAME,
    /// else the system host name].
    #[arg(long, value_name = "NAME")]
    hostname: Option<String>,

    /// Plugin instance: values go to HOST/chrony-NAME/... (to run beside
    /// collectd's own chrony plugin, or for several chronyd instances).
    #[arg(long, value_name = "NAME")]
    plugin_instance: Option<String>,

    /// Give up on a gather (its tracking, sources and sourcestats reads in
    /// all) after this long [default: the smaller of 2s and 80% of the
    /// interval].
    #[arg(short = 't', long, value_name = "DURATION", value_parser = number::parse_timeout)]
    timeout: Option<Duration>,

    /// Send only the values of collectd's own chrony plugin (ten for
    /// tracking, eight per source), not the tracking extras (residual
    /// frequency, leap status, synchronised, reference age, root distance).
    #[arg(long)]
    builtin_only: bool,

    /// Leave out the eight values per source (sources and sourcestats
    /// reports), which are sent by default as collectd's chrony plugin does.
    #[arg(long)]
    no_sources: bool,

    /// Gather once, print, and exit (status 1 when chronyd did not answer).
    #[arg(long)]
    once: bool,
}

/// The run's settings, from the options and collectd's environment.
struct Config {
    target: Target,
    identity: Identity,
    interval: Duration,
    timeout: Duration,
    values: ValueSet,
    /// Whether to send the per-source values.
    sources: bool,
    once: bool,
}

/// Writes one line to stderr, which collectd logs as an error; a failed
/// write has nowhere else to go and is ignored.
fn log(line: &str) {
    // One line each: collectd logs every stderr line as an error.
    let line = text::one_line(line);
    // At most one pipe write, as every stderr line of the runner: a setting
    // of any length is quoted in the message.
    let line = format!("{NAME}: {line}");
    let line = chrony_plugins::output::cap_line(&line, chrony_plugins::output::PIPE_BUF - 1);
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

fn env(name: &str) -> Result<Option<String>, String> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(v)) => Err(format!("{name} is not UTF-8: {v:?}")),
    }
}

fn config(args: Args) -> Result<Config, String> {
    let interval = match args.interval {
        Some(d) => d,
        None => match env(INTERVAL_VAR)? {
            Some(v) => settings::parse_collectd_interval(&v).map_err(|e| e.to_string())?,
            None => DEFAULT_INTERVAL,
        },
    };
    let (host, source) = match args.hostname {
        Some(h) => (h, "--hostname"),
        None => match env(HOSTNAME_VAR)? {
            Some(h) => (h, HOSTNAME_VAR),
            None => (
                settings::system_hostname().map_err(|e| e.to_string())?,
                "the system host name",
            ),
        },
    };
    // The host alone first, so that its error names where the name came from.
    Identity::new(&host, None).map_err(|e| format!("{source}: {e}"))?;
    let identity = Identity::new(&host, args.plugin_instance.as_deref())
        .map_err(|e| format!("--plugin-instance: {e}"))?;
    let timeout = args
        .timeout
        .unwrap_or_else(|| MAX_DEFAULT_TIMEOUT.min(interval.mul_f64(0.8)));
    Ok(Config {
        target: args.target,
        identity,
        interval,
        timeout: timeout.max(Duration::from_micros(1)),
        values: if args.builtin_only {
            ValueSet::Builtin
        } else {
            ValueSet::All
        },
        sources: !args.no_sources,
        once: args.once,
    })
}

fn main() -> ExitCode {
    // One line: collectd logs each stderr line as an error.
    let args = match usage::parse::<Args>() {
        Ok(a) => a,
        Err(usage) => return usage.exit(&format!("{NAME}: ")),
    };
    match config(args) {
        Ok(c) => run(c),
        Err(e) => {
            log(&e);
            ExitCode::from(USAGE)
        }
    }
}

/// Gathers on the schedule until SIGTERM (or once), printing each batch.
fn run(config: Config) -> ExitCode {
    let mut gather = Gather::new(
        config.identity,
        config.interval,
        config.values,
        config.sources,
    );
    let voice = Voice {
        error: format!("{NAME}: "),
        // collectd logs every stderr line as an error: failures only.
        info: None,
        what: gather.what().into(),
    };
    let runner = match Runner::new(Client::new(config.target), config.timeout, voice) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mode = if config.once {
        Mode::Once
    } else {
        // stdin is not read: collectd's exec plugin closes it.
        Mode::Every {
            interval: config.interval,
            stdin_eof_stops: false,
        }
    };
    runner.run(mode, |tick, batch| gather.run(tick, batch))
}
