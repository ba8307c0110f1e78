//! A long-lived reader of chronyd's reports.
//!
//! One [`Client`] keeps one socket and libchrony session open between reads
//! (plugins that run for months hold one client), and replaces it whenever a
//! read fails: a restarted chronyd, a lost reply or a late one all end with a
//! fresh socket on the next read, so nothing stale can poison later reads.

use crate::address::{Address, Target};
use crate::error::{Error, ErrorKind};
use crate::ffi::{self, code, LibError, OpenError, Session};
use crate::report::{Field, Model, Record, Report, ReportKind, Source};
use crate::sys;
use crate::tracking::Tracking;
use std::io;
use std::os::raw::c_int;
use std::os::unix::io::RawFd;
use std::time::{Duration, Instant};

/// First wait before a request over UDP is sent again; doubles up to
/// [`RESEND_MAX`]. libchrony never retransmits on its own, and each resend
/// gets a new sequence number, so a reply to an earlier request is dropped:
/// doubling leaves a slow chronyd ever longer to answer the latest one.
const RESEND_FIRST: Duration = Duration::from_millis(250);
/// Longest wait between two sends over UDP.
const RESEND_MAX: Duration = Duration::from_secs(8);

/// How many times a per-source report is read again from its count when
/// chronyd's sources changed in the middle of the read.
const RECOUNTS: usize = 3;

/// Reads chronyd's reports from a [`Target`], within a deadline.
///
/// `Client` is `Send`: a plugin may move it to another thread (see the
/// SAFETY note on libchrony's session in `ffi`).
pub struct Client {
    target: Target,
    connection: Option<Connection>,
    skipped: Vec<Error>,
}

/// An open session and the address it talks to.
struct Connection {
    address: Address,
    session: Session,
}

impl Client {
    /// A client for `target`. Nothing is opened until the first read.
    pub fn new(target: Target) -> Client {
        Client {
            target,
            connection: None,
            skipped: Vec::new(),
        }
    }

    /// What this client reads from.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The address of the open connection, once a read has succeeded.
    pub fn address(&self) -> Option<&Address> {
        self.connection.as_ref().map(|c| &c.address)
    }

    /// The candidates that failed before the one in use was found, with why
    /// (e.g. `auto` run unprivileged: the Unix socket refused, then the UDP
    /// command port answered). Empty when the first candidate answered.
    pub fn skipped(&self) -> &[Error] {
        &self.skipped
    }

    /// Closes the connection (if any); the next read opens a new one.
    pub fn disconnect(&mut self) {
        self.connection = None;
    }

    /// Reads the tracking report; the whole call, resends and reconnects
    /// included, ends within `timeout`.
    pub fn tracking(&mut self, timeout: Duration) -> Result<Tracking, Error> {
        self.read_one(timeout, None)
    }

    /// Like [`Client::tracking`], but gives up at once, with
    /// [`ErrorKind::Cancelled`], when `cancel` becomes readable: a
    /// long-running plugin passes [`crate::TerminationSignals::fd`] so that
    /// SIGTERM ends it promptly even in the middle of a read. The session
    /// is closed the libchrony way, so nothing is left behind.
    pub fn tracking_or_cancel(
        &mut self,
        timeout: Duration,
        cancel: RawFd,
    ) -> Result<Tracking, Error> {
        self.read_one(timeout, Some(cancel))
    }

