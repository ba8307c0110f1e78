//! The one error type of the crate: why a report could not be had,
//! worded so that a sysadmin knows what to do.

use crate::address::Address;
use std::fmt;
use std::time::Duration;

/// What kind of failure an [`Error`] is. Plugins map kinds to states (a
/// permission problem is a monitoring set-up issue; the rest mean chronyd is
/// not answering properly).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The Unix socket path does not exist (chronyd not running, or it binds
    /// its command socket elsewhere).
    NoSocket,
    /// Nothing listens: a stale Unix socket, or a closed UDP command port.
    ConnectionRefused,
    /// The caller may not use the Unix socket (root and chronyd's user only).
    PermissionDenied,
    /// The path exists but is not a socket.
    NotASocket,
    /// The Unix socket path (or libchrony's client socket beside it) is too
    /// long for `sun_path`.
    PathTooLong,
    /// Another OS error while opening the socket.
    Open,
    /// chronyd did not answer before the deadline (stopped, overloaded, or a
    /// firewall drops the packets).
    Timeout,
    /// chronyd answered that this client is not allowed (`cmdallow`).
    Unauthorized,
    /// chronyd answered that the command is disabled.
    Disabled,
    /// A libchrony or protocol failure (with libchrony's own description).
    Protocol,
    /// The reply lacked a field, had it with the wrong type, or an impossible value.
    Data,
    /// The deadline given was zero, or too large to represent.
    InvalidDeadline,
    /// The caller cancelled the read ([`crate::Client::tracking_or_cancel`]).
    Cancelled,
    /// chronyd refused a report over UDP that it serves only on its Unix
    /// socket (selectdata, serverstats, ntpdata, authdata before chrony
    /// 4.7's `opencommands`).
    SocketOnly,
    /// chronyd has no record for a source asked by index: the sources
    /// changed during the read.
    NoSuchSource,
    /// chronyd does not know the request (older than the report).
    Unsupported,
}

impl ErrorKind {
    /// How far the attempt got; `auto` reports the attempt that got furthest.
    fn rank(self) -> u8 {
        match self {
            ErrorKind::NoSocket => 0,
            ErrorKind::PathTooLong | ErrorKind::NotASocket | ErrorKind::Open => 1,
            // An unprivileged `auto` is refused by the Unix socket, then
            // tries the UDP port: if that is refused too, chronyd is not
            // serving, which matters more than the expected refusal.
            ErrorKind::PermissionDenied => 2,
            ErrorKind::ConnectionRefused => 3,
            ErrorKind::Timeout => 4,
            ErrorKind::Unauthorized
            | ErrorKind::Disabled
            | ErrorKind::Protocol
            | ErrorKind::Data
            | ErrorKind::InvalidDeadline
            | ErrorKind::Cancelled
            | ErrorKind::SocketOnly
            | ErrorKind::NoSuchSource
            | ErrorKind::Unsupported => 5,
        }
    }

    /// A short stable name (`no-socket`, `timeout`, ...) for logs and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NoSocket => "no-socket",
            ErrorKind::ConnectionRefused => "connection-refused",
            ErrorKind::PermissionDenied => "permission-denied",
            ErrorKind::NotASocket => "not-a-socket",
            ErrorKind::PathTooLong => "path-too-long",
            ErrorKind::Open => "open-failed",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Disabled => "disabled",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Data => "data",
            ErrorKind::InvalidDeadline => "invalid-deadline",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::SocketOnly => "socket-only",
            ErrorKind::NoSuchSource => "no-such-source",
            ErrorKind::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why reading one of chronyd's reports failed.
///
/// `Display` gives one line: the address, what went wrong and what to do.
/// When several addresses were tried (`auto`), it names each with its cause,
/// and [`Error::kind`] is that of the attempt that got furthest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    address: Option<Address>,
    detail: String,
    attempts: Vec<Error>,
}

impl Error {
    /// A new error for `address`.
    pub(crate) fn new(
        kind: ErrorKind,
        address: Option<&Address>,
        detail: impl Into<String>,
    ) -> Error {
        // The detail may quote chronyd's reply or an OS message: kept on
        // one line here, once, for every output that prints it.
        let detail: String = detail.into();
        Error {
            kind,
            address: address.cloned(),
            detail: crate::text::one_line(&detail).into_owned(),
            attempts: Vec::new(),
        }
    }

