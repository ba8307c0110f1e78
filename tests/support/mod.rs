//! Test harness: real chronyd processes in a private temp dir on loopback.
//!
//! [`Chrony::start`] runs a server (`local stratum 3`, NTP only) and a client
//! that syncs from it and serves commands on a free UDP port and on a Unix
//! socket in a 0750 directory. Nothing here touches a system chronyd: every
//! file, port and process is private, so tests can run in parallel.
//! Everything is killed and removed on drop, also when a test panics.
//! [`topology::Topology`] runs a client with many sources of every kind.
#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod fake_peer;
pub mod line_protocol;
pub mod topology;

use std::fs;
use std::net::UdpSocket;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How long chronyd may take to synchronise before a test fails.
const SYNC_TIMEOUT: Duration = Duration::from_secs(30);

/// What kind of chronyd pair to start.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `offset` on the client's `server` line: the client then reports a
    /// current correction of about this many seconds, which it never removes
    /// (it may not touch the clock).
    pub offset: Option<f64>,
    /// Point the client at a port where no server answers: it stays
    /// unsynchronised (leap status 3, stratum 0, reference id 0).
    pub silent_server: bool,
}

/// A running chronyd pair.
pub struct Chrony {
    /// The private temp dir holding configs, logs and sockets.
    pub dir: PathBuf,
    /// The client's UDP command port on 127.0.0.1.
    pub cmd_port: u16,
    /// The client's Unix command socket.
    pub socket: PathBuf,
    server: Option<Child>,
    client: Option<Child>,
    client_conf: PathBuf,
    options: Options,
}

fn chronyd_path() -> PathBuf {
    for p in [
        "/usr/sbin/chronyd",
        "/sbin/chronyd",
        "/usr/local/sbin/chronyd",
    ] {
        if Path::new(p).is_file() {
            return PathBuf::from(p);
        }
    }
    panic!("chronyd is not installed: run scripts/setup (Debian package `chrony`)");
}

/// Sends `signal` (`-TERM`, `-STOP`, ...) to `pid` with kill(1); whether it
/// was delivered.
pub fn send_signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs `cmd` (stdout piped, stderr dropped) and sends it SIGTERM after
/// `after`: its exit status (`None`: still running 3 s later; it is then
/// killed), how long it took to end after the signal, and its stdout.
pub fn sigterm_after(
    mut cmd: Command,
    after: Duration,
) -> (Option<std::process::ExitStatus>, Duration, String) {
    use std::io::Read;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    sleep(after);
    let (status, took) = sigterm_timed(&mut child, Duration::from_secs(3));
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    (status, took, out)
}

/// The lines of `stream` (a child's stdout or stderr) as they arrive, read
/// by a thread until EOF, a read error or the receiver's drop, so that no
/// read can block a test past a `recv_timeout`.
pub fn lines_of(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::{BufRead, BufReader};
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Sends `child` SIGTERM and waits up to `within` for its exit: its status
/// (`None`: still running; it is then killed) and how long it took. The
/// child is reaped either way.
pub fn sigterm_timed(
    child: &mut Child,
    within: Duration,
) -> (Option<std::process::ExitStatus>, Duration) {
    let sent = Instant::now();
    assert!(send_signal(child.id(), "-TERM"), "kill -TERM failed");
    let status = wait_for_exit(child, within);
    let took = sent.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    (status, took)
}

/// Waits up to `within` for `child` to exit; `None` while it still runs.
pub fn wait_for_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if start.elapsed() >= within {
            return None;
        }
        sleep(Duration::from_millis(5));
    }
}

/// A loopback UDP port that was free a moment ago.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("bind a UDP socket on 127.0.0.1")
        .port()
}