    /// Reads the `sources` report: one [`Source`] per source, in chronyd's order.
    ///
    /// ```no_run
    /// use chrony_plugins::{Client, Target};
    /// use std::time::Duration;
    ///
    /// let mut client = Client::new("127.0.0.1:323".parse::<Target>()?);
    /// for s in client.sources(Duration::from_secs(3))? {
    ///     // Like a line of `chronyc sources`: `^* 192.0.2.1 reach 377`.
    ///     println!("{}{} {} reach {:o}", s.mode.symbol(), s.state.symbol(), s.name, s.reach);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sources(&mut self, timeout: Duration) -> Result<Vec<Source>, Error> {
        self.read(timeout)
    }

    /// Reads the report of model `M` (`Source`, `SourceStats`, ...) as
    /// typed records, within `timeout` for the whole report.
    pub fn read<M: Model>(&mut self, timeout: Duration) -> Result<Vec<M>, Error> {
        self.read_models(timeout, None)
    }

    /// Like [`Client::read`], cancelled when `cancel` becomes readable
    /// (see [`Client::tracking_or_cancel`]).
    pub fn read_or_cancel<M: Model>(
        &mut self,
        timeout: Duration,
        cancel: RawFd,
    ) -> Result<Vec<M>, Error> {
        self.read_models(timeout, Some(cancel))
    }

    /// Reads any report as records of named, typed fields: the record
    /// count, then every record, all within `timeout`.
    ///
    /// For a per-source report, a source that vanishes between the count
    /// and its record makes the read start over from a fresh count (a few
    /// times); a source chronyd has no record for while it still counts it
    /// gets an empty record. Sources added during the read show up on the
    /// next read.
    pub fn report(&mut self, kind: ReportKind, timeout: Duration) -> Result<Report, Error> {
        self.with_connection(timeout, None, |conn, deadline, cancel| {
            read_report(conn, kind, deadline, cancel)
        })
    }

    /// Like [`Client::report`], cancelled when `cancel` becomes readable.
    pub fn report_or_cancel(
        &mut self,
        kind: ReportKind,
        timeout: Duration,
        cancel: RawFd,
    ) -> Result<Report, Error> {
        self.with_connection(timeout, Some(cancel), |conn, deadline, cancel| {
            read_report(conn, kind, deadline, cancel)
        })
    }

    fn read_models<M: Model>(
        &mut self,
        timeout: Duration,
        cancel: Option<RawFd>,
    ) -> Result<Vec<M>, Error> {
        self.with_connection(timeout, cancel, |conn, deadline, cancel| {
            let report = read_report(conn, M::REPORT, deadline, cancel)?;
            report
                .models::<M>()
                .map_err(|e| bad_data(&conn.address, M::REPORT, &e))
        })
    }

    /// Reads the one record of a single-record report as model `M`.
    fn read_one<M: Model>(&mut self, timeout: Duration, cancel: Option<RawFd>) -> Result<M, Error> {
        self.with_connection(timeout, cancel, |conn, deadline, cancel| {
            let kind = M::REPORT;
            let record = read_record(conn, kind, 0, deadline, cancel)?;
            M::from_record(&record).map_err(|e| bad_data(&conn.address, kind, &e))
        })
    }

    /// Runs `op` on the open connection, or on each candidate address in
    /// turn until one works, all within `timeout`.
    fn with_connection<T>(
        &mut self,
        timeout: Duration,
        cancel: Option<RawFd>,
        mut op: impl FnMut(&mut Connection, Deadline, Option<RawFd>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        if timeout.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidDeadline,
                None,
                "the timeout must be longer than zero",
            ));
        }
        let start = Instant::now();
        let end = start.checked_add(timeout).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidDeadline,
                None,
                format!(
                    "the timeout {} is too long",
                    crate::number::duration(timeout)
                ),
            )
        })?;
        let deadline = Deadline { start, end };

        // Reuse the open connection; on any failure drop it, so a late reply
        // dies with its socket. A send or receive failure on a reused
        // connection usually means chronyd restarted: reconnect at once.
        if let Some(mut conn) = self.connection.take() {
            match op(&mut conn, deadline, cancel) {
                Ok(t) => {
                    self.connection = Some(conn);
                    return Ok(t);
                }
                Err(e) if keeps_connection(&e) => {
                    self.connection = Some(conn);
                    return Err(e);
                }
                Err(e) if !is_stale_connection(&e) || Instant::now() >= end => return Err(e),
                Err(_) => drop(conn),
            }
        }

        let mut failures = Vec::new();
        self.skipped.clear();
        let mut seen_sockets = Vec::new();
        for address in self.target.candidates() {
            // /var/run is a link to /run on current systems: the same socket
            // twice in `auto` would be tried (and reported) twice.
            if let Address::Unix(path) = address {
                let real = resolved_socket(path);
                if seen_sockets.contains(&real) {
                    continue;
                }
                seen_sockets.push(real);
            }
            let attempt = open(address)
                .and_then(|mut conn| op(&mut conn, deadline, cancel).map(|t| (conn, t)));
            match attempt {
                Ok((conn, t)) => {
                    self.connection = Some(conn);
                    self.skipped = failures;
                    return Ok(t);
                }
                Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
                Err(e) => {
                    // A timeout used up the deadline: no time is left to try more.
                    let out_of_time = e.kind() == ErrorKind::Timeout || Instant::now() >= end;
                    failures.push(e);
                    if out_of_time {
                        break;
                    }
                }
            }
        }
        Err(Error::from_attempts(failures))
    }
}

