//! Shared by the `collectd*` tests: running `collectd-chrony-tracking` as a
//! child and reading what it prints, and parsing collectd's line protocol.
#![allow(dead_code)] // each test binary uses a different part

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_collectd-chrony-tracking")
}

/// A command for the binary with collectd's variables cleared, so that the
/// test's own environment cannot leak in.
pub fn command() -> Command {
    let mut cmd = Command::new(bin());
    cmd.env_remove("COLLECTD_INTERVAL")
        .env_remove("COLLECTD_HOSTNAME")
        .env("LC_ALL", "C");
    cmd
}

/// One `PUTVAL` line, split into its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Putval {
    /// The identifier as collectd reads it (quotes removed).
    pub identifier: String,
    /// The `interval=` option.
    pub interval: String,
    /// The time, epoch seconds.
    pub time: f64,
    /// The value as printed (`U` or digits).
    pub value: String,
}

impl Putval {
    /// The type and type instance (`clock_stratum-chrony`).
    pub fn type_part(&self) -> &str {
        self.identifier.rsplit('/').next().unwrap()
    }
}

/// Splits a command line as collectd does: white space separates fields, a
/// field in double quotes may hold spaces, `\` escapes inside quotes.
pub fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return out;
        }
        let mut field = String::new();
        // A field runs to the next white space; a quoted part (the whole
        // field, or a value after `key=`) may hold spaces and `\` escapes.
        while let Some(c) = chars.next_if(|c| !c.is_ascii_whitespace()) {
            if c != '"' {
                field.push(c);
                continue;
            }
            loop {
                match chars.next().expect("closing quote") {
                    '"' => break,
                    '\\' => field.push(chars.next().expect("escaped character")),
                    c => field.push(c),
                }
            }
        }
        out.push(field);
    }
}

/// Parses a `PUTVAL` line; panics on anything collectd would reject.
pub fn putval(line: &str) -> Putval {
    let f = fields(line);
    assert_eq!(f.len(), 4, "PUTVAL with 4 fields: {line}");
    assert_eq!(f[0], "PUTVAL", "{line}");
    let parts: Vec<&str> = f[1].split('/').collect();
    assert_eq!(parts.len(), 3, "host/plugin/type: {line}");
    let interval = f[2].strip_prefix("interval=").expect("interval option");
    let (time, value) = f[3].split_once(':').expect("time:value");
    assert!(
        value == "U" || value.parse::<f64>().is_ok() && !value.contains(['e', 'E']),
        "value {value}: {line}"
    );
    Putval {
        identifier: f[1].clone(),
        interval: interval.to_string(),
        time: time.parse().expect("numeric time"),
        value: value.to_string(),
    }
}

/// The `key=value` options of a `PUTNOTIF` line; panics on anything collectd
/// would reject.
pub fn putnotif(line: &str) -> std::collections::HashMap<String, String> {
    let f = fields(line);
    assert_eq!(f[0], "PUTNOTIF", "{line}");
    let options: std::collections::HashMap<String, String> = f[1..]
        .iter()
        .map(|o| {
            let (k, v) = o.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    for required in ["severity", "time", "message"] {
        assert!(options.contains_key(required), "{required}: {line}");
    }
    options["time"].parse::<f64>().expect("numeric time");
    assert!(options["message"].len() <= 255, "{line}");
    options
}

/// A running plugin whose stdout lines arrive on a channel and whose stderr
/// is collected; killed on drop.
pub struct Running {
    pub child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Running {
    /// Spawns `cmd` with stdin closed at once (as collectd does), stdout and
    /// stderr captured.
    pub fn spawn(mut cmd: Command) -> Running {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the plugin");
        drop(child.stdin.take());
        let lines = crate::support::lines_of(child.stdout.take().unwrap());
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Running {
            child,
            lines,
            stderr,
        }
    }

    /// The next stdout line, or `None` after `within` (or at EOF).
    pub fn line(&self, within: Duration) -> Option<String> {
        self.lines.recv_timeout(within).ok()
    }

    /// Lines until one matches `want` (returned) or `within` passes (panics,
    /// showing what came).
    pub fn until(&self, within: Duration, want: impl Fn(&str) -> bool) -> (String, Vec<String>) {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.line(left) {
                Some(l) if want(&l) => return (l, seen),
                Some(l) => seen.push(l),
                None => panic!(
                    "no matching line within {within:?}; got {} lines, last: {:?}; stderr: {:?}",
                    seen.len(),
                    seen.last(),
                    self.stderr()
                ),
            }
        }
    }

    /// Every line that arrives during `period`.
    pub fn collect(&self, period: Duration) -> Vec<String> {
        let deadline = Instant::now() + period;
        let mut seen = Vec::new();
        while let Some(l) = self.line(deadline.saturating_duration_since(Instant::now())) {
            seen.push(l);
        }
        seen
    }

    /// stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends `signal` (`-TERM`, `-STOP`...) with kill(1).
    pub fn signal(&self, signal: &str) {
        assert!(
            crate::support::send_signal(self.child.id(), signal),
            "kill {signal} failed"
        );
    }

    /// Sends SIGTERM and waits up to `within` for the exit; panics when
    /// the plugin is still running then.
    pub fn terminate(&mut self, within: Duration) -> ExitStatus {
        self.signal("-TERM");
        self.wait(within)
            .unwrap_or_else(|| panic!("no exit within {within:?} of SIGTERM"))
    }

    /// Waits up to `within` for the exit.
    pub fn wait(&mut self, within: Duration) -> Option<ExitStatus> {
        crate::support::wait_for_exit(&mut self.child, within)
    }

    /// Resident set size of the child in KiB (VmRSS).
    pub fn rss_kib(&self) -> u64 {
        status_field(self.child.id(), "VmRSS:")
    }

    /// Open fds of the child.
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|d| d.count())
            .expect("read the child's fds")
    }
}

/// A `kB` field of `/proc/<pid>/status`.
pub fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
