//! Standard output for the long-running plugins, which SIGTERM can always end.
//!
//! A plain blocking write to a full pipe (collectd or Telegraf alive but not
//! reading) would block forever: the signal handler runs, the kernel restarts
//! the write, and the loop never sees the signal. [`BatchWriter`] writes
//! through a non-blocking duplicate of fd 1 and waits for room with `poll`
//! beside the termination-signal fd.

use crate::ffi::{self, TerminationSignals};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd};

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Every byte was written.
    All,
    /// SIGTERM or SIGINT arrived while waiting for room: stop now.
    Terminated,
}

/// Unbuffered, non-blocking writes of whole batches to standard output.
/// Once one exists, write stdout only through it (the non-blocking flag is
/// shared with fd 1, so `std::io::stdout` would see `WouldBlock`).
pub struct BatchWriter {
    file: File,
}

impl BatchWriter {
    /// Takes over standard output.
    pub fn stdout() -> io::Result<BatchWriter> {
        let file = File::from(io::stdout().as_fd().try_clone_to_owned()?);
        ffi::set_fd_nonblocking(file.as_raw_fd())?;
        Ok(BatchWriter { file })
    }

    /// Writes all of `batch`, waiting for room as long as needed unless a
    /// termination signal arrives. An error means the reader is gone.
    pub fn write_all(&mut self, batch: &[u8], signals: &TerminationSignals) -> io::Result<Written> {
        let mut rest = batch;
        while !rest.is_empty() {
            match self.file.write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if ffi::wait_writable(self.file.as_raw_fd(), signals.fd())?
                        && signals.received()
                    {
                        return Ok(Written::Terminated);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Written::All)
    }
}
