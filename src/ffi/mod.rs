//! The one place with `unsafe` code: libchrony's C API and the few system
//! calls the crate needs (poll, fcntl, getsockopt, signal handling), each
//! behind a safe function or type.
//!
//! Invariants the wrappers keep:
//! - a [`Session`] owns its socket fd and its `chrony_session`; dropping it
//!   calls `chrony_deinit_session` then `chrony_close_socket` (never close(2),
//!   which would leak libchrony's client-socket directories);
//! - the socket is non-blocking, so `chrony_process_response` and libchrony's
//!   sends can never block: the caller waits for readiness with [`poll`].

// bindgen gives C enums the platform's integer type (u32 or i32) and time_t
// may be i32 or i64: the casts below are no-ops on x86_64 Linux only.
#![allow(clippy::unnecessary_cast)]

use std::ffi::{CStr, CString};
use std::io;
use std::os::raw::c_int;
use std::os::unix::io::RawFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Mutex;
use std::time::Duration;

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    missing_docs,
    unreachable_pub,
    clippy::all
)]
mod sys {
    include!(concat!(env!("OUT_DIR"), "/bindings.rs"));
}

pub(crate) use sys::chrony_err::Type as RawErr;

/// libchrony's status codes that callers distinguish.
pub(crate) mod code {
    use super::sys::chrony_err;
    pub(crate) const OK: u32 = chrony_err::CHRONY_OK as u32;
    pub(crate) const SEND_FAILED: u32 = chrony_err::CHRONY_SEND_FAILED as u32;
    pub(crate) const RECV_FAILED: u32 = chrony_err::CHRONY_RECV_FAILED as u32;
    pub(crate) const UNAUTHORIZED: u32 = chrony_err::CHRONY_UNAUTHORIZED as u32;
    pub(crate) const DISABLED: u32 = chrony_err::CHRONY_DISABLED as u32;
}

/// A libchrony call that returned something other than `CHRONY_OK`.
#[derive(Debug, Clone)]
pub(crate) struct LibError {
    /// The `chrony_err` value.
    pub(crate) code: u32,
    /// errno right after the call, for send/recv failures.
    pub(crate) errno: Option<i32>,
    /// libchrony's own description of `code`.
    pub(crate) text: String,
}

/// Turns a `chrony_err` into a `Result`, capturing errno and the library's text.
fn check(err: RawErr) -> Result<(), LibError> {
    let errno = io::Error::last_os_error().raw_os_error();
    let code = err as u32;
    if code == code::OK {
        return Ok(());
    }
    Err(LibError {
        code,
        errno: if code == code::SEND_FAILED || code == code::RECV_FAILED {
            errno
        } else {
            None
        },
        text: error_string(err),
    })
}

/// libchrony's text for a status code.
fn error_string(err: RawErr) -> String {
    // SAFETY: chrony_get_error_string accepts any value and returns a pointer
    // to a static string (or NULL for values it does not know).
    let ptr = unsafe { sys::chrony_get_error_string(err) };
    if ptr.is_null() {
        return format!("libchrony error {err}");
    }
    // SAFETY: non-NULL, NUL-terminated, static storage (see above).
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

/// The type libchrony gives a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    UInteger,
    Integer,
    Float,
    Timespec,
    String,
    /// NONE or a type this crate does not know.
    Other(u32),
}

impl FieldType {
    fn from_raw(raw: sys::chrony_field_type::Type) -> FieldType {
        use sys::chrony_field_type as t;
        match raw {
            t::CHRONY_TYPE_UINTEGER => FieldType::UInteger,
            t::CHRONY_TYPE_INTEGER => FieldType::Integer,
            t::CHRONY_TYPE_FLOAT => FieldType::Float,
            t::CHRONY_TYPE_TIMESPEC => FieldType::Timespec,
            t::CHRONY_TYPE_STRING => FieldType::String,
            other => FieldType::Other(other as u32),
        }
    }
}

/// One open libchrony session on its own socket.
pub(crate) struct Session {
    raw: NonNull<sys::chrony_session>,
    fd: c_int,
}

