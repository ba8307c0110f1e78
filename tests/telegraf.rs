//! telegraf-chrony-tracking: the line protocol pinned with snapshots, and the
//! execd contract against real chronyd processes (see `support`).

mod support;

use chrony_plugins::telegraf::{render, ExtraField, Format};
use chrony_plugins::{LeapStatus, Timestamp, Tracking};
use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{as_nobody, Chrony};

// ---------------------------------------------------------------- snapshots

/// Gather time used by every snapshot: 10.5 s after the reference time below.
fn gathered_at() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_795_675_351, 424_973_746)
}

/// Synchronised to an NTP server at 192.0.2.17, values as chronyd sends them
/// (f32 on the wire, so long binary fractions).
fn synchronised() -> Tracking {
    Tracking {
        reference_id: 0xC000_0211,
        address: Some("192.0.2.17".parse().unwrap()),
        stratum: 3,
        leap_status: LeapStatus::Normal,
        reference_time: Timestamp::new(1_795_675_340, 924_973_746),
        current_correction: 0.000020389999917824753,
        last_offset: 0.000012651000361074694,
        rms_offset: 0.000025576999178156257,
        frequency: -16.000999450683594,
        residual_frequency: 0.0,
        skew: 0.006000000052154064,
        root_delay: 0.0016550000291317701,
        root_dispersion: 0.00330700003542006,
        update_interval: 507.1999816894531,
    }
}

fn refclock() -> Tracking {
    Tracking {
        reference_id: u32::from_be_bytes(*b"GPS\0"),
        address: None,
        stratum: 1,
        root_delay: 0.0,
        root_dispersion: 0.000001,
        ..synchronised()
    }
}

fn unsynchronised() -> Tracking {
    Tracking {
        reference_id: 0,
        address: None,
        stratum: 0,
        leap_status: LeapStatus::NotSynchronised,
        reference_time: Timestamp::new(0, 0),
        current_correction: -0.000000007,
        last_offset: 0.0,
        rms_offset: 0.0,
        frequency: 9.953,
        residual_frequency: 0.0,
        skew: 0.0,
        root_delay: 1.0,
        root_dispersion: 1.0,
        update_interval: 0.0,
    }
}

fn line(t: &Tracking, format: &Format, source: Option<&str>) -> String {
    let mut out = String::new();
    render(t, format, source, gathered_at(), &mut out).expect("a line");
    out
}

/// Compares `value` with `snapshots/<name>.snap`.
fn snapshot(name: &str, value: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, value));
}

fn extras(extras: &[ExtraField]) -> Format {
    Format {
        extras: extras.to_vec(),
        stratum_leap_as_fields: false,
    }
}

#[test]
fn snapshot_synchronised_ip() {
    snapshot(
        "telegraf__synchronised_ip",
        &line(&synchronised(), &Format::default(), None),
    );
}

#[test]
fn snapshot_synchronised_ip_with_source() {
    snapshot(
        "telegraf__synchronised_ip_source",
        &line(&synchronised(), &Format::default(), Some("127.0.0.1:323")),
    );
}

#[test]
fn snapshot_refclock() {
    snapshot(
        "telegraf__refclock",
        &line(&refclock(), &Format::default(), None),
    );
}

#[test]
fn snapshot_unsynchronised() {
    snapshot(
        "telegraf__unsynchronised",
        &line(&unsynchronised(), &Format::default(), None),
    );
}

#[test]
fn snapshot_leap_insert_pending() {
    let t = Tracking {
        leap_status: LeapStatus::InsertSecond,
        ..synchronised()
    };
    snapshot("telegraf__leap_insert", &line(&t, &Format::default(), None));
}

#[test]
fn snapshot_leap_delete_pending() {
    let t = Tracking {
        leap_status: LeapStatus::DeleteSecond,
        ..synchronised()
    };
    snapshot("telegraf__leap_delete", &line(&t, &Format::default(), None));
}

