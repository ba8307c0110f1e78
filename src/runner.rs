//! The long-running loop both plugins share (Telegraf execd, collectd exec):
//! when to gather, when to stop, what goes to stderr, and how output is
//! written. The binaries only parse arguments and say what a gather writes.
//!
//! - Triggers ([`Mode`]): a newline on stdin (all newlines queued at that
//!   moment count as one), SIGHUP/SIGUSR1/SIGUSR2 (Telegraf execd's other
//!   `signal` choices), or an absolute [`Schedule`] whose missed slots are
//!   skipped: after any stall (a stopped process, a gather longer than the
//!   interval) at most one gather follows, never a burst.
//! - Stops: stdin EOF (where stdin is watched), SIGTERM, SIGINT or SIGQUIT,
//!   with status 0, a read in progress cancelled and the libchrony session
//!   closed the libchrony way; a stdout whose reader is gone, with status 1.
//! - Status lines ([`StatusLog`]): one line per change of condition (first
//!   answer, failure, different failure, recovery, another address), each
//!   on one line and at most [`MAX_STATUS_LINE`] bytes.
//! - Output ([`Writer`]): stdout and stderr written without ever blocking
//!   past a termination signal, whoever created the pipes.
//!
//! A gather is a closure given a [`Tick`] (the client, with the deadline
//! and cancellation built in) and a buffer for the lines to write; it
//! returns the [`Condition`] the status lines follow.

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::output::{cap_line, Writer, Written};
use crate::schedule::Schedule;
use crate::sys::{poll, TerminationSignals};
use crate::tracking::Tracking;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Longest status line, newline included: one atomic write to a pipe, and
/// far below the 64 KiB after which Telegraf stops reading stderr for good.
pub const MAX_STATUS_LINE: usize = crate::output::PIPE_BUF;

/// When to gather and what ends the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Gather once and exit: status 0 when chronyd answered (and the output
    /// was written), 1 otherwise.
    Once,
    /// Gather on each newline on stdin (execd `signal = "STDIN"`) and on
    /// SIGHUP, SIGUSR1 or SIGUSR2 (execd `signal = "SIGHUP"`, ...); stdin
    /// EOF ends the run. Triggers that queued up while the process could not
    /// read them (a gather in progress, SIGSTOP) give one gather.
    Triggered,
    /// Gather on an absolute schedule, the first gather at start;
    /// SIGHUP/SIGUSR1/SIGUSR2 are ignored.
    Every {
        /// Time between gathers.
        interval: Duration,
        /// Whether stdin's EOF ends the run (Telegraf closes stdin when it
        /// stops); collectd leaves stdin closed or unused, so it is not read.
        stdin_eof_stops: bool,
    },
}

/// What a gather found out about chronyd, which the status lines follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// chronyd at this address answered and the output is complete.
    Answering(String),
    /// Something kept this gather from giving its output: why, in words a
    /// sysadmin can act on.
    Failing(String),
}

/// How status lines look on stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voice {
    /// Before a failure line (`E! ` for Telegraf, `NAME: ` for collectd).
    pub error: String,
    /// Before an informational line (`I! `), or `None` for no such lines
    /// (collectd logs every stderr line as an error).
    pub info: Option<String>,
    /// What is read, as the informational lines name it ("chronyd's
    /// tracking report").
    pub what: String,
}

/// Turns each gather's [`Condition`] into at most one status line, only
/// when the condition changes: the first answer, a failure (or a different
/// failure), a recovery, a switch to another address. A chronyd that stays
/// down for a week logs one line, not one per gather.
#[derive(Debug)]
pub struct StatusLog {
    voice: Voice,
    /// The last failure written, to hold back identical ones.
    failing: Option<String>,
    /// The address of the last successful read.
    address: Option<String>,
}

impl StatusLog {
    /// A log that has seen nothing yet.
    pub fn new(voice: Voice) -> StatusLog {
        StatusLog {
            voice,
            failing: None,
            address: None,
        }
    }