/// `path` with its directory resolved (links followed). The directory, not
/// the socket: resolving it needs no access to chronyd's private directory,
/// so it works unprivileged.
fn resolved_socket(path: &std::path::Path) -> std::path::PathBuf {
    path.parent()
        .and_then(|dir| std::fs::canonicalize(dir).ok())
        .zip(path.file_name())
        .map(|(dir, name)| dir.join(name))
        .unwrap_or_else(|| path.to_path_buf())
}

/// Whether a failure on a reused connection means the peer went away.
fn is_stale_connection(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::Protocol | ErrorKind::NoSocket
    )
}

/// Opens a session to `address`, classifying every failure.
fn open(address: &Address) -> Result<Connection, Error> {
    if let Address::Unix(path) = address {
        // `Address::Unix` can be built without parsing: check the path again.
        if let Err(why) = crate::address::check_unix_path(path) {
            return Err(Error::new(ErrorKind::PathTooLong, Some(address), why));
        }
        // Say precisely what is wrong with the path before libchrony tries it.
        use std::os::unix::fs::FileTypeExt;
        match std::fs::metadata(path) {
            Ok(m) if !m.file_type().is_socket() => {
                return Err(Error::new(
                    ErrorKind::NotASocket,
                    Some(address),
                    "exists but is not a socket (give chronyd's command socket, `bindcmdaddress`)",
                ))
            }
            Ok(_) => {}
            Err(e) => return Err(open_error(address, &e)),
        }
    }
    let c_address = ffi::c_string(&address.to_libchrony()).ok_or_else(|| {
        Error::new(
            ErrorKind::Open,
            Some(address),
            "the address contains a NUL byte",
        )
    })?;
    match Session::open(&c_address) {
        Ok(session) => Ok(Connection {
            address: address.clone(),
            session,
        }),
        Err(OpenError::Os(e)) => Err(open_error(address, &e)),
        Err(OpenError::Session(e)) => Err(Error::new(
            ErrorKind::Protocol,
            Some(address),
            format!("cannot start a libchrony session: {}", e.text),
        )),
    }
}

/// Turns an OS error from opening `address` into an actionable error.
fn open_error(address: &Address, e: &io::Error) -> Error {
    let (kind, detail) = match (e.raw_os_error(), address) {
        (Some(libc::ENOENT), _) => (
            ErrorKind::NoSocket,
            "no such socket (chronyd not running, or its command socket is elsewhere)".to_string(),
        ),
        (Some(libc::ECONNREFUSED), _) => (ErrorKind::ConnectionRefused, refused_detail(address)),
        (Some(libc::EACCES) | Some(libc::EPERM), Address::Unix(path)) => {
            (ErrorKind::PermissionDenied, unix_permission_detail(path))
        }
        (Some(libc::EACCES) | Some(libc::EPERM), Address::Udp(_)) => (
            ErrorKind::PermissionDenied,
            "permission denied sending to the command port (a local firewall or security policy rejects it)"
                .to_string(),
        ),
        (Some(libc::ENOTSOCK), _) => (ErrorKind::NotASocket, "not a socket".to_string()),
        (Some(libc::ENAMETOOLONG) | Some(libc::EINVAL), Address::Unix(_)) => (
            ErrorKind::PathTooLong,
            "libchrony refused the socket path (at most 107 bytes, with room for its client socket in the same directory, which cannot be /)"
                .to_string(),
        ),
        _ => (ErrorKind::Open, format!("cannot open: {e}")),
    };
    Error::new(kind, Some(address), detail)
}

/// Why a Unix socket is off limits: the socket itself, or libchrony's
/// client socket, which it creates in the same directory.
fn unix_permission_detail(path: &std::path::Path) -> String {
    const HINT: &str = "chronyd's Unix socket is for root and chronyd's user only; \
                        unprivileged monitoring reads the UDP command port, 127.0.0.1:323";
    match path.parent() {
        Some(dir)
            if dir.exists() && std::fs::metadata(path).is_ok() && !sys::can_write_dir(dir) =>
        {
            format!(
                "permission denied: libchrony cannot create its client socket in {} ({HINT})",
                dir.display()
            )
        }
        _ => format!("permission denied ({HINT})"),
    }
}