#[test]
fn snapshot_each_extra_field() {
    for (name, extra) in [
        ("telegraf__extra_reference_time", ExtraField::ReferenceTime),
        ("telegraf__extra_reference_age", ExtraField::ReferenceAge),
        ("telegraf__extra_root_distance", ExtraField::RootDistance),
        (
            "telegraf__extra_leap_status_code",
            ExtraField::LeapStatusCode,
        ),
        ("telegraf__extra_synchronized", ExtraField::Synchronized),
    ] {
        snapshot(name, &line(&synchronised(), &extras(&[extra]), None));
    }
}

#[test]
fn snapshot_all_extras_unsynchronised() {
    // Never updated: no reference time or age to report, the rest is there.
    snapshot(
        "telegraf__extra_all_unsynchronised",
        &line(&unsynchronised(), &extras(&ExtraField::ALL), None),
    );
}

#[test]
fn snapshot_stratum_leap_as_fields() {
    let format = Format {
        extras: Vec::new(),
        stratum_leap_as_fields: true,
    };
    snapshot(
        "telegraf__stratum_leap_as_fields",
        &line(&unsynchronised(), &format, Some("[::1]:323")),
    );
}

#[test]
fn snapshot_everything() {
    let format = Format {
        extras: ExtraField::ALL.to_vec(),
        stratum_leap_as_fields: true,
    };
    snapshot(
        "telegraf__everything",
        &line(&synchronised(), &format, Some("/run/chrony/chronyd.sock")),
    );
}

#[test]
fn snapshot_escaped_source() {
    snapshot(
        "telegraf__escaped_source",
        &line(
            &synchronised(),
            &Format::default(),
            Some("/srv/my chrony,dir=a/chronyd.sock"),
        ),
    );
}

#[test]
fn snapshot_non_finite_field_left_out() {
    let t = Tracking {
        skew: f64::NAN,
        root_delay: f64::INFINITY,
        ..synchronised()
    };
    snapshot(
        "telegraf__non_finite_left_out",
        &line(&t, &Format::default(), None),
    );
}

// ------------------------------------------------------------ the execd side

fn bin() -> std::path::PathBuf {
    env!("CARGO_BIN_EXE_telegraf-chrony-tracking").into()
}

/// A running plugin: its stdin, and its stdout and stderr as lines arriving
/// on channels (read by threads, so no read here can block a test forever).
struct Plugin {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Receiver<String>,
    err: Receiver<String>,
}

impl Plugin {
    fn start(args: &[&str]) -> Plugin {
        Plugin::spawn(Command::new(bin()), args)
    }

    fn spawn(mut cmd: Command, args: &[&str]) -> Plugin {
        let mut child = cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start telegraf-chrony-tracking");
        let out = support::lines_of(child.stdout.take().unwrap());
        let err = support::lines_of(child.stderr.take().unwrap());
        Plugin {
            stdin: child.stdin.take(),
            child,
            out,
            err,
        }
    }