    /// The line to write for `condition`, if any (no newline; on one line,
    /// at most [`MAX_STATUS_LINE`] bytes with the newline).
    pub fn observe(&mut self, condition: &Condition) -> Option<String> {
        let line = match condition {
            Condition::Answering(address) => self.answering(address)?,
            Condition::Failing(why) => {
                // stderr is read line by line: keep each message on one
                // line (no `\n`, `\r`, NEL, U+2028, ... that could forge an
                // `E! ` line).
                let text = crate::text::one_line(why).into_owned();
                if self.failing.as_deref() == Some(text.as_str()) {
                    return None;
                }
                let line = format!("{}{text}", self.voice.error);
                self.failing = Some(text);
                line
            }
        };
        Some(cap_line(&line, MAX_STATUS_LINE - 1).into_owned())
    }

    fn answering(&mut self, address: &str) -> Option<String> {
        let recovered = self.failing.take().is_some();
        let what = &self.voice.what;
        let text = match self.address.as_deref() {
            None => format!("reading {what} from {address}"),
            Some(previous) if previous != address => {
                format!("reading {what} from {address} (was {previous})")
            }
            Some(_) if recovered => format!("chronyd at {address} answers again"),
            Some(_) => return None,
        };
        self.address = Some(address.to_string());
        let prefix = self.voice.info.as_deref()?;
        Some(format!("{prefix}{}", crate::text::one_line(&text)))
    }
}

/// One gather's access to chronyd: the client, with the run's read timeout
/// and SIGTERM cancellation built in.
pub struct Tick<'a> {
    client: &'a mut Client,
    timeout: Duration,
    cancel: std::os::fd::RawFd,
    cancelled: bool,
}

impl Tick<'_> {
    /// Reads the tracking report within the run's timeout. A termination
    /// signal cancels the read (the run then ends and this gather's output
    /// is dropped).
    pub fn tracking(&mut self) -> Result<Tracking, Error> {
        self.read(|client, timeout, cancel| client.tracking_or_cancel(timeout, cancel))
    }

    /// Runs one cancellable read of the client, given the run's timeout and
    /// the fd that cancels it (for reports beyond tracking, several per
    /// gather). A read that ends with [`ErrorKind::Cancelled`] ends the run
    /// after the gather, whose output is then dropped.
    pub fn read<T>(
        &mut self,
        read: impl FnOnce(&mut Client, Duration, std::os::fd::RawFd) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let result = read(self.client, self.timeout, self.cancel);
        if matches!(&result, Err(e) if e.kind() == ErrorKind::Cancelled) {
            self.cancelled = true;
        }
        result
    }

    /// The client (its target, and the address in use after a read).
    pub fn client(&self) -> &Client {
        self.client
    }
}

/// Why the loop stopped.
enum Stop {
    /// stdin EOF or a termination signal: a normal end.
    Done,
    /// A termination signal during a gather (its output not written).
    Terminated,
    /// Something that must be reported: status 1.
    Failed(String),
}

/// The loop, its client and its two writers.
pub struct Runner {
    client: Client,
    timeout: Duration,
    signals: TerminationSignals,
    out: Writer,
    err: Writer,
    log: StatusLog,
    batch: String,
}

impl Runner {
    /// Installs the signal handlers (before the first read, so that no
    /// signal ever ends the process by its default action) and takes over
    /// stdout and stderr. On failure a line has been written to stderr and
    /// the exit code is returned.
    pub fn new(client: Client, timeout: Duration, voice: Voice) -> Result<Runner, ExitCode> {
        let fail = |what: &str, e: io::Error| {
            use std::io::Write;
            let line = crate::text::one_line(&format!("{}{what}: {e}", voice.error)).into_owned();
            let _ = writeln!(io::stderr().lock(), "{line}");
            ExitCode::FAILURE
        };
        let signals =
            TerminationSignals::install().map_err(|e| fail("cannot install signal handlers", e))?;
        let out = Writer::stdout().map_err(|e| fail("cannot use stdout", e))?;
        let err = Writer::stderr().map_err(|e| fail("cannot use stderr", e))?;
        Ok(Runner {
            client,
            timeout,
            signals,
            out,
            err,
            log: StatusLog::new(voice),
            batch: String::with_capacity(4096),
        })
    }

