//! Standard output for the long-running plugins, which SIGTERM can always end.
//!
//! A plain blocking write to a full pipe (collectd or Telegraf alive but not
//! reading) would block forever: the signal handler runs, the kernel restarts
//! the write, and the loop never sees the signal. [`BatchWriter`] writes
//! without blocking and waits for room with `poll` beside the
//! termination-signal fd.
//!
//! The non-blocking mode must stay private to the plugin: `O_NONBLOCK` set on
//! fd 1 itself would land on the open file description it shares with the
//! shell, the rest of a pipeline or the terminal (and with fd 2 after `2>&1`),
//! and outlive the process. So a pipe or terminal is opened anew through
//! `/proc/self/fd/1` (a description of our own), a socket is written with
//! `MSG_DONTWAIT`, and anything else (a regular file, `/dev/null`), which
//! never blocks for long, is written plainly.

use crate::sys::{self, TerminationSignals};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Every byte was written.
    All,
    /// SIGTERM or SIGINT arrived while waiting for room: stop now.
    Terminated,
}

/// How standard output is written.
enum Sink {
    /// A pipe, FIFO or terminal, reopened non-blocking.
    Reopened(File),
    /// A socket (journald's stream, a supervisor), sent to with MSG_DONTWAIT.
    Socket(File),
    /// A regular file or device: writes do not wait on a reader.
    Plain(File),
}

/// Unbuffered writes of whole batches to standard output that never block
/// past a termination signal. Once one exists, write stdout only through it.
pub struct BatchWriter {
    sink: Sink,
}

impl BatchWriter {
    /// Takes over standard output.
    pub fn stdout() -> io::Result<BatchWriter> {
        let dup = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        let kind = dup.metadata()?.file_type();
        let sink = if kind.is_fifo() || (kind.is_char_device() && is_terminal(&dup)) {
            let reopened = OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
                .open("/proc/self/fd/1");
            match reopened {
                Ok(file) => Sink::Reopened(file),
                // No /proc: plain writes, as any other program does.
                Err(_) => Sink::Plain(dup),
            }
        } else if kind.is_socket() {
            Sink::Socket(dup)
        } else {
            Sink::Plain(dup)
        };
        Ok(BatchWriter { sink })
    }

    /// Writes all of `batch`, waiting for room as long as needed unless a
    /// termination signal arrives. An error means the reader is gone.
    pub fn write_all(&mut self, batch: &[u8], signals: &TerminationSignals) -> io::Result<Written> {
        let mut rest = batch;
        while !rest.is_empty() {
            let (result, fd) = match &mut self.sink {
                Sink::Plain(file) => return file.write_all(rest).map(|()| Written::All),
                Sink::Reopened(file) => (file.write(rest), file.as_raw_fd()),
                Sink::Socket(file) => {
                    (sys::send_dontwait(file.as_raw_fd(), rest), file.as_raw_fd())
                }
            };
            match result {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if sys::wait_writable(fd, signals.fd())? && signals.received() {
                        return Ok(Written::Terminated);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Written::All)
    }
}

/// Whether `file` is a terminal (a character device that is not, say, /dev/null).
fn is_terminal(file: &File) -> bool {
    use std::io::IsTerminal;
    file.is_terminal()
}
