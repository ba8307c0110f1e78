//! telegraf-chrony-tracking over 1,000 gathers: the process's fd count and
//! RSS stay flat and no libchrony client-socket directory is left behind.
//! In its own test binary so nothing else runs beside the counted process.

mod support;

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};
use support::Chrony;

struct Plugin {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Receiver<String>,
}

impl Plugin {
    fn start(args: &[&str]) -> Plugin {
        let mut child = Command::new(env!("CARGO_BIN_EXE_telegraf-chrony-tracking"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = support::lines_of(child.stdout.take().unwrap());
        Plugin {
            stdin: child.stdin.take(),
            child,
            out,
        }
    }

    fn gather(&mut self) -> Option<String> {
        self.gather_within(Duration::from_secs(2))
    }

    /// Triggers one gather and waits up to `wait` for its line.
    fn gather_within(&mut self, wait: Duration) -> Option<String> {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        self.out.recv_timeout(wait).ok()
    }

    /// Triggers one gather and waits for its `n` lines.
    fn gather_lines(&mut self, n: usize) -> Option<Vec<String>> {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        let end = Instant::now() + Duration::from_secs(3);
        (0..n)
            .map(|_| {
                self.out
                    .recv_timeout(end.saturating_duration_since(Instant::now()))
                    .ok()
            })
            .collect()
    }

    fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .count()
    }

    /// Resident set size in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    fn finish(mut self) {
        self.stdin = None;
        match support::wait_for_exit(&mut self.child, Duration::from_secs(5)) {
            Some(status) => assert_eq!(status.code(), Some(0)),
            None => panic!("did not exit on stdin EOF"),
        }
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// RSS may grow by a few pages as the allocator settles; a leak of even
/// 100 bytes per gather would show as ~100 KiB here.
const RSS_SLACK_KIB: u64 = 64;

#[test]
fn thousand_gathers_leave_fds_and_rss_flat() {
    let chrony = Chrony::start();
    for address in [chrony.socket_address(), chrony.udp_address()] {
        let mut plugin = Plugin::start(&["-H", &address]);
        // Warm up: the first gathers open the session and size the buffers.
        for _ in 0..50 {
            plugin.gather().expect("a line");
        }
        let (fds, rss) = (plugin.fds(), plugin.rss_kib());
        let mut samples = Vec::new();
        for i in 1..=1000 {
            let line = plugin
                .gather()
                .unwrap_or_else(|| panic!("{address}: gather {i}"));
            assert!(line.starts_with("chrony,"), "{line}");
            if i % 250 == 0 {
                samples.push((plugin.fds(), plugin.rss_kib()));
            }
        }
        eprintln!("{address}: before {fds} fds, {rss} KiB; every 250 gathers: {samples:?}");
        for (i, &(f, r)) in samples.iter().enumerate() {
            assert_eq!(f, fds, "{address}: fds after {} gathers", (i + 1) * 250);
            assert!(
                r <= rss + RSS_SLACK_KIB,
                "{address}: RSS {r} KiB after {} gathers, {rss} KiB before: {samples:?}",
                (i + 1) * 250
            );
        }
        plugin.finish();
    }
    assert!(chrony.libchrony_leftovers().is_empty());
}

#[test]
fn failing_gathers_leak_nothing() {
    let chrony = Chrony::start();
    for address in [chrony.socket_address(), chrony.udp_address()] {
        let mut plugin = Plugin::start(&["-H", &address, "--timeout", "5ms"]);
        plugin.gather().expect("a line");
        let (fds, rss) = (plugin.fds(), plugin.rss_kib());
        // Each timed-out read drops its session and the next opens a new one.
        chrony.stop_client();
        for _ in 0..200 {
            assert_eq!(plugin.gather_within(Duration::from_millis(20)), None);
        }
        chrony.resume_client();
        let start = Instant::now();
        while plugin.gather_within(Duration::from_millis(200)).is_none() {
            assert!(start.elapsed() < Duration::from_secs(5), "no recovery");
        }
        assert_eq!(plugin.fds(), fds, "{address}");
        assert!(plugin.rss_kib() <= rss + RSS_SLACK_KIB, "{address}");
        plugin.finish();
    }
    assert!(chrony.libchrony_leftovers().is_empty());
}

/// Every report on, against chronyd with seven sources of every kind: over
/// the socket all eight reports (36 lines a gather), over UDP the four that
/// chronyd serves there (16 lines) while serverstats, selectdata, ntpdata
/// and authdata are refused at every gather.
#[test]
fn thousand_gathers_of_every_report_leave_fds_and_rss_flat() {
    let t = support::topology::Topology::start();
    let all = "tracking,sources,sourcestats,activity,serverstats,selectdata,ntpdata,authdata";
    for (address, per_gather) in [(t.socket_address(), 36), (t.udp_address(), 16)] {
        let mut plugin = Plugin::start(&["-H", &address, "--metrics", all]);
        for _ in 0..50 {
            plugin.gather_lines(per_gather).expect("a gather");
        }
        let (fds, rss) = (plugin.fds(), plugin.rss_kib());
        let mut samples = Vec::new();
        for i in 1..=1000 {
            let lines = plugin
                .gather_lines(per_gather)
                .unwrap_or_else(|| panic!("{address}: gather {i}"));
            assert!(lines[0].starts_with("chrony,"), "{lines:?}");
            if i % 250 == 0 {
                samples.push((plugin.fds(), plugin.rss_kib()));
            }
        }
        eprintln!(
            "{address}, all reports: before {fds} fds, {rss} KiB; every 250 gathers: {samples:?}"
        );
        for (i, &(f, r)) in samples.iter().enumerate() {
            assert_eq!(f, fds, "{address}: fds after {} gathers", (i + 1) * 250);
            assert!(
                r <= rss + RSS_SLACK_KIB,
                "{address}: RSS {r} KiB after {} gathers, {rss} KiB before: {samples:?}",
                (i + 1) * 250
            );
        }
        // Nothing more than the gathers asked for.
        assert!(plugin.out.recv_timeout(Duration::from_millis(100)).is_err());
        plugin.finish();
    }
    assert!(t.libchrony_leftovers().is_empty());
}
