//! A client chronyd with many sources on loopback, one of each kind that
//! `chronyc sources` can show:
//!
//! | name | what | chronyc state |
//! | --- | --- | --- |
//! | 127.0.0.2, 127.0.0.3 | good servers (`local stratum 3`) | `*` or `+`/`-` |
//! | 127.0.0.4 | a good server, `offset 1` on the client's line: its time disagrees with the rest | `x` |
//! | 127.0.0.5 | a good server, `noselect` | `?`, reachable |
//! | 127.0.0.6 | no server at all (nothing listens) | `?`, reach 0 |
//! | ::1 | a good server on IPv6 loopback (`local stratum 3`) | `*` or `+`/`-` |
//! | GPS | `refclock SOCK`, fed samples by a thread of the test | `*` or `+`/`-` |
//!
//! chronyd keys sources by IP address, so each source has its own loopback
//! address (all of 127.0.0.0/8 reaches `lo` on Linux); each server chronyd
//! binds its own (`bindaddress`) on a free port; `::1` is one more address,
//! so that the IPv6 path (address family 2 in the reports) is read live.
//! Four good sources (three servers and the reference clock) out-vote the one with the offset, which
//! chronyd's selection then marks a falseticker. The client also has
//! `smoothtime`, so that the `smoothing` report answers (`rtcdata` cannot:
//! test machines have no RTC).
//!
//! Everything is private (temp dir, ports, sockets) and killed and removed
//! on drop, as in [`super::Chrony`].

