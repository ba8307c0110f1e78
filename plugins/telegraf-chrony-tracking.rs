//! `telegraf-chrony-tracking`: a Telegraf `inputs.execd` (or `inputs.exec`)
//! input that writes chronyd's tracking report as the `chrony` metric of
//! Telegraf's own inputs.chrony, in InfluxDB line protocol.
//!
//! One long-lived process with one client: each newline on stdin gathers once
//! (`signal = "STDIN"`), or `--interval` gathers on its own absolute schedule
//! (`signal = "none"`); stdin EOF, SIGTERM or SIGINT end it with status 0.
//! `--once` gathers once and exits (for `inputs.exec`).
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

use chrony_plugins::output::{BatchWriter, Written};
use chrony_plugins::schedule::Schedule;
use chrony_plugins::telegraf::{self, ExtraField, Format, StatusLog};
use chrony_plugins::{number, poll, usage, Client, ErrorKind, Target, TerminationSignals};
use clap::{Parser, ValueEnum};
use std::convert::Infallible;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime};

chrony_plugins::entry!(main);

/// Write chronyd's tracking report as Telegraf's inputs.chrony `chrony`
/// metric (InfluxDB line protocol), for Telegraf's inputs.execd.
///
/// By default each newline on stdin gathers once (execd `signal = "STDIN"`)
/// and stdin's end stops the process. Status lines go to stderr with
/// Telegraf's `E! `/`I! ` prefixes, once per change of condition.
#[derive(Parser)]
#[command(version, about, long_about)]
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

    /// Give up a gather after this long (e.g. `3s`, `500ms`; a bare number
    /// is seconds).
    #[arg(short = 't', long, default_value = "3s", value_parser = number::parse_timeout)]
    timeout: Duration,

    /// Gather on this absolute schedule instead of on stdin newlines (execd
    /// `signal = "none"`); the first gather is at start. Still ends on stdin EOF.
    #[arg(long, value_name = "DURATION", value_parser = number::parse_interval, conflicts_with = "once")]
    interval: Option<Duration>,

    /// Gather once and exit (for `inputs.exec`): status 0 when a metric was
    /// written, 1 when not.
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

/// Everything one gather needs, held for the process's life.
struct Gatherer {
    client: Client,
    /// Standard output, written whole batches at a time.
    out: BatchWriter,
    timeout: Duration,
    format: Format,
    log: StatusLog,
    /// Whether to write `I! ` lines (not with `--once`, where every run
    /// would log the same one).
    info: bool,
    line: String,
}

impl Gatherer {
    /// Reads the report and writes one line (or one status line on stderr).
    /// `Err` when stdout is gone.
    fn gather(&mut self, signals: &TerminationSignals) -> io::Result<Gathered> {
        // SIGTERM cancels a read in progress (the session is closed the
        // libchrony way).
        let result = self.client.tracking_or_cancel(self.timeout, signals.fd());
        if matches!(&result, Err(e) if e.kind() == ErrorKind::Cancelled) {
            return Ok(Gathered::Stop);
        }
        // The metric's timestamp: when the values were read.
        let now = SystemTime::now();
        let tracking = match result {
            Ok(t) => t,
            Err(e) => {
                status(self.log.failure(&e));
                return Ok(Gathered::Nothing);
            }
        };
        let address = self
            .client
            .address()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let info = self.log.success(&address);
        if self.info {
            status(info);
        }
        let source = telegraf::source_tag(self.client.target(), self.client.address());
        self.line.clear();
        if telegraf::render(
            &tracking,
            &self.format,
            source.as_deref(),
            now,
            &mut self.line,
        )
        .is_none()
        {
            status(self.log.problem(&format!(
                "{address}: every value in the tracking report is NaN or infinite; no metric written"
            )));
            return Ok(Gathered::Nothing);
        }
        // Unbuffered and whole; SIGTERM ends even a write that waits for
        // Telegraf to read.
        Ok(match self.out.write_all(self.line.as_bytes(), signals)? {
            Written::All => Gathered::Metric,
            Written::Terminated => Gathered::Stop,
        })
    }
}

/// What one gather did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gathered {
    /// A metric line was written.
    Metric,
    /// No line (chronyd failed; its status line went to stderr).
    Nothing,
    /// SIGTERM/SIGINT arrived during the gather: stop.
    Stop,
}