impl Session {
    /// Opens a socket to `address` (libchrony's syntax) and starts a session.
    ///
    /// The error is the OS error of the failed open (errno), or the session
    /// set-up failure.
    pub(crate) fn open(address: &CStr) -> Result<Session, OpenError> {
        // SAFETY: address is a valid NUL-terminated string for the call's duration.
        let fd = unsafe { sys::chrony_open_socket(address.as_ptr()) };
        if fd < 0 {
            return Err(OpenError::Os(io::Error::last_os_error()));
        }
        if let Err(e) = set_nonblocking(fd) {
            // SAFETY: fd came from chrony_open_socket and is closed only here.
            unsafe { sys::chrony_close_socket(fd) };
            return Err(OpenError::Os(e));
        }
        let mut raw: *mut sys::chrony_session = std::ptr::null_mut();
        // SAFETY: raw is a valid out-pointer; fd is an open libchrony socket.
        let status = unsafe { sys::chrony_init_session(&mut raw, fd) };
        match (check(status), NonNull::new(raw)) {
            (Ok(()), Some(raw)) => Ok(Session { raw, fd }),
            (result, _) => {
                // SAFETY: no session owns fd; close it the libchrony way.
                unsafe { sys::chrony_close_socket(fd) };
                Err(OpenError::Session(result.err().unwrap_or(LibError {
                    code: u32::MAX,
                    errno: None,
                    text: "chrony_init_session returned no session".into(),
                })))
            }
        }
    }

    /// The session's socket, for [`poll`].
    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    /// Asks for record `record` of `report` (sends one request). The report
    /// must be one whose record count needs no round trip (tracking).
    pub(crate) fn request_record(&mut self, report: &CStr, record: c_int) -> Result<(), LibError> {
        // SAFETY: the session is live; report is NUL-terminated.
        check(unsafe {
            sys::chrony_request_report_number_records(self.raw.as_ptr(), report.as_ptr())
        })?;
        if self.needs_response() {
            return Err(LibError {
                code: u32::MAX,
                errno: None,
                text: "report needs a record count round trip".into(),
            });
        }
        // SAFETY: as above.
        let records = unsafe { sys::chrony_get_report_number_records(self.raw.as_ptr()) };
        if record >= records {
            return Err(LibError {
                code: u32::MAX,
                errno: None,
                text: format!("report has {records} records, record {record} asked"),
            });
        }
        self.resend_record(report, record)
    }

    /// Sends the request for `record` again (libchrony never retransmits);
    /// a reply to the earlier request is then dropped by its sequence number.
    pub(crate) fn resend_record(&mut self, report: &CStr, record: c_int) -> Result<(), LibError> {
        // SAFETY: the session is live; report is NUL-terminated.
        check(unsafe { sys::chrony_request_record(self.raw.as_ptr(), report.as_ptr(), record) })
    }

    /// Whether a reply is still awaited.
    pub(crate) fn needs_response(&self) -> bool {
        // SAFETY: the session is live.
        unsafe { sys::chrony_needs_response(self.raw.as_ptr()) }
    }

    /// Reads one datagram. Call only after [`poll`] said the fd is readable:
    /// the socket is non-blocking, so otherwise this fails with EAGAIN.
    pub(crate) fn process_response(&mut self) -> Result<(), LibError> {
        // SAFETY: the session is live.
        check(unsafe { sys::chrony_process_response(self.raw.as_ptr()) })
    }

    /// Index of the field called `name` in the current record.
    pub(crate) fn field_index(&self, name: &CStr) -> Option<c_int> {
        // SAFETY: the session is live; name is NUL-terminated.
        let index = unsafe { sys::chrony_get_field_index(self.raw.as_ptr(), name.as_ptr()) };
        (index >= 0).then_some(index)
    }

    /// The type of field `index`.
    pub(crate) fn field_type(&self, index: c_int) -> FieldType {
        // SAFETY: the session is live; libchrony range-checks index.
        FieldType::from_raw(unsafe { sys::chrony_get_field_type(self.raw.as_ptr(), index) })
    }

    /// Field `index` as an unsigned integer.
    pub(crate) fn uinteger(&self, index: c_int) -> u64 {
        // SAFETY: the session is live; libchrony range-checks index.
        unsafe { sys::chrony_get_field_uinteger(self.raw.as_ptr(), index) }
    }

    /// Field `index` as a float.
    pub(crate) fn float(&self, index: c_int) -> f64 {
        // SAFETY: the session is live; libchrony range-checks index.
        unsafe { sys::chrony_get_field_float(self.raw.as_ptr(), index) }
    }

