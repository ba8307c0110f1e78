//! Helpers for the long-running gather loop: the interval schedule, stdin
//! triggers, and the `E!`/`I!` status lines Telegraf reads from stderr.

use crate::error::Error;
use std::time::{Duration, Instant};

/// An absolute schedule: gathers at `start`, `start + interval`,
/// `start + 2 × interval`, ... so slow gathers never make the series drift.
/// Slots that passed during a gather are skipped, not caught up in a burst.
#[derive(Debug, Clone)]
pub struct Schedule {
    start: Instant,
    interval: Duration,
    slot: u64,
}

impl Schedule {
    /// A schedule whose first gather is due at `start`.
    pub fn new(start: Instant, interval: Duration) -> Schedule {
        assert!(!interval.is_zero(), "a zero interval never advances");
        Schedule {
            start,
            interval,
            slot: 0,
        }
    }

    /// When the next gather is due.
    pub fn due(&self) -> Instant {
        self.start + self.interval_times(self.slot)
    }

    /// Moves to the first slot after `now` (call after a gather).
    pub fn advance(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.start).as_nanos();
        let passed = (elapsed / self.interval.as_nanos()) as u64;
        self.slot = (passed + 1).max(self.slot + 1);
    }

    fn interval_times(&self, n: u64) -> Duration {
        let nanos = self.interval.as_nanos() * u128::from(n);
        Duration::new(
            (nanos / 1_000_000_000) as u64,
            (nanos % 1_000_000_000) as u32,
        )
    }
}

/// How many gathers a chunk read from stdin asks for: one per newline.
pub fn triggers(chunk: &[u8]) -> usize {
    chunk.iter().filter(|&&b| b == b'\n').count()
}

/// Turns each gather's outcome into at most one status line for stderr,
/// only when the condition changes: the first read, a failure (or a
/// different failure), a recovery, a switch to another address. A chronyd
/// that stays down for a week logs one `E!` line, not one per gather.
#[derive(Debug, Default)]
pub struct StatusLog {
    /// The last failure written, to hold back identical ones.
    failing: Option<String>,
    /// The address of the last successful read.
    address: Option<String>,
}

impl StatusLog {
    /// A log that has seen nothing yet.
    pub fn new() -> StatusLog {
        StatusLog::default()
    }

    /// A read from `address` succeeded: the `I! ` line to write, if any.
    pub fn success(&mut self, address: &str) -> Option<String> {
        let recovered = self.failing.take().is_some();
        let line = match self.address.as_deref() {
            None => format!("I! reading chronyd's tracking report from {address}"),
            Some(previous) if previous != address => {
                format!("I! reading chronyd's tracking report from {address} (was {previous})")
            }
            Some(_) if recovered => format!("I! chronyd at {address} answers again"),
            Some(_) => return None,
        };
        self.address = Some(address.to_string());
        Some(line)
    }

    /// A read failed: the `E! ` line to write, unless it repeats the last one.
    pub fn failure(&mut self, error: &Error) -> Option<String> {
        self.problem(&error.to_string())
    }

    /// Some other problem kept this gather from giving a metric: the `E! `
    /// line to write, unless it repeats the last one.
    pub fn problem(&mut self, what: &str) -> Option<String> {
        // Telegraf reads stderr line by line: keep each message on one line.
        let text = what.replace(['\n', '\r'], " ");
        if self.failing.as_deref() == Some(text.as_str()) {
            return None;
        }
        let line = format!("E! {text}");
        self.failing = Some(text);
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_first_at_start() {
        let start = Instant::now();
        let s = Schedule::new(start, Duration::from_secs(10));
        assert_eq!(s.due(), start);
    }

    #[test]
    fn schedule_absolute_no_drift() {
        let start = Instant::now();
        let mut s = Schedule::new(start, Duration::from_millis(100));
        // Each gather took 30 ms: the next is still on the 100 ms grid.
        for k in 1..=5u32 {
            s.advance(s.due() + Duration::from_millis(30));
            assert_eq!(s.due(), start + Duration::from_millis(100) * k);
        }
    }

    #[test]
    fn schedule_skips_missed_slots() {
        let start = Instant::now();
        let mut s = Schedule::new(start, Duration::from_millis(100));
        s.advance(start + Duration::from_millis(350));
        assert_eq!(s.due(), start + Duration::from_millis(400));
    }

    #[test]
    fn schedule_early_wake_still_advances() {
        let start = Instant::now();
        let mut s = Schedule::new(start, Duration::from_millis(100));
        s.advance(start);
        s.advance(start + Duration::from_millis(99));
        assert_eq!(s.due(), start + Duration::from_millis(200));
    }

    #[test]
    fn triggers_count_newlines() {
        assert_eq!(triggers(b""), 0);
        assert_eq!(triggers(b"partial"), 0);
        assert_eq!(triggers(b"\n"), 1);
        assert_eq!(triggers(b"\n\nx\n"), 3);
    }

    #[test]
    fn status_first_success_names_address() {
        let mut log = StatusLog::new();
        assert_eq!(
            log.success("127.0.0.1:323").unwrap(),
            "I! reading chronyd's tracking report from 127.0.0.1:323"
        );
        assert_eq!(log.success("127.0.0.1:323"), None);
    }

    #[test]
    fn status_failure_once_then_recovery() {
        let mut log = StatusLog::new();
        log.success("a");
        assert_eq!(log.problem("a: timeout").unwrap(), "E! a: timeout");
        assert_eq!(log.problem("a: timeout"), None);
        assert_eq!(log.problem("a: refused").unwrap(), "E! a: refused");
        assert_eq!(log.success("a").unwrap(), "I! chronyd at a answers again");
        assert_eq!(log.success("a"), None);
        assert_eq!(log.problem("a: timeout").unwrap(), "E! a: timeout");
    }

    #[test]
    fn status_address_switch() {
        let mut log = StatusLog::new();
        log.success("a");
        assert_eq!(
            log.success("b").unwrap(),
            "I! reading chronyd's tracking report from b (was a)"
        );
    }

    #[test]
    fn status_one_line() {
        let mut log = StatusLog::new();
        assert_eq!(log.problem("x\ny").unwrap(), "E! x y");
    }
}