fn refused_detail(address: &Address) -> String {
    match address {
        Address::Unix(_) => "connection refused (stale socket: chronyd is not running)".into(),
        Address::Udp(_) => {
            "connection refused (chronyd not running, or its command port is closed: see `cmdport`)"
                .into()
        }
    }
}

/// When a read started and when it must end.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    start: Instant,
    end: Instant,
}

/// One request of a report read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The record count (no round trip for single-record reports).
    Count,
    /// Record number `n`.
    Record(c_int),
}

/// Reads the record count, then every record, of `kind`.
fn read_report(
    conn: &mut Connection,
    kind: ReportKind,
    deadline: Deadline,
    cancel: Option<RawFd>,
) -> Result<Report, Error> {
    let mut count = read_count(conn, kind, deadline, cancel)?;
    for recount in 0..=RECOUNTS {
        match read_records(conn, kind, count, deadline, cancel)? {
            Records::Read(records) => return Ok(Report { kind, records }),
            Records::Changed { error, .. } if recount == RECOUNTS => return Err(error),
            // Fewer sources (or more) than counted: start over.
            Records::Changed { count: now, .. } => count = now,
        }
    }
    unreachable!("the last recount returns")
}

/// What reading the records of one count gave.
enum Records {
    /// Every record (an empty one for a source chronyd counts but has no
    /// record for).
    Read(Vec<Record>),
    /// A source vanished and the count changed to `count`; `error` says so.
    Changed { count: c_int, error: Error },
}