use super::{
    bind_failure, copy_for_nobody_into, libchrony_leftovers_beside, private_dir, private_subdir,
    spawn_chronyd,
};
use std::fs;
use std::net::{IpAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{sleep, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long the topology may take to settle before a test fails.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The good servers' addresses.
pub const GOOD: [&str; 2] = ["127.0.0.2", "127.0.0.3"];
/// The server whose time the client shifts by 1 s: a falseticker.
pub const FALSETICKER: &str = "127.0.0.4";
/// The server the client uses with `noselect`.
pub const NOSELECT: &str = "127.0.0.5";
/// The address where nothing answers.
pub const DEAD: &str = "127.0.0.6";
/// A good server on the IPv6 loopback address.
pub const IPV6: &str = "::1";
/// The reference clock's refid.
pub const REFCLOCK: &str = "GPS";

/// The magic number closing every SOCK refclock sample ("SOCK").
const SOCK_MAGIC: i32 = 0x534f_434b;

/// The running topology.
pub struct Topology {
    /// The private temp dir.
    pub dir: PathBuf,
    /// The client's UDP command port on 127.0.0.1.
    pub cmd_port: u16,
    /// The client's Unix command socket.
    pub socket: PathBuf,
    /// The reference clock's socket (chronyd reads samples from it).
    pub refclock_socket: PathBuf,
    servers: Vec<Child>,
    client: Option<Child>,
    feeder: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
}

/// A port that was free on `ip` a moment ago.
fn free_port_on(ip: &str) -> u16 {
    UdpSocket::bind((ip.parse::<IpAddr>().expect("an IP address"), 0))
        .and_then(|s| s.local_addr())
        .unwrap_or_else(|e| {
            panic!("bind a UDP socket on {ip} ({e}): loopback must route 127.0.0.0/8 and have ::1")
        })
        .port()
}

/// One SOCK refclock sample: `struct sock_sample` of chrony's
/// refclock_sock.c (struct timeval, double offset, int pulse, int leap,
/// int _pad, int magic), native byte order, 40 bytes on 64-bit Linux.
/// `offset` is true time minus the system time at `now`.
pub fn sock_sample(now: SystemTime, offset: f64) -> Vec<u8> {
    let since = now.duration_since(UNIX_EPOCH).expect("after 1970");
    let mut b = Vec::with_capacity(40);
    b.extend_from_slice(&(since.as_secs() as i64).to_ne_bytes());
    b.extend_from_slice(&i64::from(since.subsec_micros()).to_ne_bytes());
    b.extend_from_slice(&offset.to_ne_bytes());
    b.extend_from_slice(&0i32.to_ne_bytes()); // pulse
    b.extend_from_slice(&0i32.to_ne_bytes()); // leap: normal
    b.extend_from_slice(&0i32.to_ne_bytes()); // padding
    b.extend_from_slice(&SOCK_MAGIC.to_ne_bytes());
    b
}

impl Topology {
    /// Starts the servers and the client, feeds the reference clock, and
    /// waits until chronyd shows every source in its expected state.
    pub fn start() -> Topology {
        let mut last = String::new();
        for _ in 0..3 {
            match Topology::try_start() {
                Ok(t) => return t,
                Err(why) => last = why,
            }
        }
        panic!("multi-source topology did not start: {last}");
    }

    fn try_start() -> Result<Topology, String> {
        let dir = private_dir();
        let run = private_subdir(&dir, "run");
        let cmd_port = super::free_udp_port();
        let socket = run.join("chronyd.sock");
        let refclock_socket = run.join("refclock.sock");
        let mut topology = Topology {
            dir: dir.clone(),
            cmd_port,
            socket: socket.clone(),
            refclock_socket: refclock_socket.clone(),
            servers: Vec::new(),
            client: None,
            feeder: None,
        };

        let mut lines = String::new();
        let serving = GOOD.iter().chain([&FALSETICKER, &NOSELECT, &IPV6]);
        for (i, ip) in serving.enumerate() {
            let port = free_port_on(ip);
            let srv_run = private_subdir(&dir, &format!("srv{i}"));
            let conf = dir.join(format!("server{i}.conf"));
            fs::write(
                &conf,
                format!(
                    "port {port}\nbindaddress {ip}\nlocal stratum 3\nallow 127.0.0.0/8\nallow ::1/128\ncmdport 0\n\
                     bindcmdaddress {}/chronyd.sock\npidfile {}/server{i}.pid\n",
                    srv_run.display(),
                    dir.display()
                ),
            )
            .unwrap();
            topology.servers.push(spawn_chronyd(
                &conf,
                &dir.join(format!("server{i}.log")),
                &dir.join(format!("server{i}.err")),
            ));
            let extra = match *ip {
                FALSETICKER => " offset 1.0",
                NOSELECT => " noselect",
                _ => "",
            };
            lines.push_str(&format!(
                "server {ip} port {port} iburst minpoll -2 maxpoll -2{extra}\n"
            ));
        }
        // Nothing listens there: a source that never answers.
        lines.push_str(&format!(
            "server {DEAD} port {} iburst minpoll -2 maxpoll -2\n",
            free_port_on(DEAD)
        ));
        let conf = dir.join("client.conf");
        fs::write(
            &conf,
            format!(
                "port 0\n{lines}refclock SOCK {} refid {REFCLOCK} poll 0 filter 4\nsmoothtime 400 0.001\n\
                 cmdport {cmd_port}\nbindcmdaddress 127.0.0.1\nbindcmdaddress {}\n\
                 pidfile {}/client.pid\n",
                refclock_socket.display(),
                socket.display(),
                dir.display()
            ),
        )
        .unwrap();
        topology.client = Some(spawn_chronyd(
            &conf,
            &dir.join("client.log"),
            &dir.join("client.err"),
        ));
        topology.start_feeder();
        topology.wait_settled()?;
        Ok(topology)
    }

    /// Sends the reference clock a sample (offset 0) every 100 ms from a
    /// thread, until the topology is dropped.
    fn start_feeder(&mut self) {
        let stop = Arc::new(AtomicBool::new(false));
        let path = self.refclock_socket.clone();
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let sock = UnixDatagram::unbound().expect("a datagram socket");
            while !flag.load(Ordering::Relaxed) {
                // Fails until chronyd has created the socket: keep trying.
                let _ = sock.send_to(&sock_sample(SystemTime::now(), 0.0), &path);
                sleep(Duration::from_millis(100));
            }
        });
        self.feeder = Some((stop, handle));
    }

    /// Waits until `chronyc sources` (chrony's own client, not the code
    /// under test) shows the states the tests rely on.
    fn wait_settled(&mut self) -> Result<(), String> {
        let start = Instant::now();
        loop {
            if let Some(Ok(Some(status))) = self.client.as_mut().map(|c| c.try_wait()) {
                return Err(format!(
                    "client chronyd exited ({status}):\n{}",
                    self.logs()
                ));
            }
            let logs = self.logs();
            if let Some(line) = bind_failure(&logs) {
                return Err(format!("chronyd could not bind: {line}"));
            }
            if self.socket.exists() {
                let rows = self.chronyc_sources();
                let state = |name: &str| {
                    rows.iter()
                        .find(|r| r.name == name)
                        .map(|r| (r.state, r.reach))
                };
                let usable = |name: &str| {
                    state(name).is_some_and(|(s, reach)| "*+-".contains(s) && reach != 0)
                };
                if GOOD.iter().all(|g| usable(g))
                    && usable(IPV6)
                    && usable(REFCLOCK)
                    && state(FALSETICKER).is_some_and(|(s, _)| s == 'x')
                    && state(NOSELECT).is_some_and(|(s, reach)| s == '?' && reach != 0)
                    && state(DEAD).is_some_and(|(_, reach)| reach == 0)
                    && rows.iter().any(|r| r.state == '*')
                {
                    return Ok(());
                }
                if start.elapsed() > SETTLE_TIMEOUT {
                    return Err(format!(
                        "sources not settled within {SETTLE_TIMEOUT:?}: {rows:?}\n{logs}"
                    ));
                }
            } else if start.elapsed() > SETTLE_TIMEOUT {
                return Err(format!(
                    "no command socket within {SETTLE_TIMEOUT:?}:\n{logs}"
                ));
            }
            sleep(Duration::from_millis(200));
        }
    }

    /// `chronyc -c sources` on the client's Unix socket, parsed.
    pub fn chronyc_sources(&self) -> Vec<ChronycSource> {
        let out = Command::new("chronyc")
            .args(["-n", "-c", "-h"])
            .arg(&self.socket)
            .arg("sources")
            .output()
            .expect("chronyc is installed (Debian package chrony)");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(ChronycSource::parse)
            .collect()
    }

    /// All chronyd logs, for failure messages.
    pub fn logs(&self) -> String {
        let mut text = String::new();
        let mut names: Vec<_> = fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
            .unwrap_or_default();
        names.sort();
        for path in names {
            if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("log") | Some("err")
            ) {
                let body = fs::read_to_string(&path).unwrap_or_default();
                text.push_str(&format!("--- {}\n{body}", file_name(&path)));
            }
        }
        text
    }

    /// The client's UDP command address, `127.0.0.1:PORT`.
    pub fn udp_address(&self) -> String {
        format!("127.0.0.1:{}", self.cmd_port)
    }

    /// The client's Unix command socket path as a string.
    pub fn socket_address(&self) -> String {
        self.socket.display().to_string()
    }

    /// `libchrony.*` directories left beside the client's socket.
    pub fn libchrony_leftovers(&self) -> Vec<PathBuf> {
        libchrony_leftovers_beside(&self.socket)
    }

    /// Copies `binary` where user `nobody` can run it.
    pub fn copy_for_nobody(&self, binary: &Path) -> PathBuf {
        copy_for_nobody_into(&self.dir, binary)
    }

    /// Runs `chronyc` on the client's socket with `args` (e.g. to add or
    /// delete a source), returning its stdout; panics when it fails.
    pub fn chronyc(&self, args: &[&str]) -> String {
        let out = Command::new("chronyc")
            .args(["-n", "-h"])
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("chronyc is installed (Debian package chrony)");
        assert!(
            out.status.success(),
            "chronyc {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// One line of `chronyc -c sources`.
#[derive(Debug, Clone, PartialEq)]
pub struct ChronycSource {
    /// `^`, `=` or `#`.
    pub mode: char,
    /// `*`, `+`, `-`, `x`, `~`, `?`.
    pub state: char,
    /// Address or refid.
    pub name: String,
    /// Stratum.
    pub stratum: u32,
    /// Poll, log2 s.
    pub poll: i16,
    /// Reach register (chronyc prints octal).
    pub reach: u8,
}

impl ChronycSource {
    fn parse(line: &str) -> Option<ChronycSource> {
        let f: Vec<&str> = line.split(',').collect();
        if f.len() < 6 {
            return None;
        }
        Some(ChronycSource {
            mode: f[0].chars().next()?,
            state: f[1].chars().next()?,
            name: f[2].to_string(),
            stratum: f[3].parse().ok()?,
            poll: f[4].parse().ok()?,
            reach: u8::from_str_radix(f[5], 8).ok()?,
        })
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.feeder.take() {
            stop.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
        for mut child in self.client.take().into_iter().chain(self.servers.drain(..)) {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}
