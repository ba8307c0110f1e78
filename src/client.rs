//! A long-lived reader of chronyd's tracking report.
//!
//! One [`Client`] keeps one socket and libchrony session open between reads
//! (plugins that run for months hold one client), and replaces it whenever a
//! read fails: a restarted chronyd, a lost reply or a late one all end with a
//! fresh socket on the next read, so nothing stale can poison later reads.

use crate::address::{Address, Target};
use crate::error::{Error, ErrorKind};
use crate::ffi::{self, code, FieldType, LibError, OpenError, Session};
use crate::sys;
use crate::tracking::{LeapStatus, Timestamp, Tracking};
use std::ffi::CStr;
use std::io;
use std::net::IpAddr;
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

const REPORT: &CStr = c"tracking";

/// Reads chronyd's tracking report from a [`Target`], within a deadline.
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
        self.read_tracking(timeout, None)
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
        self.read_tracking(timeout, Some(cancel))
    }

    fn read_tracking(
        &mut self,
        timeout: Duration,
        cancel: Option<RawFd>,
    ) -> Result<Tracking, Error> {
        if timeout.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidDeadline,
                None,
                "the timeout must be longer than zero",
            ));
        }
        let start = Instant::now();
        let deadline = start.checked_add(timeout).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidDeadline,
                None,
                format!(
                    "the timeout {} is too long",
                    crate::number::duration(timeout)
                ),
            )
        })?;

        // Reuse the open connection; on any failure drop it, so a late reply
        // dies with its socket. A send or receive failure on a reused
        // connection usually means chronyd restarted: reconnect at once.
        if let Some(mut conn) = self.connection.take() {
            match read(&mut conn, start, deadline, cancel) {
                Ok(t) => {
                    self.connection = Some(conn);
                    return Ok(t);
                }
                Err(e) if !is_stale_connection(&e) || Instant::now() >= deadline => return Err(e),
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
                .and_then(|mut conn| read(&mut conn, start, deadline, cancel).map(|t| (conn, t)));
            match attempt {
                Ok((conn, t)) => {
                    self.connection = Some(conn);
                    self.skipped = failures;
                    return Ok(t);
                }
                Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
                Err(e) => {
                    // A timeout used up the deadline: no time is left to try more.
                    let out_of_time = e.kind() == ErrorKind::Timeout || Instant::now() >= deadline;
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

/// Sends the request and waits for the reply until `deadline`, resending
/// over UDP (and whenever chronyd's full queue refused the send).
fn read(
    conn: &mut Connection,
    start: Instant,
    deadline: Instant,
    cancel: Option<RawFd>,
) -> Result<Tracking, Error> {
    let address = conn.address.clone();
    let udp = address.is_udp();
    let mut sent = send(conn, true)?;
    let mut resend_wait = RESEND_FIRST;
    let mut next_send = Instant::now() + resend_wait;
    // Datagrams libchrony dropped (malformed, or replies to an earlier request).
    let mut ignored = 0usize;
    loop {
        if sent && !conn.session.needs_response() {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Error::timeout(&address, deadline - start, ignored));
        }
        let resending = udp || !sent;
        let until = if resending {
            next_send.min(deadline)
        } else {
            deadline
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
                // Woken without a datagram after all: wait again.
                Err(e) if e.errno == Some(libc::EAGAIN) => {}
                Err(e) => return Err(lib_failure(&address, &e)),
            }
        } else if resending && Instant::now() >= next_send {
            sent = send(conn, false)?;
            resend_wait = (resend_wait * 2).min(RESEND_MAX);
            next_send = Instant::now() + resend_wait;
        }
    }
    fields(&conn.session).map_err(|(field, why)| {
        Error::new(
            ErrorKind::Data,
            Some(&address),
            format!("bad tracking report: field '{field}' {why}"),
        )
    })
}

/// Sends (`first`) or resends the tracking request. `Ok(false)` when the
/// socket would block: chronyd's receive queue is full (it is stopped or
/// swamped), so the request is as good as lost and is tried again later.
fn send(conn: &mut Connection, first: bool) -> Result<bool, Error> {
    // After a refused send libchrony may no longer await a reply: start over.
    let sent = if first || !conn.session.needs_response() {
        conn.session.request_record(REPORT, 0)
    } else {
        conn.session.resend_record(REPORT, 0)
    };
    match sent {
        Ok(()) => Ok(true),
        Err(e) if e.errno == Some(libc::EAGAIN) => Ok(false),
        Err(e) => Err(lib_failure(&conn.address, &e)),
    }
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

fn lib_failure(address: &Address, e: &LibError) -> Error {
    match e.code {
        code::UNAUTHORIZED => Error::new(
            ErrorKind::Unauthorized,
            Some(address),
            "chronyd refused the request: not authorised (allow this host with `cmdallow`, or use the Unix socket as root)",
        ),
        code::DISABLED => Error::new(
            ErrorKind::Disabled,
            Some(address),
            "chronyd refused the request: the command is disabled",
        ),
        code::SEND_FAILED | code::RECV_FAILED => match e.errno {
            Some(errno) => io_failure(address, &io::Error::from_raw_os_error(errno)),
            None => Error::new(ErrorKind::Protocol, Some(address), e.text.clone()),
        },
        _ => Error::new(ErrorKind::Protocol, Some(address), format!("protocol error: {}", e.text)),
    }
}

/// A field lookup failure: the field's name and what is wrong with it.
type FieldError = (&'static str, String);

/// Looks up `name` in the current record and checks its type.
fn index(session: &Session, name: &'static CStr, want: FieldType) -> Result<c_int, FieldError> {
    let label = name.to_str().unwrap_or("?");
    let i = session.field_index(name).ok_or_else(|| {
        (
            label,
            "is missing (libchrony too old or too new?)".to_string(),
        )
    })?;
    let got = session.field_type(i);
    if got != want {
        return Err((label, format!("has type {got:?}, expected {want:?}")));
    }
    Ok(i)
}

fn float(session: &Session, name: &'static CStr) -> Result<f64, FieldError> {
    Ok(session.float(index(session, name, FieldType::Float)?))
}

fn uinteger(session: &Session, name: &'static CStr) -> Result<u64, FieldError> {
    Ok(session.uinteger(index(session, name, FieldType::UInteger)?))
}

/// Reads all 14 fields of the tracking record by their libchrony 0.2 names.
fn fields(s: &Session) -> Result<Tracking, FieldError> {
    let reference_id = uinteger(s, c"reference ID")?;
    let reference_id = u32::try_from(reference_id)
        .map_err(|_| ("reference ID", format!("is {reference_id}, beyond 32 bits")))?;

    let address = match s.string(index(s, c"address", FieldType::String)?) {
        None => None,
        Some(text) if text.is_empty() => None,
        Some(text) => Some(
            text.parse::<IpAddr>()
                .map_err(|_| ("address", format!("is '{text}', not an IP address")))?,
        ),
    };

    let stratum = uinteger(s, c"stratum")?;
    let stratum =
        u32::try_from(stratum).map_err(|_| ("stratum", format!("is {stratum}, out of range")))?;

    let leap = uinteger(s, c"leap status")?;
    let leap_status = LeapStatus::from_code(leap)
        .ok_or_else(|| ("leap status", format!("is {leap}, not 0 to 3")))?;

    let (secs, nanos) = s.timespec(index(s, c"reference time", FieldType::Timespec)?);

    Ok(Tracking {
        reference_id,
        address,
        stratum,
        leap_status,
        reference_time: Timestamp::new(secs, nanos),
        current_correction: float(s, c"current correction")?,
        last_offset: float(s, c"last offset")?,
        rms_offset: float(s, c"RMS offset")?,
        frequency: float(s, c"frequency offset")?,
        residual_frequency: float(s, c"residual frequency")?,
        skew: float(s, c"skew")?,
        root_delay: float(s, c"root delay")?,
        root_dispersion: float(s, c"root dispersion")?,
        update_interval: float(s, c"last update interval")?,
    })
}