/// A fresh private dir with a short path (Unix socket paths are limited).
fn private_dir() -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = PathBuf::from(format!("/tmp/cpt-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).expect("create the test dir");
    // 0755: a binary copied here can be run by `nobody`; the socket dirs
    // below are 0750, as chronyd insists, which keeps `nobody` out of them.
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn private_subdir(dir: &Path, name: &str) -> PathBuf {
    let sub = dir.join(name);
    fs::create_dir(&sub).unwrap();
    fs::set_permissions(&sub, fs::Permissions::from_mode(0o750)).unwrap();
    sub
}

/// Starts `chronyd -d` under `setpriv --pdeathsig KILL`, so that it dies with
/// the test even when the test binary is killed and no Drop runs.
fn spawn_chronyd(conf: &Path, log: &Path, stderr: &Path) -> Child {
    Command::new(setpriv_path())
        .args(["--pdeathsig", "KILL", "--"])
        .arg(chronyd_path())
        .args(["-x", "-d", "-u", "root", "-f"])
        .arg(conf)
        .arg("-l")
        .arg(log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chronyd ({e}): run scripts/setup"))
}

fn setpriv_path() -> &'static str {
    for p in ["/usr/bin/setpriv", "/bin/setpriv"] {
        if Path::new(p).exists() {
            return p;
        }
    }
    panic!("setpriv is not installed: run scripts/setup (Debian package util-linux)");
}

/// A chronyd log line that means it could not bind a port or socket we gave
/// it (a "free" port taken meanwhile): the start has failed.
fn bind_failure(log: &str) -> Option<&str> {
    log.lines().find(|l| l.contains("Could not"))
}

impl Chrony {
    /// A synchronised pair with default options.
    pub fn start() -> Chrony {
        Chrony::with(Options::default())
    }

    /// A pair with `options`; waits until the client is synchronised (or,
    /// for a silent server, until its command socket is up).
    pub fn with(options: Options) -> Chrony {
        let mut last = String::new();
        // A port picked as free can be taken before chronyd binds it: retry.
        for _ in 0..3 {
            match Chrony::try_start(options.clone()) {
                Ok(c) => return c,
                Err(why) => last = why,
            }
        }
        panic!("chronyd pair did not start: {last}");
    }

    fn try_start(options: Options) -> Result<Chrony, String> {
        let dir = private_dir();
        let srv_run = private_subdir(&dir, "srv");
        let cli_run = private_subdir(&dir, "run");
        let server_port = free_udp_port();
        let cmd_port = free_udp_port();
        let socket = cli_run.join("chronyd.sock");

        let offset = options
            .offset
            .map(|o| format!(" offset {o}"))
            .unwrap_or_default();
        let client_conf = dir.join("client.conf");
        fs::write(
            &client_conf,
            format!(
                "port 0\nserver 127.0.0.1 port {server_port} iburst minpoll -2 maxpoll -2{offset}\n\
                 cmdport {cmd_port}\nbindcmdaddress 127.0.0.1\nbindcmdaddress {}\n\
                 pidfile {}/client.pid\n",
                socket.display(),
                dir.display()
            ),
        )
        .unwrap();
        let server_conf = dir.join("server.conf");
        fs::write(
            &server_conf,
            format!(
                "port {server_port}\nlocal stratum 3\nallow 127.0.0.1\ncmdport 0\n\
                 bindcmdaddress {}/chronyd.sock\npidfile {}/server.pid\n",
                srv_run.display(),
                dir.display()
            ),
        )
        .unwrap();

        // Own everything before starting anything: a panic from here on
        // still kills the processes and removes the dir.
        let mut chrony = Chrony {
            dir,
            cmd_port,
            socket,
            server: None,
            client: None,
            client_conf,
            options,
        };
        if !chrony.options.silent_server {
            chrony.server = Some(spawn_chronyd(
                &server_conf,
                &chrony.dir.join("server.log"),
                &chrony.dir.join("server.err"),
            ));
        }
        chrony.spawn_client();
        chrony.wait_ready()?;
        Ok(chrony)
    }

    fn spawn_client(&mut self) {
        self.client = Some(spawn_chronyd(
            &self.client_conf,
            &self.dir.join("client.log"),
            &self.dir.join("client.err"),
        ));
    }

    /// Waits until the client serves commands and, unless the server is
    /// silent, has selected its source and updated the clock once. Only the
    /// client log after byte `from` counts (a restart appends to it).
    fn wait_ready_from(&mut self, from: usize) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let mut exited = None;
            for (name, child) in [("server", &mut self.server), ("client", &mut self.client)] {
                if let Some(Ok(Some(status))) = child.as_mut().map(|c| c.try_wait()) {
                    exited = Some(format!("{name} chronyd exited ({status})"));
                }
            }
            if let Some(what) = exited {
                return Err(format!("{what}:\n{}", self.logs()));
            }
            let log = self.client_log();
            let fresh = log.get(from..).unwrap_or("");
            let server_log = fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
            if let Some(line) = bind_failure(fresh).or_else(|| bind_failure(&server_log)) {
                return Err(format!("chronyd could not bind: {line}"));
            }
            let selected = fresh.contains("Selected source");
            if self.socket.exists() && (self.options.silent_server || selected) {
                // Let the first clock update after selection land.
                let settle = if self.options.silent_server { 200 } else { 600 };
                sleep(Duration::from_millis(settle));
                return Ok(());
            }
            if start.elapsed() > SYNC_TIMEOUT {
                return Err(format!(
                    "client not ready within {SYNC_TIMEOUT:?}:\n{}",
                    self.logs()
                ));
            }
            sleep(Duration::from_millis(50));
        }
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        self.wait_ready_from(0)
    }

    /// Both chronyd logs, for failure messages.
    pub fn logs(&self) -> String {
        let read = |f: &str| fs::read_to_string(self.dir.join(f)).unwrap_or_default();
        format!(
            "--- client.log\n{}--- client.err\n{}--- server.log\n{}--- server.err\n{}",
            read("client.log"),
            read("client.err"),
            read("server.log"),
            read("server.err")
        )
    }

    /// The client's log so far.
    pub fn client_log(&self) -> String {
        fs::read_to_string(self.dir.join("client.log")).unwrap_or_default()
    }

    /// The client's UDP command address, `127.0.0.1:PORT`.
    pub fn udp_address(&self) -> String {
        format!("127.0.0.1:{}", self.cmd_port)
    }

    /// The client's Unix command socket path as a string.
    pub fn socket_address(&self) -> String {
        self.socket.display().to_string()
    }

    /// The client's pid.
    pub fn client_pid(&self) -> u32 {
        self.client.as_ref().expect("client running").id()
    }

    fn signal_client(&self, signal: &str) {
        assert!(
            send_signal(self.client_pid(), signal),
            "kill {signal} on the client chronyd failed"
        );
    }

    /// Freezes the client (SIGSTOP): it keeps its sockets but never answers.
    pub fn stop_client(&self) {
        self.signal_client("-STOP");
    }

    /// Resumes a stopped client (SIGCONT).
    pub fn resume_client(&self) {
        self.signal_client("-CONT");
    }

    /// Ends the client chronyd (SIGTERM, then SIGKILL after 5 s) and waits for it.
    pub fn kill_client(&mut self) {
        if let Some(mut child) = self.client.take() {
            send_signal(child.id(), "-CONT");
            send_signal(child.id(), "-TERM");
            if wait_for_exit(&mut child, Duration::from_secs(5)).is_none() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Restarts the client on the same ports and socket and waits until it
    /// is synchronised again.
    pub fn restart_client(&mut self) {
        self.kill_client();
        let from = self.client_log().len();
        self.spawn_client();
        if let Err(why) = self.wait_ready_from(from) {
            panic!("{why}");
        }
    }

    /// `libchrony.*` client-socket directories left beside the client's socket.
    pub fn libchrony_leftovers(&self) -> Vec<PathBuf> {
        libchrony_leftovers_beside(&self.socket)
    }

    /// Copies `binary` into the test dir where user `nobody` can run it
    /// (the build dir may be under a private home).
    pub fn copy_for_nobody(&self, binary: &Path) -> PathBuf {
        copy_for_nobody_into(&self.dir, binary)
    }
}

/// `libchrony.*` client-socket directories left beside `socket`: libchrony
/// makes one per session and must remove it when the session closes.
fn libchrony_leftovers_beside(socket: &Path) -> Vec<PathBuf> {
    fs::read_dir(socket.parent().unwrap())
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("libchrony."))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Copies `binary` into `dir`/bin (0755), where user `nobody` can run it
/// (the build dir may be under a private home).
fn copy_for_nobody_into(dir: &Path, binary: &Path) -> PathBuf {
    let bin_dir = dir.join("bin");
    let _ = fs::create_dir(&bin_dir);
    fs::set_permissions(&bin_dir, fs::Permissions::from_mode(0o755)).unwrap();
    let target = bin_dir.join(binary.file_name().unwrap());
    fs::copy(binary, &target).expect("copy the binary for nobody");
    fs::set_permissions(&target, fs::Permissions::from_mode(0o755)).unwrap();
    target
}

/// A command that runs `program` as user `nobody` (needs root and util-linux's setpriv).
pub fn as_nobody(program: &Path) -> Command {
    let mut cmd = Command::new(setpriv_path());
    // gid 65534 is `nogroup` on Debian and `nobody` on Fedora.
    cmd.args(["--reuid=nobody", "--regid=65534", "--clear-groups", "--"])
        .arg(program);
    cmd
}

/// Number of open fds of this process.
pub fn fd_count() -> usize {
    fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

impl Drop for Chrony {
    fn drop(&mut self) {
        self.kill_client();
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Runs `cmd` with a stdout pipe that is never read, so its writes block
/// once the pipe is full; then sends SIGTERM. Returns how the process ended
/// and how long after the signal (it is killed after 3 s).
pub fn sigterm_while_stdout_is_full(
    mut cmd: Command,
) -> (Option<std::process::ExitStatus>, Duration) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the plugin");
    // A 64 KiB pipe fills within a second at a 1 ms interval.
    sleep(Duration::from_millis(1500));
    sigterm_timed(&mut child, Duration::from_secs(3))
}

/// Runs `cmd` with its stdout on a pipe of ours and reports whether the
/// pipe's write end (its open file description, shared with whoever else
/// holds it) was left non-blocking after the process ended.
pub fn leaves_stdout_nonblocking(mut cmd: Command) -> bool {
    use std::os::fd::AsRawFd;
    let (reader, writer) = std::io::pipe().expect("pipe");
    let _ = cmd
        .stdout(writer.try_clone().expect("dup pipe"))
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .status()
        .expect("run the plugin");
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{}", writer.as_raw_fd())).unwrap();
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        .expect("flags in fdinfo");
    drop(reader);
    flags & 0o4000 != 0 // O_NONBLOCK
}

/// Which output stream of a plugin a test fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A pipe created by this process (root in CI) whose buffer is already full,
/// so that any write to it blocks until someone reads, which nobody does.
/// Its write end is left blocking, as collectd's exec plugin leaves it.
pub fn full_pipe() -> (std::io::PipeReader, std::io::PipeWriter) {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let (reader, mut writer) = std::io::pipe().expect("pipe");
    let fd = writer.as_raw_fd();
    // SAFETY: F_GETFL/F_SETFL on a pipe fd we own take no pointers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    assert!(unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } >= 0);
    let chunk = [b'x'; 4096];
    loop {
        match writer.write(&chunk) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("filling the pipe: {e}"),
        }
    }
    // SAFETY: as above.
    assert!(unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } >= 0);
    (reader, writer)
}

/// Runs `cmd` with `stream` on a full pipe of ours that is never read (the
/// other stream on /dev/null, one newline on stdin, which stays open, for a
/// plugin that gathers on newlines), lets it run into the
/// full pipe for half a second, then sends SIGTERM. Returns how it ended
/// (`None`: still running 5 s later; it is then killed).
pub fn sigterm_with_a_full_pipe(
    mut cmd: Command,
    stream: Stream,
) -> Option<std::process::ExitStatus> {
    let (reader, writer) = full_pipe();
    let (out, err) = match stream {
        Stream::Stdout => (Stdio::from(writer), Stdio::null()),
        Stream::Stderr => (Stdio::null(), Stdio::from(writer)),
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start the plugin");
    {
        use std::io::Write;
        let stdin = child.stdin.as_mut().expect("stdin piped");
        stdin
            .write_all(b"\n")
            .expect("write a newline to the plugin");
    }
    sleep(Duration::from_millis(500));
    send_signal(child.id(), "-TERM");
    let status = wait_for_exit(&mut child, Duration::from_secs(5));
    let _ = child.kill();
    let _ = child.wait();
    drop(reader);
    status
}

/// The signals a user can send a plugin, as kill(1) names them.
pub const USER_SIGNALS: [&str; 8] = [
    "-HUP", "-USR1", "-USR2", "-ALRM", "-PIPE", "-INT", "-TERM", "-QUIT",
];

/// Whether `signal` (from [`USER_SIGNALS`]) ends a long-running plugin.
pub fn ends_the_run(signal: &str) -> bool {
    matches!(signal, "-INT" | "-TERM" | "-QUIT")
}
