//! Standard output and standard error for the long-running plugins, which
//! SIGTERM can always end.
//!
//! A plain blocking write to a full pipe (collectd or Telegraf alive but not
//! reading) would block forever: the signal handler runs, the kernel restarts
//! the write, and the loop never sees the signal. A [`Writer`] therefore
//! never starts a write that can block: before each write to a pipe it polls
//! the fd for room beside the termination-signal fd, and then writes at most
//! [`PIPE_BUF`] bytes. A pipe that polls writable has a free page, and a
//! write of at most `PIPE_BUF` bytes into a free page neither blocks nor
//! splits.
//!
//! The file description itself is left alone: it is shared with whoever
//! created the pipe (collectd's exec plugin as root, `sudo -u`, the shell,
//! the rest of a pipeline, fd 2 after `2>&1`), so setting `O_NONBLOCK` on it
//! would reach them and outlive the process, and reopening it through
//! `/proc/self/fd/1` fails (EACCES) when the plugin runs as another user than
//! the pipe's creator. A socket is written with `MSG_DONTWAIT`, which is
//! per call; anything else (a regular file, `/dev/null`), which never waits
//! on a reader, is written plainly.

use crate::sys::{self, TerminationSignals};
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::FileTypeExt;

/// Writes all of `text` to standard output and flushes it: the one write of
/// the one-shot binaries (the checks, `chrony-report`, `chrony-tracking`,
/// `--help`), which end right after and so need no [`Writer`].
pub fn print_all(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush())
}

/// The largest write to a pipe that is atomic (POSIX's `PIPE_BUF`, 4096 on
/// Linux), and so the largest write a [`Writer`] makes at once to a pipe.
pub const PIPE_BUF: usize = 4096;

/// What became of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Every byte was written.
    All,
    /// SIGTERM, SIGINT or SIGQUIT arrived while waiting for room: stop now.
    Terminated,
}

/// How the fd is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A pipe, FIFO or terminal: poll for room, then at most PIPE_BUF bytes.
    Pipe,
    /// A socket (journald's stream, a supervisor), sent to with MSG_DONTWAIT.
    Socket,
    /// A regular file or device: writes do not wait on a reader.
    Plain,
}

/// Unbuffered writes of whole batches to standard output or standard error
/// that never block past a termination signal. Once one exists for an fd,
/// write that fd only through it.
pub struct Writer {
    /// A duplicate of the fd (the same file description, flags untouched).
    file: File,
    kind: Kind,
}

impl Writer {
    /// Takes over standard output.
    pub fn stdout() -> io::Result<Writer> {
        Writer::new(io::stdout().as_fd())
    }

    /// Takes over standard error.
    pub fn stderr() -> io::Result<Writer> {
        Writer::new(io::stderr().as_fd())
    }

    fn new(fd: BorrowedFd<'_>) -> io::Result<Writer> {
        Writer::from_file(File::from(fd.try_clone_to_owned()?))
    }

    fn from_file(file: File) -> io::Result<Writer> {
        let kind = file.metadata()?.file_type();
        let kind = if kind.is_fifo() || (kind.is_char_device() && is_terminal(&file)) {
            Kind::Pipe
        } else if kind.is_socket() {
            Kind::Socket
        } else {
            Kind::Plain
        };
        Ok(Writer { file, kind })
    }