    /// Runs `gather` as `mode` says until the run ends; returns the exit
    /// code. `gather` appends the lines to write (each with its newline) to
    /// the buffer it is given and says how chronyd did.
    pub fn run<F>(mut self, mode: Mode, mut gather: F) -> ExitCode
    where
        F: FnMut(&mut Tick<'_>, &mut String) -> Condition,
    {
        let stop = match mode {
            Mode::Once => {
                return match self.gather(&mut gather) {
                    Ok(true) => ExitCode::SUCCESS,
                    // No output, or cut short by a signal.
                    Ok(false) | Err(Stop::Done | Stop::Terminated) => ExitCode::FAILURE,
                    Err(Stop::Failed(why)) => {
                        self.status(&why);
                        ExitCode::FAILURE
                    }
                };
            }
            Mode::Triggered => self.triggered(&mut gather),
            Mode::Every {
                interval,
                stdin_eof_stops,
            } => self.every(interval, stdin_eof_stops, &mut gather),
        };
        match stop {
            Stop::Done | Stop::Terminated => ExitCode::SUCCESS,
            Stop::Failed(why) => {
                self.status(&why);
                ExitCode::FAILURE
            }
        }
    }

    /// Gathers on stdin newlines and trigger signals until EOF or a
    /// termination signal.
    fn triggered<F>(&mut self, gather: &mut F) -> Stop
    where
        F: FnMut(&mut Tick<'_>, &mut String) -> Condition,
    {
        let mut stdin = match Stdin::take() {
            Ok(s) => s,
            Err(e) => return Stop::Failed(format!("cannot use stdin: {e}")),
        };
        loop {
            let ready = poll(
                [self.signals.fd(), self.signals.trigger_fd(), stdin.fd()],
                None,
            );
            let [term, trigger, input] = match ready {
                Ok(r) => r,
                Err(e) => return Stop::Failed(format!("poll failed: {e}")),
            };
            if (term.readable || term.error) && self.signals.received() {
                return Stop::Done;
            }
            // Everything queued now (newlines, signals) is one gather.
            let mut wanted = (trigger.readable || trigger.error) && self.signals.triggered();
            let mut eof = false;
            if input.readable || input.error {
                match stdin.drain() {
                    Ok(drained) => {
                        wanted |= drained.newline;
                        eof = drained.eof;
                    }
                    Err(e) => return Stop::Failed(format!("cannot read stdin: {e}")),
                }
            }
            if wanted {
                if let Err(stop) = self.gather(gather) {
                    return stop;
                }
            }
            if eof {
                return Stop::Done;
            }
        }
    }

    /// Gathers on an absolute schedule until a termination signal (or
    /// stdin's EOF, when `stdin_eof_stops`).
    fn every<F>(&mut self, interval: Duration, stdin_eof_stops: bool, gather: &mut F) -> Stop
    where
        F: FnMut(&mut Tick<'_>, &mut String) -> Condition,
    {
        let mut stdin = if stdin_eof_stops {
            match Stdin::take() {
                Ok(s) => Some(s),
                Err(e) => return Stop::Failed(format!("cannot use stdin: {e}")),
            }
        } else {
            None
        };
        let mut schedule = Schedule::new(Instant::now(), interval);
        loop {
            let wait = schedule.due().saturating_duration_since(Instant::now());
            // A negative fd is never ready: stdin left alone.
            let stdin_fd = stdin.as_ref().map_or(-1, Stdin::fd);
            let ready = poll(
                [self.signals.fd(), self.signals.trigger_fd(), stdin_fd],
                Some(wait),
            );
            let [term, trigger, input] = match ready {
                Ok(r) => r,
                Err(e) => return Stop::Failed(format!("poll failed: {e}")),
            };
            if (term.readable || term.error) && self.signals.received() {
                return Stop::Done;
            }
            if trigger.readable || trigger.error {
                // On a schedule, trigger signals change nothing.
                self.signals.triggered();
            }
            if let Some(s) = stdin.as_mut().filter(|_| input.readable || input.error) {
                // Newlines are not triggers here (execd with signal =
                // "none" writes none); only EOF matters.
                match s.drain() {
                    Ok(drained) if drained.eof => return Stop::Done,
                    Ok(_) => {}
                    Err(e) => return Stop::Failed(format!("cannot read stdin: {e}")),
                }
            }
            let began = Instant::now();
            if began >= schedule.due() {
                if let Err(stop) = self.gather(gather) {
                    return stop;
                }
                schedule.after(began, Instant::now());
            }
        }
    }

    /// One gather: its status line (if the condition changed), then its
    /// output. `Ok(true)` when chronyd answered.
    fn gather<F>(&mut self, gather: &mut F) -> Result<bool, Stop>
    where
        F: FnMut(&mut Tick<'_>, &mut String) -> Condition,
    {
        self.batch.clear();
        let mut tick = Tick {
            client: &mut self.client,
            timeout: self.timeout,
            cancel: self.signals.fd(),
            cancelled: false,
        };
        let condition = gather(&mut tick, &mut self.batch);
        if tick.cancelled {
            return Err(Stop::Terminated);
        }
        if let Some(line) = self.log.observe(&condition) {
            if self.write_status(&line) == Written::Terminated {
                return Err(Stop::Terminated);
            }
        }
        // Unbuffered and whole: a line reaches the consumer only with its
        // newline. SIGTERM ends even a write that waits for it to read.
        match self.out.write_all(self.batch.as_bytes(), &self.signals) {
            Ok(Written::All) => Ok(matches!(condition, Condition::Answering(_))),
            Ok(Written::Terminated) => Err(Stop::Terminated),
            Err(e) => Err(Stop::Failed(format!(
                "cannot write to stdout ({e}); the reader is gone, exiting"
            ))),
        }
    }

    /// Writes a failure line about the run itself (not about chronyd).
    fn status(&mut self, why: &str) {
        let line = format!("{}{}", self.log.voice.error, crate::text::one_line(why));
        self.write_status(&cap_line(&line, MAX_STATUS_LINE - 1));
    }

    /// Writes one status line; a closed stderr is not worth dying for.
    fn write_status(&mut self, line: &str) -> Written {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.err
            .write_all(&bytes, &self.signals)
            .unwrap_or(Written::All)
    }
}

/// What one look at stdin found.
struct Drained {
    /// At least one newline came.
    newline: bool,
    /// stdin reached EOF.
    eof: bool,
}

/// A private duplicate of fd 0, read with plain read(2): std's stdin
/// buffers, and buffered lines would be invisible to poll.
struct Stdin {
    file: File,
    buf: Box<[u8; 4096]>,
}

impl Stdin {
    /// Most reads per drain: a writer that never stops (`yes |`) cannot
    /// keep the loop reading forever.
    const MAX_READS: usize = 16;

    fn take() -> io::Result<Stdin> {
        Ok(Stdin::from_file(File::from(
            io::stdin().as_fd().try_clone_to_owned()?,
        )))
    }

    fn from_file(file: File) -> Stdin {
        Stdin {
            file,
            buf: Box::new([0; 4096]),
        }
    }

    fn fd(&self) -> std::os::fd::RawFd {
        self.file.as_raw_fd()
    }

    /// Reads what stdin holds now (poll said it is readable, so the first
    /// read returns at once; the others are made only when poll says so).
    fn drain(&mut self) -> io::Result<Drained> {
        let mut drained = Drained {
            newline: false,
            eof: false,
        };
        for reads in 0..Self::MAX_READS {
            if reads > 0 {
                let [input] = poll([self.fd()], Some(Duration::ZERO))?;
                if !(input.readable || input.error) {
                    break;
                }
            }
            let n = match self.file.read(&mut self.buf[..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                drained.eof = true;
                break;
            }
            drained.newline |= self.buf[..n].contains(&b'\n');
        }
        Ok(drained)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn telegraf() -> StatusLog {
        StatusLog::new(Voice {
            error: "E! ".into(),
            info: Some("I! ".into()),
            what: "chronyd's tracking report".into(),
        })
    }

    fn ok(a: &str) -> Condition {
        Condition::Answering(a.into())
    }

    fn failing(why: &str) -> Condition {
        Condition::Failing(why.into())
    }

    fn pipe_stdin() -> (Stdin, io::PipeWriter) {
        let (reader, writer) = io::pipe().unwrap();
        let file = File::from(std::os::fd::OwnedFd::from(reader));
        (Stdin::from_file(file), writer)
    }

    #[test]
    fn queued_newlines_are_one_trigger() {
        use std::io::Write;
        let (mut stdin, mut writer) = pipe_stdin();
        writer.write_all(&b"\n".repeat(30)).unwrap();
        let drained = stdin.drain().unwrap();
        assert!(drained.newline && !drained.eof);
        // All of them were read: nothing is left to trigger again.
        let [ready] = poll([stdin.fd()], Some(Duration::ZERO)).unwrap();
        assert!(!ready.readable);
    }

    #[test]
    fn a_partial_line_is_no_trigger() {
        use std::io::Write;
        let (mut stdin, mut writer) = pipe_stdin();
        writer.write_all(b"no newline yet").unwrap();
        let drained = stdin.drain().unwrap();
        assert!(!drained.newline && !drained.eof);
    }

    #[test]
    fn newline_then_eof_is_seen_in_one_drain() {
        use std::io::Write;
        let (mut stdin, mut writer) = pipe_stdin();
        writer.write_all(b"\n").unwrap();
        drop(writer);
        let drained = stdin.drain().unwrap();
        assert!(drained.newline && drained.eof);
    }

    #[test]
    fn an_endless_writer_cannot_keep_drain_reading() {
        use std::io::Write;
        let (mut stdin, mut writer) = pipe_stdin();
        let feeder = std::thread::spawn(move || {
            let chunk = [b'\n'; 4096];
            // Ends when the reader is dropped (EPIPE).
            while writer.write_all(&chunk).is_ok() {}
        });
        let drained = stdin.drain().unwrap();
        assert!(drained.newline && !drained.eof);
        drop(stdin);
        feeder.join().unwrap();
    }

    #[test]
    fn status_first_success_names_address() {
        let mut log = telegraf();
        assert_eq!(
            log.observe(&ok("127.0.0.1:323")).unwrap(),
            "I! reading chronyd's tracking report from 127.0.0.1:323"
        );
        assert_eq!(log.observe(&ok("127.0.0.1:323")), None);
    }

    #[test]
    fn status_failure_once_then_recovery() {
        let mut log = telegraf();
        log.observe(&ok("a"));
        assert_eq!(
            log.observe(&failing("a: timeout")).unwrap(),
            "E! a: timeout"
        );
        assert_eq!(log.observe(&failing("a: timeout")), None);
        assert_eq!(
            log.observe(&failing("a: refused")).unwrap(),
            "E! a: refused"
        );
        assert_eq!(
            log.observe(&ok("a")).unwrap(),
            "I! chronyd at a answers again"
        );
        assert_eq!(log.observe(&ok("a")), None);
        assert_eq!(
            log.observe(&failing("a: timeout")).unwrap(),
            "E! a: timeout"
        );
    }

    #[test]
    fn status_address_switch() {
        let mut log = telegraf();
        log.observe(&ok("a"));
        assert_eq!(
            log.observe(&ok("b")).unwrap(),
            "I! reading chronyd's tracking report from b (was a)"
        );
    }

    #[test]
    fn status_one_line() {
        let mut log = telegraf();
        assert_eq!(log.observe(&failing("x\nE! y")).unwrap(), "E! x\\nE! y");
        assert_eq!(
            log.observe(&failing("x\u{85}E! y")).unwrap(),
            "E! x\\u{85}E! y"
        );
        assert_eq!(log.observe(&failing("x\rI! y")).unwrap(), "E! x\\rI! y");
    }

    #[test]
    fn status_lines_are_capped() {
        let mut log = telegraf();
        let line = log.observe(&failing(&"x".repeat(100_000))).unwrap();
        assert!(line.len() < MAX_STATUS_LINE, "{}", line.len());
        assert!(line.starts_with("E! xxx") && line.ends_with(" [...]"));
    }

    #[test]
    fn without_info_voice_only_failures_are_written() {
        let mut log = StatusLog::new(Voice {
            error: "plugin: ".into(),
            info: None,
            what: "chronyd's tracking report".into(),
        });
        assert_eq!(log.observe(&ok("a")), None);
        assert_eq!(
            log.observe(&failing("a: timeout")).unwrap(),
            "plugin: a: timeout"
        );
        assert_eq!(log.observe(&ok("a")), None);
        assert_eq!(
            log.observe(&failing("a: timeout")).unwrap(),
            "plugin: a: timeout"
        );
    }
}