    /// Field `index` as (seconds, nanoseconds).
    pub(crate) fn timespec(&self, index: c_int) -> (i64, i64) {
        // SAFETY: the session is live; libchrony range-checks index.
        let ts = unsafe { sys::chrony_get_field_timespec(self.raw.as_ptr(), index) };
        (ts.tv_sec as i64, ts.tv_nsec as i64)
    }

    /// Field `index` as a string; `None` when libchrony gives NULL.
    pub(crate) fn string(&self, index: c_int) -> Option<String> {
        // libchrony formats string fields into one static buffer shared by
        // the whole process: two sessions on two threads would race on it.
        let _guard = STRING_BUFFER
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // SAFETY: the session is live; libchrony range-checks index.
        let ptr = unsafe { sys::chrony_get_field_string(self.raw.as_ptr(), index) };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: non-NULL pointer to a NUL-terminated string in libchrony's
        // static buffer, which no other thread writes while the guard is
        // held; copied out before the guard is released.
        Some(
            unsafe { CStr::from_ptr(ptr) }
                .to_string_lossy()
                .into_owned(),
        )
    }
}

/// Serialises access to libchrony's static string buffer (see [`Session::string`]).
static STRING_BUFFER: Mutex<()> = Mutex::new(());

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: the session and fd are owned by self and released exactly
        // once, session first (it refers to the fd), then the socket the
        // libchrony way, which also removes its client-socket directories.
        unsafe {
            sys::chrony_deinit_session(self.raw.as_ptr());
            sys::chrony_close_socket(self.fd);
        }
    }
}

/// Why [`Session::open`] failed.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// `chrony_open_socket` failed with this OS error.
    Os(io::Error),
    /// The socket opened but the session could not be set up.
    Session(LibError),
}

/// Builds the C string libchrony wants, refusing interior NULs.
pub(crate) fn c_string(s: &str) -> Option<CString> {
    CString::new(s).ok()
}

/// Makes libchrony's socket non-blocking (so its send and recv can never
/// hang us) and close-on-exec (so no child of a long-running plugin
/// inherits it).
fn set_nonblocking(fd: c_int) -> io::Result<()> {
    // SAFETY: F_GETFL/F_SETFL/F_GETFD/F_SETFD on an fd we own take no pointers.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
        let fd_flags = libc::fcntl(fd, libc::F_GETFD);
        if fd_flags < 0 || libc::fcntl(fd, libc::F_SETFD, fd_flags | libc::FD_CLOEXEC) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Sends `buf` on the socket `fd` without blocking (MSG_DONTWAIT), so the
/// socket's file description keeps its own flags. Returns the bytes sent.
pub(crate) fn send_dontwait(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: buf is valid for reads of buf.len() bytes; a bad fd is an error.
    let n = unsafe {
        libc::send(
            fd,
            buf.as_ptr().cast(),
            buf.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// Waits until `fd` can be written (or has an error: the write then says
/// which) or `cancel` is readable. `Ok(true)` when `cancel` woke it.
pub(crate) fn wait_writable(fd: RawFd, cancel: RawFd) -> io::Result<bool> {
    let revents = poll_events([(fd, libc::POLLOUT), (cancel, libc::POLLIN)], None)?;
    Ok(revents[1] != 0)
}

/// Whether this process may create entries in `dir` (access(2) with W_OK|X_OK),
/// which libchrony needs for its client socket beside a Unix server socket.
pub(crate) fn can_write_dir(dir: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_dir) = CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: c_dir is a valid NUL-terminated path for the call's duration.
    unsafe { libc::access(c_dir.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
}

/// The pending error on a socket (SO_ERROR), e.g. ECONNREFUSED from an ICMP
/// port-unreachable on a connected UDP socket. Reading it clears it.
pub(crate) fn socket_error(fd: RawFd) -> Option<io::Error> {
    let mut value: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: value and len are valid for writes of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut value as *mut c_int).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Some(io::Error::last_os_error());
    }
    (value != 0).then(|| io::Error::from_raw_os_error(value))
}

/// What [`poll`] saw on one fd.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ready {
    /// Data (or end of file) can be read without blocking.
    pub readable: bool,
    /// An error or hang-up is pending (POLLERR, POLLHUP, POLLNVAL).
    pub error: bool,
}

/// Waits until one of `fds` is readable or has an error, or `timeout` passes
/// (`None` waits without limit). Retries on EINTR with the time left.
/// Returns one [`Ready`] per fd, all default on timeout. A negative fd is
/// ignored (never ready), which lets a caller leave a slot empty.
pub fn poll<const N: usize>(fds: [RawFd; N], timeout: Option<Duration>) -> io::Result<[Ready; N]> {
    let revents = poll_events(fds.map(|fd| (fd, libc::POLLIN)), timeout)?;
    Ok(revents.map(|r| Ready {
        readable: r & libc::POLLIN != 0,
        error: r & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0,
    }))
}

/// poll(2) on `(fd, events)` pairs until one is ready or `timeout` passes,
/// without allocating (a warm read polls once per request). Returns each
/// fd's `revents`, all zero on timeout.
fn poll_events<const N: usize>(
    fds: [(RawFd, libc::c_short); N],
    timeout: Option<Duration>,
) -> io::Result<[libc::c_short; N]> {
    let mut pfds = fds.map(|(fd, events)| libc::pollfd {
        fd,
        events,
        revents: 0,
    });
    let deadline = timeout.map(|t| std::time::Instant::now() + t);
    loop {
        let ms: c_int = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(std::time::Instant::now());
                // Round up so a sub-millisecond remainder still waits.
                let ms = left.as_micros().div_ceil(1000);
                ms.min(c_int::MAX as u128) as c_int
            }
        };
        // SAFETY: pfds is a valid array of N pollfd structs.
        let rc = unsafe { libc::poll(pfds.as_mut_ptr(), N as libc::nfds_t, ms) };
        if rc >= 0 {
            return Ok(pfds.map(|p| p.revents));
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            return Ok([0; N]);
        }
    }
}