/// Writes a status line to stderr; a closed stderr is not worth dying for.
fn status(line: Option<String>) {
    if let Some(line) = line {
        let mut err = io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

/// Why the loop stopped.
enum Stop {
    /// stdin EOF, SIGTERM or SIGINT: a normal end.
    Done,
    /// Something that must be reported: status 1.
    Failed(String),
}

fn main() -> ExitCode {
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
    // Installed before the first gather, also with --once: a signal that
    // arrives during a read cancels it and the session closes the libchrony
    // way (no socket directory left behind) instead of the process dying.
    let signals = match TerminationSignals::install() {
        Ok(s) => s,
        Err(e) => {
            status(Some(format!("E! cannot install signal handlers: {e}")));
            return ExitCode::FAILURE;
        }
    };
    let mut gatherer = Gatherer {
        client: Client::new(args.target),
        out: match BatchWriter::stdout() {
            Ok(out) => out,
            Err(e) => {
                status(Some(format!("E! cannot use stdout: {e}")));
                return ExitCode::FAILURE;
            }
        },
        timeout: args.timeout,
        format: Format {
            extras,
            stratum_leap_as_fields: args.stratum_leap_as_fields,
        },
        log: StatusLog::new(),
        info: !args.once,
        line: String::with_capacity(512),
    };

    let stop = if args.once {
        match gatherer.gather(&signals) {
            Ok(Gathered::Metric) => Stop::Done,
            // Status 1 whenever no metric was written, as documented, also
            // when SIGTERM cut the read or the write short.
            Ok(Gathered::Nothing) | Ok(Gathered::Stop) => return ExitCode::FAILURE,
            Err(e) => Stop::Failed(format!("cannot write to stdout: {e}")),
        }
    } else {
        run(&mut gatherer, &signals, args.interval)
    };
    match stop {
        Stop::Done => ExitCode::SUCCESS,
        Stop::Failed(why) => {
            status(Some(format!("E! {why}")));
            ExitCode::FAILURE
        }
    }
}

/// The execd loop: wait for a newline (or the next slot with `interval`),
/// stdin EOF or a termination signal, with no wake-ups in between.
fn run(gatherer: &mut Gatherer, signals: &TerminationSignals, interval: Option<Duration>) -> Stop {
    match run_until_stopped(gatherer, signals, interval) {
        Err(stop) => stop,
        Ok(never) => match never {},
    }
}

/// [`run`]'s loop; every way out is an `Err(Stop)`, so `?` ends it.
fn run_until_stopped(
    gatherer: &mut Gatherer,
    signals: &TerminationSignals,
    interval: Option<Duration>,
) -> Result<Infallible, Stop> {
    // A private duplicate of fd 0, read with plain read(2): std's stdin
    // buffers, and buffered lines would be invisible to poll.
    let mut stdin = io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .map_err(|e| Stop::Failed(format!("cannot use stdin: {e}")))?;
    let mut schedule = interval.map(|i| Schedule::new(Instant::now(), i));
    let mut buf = [0u8; 4096];
    loop {
        let wait = schedule
            .as_ref()
            .map(|s| s.due().saturating_duration_since(Instant::now()));
        let [input, signal] = poll([stdin.as_raw_fd(), signals.fd()], wait)
            .map_err(|e| Stop::Failed(format!("poll failed: {e}")))?;
        if (signal.readable || signal.error) && signals.received() {
            return Err(Stop::Done);
        }
        if let Some(s) = schedule.as_mut() {
            if Instant::now() >= s.due() {
                gather(gatherer, signals)?;
                s.next(Instant::now());
            }
        }
        if !(input.readable || input.error) {
            continue;
        }
        // poll said readable: one read(2) returns at once.
        let Some(newlines) = read_stdin(&mut stdin, &mut buf)? else {
            return Err(Stop::Done);
        };
        if schedule.is_some() {
            // On its own schedule, newlines are not triggers (execd with
            // signal = "none" writes none); only EOF matters.
            continue;
        }
        let mut pending = newlines;
        while pending > 0 {
            for _ in 0..pending {
                gather(gatherer, signals)?;
            }
            // Newlines that arrived while gathering (Telegraf's interval
            // shorter than a read of a stalled chronyd) are merged into one
            // more gather: inputs.chrony skips overlapping gathers too, and a
            // burst of identical lines after a stall helps nobody.
            let (arrived, eof) = drain_stdin(&mut stdin, &mut buf)?;
            pending = usize::from(arrived);
            if eof {
                // The merged gather (if any) still runs, then stop.
                for _ in 0..pending {
                    gather(gatherer, signals)?;
                }
                return Err(Stop::Done);
            }
        }
    }
}

/// One gather. A termination signal needs no check of its own here: it
/// cancels the read (or the write), which says `Stop`.
fn gather(gatherer: &mut Gatherer, signals: &TerminationSignals) -> Result<(), Stop> {
    match gatherer.gather(signals) {
        Ok(Gathered::Stop) => Err(Stop::Done),
        Ok(Gathered::Metric | Gathered::Nothing) => Ok(()),
        Err(e) => Err(Stop::Failed(format!("cannot write to stdout: {e}"))),
    }
}

/// One read(2) of stdin: the number of newlines, or `None` at EOF.
fn read_stdin(stdin: &mut File, buf: &mut [u8]) -> Result<Option<usize>, Stop> {
    loop {
        match stdin.read(buf) {
            Ok(0) => return Ok(None),
            Ok(n) => return Ok(Some(telegraf::triggers(&buf[..n]))),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Stop::Failed(format!("cannot read stdin: {e}"))),
        }
    }
}

/// Reads whatever stdin holds now, without waiting: whether a newline came,
/// and whether stdin reached EOF.
fn drain_stdin(stdin: &mut File, buf: &mut [u8]) -> Result<(bool, bool), Stop> {
    let mut newline = false;
    loop {
        let [input] = poll([stdin.as_raw_fd()], Some(Duration::ZERO))
            .map_err(|e| Stop::Failed(format!("poll failed: {e}")))?;
        if !(input.readable || input.error) {
            return Ok((newline, false));
        }
        match read_stdin(stdin, buf)? {
            None => return Ok((newline, true)),
            Some(n) => newline |= n > 0,
        }
    }
}