    /// Writes all of `batch`, waiting for room as long as needed unless a
    /// termination signal arrives. An error means the reader is gone.
    /// Pieces are cut after a newline where one is near, so that a batch
    /// ended by a signal leaves whole lines where it can.
    pub fn write_all(&mut self, batch: &[u8], signals: &TerminationSignals) -> io::Result<Written> {
        let fd = self.file.as_raw_fd();
        let mut rest = batch;
        while !rest.is_empty() {
            let result = match self.kind {
                Kind::Plain => return self.file.write_all(rest).map(|()| Written::All),
                Kind::Pipe => {
                    // Room first: a write is started only when it cannot block.
                    if wait_for_room(fd, signals)? == Written::Terminated {
                        return Ok(Written::Terminated);
                    }
                    self.file.write(piece(rest))
                }
                Kind::Socket => sys::send_dontwait(fd, rest),
            };
            match result {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if wait_for_room(fd, signals)? == Written::Terminated {
                        return Ok(Written::Terminated);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Written::All)
    }
}

/// Waits until `fd` has room (or an error, which the write then reports):
/// `All` then, `Terminated` as soon as a termination signal arrives.
fn wait_for_room(fd: std::os::fd::RawFd, signals: &TerminationSignals) -> io::Result<Written> {
    loop {
        if !sys::wait_writable(fd, signals.fd())? {
            // Woken by the fd alone: room (or an error).
            return Ok(Written::All);
        }
        if signals.received() {
            return Ok(Written::Terminated);
        }
        // The signal fd was readable but already drained: wait again.
    }
}

/// The next piece of `rest` to write to a pipe: at most [`PIPE_BUF`] bytes,
/// ending after the last newline in them when there is one.
fn piece(rest: &[u8]) -> &[u8] {
    if rest.len() <= PIPE_BUF {
        return rest;
    }
    let head = &rest[..PIPE_BUF];
    match head.iter().rposition(|&b| b == b'\n') {
        Some(i) => &head[..=i],
        None => head,
    }
}

/// `line` cut to at most `max` bytes (at a character boundary) with `[...]`
/// marking a cut, so that one status line always fits one atomic write.
pub fn cap_line(line: &str, max: usize) -> std::borrow::Cow<'_, str> {
    const MARK: &str = " [...]";
    if line.len() <= max {
        return line.into();
    }
    let mut end = max.saturating_sub(MARK.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{MARK}", &line[..end]).into()
}

/// Whether `file` is a terminal (a character device that is not, say, /dev/null).
fn is_terminal(file: &File) -> bool {
    use std::io::IsTerminal;
    file.is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// This process's signal handlers (installable once per process).
    fn signals() -> &'static TerminationSignals {
        static SIGNALS: std::sync::OnceLock<TerminationSignals> = std::sync::OnceLock::new();
        SIGNALS.get_or_init(|| TerminationSignals::install().expect("install handlers"))
    }

    #[test]
    fn sigterm_ends_a_write_to_a_pipe_nobody_reads() {
        let signals = signals();
        let (reader, writer) = io::pipe().unwrap();
        let mut writer = Writer::from_file(File::from(std::os::fd::OwnedFd::from(writer))).unwrap();
        assert_eq!(writer.kind, Kind::Pipe);
        let pid = std::process::id().to_string();
        let killer = std::thread::spawn(move || {
            // Long after 1 MiB filled the pipe and the writer waits for room.
            std::thread::sleep(Duration::from_millis(300));
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
        });
        let written = writer.write_all(&vec![b'x'; 1 << 20], signals).unwrap();
        assert!(killer.join().unwrap().success());
        assert_eq!(written, Written::Terminated);
        drop(reader);
    }

    #[test]
    fn write_to_a_closed_pipe_is_an_error() {
        let signals = signals();
        let (reader, writer) = io::pipe().unwrap();
        drop(reader);
        let mut writer = Writer::from_file(File::from(std::os::fd::OwnedFd::from(writer))).unwrap();
        let e = writer.write_all(b"line\n", signals).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn small_batch_is_one_piece() {
        assert_eq!(piece(b"a\nb"), b"a\nb");
    }

    #[test]
    fn large_batch_is_cut_after_a_newline() {
        let mut batch = vec![b'x'; 4000];
        batch.push(b'\n');
        batch.extend(vec![b'y'; 200]);
        assert_eq!(piece(&batch).len(), 4001);
    }

    #[test]
    fn large_line_is_cut_at_pipe_buf() {
        assert_eq!(piece(&[b'x'; 10_000]).len(), PIPE_BUF);
    }

    #[test]
    fn cap_line_keeps_short_lines() {
        assert_eq!(cap_line("short", 10), "short");
    }

    #[test]
    fn cap_line_marks_the_cut_at_a_char_boundary() {
        let long = "é".repeat(3000);
        let capped = cap_line(&long, 4095);
        assert!(capped.len() <= 4095);
        assert!(capped.ends_with(" [...]"));
    }
}