/// Write end of the self-pipe that the signal handler writes to (-1: none).
static SIGNAL_PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// Set once [`TerminationSignals::install`] has run.
static SIGNALS_INSTALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_termination_signal(_signal: c_int) {
    let fd = SIGNAL_PIPE_WRITE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = 1u8;
        // SAFETY: __errno_location and write(2) are async-signal-safe; the
        // buffer is one valid byte. errno is restored so that the
        // interrupted code (which may be about to read errno after a
        // libchrony call) sees its own value. A full pipe means a wake-up is
        // already pending, so a failed write is fine.
        unsafe {
            let errno = *libc::__errno_location();
            libc::write(fd, (&byte as *const u8).cast(), 1);
            *libc::__errno_location() = errno;
        }
    }
}

/// SIGTERM/SIGINT turned into a readable fd (the self-pipe trick), so that a
/// long-running plugin can [`poll`] for them beside its other fds and exit
/// cleanly with status 0 instead of being killed by the default action.
pub struct TerminationSignals {
    read_fd: RawFd,
}

impl TerminationSignals {
    /// Installs the handlers. Only once per process: a second call fails
    /// (the handlers can wake only one pipe).
    pub fn install() -> io::Result<TerminationSignals> {
        if SIGNALS_INSTALLED.swap(true, Ordering::SeqCst) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "termination signal handlers are already installed",
            ));
        }
        let mut fds = [0 as c_int; 2];
        // SAFETY: fds is a valid array of two ints for pipe2 to fill.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        SIGNAL_PIPE_WRITE.store(fds[1], Ordering::Relaxed);
        for signal in [libc::SIGTERM, libc::SIGINT] {
            // SAFETY: sa is zero-initialised then filled; the handler only
            // calls async-signal-safe functions.
            let rc = unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_termination_signal as extern "C" fn(c_int) as usize;
                sa.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(signal, &sa, std::ptr::null_mut())
            };
            if rc < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(TerminationSignals { read_fd: fds[0] })
    }

    /// The fd that becomes readable when a signal arrived, for [`poll`].
    pub fn fd(&self) -> RawFd {
        self.read_fd
    }

    /// Whether SIGTERM or SIGINT has arrived (drains the pipe).
    pub fn received(&self) -> bool {
        let mut buf = [0u8; 16];
        // SAFETY: buf is valid for writes of its length; the fd is non-blocking.
        let n = unsafe { libc::read(self.read_fd, buf.as_mut_ptr().cast(), buf.len()) };
        n > 0
    }
}
