//! The system calls the crate needs beside libchrony (poll, fcntl,
//! getsockopt, send, access, signal handling), each behind a safe function or
//! type. With `ffi` (libchrony), the only module allowed `unsafe` code.

// time_t and the poll constants have platform-dependent integer types.
#![allow(clippy::unnecessary_cast)]

use std::ffi::CString;
use std::io;
use std::os::raw::c_int;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

/// What std's start-up (`lang_start`) does that the plugins rely on, for
/// binaries whose C `main` is [`crate::entry!`]'s (see `crate::entry`):
/// fds 0 to 2 are opened on `/dev/null` if the parent closed them (so no
/// socket becomes stdout), and SIGPIPE is ignored as std ignores it (a
/// closed pipe is an `EPIPE` error, not a kill). Nothing else: no
/// `/proc/self/maps`, no `sigaltstack`. A failure here is std's too: abort.
pub(crate) fn prepare_process() {
    for (fd, closed) in (0..).zip(closed_standard_fds()) {
        if !closed {
            continue;
        }
        // SAFETY: a static NUL-terminated path. The fd is closed and the
        // lower ones are open (or were opened first), so open(2) returns it.
        if unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } != fd {
            std::process::abort();
        }
    }
    // SAFETY: SIG_IGN for SIGPIPE; no handler code runs.
    if unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) } == libc::SIG_ERR {
        std::process::abort();
    }
}

/// Whether each of fds 0 to 2 is closed: one poll(2) (POLLNVAL marks a
/// closed fd), or fcntl(2) on each where poll cannot answer.
fn closed_standard_fds() -> [bool; 3] {
    let mut pfds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    loop {
        // SAFETY: pfds is a valid array of three pollfd structs; a zero
        // timeout never blocks.
        if unsafe { libc::poll(pfds.as_mut_ptr(), 3, 0) } >= 0 {
            return pfds.map(|p| p.revents & libc::POLLNVAL != 0);
        }
        if io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            break;
        }
    }
    [0, 1, 2].map(|fd| {
        // SAFETY: F_GETFD takes no pointer; a closed fd fails with EBADF.
        let rc = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        rc < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
    })
}

/// Makes libchrony's socket non-blocking (so its send and recv can never
/// hang us) and close-on-exec (so no child of a long-running plugin
/// inherits it).
pub(crate) fn set_nonblocking(fd: c_int) -> io::Result<()> {
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

/// Write end of the self-pipe for SIGTERM/SIGINT/SIGQUIT (-1: none).
static TERMINATE_PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// Write end of the self-pipe for SIGHUP/SIGUSR1/SIGUSR2 (-1: none).
static TRIGGER_PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);

/// Set once [`TerminationSignals::install`] has run.
static SIGNALS_INSTALLED: AtomicBool = AtomicBool::new(false);

/// Signals that end a long-running plugin (cleanly, status 0).
const TERMINATE: [c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT];

/// Signals that Telegraf execd's `signal` option can send to ask for a gather.
const TRIGGER: [c_int; 3] = [libc::SIGHUP, libc::SIGUSR1, libc::SIGUSR2];

/// Signals whose default action (death) would skip closing the libchrony
/// session, and that mean nothing to a plugin: ignored.
const IGNORE: [c_int; 2] = [libc::SIGALRM, libc::SIGPIPE];

extern "C" fn on_signal(signal: c_int) {
    let pipe = if TRIGGER.contains(&signal) {
        &TRIGGER_PIPE_WRITE
    } else {
        &TERMINATE_PIPE_WRITE
    };
    let fd = pipe.load(Ordering::Relaxed);
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

/// A non-blocking, close-on-exec pipe: (read end, write end).
fn signal_pipe() -> io::Result<(RawFd, RawFd)> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: fds is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((fds[0], fds[1]))
}

/// Sets `signal`'s disposition to `handler` (a function, or SIG_IGN).
fn set_disposition(signal: c_int, handler: libc::sighandler_t) -> io::Result<()> {
    // SAFETY: sa is zero-initialised then filled; the handler only calls
    // async-signal-safe functions.
    let rc = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(signal, &sa, std::ptr::null_mut())
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether `fd` (non-blocking) held at least one byte; drains it.
fn drain(fd: RawFd) -> bool {
    let mut any = false;
    let mut buf = [0u8; 64];
    loop {
        // SAFETY: buf is valid for writes of its length; the fd is non-blocking.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return any;
        }
        any = true;
    }
}

/// Every signal a user can send a plugin turned into something that lets
/// the libchrony session close before the process ends (the self-pipe
/// trick): SIGTERM, SIGINT and SIGQUIT make [`fd`](Self::fd) readable (a
/// long-running plugin then exits cleanly with status 0); SIGHUP, SIGUSR1
/// and SIGUSR2 (the triggers Telegraf execd's `signal` option can send) make
/// [`trigger_fd`](Self::trigger_fd) readable; SIGALRM and SIGPIPE are
/// ignored. None of them kills the process by its default action, which
/// would leave libchrony's client-socket directory beside chronyd's socket.
pub struct TerminationSignals {
    read_fd: RawFd,
    trigger_fd: RawFd,
}

impl TerminationSignals {
    /// Installs the handlers. Only once per process: a second call fails
    /// (the handlers can wake only one pair of pipes).
    pub fn install() -> io::Result<TerminationSignals> {
        if SIGNALS_INSTALLED.swap(true, Ordering::SeqCst) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "signal handlers are already installed",
            ));
        }
        let (read_fd, write_fd) = signal_pipe()?;
        let (trigger_fd, trigger_write_fd) = signal_pipe()?;
        TERMINATE_PIPE_WRITE.store(write_fd, Ordering::Relaxed);
        TRIGGER_PIPE_WRITE.store(trigger_write_fd, Ordering::Relaxed);
        let handler = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
        for signal in TERMINATE.into_iter().chain(TRIGGER) {
            set_disposition(signal, handler)?;
        }
        for signal in IGNORE {
            set_disposition(signal, libc::SIG_IGN)?;
        }
        Ok(TerminationSignals {
            read_fd,
            trigger_fd,
        })
    }

    /// The fd that becomes readable when SIGTERM, SIGINT or SIGQUIT
    /// arrived, for [`poll`] (and to cancel a read).
    pub fn fd(&self) -> RawFd {
        self.read_fd
    }

    /// Whether SIGTERM, SIGINT or SIGQUIT has arrived (drains the pipe).
    pub fn received(&self) -> bool {
        drain(self.read_fd)
    }

    /// The fd that becomes readable when SIGHUP, SIGUSR1 or SIGUSR2
    /// arrived, for [`poll`].
    pub fn trigger_fd(&self) -> RawFd {
        self.trigger_fd
    }

    /// Whether SIGHUP, SIGUSR1 or SIGUSR2 arrived since the last call
    /// (drains the pipe: any number of them counts once).
    pub fn triggered(&self) -> bool {
        drain(self.trigger_fd)
    }
}