/// Reads records 0 to `count` - 1.
fn read_records(
    conn: &mut Connection,
    kind: ReportKind,
    count: c_int,
    deadline: Deadline,
    cancel: Option<RawFd>,
) -> Result<Records, Error> {
    let mut records = Vec::with_capacity(count.max(0) as usize);
    for n in 0..count {
        match read_record(conn, kind, n, deadline, cancel) {
            Ok(record) => records.push(record),
            Err(error) if error.kind() == ErrorKind::NoSuchSource => {
                // Removed since the count, or known but without data for
                // this report yet: the count tells which.
                let now = read_count(conn, kind, deadline, cancel)?;
                if now != count {
                    return Ok(Records::Changed { count: now, error });
                }
                records.push(Record::default());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Records::Read(records))
}

/// Asks for the record count of `kind` and returns it.
fn read_count(
    conn: &mut Connection,
    kind: ReportKind,
    deadline: Deadline,
    cancel: Option<RawFd>,
) -> Result<c_int, Error> {
    exchange(conn, kind, Step::Count, deadline, cancel)?;
    Ok(conn.session.record_count())
}

/// Asks for record `n` of `kind` and returns its fields.
fn read_record(
    conn: &mut Connection,
    kind: ReportKind,
    n: c_int,
    deadline: Deadline,
    cancel: Option<RawFd>,
) -> Result<Record, Error> {
    exchange(conn, kind, Step::Record(n), deadline, cancel)?;
    let record = Record::new(
        conn.session
            .record()
            .into_iter()
            .map(Field::from_raw)
            .collect(),
    );
    // Only ntpdata and authdata of a reference clock legitimately have no
    // fields (libchrony answers them itself); elsewhere it is a bad reply.
    if record.fields.is_empty() && !matches!(kind, ReportKind::NtpData | ReportKind::AuthData) {
        return Err(Error::new(
            ErrorKind::Data,
            Some(&conn.address),
            format!("bad {kind} report: record {n} has no fields"),
        ));
    }
    Ok(record)
}

/// Sends the request for `step` and waits for the reply until the
/// deadline, resending over UDP (and whenever chronyd's full queue refused
/// the send).
fn exchange(
    conn: &mut Connection,
    kind: ReportKind,
    step: Step,
    deadline: Deadline,
    cancel: Option<RawFd>,
) -> Result<(), Error> {
    let address = conn.address.clone();
    let udp = address.is_udp();
    let mut sent = send(conn, kind, step)?;
    let mut resend_wait = RESEND_FIRST;
    let mut next_send = Instant::now() + resend_wait;
    // Datagrams libchrony dropped (malformed, or replies to an earlier request).
    let mut ignored = 0usize;
    loop {
        if sent && !conn.session.needs_response() {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline.end {
            return Err(Error::timeout(
                &address,
                deadline.end - deadline.start,
                ignored,
            ));
        }
        let resending = udp || !sent;
        let until = if resending {
            next_send.min(deadline.end)
        } else {
            deadline.end
        };
        // fds[0] is the session (-1 while the request is unsent: poll
        // ignores negative fds, so this just sleeps), fds[1] the cancel fd.
        let fds = [
            if sent { conn.session.fd() } else { -1 },
            cancel.unwrap_or(-1),
        ];
        let ready = sys::poll(fds, Some(until - now)).map_err(|e| {
            Error::new(
                ErrorKind::Protocol,
                Some(&address),
                format!("poll failed: {e}"),
            )
        })?;
        if ready[1].readable || ready[1].error {
            return Err(Error::new(
                ErrorKind::Cancelled,
                Some(&address),
                "read cancelled (termination requested)",
            ));
        }
        let ready = ready[0];
        if ready.error {
            if let Some(e) = sys::socket_error(conn.session.fd()) {
                return Err(io_failure(&address, &e));
            }
        }
        if ready.readable {
            match conn.session.process_response() {
                Ok(()) if conn.session.needs_response() => ignored += 1,
                Ok(()) => {}
                // Woken without a datagram after all: wait again. Or
                // libchrony's follow-up request (ntpdata, authdata) found
                // chronyd's queue full: send it all again later.
                Err(e) if e.errno == Some(libc::EAGAIN) => {
                    if !conn.session.needs_response() {
                        sent = false;
                    }
                }
                Err(e) => return Err(lib_failure(&address, &e, kind, step)),
            }
        } else if resending && Instant::now() >= next_send {
            sent = send(conn, kind, step)?;
            resend_wait = (resend_wait * 2).min(RESEND_MAX);
            next_send = Instant::now() + resend_wait;
        }
    }
}

/// Sends (or sends again) the request for `step`. `Ok(false)` when the
/// socket would block: chronyd's receive queue is full (it is stopped or
/// swamped), so the request is as good as lost and is tried again later.
fn send(conn: &mut Connection, kind: ReportKind, step: Step) -> Result<bool, Error> {
    let sent = match step {
        Step::Count => conn.session.request_count(kind.c_name()),
        Step::Record(n) => conn.session.request_record(kind.c_name(), n),
    };
    match sent {
        Ok(()) => Ok(true),
        Err(e) if e.errno == Some(libc::EAGAIN) => Ok(false),
        Err(e) => Err(lib_failure(&conn.address, &e, kind, step)),
    }
}

/// A record that lacks a field or has it with the wrong type.
fn bad_data(address: &Address, kind: ReportKind, e: &crate::report::FieldError) -> Error {
    Error::new(
        ErrorKind::Data,
        Some(address),
        format!("bad {kind} report: {e}"),
    )
}

/// Whether a failure leaves the connection fit for the next read: chronyd
/// answered, it just refused this report.
fn keeps_connection(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::SocketOnly
            | ErrorKind::NoSuchSource
            | ErrorKind::Disabled
            | ErrorKind::Unsupported
    )
}

fn io_failure(address: &Address, e: &io::Error) -> Error {
    match e.raw_os_error() {
        Some(libc::ECONNREFUSED) | Some(libc::ENOTCONN) => Error::new(
            ErrorKind::ConnectionRefused,
            Some(address),
            refused_detail(address),
        ),
        Some(libc::ENOENT) | Some(libc::EACCES) | Some(libc::EPERM) => open_error(address, e),
        _ => Error::new(
            ErrorKind::Protocol,
            Some(address),
            format!("socket error: {e}"),
        ),
    }
}

/// Turns libchrony's status for a request of `kind` into an actionable error.
fn lib_failure(address: &Address, e: &LibError, kind: ReportKind, step: Step) -> Error {
    match e.code {
        code::UNAUTHORIZED if kind.socket_only() && address.is_udp() => Error::new(
            ErrorKind::SocketOnly,
            Some(address),
            format!(
                "chronyd refused the {kind} report over UDP: it serves it only on its Unix socket \
                 (read it there as root or chronyd's user, e.g. -H /run/chrony/chronyd.sock, \
                 or open it to the command port with `opencommands {kind}` in chrony.conf, chrony 4.7 or later)"
            ),
        ),
        code::UNAUTHORIZED => Error::new(
            ErrorKind::Unauthorized,
            Some(address),
            "chronyd refused the request: not authorised (allow this host with `cmdallow`, or use the Unix socket as root)",
        ),
        code::DISABLED => {
            let why = match kind {
                ReportKind::RtcData => {
                    "chronyd does not track the real-time clock (no `rtcfile` in chrony.conf, or no RTC)"
                }
                ReportKind::Smoothing => {
                    "chronyd does not smooth time (no `smoothtime` in chrony.conf)"
                }
                _ => "the command is disabled",
            };
            Error::new(
                ErrorKind::Disabled,
                Some(address),
                format!("chronyd refused the {kind} report: {why}"),
            )
        }
        code::UNEXPECTED_STATUS if kind.per_source() && matches!(step, Step::Record(_)) => {
            let n = match step {
                Step::Record(n) => n,
                Step::Count => 0,
            };
            Error::new(
                ErrorKind::NoSuchSource,
                Some(address),
                format!("chronyd has no {kind} record for source {n} (no such source: the sources changed during the read)"),
            )
        }
        code::OLD_SERVER => Error::new(
            ErrorKind::Unsupported,
            Some(address),
            format!("chronyd does not know the {kind} request (chronyd older than this report)"),
        ),
        code::SEND_FAILED | code::RECV_FAILED => match e.errno {
            Some(errno) => io_failure(address, &io::Error::from_raw_os_error(errno)),
            None => Error::new(ErrorKind::Protocol, Some(address), e.text.clone()),
        },
        _ => Error::new(ErrorKind::Protocol, Some(address), format!("protocol error: {}", e.text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(code: u32) -> LibError {
        LibError {
            code,
            errno: None,
            text: "x".into(),
        }
    }

    fn udp() -> Address {
        "127.0.0.1:323".parse().unwrap()
    }

    fn socket() -> Address {
        "/run/chrony/chronyd.sock".parse().unwrap()
    }

    #[test]
    fn refused_socket_only_report_over_udp_names_the_fix() {
        for kind in ReportKind::ALL.into_iter().filter(|k| k.socket_only()) {
            let e = lib_failure(&udp(), &lib(code::UNAUTHORIZED), kind, Step::Record(0));
            assert_eq!(e.kind(), ErrorKind::SocketOnly);
            let text = e.to_string();
            assert!(text.contains(&format!("opencommands {kind}")), "{text}");
            assert!(text.contains("Unix socket"), "{text}");
        }
    }

    #[test]
    fn refusal_of_an_open_report_is_cmdallow() {
        let e = lib_failure(
            &udp(),
            &lib(code::UNAUTHORIZED),
            ReportKind::Sources,
            Step::Count,
        );
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert!(e.to_string().contains("cmdallow"));
        // On the socket, even a socket-only report is a plain refusal.
        let e = lib_failure(
            &socket(),
            &lib(code::UNAUTHORIZED),
            ReportKind::SelectData,
            Step::Record(0),
        );
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
    }

    #[test]
    fn disabled_reports_say_what_to_configure() {
        let rtc = lib_failure(
            &udp(),
            &lib(code::DISABLED),
            ReportKind::RtcData,
            Step::Record(0),
        );
        assert_eq!(rtc.kind(), ErrorKind::Disabled);
        assert!(rtc.to_string().contains("rtcfile"));
        let smooth = lib_failure(
            &udp(),
            &lib(code::DISABLED),
            ReportKind::Smoothing,
            Step::Record(0),
        );
        assert!(smooth.to_string().contains("smoothtime"));
    }

    #[test]
    fn unexpected_status_is_no_such_source_only_for_a_source_record() {
        let e = lib_failure(
            &udp(),
            &lib(code::UNEXPECTED_STATUS),
            ReportKind::SourceStats,
            Step::Record(2),
        );
        assert_eq!(e.kind(), ErrorKind::NoSuchSource);
        assert!(e.to_string().contains("source 2"), "{e}");
        let e = lib_failure(
            &udp(),
            &lib(code::UNEXPECTED_STATUS),
            ReportKind::Tracking,
            Step::Record(0),
        );
        assert_eq!(e.kind(), ErrorKind::Protocol);
        let e = lib_failure(
            &udp(),
            &lib(code::UNEXPECTED_STATUS),
            ReportKind::Sources,
            Step::Count,
        );
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn unknown_request_is_unsupported() {
        let e = lib_failure(
            &udp(),
            &lib(code::OLD_SERVER),
            ReportKind::SelectData,
            Step::Record(0),
        );
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert!(e.to_string().contains("selectdata"));
    }

    #[test]
    fn client_is_send() {
        fn send<T: Send>() {}
        send::<Client>();
    }
}