    fn trigger(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    fn line(&self, within: Duration) -> String {
        match self.out.recv_timeout(within) {
            Ok(l) => l,
            Err(e) => panic!(
                "no metric line within {within:?} ({e:?}); stderr: {:?}",
                self.err.try_iter().collect::<Vec<_>>()
            ),
        }
    }

    fn no_line(&self, within: Duration) {
        match self.out.recv_timeout(within) {
            Err(RecvTimeoutError::Timeout) => {}
            other => panic!("unexpected stdout: {other:?}"),
        }
    }

    fn err_line(&self, within: Duration) -> String {
        self.err
            .recv_timeout(within)
            .unwrap_or_else(|e| panic!("no stderr line within {within:?} ({e:?})"))
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    fn signal(&self, signal: &str) {
        assert!(
            support::send_signal(self.child.id(), signal),
            "kill {signal}"
        );
    }

    /// Waits for the exit; the status code and how long it took.
    fn wait_exit(&mut self, within: Duration) -> (i32, Duration) {
        let start = Instant::now();
        match support::wait_for_exit(&mut self.child, within) {
            Some(status) => (status.code().expect("exit, not a signal"), start.elapsed()),
            None => panic!("still running after {within:?}"),
        }
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line split into its parts (no escapes occur in the lines these
/// tests check: tags and source paths here hold no space, comma or `=`,
/// except `leap_status`, whose escaped space is undone).
#[derive(Debug)]
struct Parsed {
    measurement: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, String)>,
    timestamp: i128,
}

fn parse(line: &str) -> Parsed {
    let protected = line.replace("\\ ", "\u{1}");
    let parts: Vec<&str> = protected.split(' ').collect();
    assert_eq!(parts.len(), 3, "three sections: {line}");
    let mut head = parts[0].split(',');
    let measurement = head.next().unwrap().to_string();
    let pair = |kv: &str| {
        let (k, v) = kv
            .split_once('=')
            .unwrap_or_else(|| panic!("{kv} in {line}"));
        (k.to_string(), v.replace('\u{1}', " "))
    };
    Parsed {
        measurement,
        tags: head.map(pair).collect(),
        fields: parts[1].split(',').map(pair).collect(),
        timestamp: parts[2].parse().unwrap(),
    }
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i128
}

const NINE_FIELDS: [&str; 9] = [
    "frequency",
    "last_offset",
    "residual_freq",
    "rms_offset",
    "root_delay",
    "root_dispersion",
    "skew",
    "system_time",
    "update_interval",
];

/// Asserts `line` is a drop-in inputs.chrony line for the harness chronyd.
fn assert_tracking_line(line: &str, source: &str) -> Parsed {
    let p = parse(line);
    assert_eq!(p.measurement, "chrony");
    let tags: Vec<(&str, &str)> = p
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        tags,
        [
            ("leap_status", "normal"),
            ("reference_id", "7F000001"),
            ("source", source),
            ("stratum", "4"),
        ],
        "{line}"
    );
    let keys: Vec<&str> = p.fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, NINE_FIELDS, "{line}");
    for (k, v) in &p.fields {
        assert!(!v.contains('e') && !v.ends_with('i'), "{k}={v} in {line}");
        v.parse::<f64>()
            .unwrap_or_else(|_| panic!("{k}={v} is not a float"));
    }
    let age = now_ns() - p.timestamp;
    assert!(
        (0..5_000_000_000).contains(&age),
        "timestamp {} is {age} ns before now",
        p.timestamp
    );
    p
}

const SHORT: Duration = Duration::from_secs(5);

#[test]
fn three_newlines_three_lines_then_eof_exits_zero() {
    let chrony = Chrony::start();
    let socket = chrony.socket_address();
    let mut plugin = Plugin::start(&["-H", &socket]);
    let mut stamps = Vec::new();
    for _ in 0..3 {
        plugin.trigger();
        stamps.push(assert_tracking_line(&plugin.line(SHORT), &socket).timestamp);
    }
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
    plugin.no_line(Duration::from_millis(200));
    assert_eq!(
        plugin.err_line(SHORT),
        format!("I! reading chronyd's tracking report from {socket}")
    );

    plugin.close_stdin();
    let (code, took) = plugin.wait_exit(Duration::from_secs(1));
    assert_eq!(code, 0);
    assert!(took < Duration::from_secs(1));
    assert!(
        plugin.err.try_iter().next().is_none(),
        "nothing more on stderr"
    );
    assert!(chrony.libchrony_leftovers().is_empty());
}

#[test]
fn newlines_queued_in_one_write_gather_once() {
    // Newlines that are already queued when the plugin reads stdin came
    // while it could not read (a gather in progress, SIGSTOP, a suspended
    // VM): one gather answers them all, not a burst of identical lines.
    let chrony = Chrony::start();
    let mut plugin = Plugin::start(&["-H", &chrony.udp_address()]);
    plugin.stdin.as_mut().unwrap().write_all(b"\n\n\n").unwrap();
    assert_tracking_line(&plugin.line(SHORT), &chrony.udp_address());
    plugin.no_line(Duration::from_millis(300));
}

#[test]
fn list_sets_source_to_the_address_in_use() {
    // (`auto`, which sets no `source`, is covered by the unit tests: its
    // addresses are the system chronyd's, which tests must not touch.)
    let chrony = Chrony::start();
    let closed = support::free_udp_port();
    let list = format!("127.0.0.1:{closed},{}", chrony.udp_address());
    let mut plugin = Plugin::start(&["-H", &list]);
    plugin.trigger();
    assert_tracking_line(&plugin.line(SHORT), &chrony.udp_address());
}

#[test]
fn interval_mode_emits_on_an_absolute_schedule() {
    let chrony = Chrony::start();
    let socket = chrony.socket_address();
    let mut plugin = Plugin::start(&["-H", &socket, "--interval", "200ms"]);
    let stamps: Vec<i128> = (0..6)
        .map(|_| assert_tracking_line(&plugin.line(SHORT), &socket).timestamp)
        .collect();
    // On the grid start + k × 200 ms: no drift accumulates over the gathers.
    for (k, t) in stamps.iter().enumerate() {
        let offset = t - stamps[0] - 200_000_000 * k as i128;
        assert!(
            (-20_000_000..80_000_000).contains(&offset),
            "gather {k} is {offset} ns off the schedule: {stamps:?}"
        );
    }
    // Newlines are not triggers in interval mode; EOF still ends it.
    plugin.trigger();
    plugin.close_stdin();
    let (code, _) = plugin.wait_exit(Duration::from_secs(1));
    assert_eq!(code, 0);
}

#[test]
fn sigterm_and_sigint_end_it_promptly() {
    let chrony = Chrony::start();
    for signal in ["-TERM", "-INT"] {
        for extra in [None, Some("--interval=1h")] {
            let mut args = vec!["-H".to_string(), chrony.udp_address()];
            args.extend(extra.map(String::from));
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut plugin = Plugin::start(&args);
            if extra.is_none() {
                plugin.trigger();
            }
            plugin.line(SHORT);
            plugin.signal(signal);
            let (code, took) = plugin.wait_exit(Duration::from_secs(1));
            assert_eq!(code, 0, "{signal} {extra:?}");
            assert!(took < Duration::from_secs(1), "{signal}: {took:?}");
        }
    }
}

#[test]
fn sigterm_during_a_read_cancels_it() {
    // A read of a frozen chronyd would last --timeout (10 s here); SIGTERM
    // cancels it, the session is closed the libchrony way (no client-socket
    // directory left) and the process exits 0 at once.
    let chrony = Chrony::start();
    let socket = chrony.socket_address();
    let mut plugin = Plugin::start(&["-H", &socket, "--timeout", "10s"]);
    plugin.trigger();
    plugin.line(SHORT);
    chrony.stop_client();
    plugin.trigger();
    thread::sleep(Duration::from_millis(200));
    plugin.signal("-TERM");
    let (code, took) = plugin.wait_exit(Duration::from_secs(2));
    assert_eq!(code, 0);
    assert!(took < Duration::from_millis(500), "{took:?}");
    chrony.resume_client();
    assert!(chrony.libchrony_leftovers().is_empty());
}

#[test]
fn stopped_chronyd_gives_one_error_then_output_resumes() {
    let chrony = Chrony::start();
    let udp = chrony.udp_address();
    let mut plugin = Plugin::start(&["-H", &udp, "--timeout", "1s"]);
    plugin.trigger();
    plugin.line(SHORT);
    assert!(plugin.err_line(SHORT).starts_with("I! "));

    chrony.stop_client();
    let sent = Instant::now();
    plugin.trigger();
    let e = plugin.err_line(Duration::from_secs(3));
    assert!(
        sent.elapsed() < Duration::from_millis(1500),
        "E! after {:?}",
        sent.elapsed()
    );
    assert_eq!(
        e,
        format!("E! {udp}: no answer within 1s (chronyd stopped, overloaded, or packets dropped)")
    );
    plugin.no_line(Duration::from_millis(100));
    // Still failing: no second, identical error line, and still running.
    plugin.trigger();
    plugin.trigger();
    assert!(plugin
        .err
        .recv_timeout(Duration::from_millis(2500))
        .is_err());
    assert!(plugin.child.try_wait().unwrap().is_none(), "still running");
    plugin.no_line(Duration::from_millis(10));

    chrony.resume_client();
    // Lines may come for triggers queued while chronyd was stopped; the
    // first fresh one must be a full, valid metric.
    plugin.trigger();
    assert_tracking_line(&plugin.line(SHORT), &udp);
    assert_eq!(
        plugin.err_line(SHORT),
        format!("I! chronyd at {udp} answers again")
    );
}

#[test]
fn chronyd_restart_is_survived() {
    let mut chrony = Chrony::start();
    for address in [chrony.socket_address(), chrony.udp_address()] {
        let mut plugin = Plugin::start(&["-H", &address]);
        plugin.trigger();
        assert_tracking_line(&plugin.line(SHORT), &address);
        chrony.restart_client();
        plugin.trigger();
        assert_tracking_line(&plugin.line(SHORT), &address);
        plugin.close_stdin();
        assert_eq!(plugin.wait_exit(Duration::from_secs(1)).0, 0);
    }
    assert!(chrony.libchrony_leftovers().is_empty());
}

#[test]
fn unreachable_at_start_keeps_running() {
    let port = support::free_udp_port();
    let address = format!("127.0.0.1:{port}");
    let mut plugin = Plugin::start(&["-H", &address]);
    plugin.trigger();
    let e = plugin.err_line(SHORT);
    assert!(
        e.starts_with(&format!("E! {address}: connection refused")),
        "{e}"
    );
    plugin.trigger();
    plugin.no_line(Duration::from_millis(300));
    assert!(plugin.err.try_iter().next().is_none(), "one E! line only");
    plugin.close_stdin();
    assert_eq!(plugin.wait_exit(Duration::from_secs(1)).0, 0);
}

#[test]
fn once_prints_one_line_and_exits() {
    let chrony = Chrony::start();
    let out = Command::new(bin())
        .args(["--once", "-H", &chrony.udp_address()])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.ends_with('\n'));
    assert_tracking_line(text.trim_end(), &chrony.udp_address());
    assert!(out.stderr.is_empty(), "no I! line from inputs.exec runs");

    let port = support::free_udp_port();
    let out = Command::new(bin())
        .args(["--once", "-H", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("E! 127.0.0.1:"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn extras_and_fields_mode_against_chronyd() {
    let chrony = Chrony::start();
    let mut plugin = Plugin::start(&[
        "-H",
        &chrony.socket_address(),
        "--extra-fields",
        "all",
        "--stratum-leap-as-fields",
    ]);
    plugin.trigger();
    let p = parse(&plugin.line(SHORT));
    let tags: Vec<&str> = p.tags.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(tags, ["reference_id", "source"]);
    let field = |name: &str| {
        p.fields
            .iter()
            .find(|(k, _)| k == name)
            .unwrap_or_else(|| panic!("no {name}: {p:?}"))
            .1
            .clone()
    };
    assert_eq!(field("stratum"), "4i");
    assert_eq!(field("leap_status"), "\"normal\"");
    assert_eq!(field("leap_status_code"), "0i");
    assert_eq!(field("synchronized"), "true");
    let age: f64 = field("reference_age").parse().unwrap();
    assert!((0.0..10.0).contains(&age), "{age}");
    let reference_time: i128 = field("reference_time")
        .trim_end_matches('i')
        .parse()
        .unwrap();
    // The age is on chronyd's time scale: the system clock corrected by
    // system_time (the current correction).
    let correction: f64 = field("system_time").parse().unwrap();
    let from_age = p.timestamp - ((age - correction) * 1e9) as i128;
    assert!(
        (reference_time - from_age).abs() < 1_000,
        "{reference_time} vs {from_age}"
    );
    let distance: f64 = field("root_distance").parse().unwrap();
    let delay: f64 = field("root_delay").parse().unwrap();
    let dispersion: f64 = field("root_dispersion").parse().unwrap();
    assert_eq!(distance, delay / 2.0 + dispersion);
}

#[test]
fn bad_options_fail_at_start() {
    for (args, expect) in [
        (&["--timeout", "0"][..], "--timeout"),
        (&["--timeout", "soon"][..], "--timeout"),
        (&["--interval=-1"][..], "--interval"),
        (&["--interval", "0s"][..], "--interval"),
        (
            &["-H", "ntp.example.com"][..],
            "host names are not resolved",
        ),
        (&["-H", "/tmp/a\\ b/chronyd.sock"][..], "tag value"),
        (&["--extra-fields", "offset"][..], "--extra-fields"),
        (&["--once", "--interval", "1s"][..], "cannot be used with"),
        (&["positional"][..], "unexpected argument"),
    ] {
        let start = Instant::now();
        let out = Command::new(bin())
            .args(args)
            .stdin(Stdio::piped())
            .output()
            .unwrap();
        assert!(start.elapsed() < Duration::from_secs(1), "{args:?}");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn closed_stdout_ends_without_panic() {
    let chrony = Chrony::start();
    let mut child = Command::new(bin())
        .args(["-H", &chrony.udp_address()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n").unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "still running");
        thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(1));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("E! cannot write to stdout"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn nobody_reads_over_udp() {
    let chrony = Chrony::start();
    let bin = chrony.copy_for_nobody(&bin());
    let mut plugin = Plugin::spawn(as_nobody(&bin), &["-H", &chrony.udp_address()]);
    plugin.trigger();
    assert_tracking_line(&plugin.line(SHORT), &chrony.udp_address());
    plugin.close_stdin();
    assert_eq!(plugin.wait_exit(Duration::from_secs(1)).0, 0);
}

#[test]
fn sigterm_while_stdout_is_full_exits_0() {
    // The consumer is alive but not reading: every write blocks. SIGTERM
    // must still end the plugin, with status 0.
    let chrony = Chrony::start();
    let mut cmd = std::process::Command::new(bin());
    cmd.args(["-H", &chrony.udp_address(), "--interval", "1ms"]);
    let (status, took) = support::sigterm_while_stdout_is_full(cmd);
    assert_eq!(status.and_then(|s| s.code()), Some(0), "after {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn newlines_queued_during_a_stall_are_merged() {
    // Telegraf keeps sending newlines (every 200 ms here) while a read of a
    // frozen chronyd waits its 1 s timeout. When chronyd is back, the
    // queued newlines must not come out as a burst of identical lines.
    let chrony = Chrony::start();
    let udp = chrony.udp_address();
    let mut plugin = Plugin::start(&["-H", &udp, "--timeout", "1s"]);
    plugin.trigger();
    plugin.line(SHORT);
    chrony.stop_client();
    for _ in 0..10 {
        plugin.trigger();
        thread::sleep(Duration::from_millis(200));
    }
    chrony.resume_client();
    // The gather in progress and at most one merged gather follow, not
    // one line per queued newline (ten were sent).
    plugin.line(Duration::from_secs(3));
    let mut more = 0;
    while plugin.out.recv_timeout(Duration::from_secs(2)).is_ok() {
        more += 1;
    }
    assert!(more <= 1, "{} lines after the stall", 1 + more);
}

#[test]
fn stdout_is_left_blocking_for_whoever_shares_it() {
    // O_NONBLOCK on fd 1 would reach the shell, the rest of a pipeline or
    // the terminal, and outlive the plugin.
    let mut cmd = std::process::Command::new(bin());
    cmd.args(["--once", "-H", "127.0.0.1:1"]);
    assert!(!support::leaves_stdout_nonblocking(cmd));
}

#[test]
fn sigterm_as_nobody_with_a_full_root_pipe_on_stdout_or_stderr() {
    // collectd's exec plugin and `sudo -u` give the plugin pipes that root
    // created; as another user it cannot reopen them (EACCES). Whoever
    // created the pipe, a full, never-read stdout or stderr must not keep
    // the plugin alive past SIGTERM.
    let chrony = Chrony::start();
    let bin = chrony.copy_for_nobody(&bin());
    for stream in [support::Stream::Stdout, support::Stream::Stderr] {
        for mode in [None, Some("--interval=100ms")] {
            let mut cmd = as_nobody(&bin);
            cmd.args(["-H", &chrony.udp_address()]).args(mode);
            let status = support::sigterm_with_a_full_pipe(cmd, stream);
            let status = status.unwrap_or_else(|| panic!("{stream:?} {mode:?}: still running"));
            assert_eq!(status.code(), Some(0), "{stream:?} {mode:?}");
        }
    }
}

#[test]
fn every_user_signal_leaves_no_libchrony_directory() {
    // During a Unix-socket session (held open between gathers), no signal
    // may end the process by its default action: libchrony's client-socket
    // directory would stay beside chronyd's socket. SIGHUP/SIGUSR1/SIGUSR2
    // are execd's other triggers: each gathers once.
    let chrony = Chrony::start();
    let socket = chrony.socket_address();
    for signal in support::USER_SIGNALS {
        let mut plugin = Plugin::start(&["-H", &socket]);
        plugin.trigger();
        assert_tracking_line(&plugin.line(SHORT), &socket);
        plugin.signal(signal);
        if support::ends_the_run(signal) {
            let (code, _) = plugin.wait_exit(Duration::from_secs(5));
            assert_eq!(code, 0, "{signal}");
        } else {
            if matches!(signal, "-HUP" | "-USR1" | "-USR2") {
                assert_tracking_line(&plugin.line(SHORT), &socket);
            }
            plugin.no_line(Duration::from_millis(300));
            assert!(plugin.child.try_wait().unwrap().is_none(), "{signal}");
            plugin.close_stdin();
            let (code, _) = plugin.wait_exit(Duration::from_secs(5));
            assert_eq!(code, 0, "{signal}");
        }
        assert_eq!(
            chrony.libchrony_leftovers(),
            Vec::<std::path::PathBuf>::new(),
            "{signal}"
        );
    }
}

#[test]
fn trigger_signals_are_ignored_on_a_schedule() {
    let chrony = Chrony::start();
    let mut plugin = Plugin::start(&["-H", &chrony.udp_address(), "--interval", "1h"]);
    plugin.line(SHORT);
    for signal in ["-HUP", "-USR1", "-USR2"] {
        plugin.signal(signal);
    }
    plugin.no_line(Duration::from_millis(500));
    plugin.close_stdin();
    assert_eq!(plugin.wait_exit(Duration::from_secs(5)).0, 0);
}

#[test]
fn newlines_queued_while_stopped_give_one_gather() {
    // Telegraf keeps writing a newline per interval while the plugin is
    // stopped (SIGSTOP, a suspended VM): after SIGCONT, one line, not one
    // per queued newline.
    let chrony = Chrony::start();
    let mut plugin = Plugin::start(&["-H", &chrony.udp_address()]);
    plugin.trigger();
    plugin.line(SHORT);
    plugin.signal("-STOP");
    for _ in 0..30 {
        plugin.trigger();
    }
    plugin.signal("-CONT");
    plugin.line(SHORT);
    plugin.no_line(Duration::from_secs(1));
}

/// Gaps between consecutive timestamps, in ns.
fn gaps(stamps: &[i128]) -> Vec<i128> {
    stamps.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn interval_after_a_freeze_gathers_once_then_follows_the_grid() {
    // Stopped for longer than several intervals: the missed slots are
    // skipped, and the late gather at SIGCONT is not followed by another
    // within half an interval (the old schedule gathered twice, µs apart).
    // Gathers start at least 150 ms apart; timestamps are taken after each
    // read, so the bound checked leaves room for a slow read on a busy host.
    let chrony = Chrony::start();
    let mut plugin = Plugin::start(&["-H", &chrony.udp_address(), "--interval", "300ms"]);
    let mut stamps = vec![parse(&plugin.line(SHORT)).timestamp];
    plugin.signal("-STOP");
    thread::sleep(Duration::from_millis(1000));
    plugin.signal("-CONT");
    let deadline = Instant::now() + Duration::from_millis(1200);
    while let Ok(line) = plugin
        .out
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
    {
        stamps.push(parse(&line).timestamp);
    }
    assert!(stamps.len() >= 3, "{stamps:?}");
    let gaps = gaps(&stamps);
    assert!(
        gaps.iter().all(|&g| g >= 50_000_000),
        "gathers closer than a sixth of the interval: {gaps:?} ns"
    );
    plugin.close_stdin();
    assert_eq!(plugin.wait_exit(Duration::from_secs(5)).0, 0);
}