    /// No (valid) answer from `address` within `after`; `ignored` datagrams
    /// arrived but libchrony dropped them (malformed, or stale replies).
    pub(crate) fn timeout(address: &Address, after: Duration, ignored: usize) -> Error {
        let after = crate::number::duration(after);
        let detail = if ignored == 0 {
            format!("no answer within {after} (chronyd stopped, overloaded, or packets dropped)")
        } else {
            format!(
                "no valid answer within {after} ({ignored} replies ignored: malformed, or answers to an earlier request - chronyd too slow, or not chronyd's command port?)"
            )
        };
        Error::new(ErrorKind::Timeout, Some(address), detail)
    }

    /// Combines the failures of several candidates into one error.
    pub(crate) fn from_attempts(mut attempts: Vec<Error>) -> Error {
        if attempts.is_empty() {
            return Error::new(
                ErrorKind::Open,
                None,
                "no chronyd address to try (empty list)",
            );
        }
        if attempts.len() == 1 {
            return attempts.pop().expect("one attempt");
        }
        let best = attempts
            .iter()
            .enumerate()
            .max_by_key(|(i, e)| (e.kind.rank(), *i))
            .map(|(i, _)| i)
            .unwrap_or(0);
        let main = &attempts[best];
        Error {
            kind: main.kind,
            address: main.address.clone(),
            detail: main.detail.clone(),
            attempts,
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The address that failed (the one that got furthest, for `auto`).
    pub fn address(&self) -> Option<&Address> {
        self.address.as_ref()
    }

    /// The cause without the address.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Each address tried, with its own error, when more than one was tried.
    pub fn attempts(&self) -> &[Error] {
        &self.attempts
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.attempts.len() > 1 {
            f.write_str("no chronyd answered: ")?;
            for (i, e) in self.attempts.iter().enumerate() {
                if i > 0 {
                    f.write_str("; ")?;
                }
                write!(f, "{e}")?;
            }
            return Ok(());
        }
        match &self.address {
            Some(a) => write!(f, "{a}: {}", self.detail),
            None => f.write_str(&self.detail),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(kind: ErrorKind, addr: &str, detail: &str) -> Error {
        Error::new(kind, Some(&addr.parse().unwrap()), detail)
    }

    #[test]
    fn single_names_address() {
        let e = at(
            ErrorKind::ConnectionRefused,
            "127.0.0.1:323",
            "connection refused",
        );
        assert_eq!(e.to_string(), "127.0.0.1:323: connection refused");
    }

    #[test]
    fn attempts_keep_furthest_kind() {
        let e = Error::from_attempts(vec![
            at(
                ErrorKind::NoSocket,
                "/run/chrony/chronyd.sock",
                "no such socket",
            ),
            at(ErrorKind::Timeout, "127.0.0.1:323", "no answer"),
            at(
                ErrorKind::ConnectionRefused,
                "[::1]:323",
                "connection refused",
            ),
        ]);
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(e.address().unwrap().to_string(), "127.0.0.1:323");
    }

    #[test]
    fn unprivileged_auto_with_chronyd_down_is_refused_not_denied() {
        let e = Error::from_attempts(vec![
            at(
                ErrorKind::PermissionDenied,
                "/run/chrony/chronyd.sock",
                "permission denied",
            ),
            at(
                ErrorKind::ConnectionRefused,
                "127.0.0.1:323",
                "connection refused",
            ),
        ]);
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
        assert_eq!(
            e.to_string(),
            "no chronyd answered: /run/chrony/chronyd.sock: permission denied; 127.0.0.1:323: connection refused"
        );
    }

    #[test]
    fn no_attempts_is_an_error_not_a_panic() {
        assert_eq!(Error::from_attempts(Vec::new()).kind(), ErrorKind::Open);
    }

    #[test]
    fn detail_from_a_reply_stays_on_one_line() {
        let e = at(
            ErrorKind::Protocol,
            "127.0.0.1:323",
            "is 'x\nE! y\u{2028}', not an IP address",
        );
        assert_eq!(
            e.to_string(),
            "127.0.0.1:323: is 'x\\nE! y\\u{2028}', not an IP address"
        );
    }

    #[test]
    fn attempts_tie_goes_to_last() {
        let e = Error::from_attempts(vec![
            at(ErrorKind::ConnectionRefused, "127.0.0.1:323", "x"),
            at(ErrorKind::ConnectionRefused, "::1", "y"),
        ]);
        assert_eq!(e.address().unwrap().to_string(), "[::1]:323");
    }
}
