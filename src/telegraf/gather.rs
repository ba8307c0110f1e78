//! Helpers for the long-running gather loop: stdin triggers, and the
//! `E!`/`I!` status lines Telegraf reads from stderr.

use crate::error::Error;

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
        // Telegraf reads stderr line by line: keep each message on one
        // line (no `\n`, `\r`, NEL, U+2028, ... that could forge an `E! `).
        let text = crate::text::one_line(what).into_owned();
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
        assert_eq!(log.problem("x\nE! y").unwrap(), "E! x\\nE! y");
        assert_eq!(log.problem("x\u{85}E! y").unwrap(), "E! x\\u{85}E! y");
        assert_eq!(log.problem("x\rI! y").unwrap(), "E! x\\rI! y");
    }
}
