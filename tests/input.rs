//! Bad input through every real binary: durations in one grammar with one
//! set of limits, `COLLECTD_INTERVAL` within `--interval`'s limits, no
//! argument that can break an output line (or forge Telegraf's `E! `), and
//! a negative reference time printed exactly (from a fake peer: chronyd
//! never sends one, but libchrony passes whatever arrives).

mod support;

use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::Duration;
use support::fake_peer::{tracking_reply, FakePeer};

const CHECK: &str = env!("CARGO_BIN_EXE_check_chrony_tracking");
const TRACKING: &str = env!("CARGO_BIN_EXE_chrony-tracking");
const TELEGRAF: &str = env!("CARGO_BIN_EXE_telegraf-chrony-tracking");
const COLLECTD: &str = env!("CARGO_BIN_EXE_collectd-chrony-tracking");

/// A UDP port on loopback where nothing listens: a read fails at once
/// (connection refused) and never reaches the host's own chronyd.
const NOBODY_HOME: &str = "127.0.0.1:1";

/// Runs `bin` with `args` and `env`, stdin closed; killed after 15 s.
fn run(bin: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .env_remove("COLLECTD_INTERVAL")
        .env_remove("COLLECTD_HOSTNAME")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    let read = |mut r: Box<dyn std::io::Read + Send>| {
        thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let (out, err) = (read(Box::new(out)), read(Box::new(err)));
    let status = support::wait_for_exit(&mut child, Duration::from_secs(15)).unwrap_or_else(|| {
        let _ = child.kill();
        let _ = child.wait();
        panic!("{bin} {args:?} did not end within 15 s")
    });
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// `--once` for the long-running plugins; chrony-tracking always runs once.
fn once(bin: &str) -> Vec<&'static str> {
    if bin == TRACKING {
        vec![]
    } else {
        vec!["--once"]
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The first character that would break a line or steer a terminal:
/// C0/C1 controls (NEL among them), LINE and PARAGRAPH SEPARATOR. Written
/// out here rather than taken from the crate, so the test judges the crate.
fn first_unsafe(line: &str) -> Option<char> {
    line.chars()
        .find(|&c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

/// No line of `out` may hold a character that breaks it.
fn assert_clean_lines(what: &str, out: &str) {
    for line in out.lines() {
        assert_eq!(first_unsafe(line), None, "{what}: {line:?}");
    }
}

// ------------------------------------------------------------- durations

/// `-t 100000` (27 hours) was accepted by the check and refused by the
/// others; `-t 1e3` the reverse. Now every binary refuses both, and takes
/// `1d`, `1m 30s` and `0.5`.
#[test]
fn timeout_grammar_and_limits_are_the_same_in_every_binary() {
    for bad in ["100000", "1e3", "2d", "0", "-1", "NaN", "inf"] {
        // `--timeout=-1`: clap would take a separate `-1` for an option.
        let timeout = format!("--timeout={bad}");
        let out = run(CHECK, &["-H", NOBODY_HOME, &timeout], &[]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "check -t {bad}: {stdout}");
        assert!(
            stdout.starts_with("CHRONY UNKNOWN - invalid value ")
                && stdout.contains("-t/--timeout"),
            "check -t {bad}: {stdout}"
        );
        for bin in [TRACKING, TELEGRAF, COLLECTD] {
            let args = [once(bin), vec!["-H", NOBODY_HOME, &timeout]].concat();
            let out = run(bin, &args, &[]);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{bin} -t {bad}: {stderr}");
            assert_eq!(stderr.lines().count(), 1, "{bin} -t {bad}: {stderr}");
            assert!(stderr.contains("--timeout"), "{bin} -t {bad}: {stderr}");
        }
    }
    for good in ["1d", "1m 30s", "0.5", "500ms"] {
        let out = run(CHECK, &["-H", NOBODY_HOME, "-t", good], &[]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "check -t {good}: {}",
            text(&out.stdout)
        );
        for bin in [TELEGRAF, COLLECTD] {
            let out = run(bin, &["--once", "-H", NOBODY_HOME, "-t", good], &[]);
            // Not a usage error: the read itself fails (nothing listens).
            assert_eq!(
                out.status.code(),
                Some(1),
                "{bin} -t {good}: {}",
                text(&out.stderr)
            );
        }
    }
    let out = run(TRACKING, &["-H", NOBODY_HOME, "-t", "1d"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn interval_limits_in_both_long_running_plugins() {
    for bad in ["999us", "0.0001", "1e-3", "1d 1s", "0"] {
        for bin in [TELEGRAF, COLLECTD] {
            let out = run(bin, &["-H", NOBODY_HOME, "--interval", bad], &[]);
            let stderr = text(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{bin} --interval {bad}: {stderr}"
            );
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(stderr.contains("--interval"), "{stderr}");
        }
    }
}

/// `COLLECTD_INTERVAL=0.000001` was taken: the plugin gathered in a busy
/// loop, flooded chronyd's port and sent a false "not answering"
/// notification. It now gets `--interval`'s limits and one line.
#[test]
fn collectd_interval_variable_has_the_interval_limits() {
    for bad in ["0.000001", "0.0009", "86401", "-10", "nan", "inf", "1e9"] {
        let out = run(
            COLLECTD,
            &["--once", "-H", NOBODY_HOME],
            &[("COLLECTD_INTERVAL", bad), ("COLLECTD_HOSTNAME", "h")],
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(out.stdout.is_empty(), "{bad}: {}", text(&out.stdout));
        assert_eq!(stderr.lines().count(), 1, "{bad}: {stderr}");
        assert!(
            stderr.starts_with("collectd-chrony-tracking: COLLECTD_INTERVAL is "),
            "{bad}: {stderr}"
        );
    }
    let out = run(
        COLLECTD,
        &["--once", "-H", NOBODY_HOME],
        &[("COLLECTD_INTERVAL", "0.001"), ("COLLECTD_HOSTNAME", "h")],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

// ------------------------------------------------------- one line each

/// Values that a consumer reading by lines (or a terminal, or a Unicode
/// line splitter) would take for a second line.
const FORGERIES: &[&str] = &[
    "x\nE! forged",
    "x\rE! forged",
    "x\u{85}E! forged",
    "x\u{2028}E! forged",
    "x\u{2029}E! forged",
    "x\u{1b}[2KE! forged",
    "x\u{9b}2KE! forged",
];

/// clap quoted the value as given: `\nE! forged` became its own `E! `
/// line on Telegraf's stderr (and `\r`, NEL or U+2028 did the same for
/// other readers).
#[test]
fn usage_errors_cannot_forge_a_line_in_the_clap_binaries() {
    for bad in FORGERIES {
        for bin in [TRACKING, TELEGRAF, COLLECTD] {
            let path = format!("/tmp/{bad}.sock");
            for args in [vec!["-H", path.as_str()], vec!["-t", bad], vec![bad]] {
                let args = [once(bin), args].concat();
                let out = run(bin, &args, &[("COLLECTD_HOSTNAME", "h")]);
                let stderr = text(&out.stderr);
                assert_eq!(out.status.code(), Some(2), "{bin} {args:?}: {stderr}");
                assert!(out.stdout.is_empty(), "{bin} {args:?}");
                assert_eq!(
                    stderr.matches('\n').count(),
                    1,
                    "{bin} {args:?}: {stderr:?}"
                );
                assert_clean_lines(bin, &stderr);
                assert!(!stderr.contains("\nE!"), "{bin} {args:?}: {stderr:?}");
            }
        }
    }
}

/// The check's status line removed `|` and `\n` only: `\r`, ESC, NEL and
/// U+2028 reached Nagios, Icinga and the terminal as they were.
#[test]
fn check_usage_error_keeps_every_line_break_out() {
    let plain = run(CHECK, &["-w", "x"], &[]);
    let plain_lines = text(&plain.stdout).lines().count();
    for bad in FORGERIES {
        for args in [vec!["-w", bad], vec!["-H", bad], vec!["-t", bad], vec![bad]] {
            let out = run(CHECK, &args, &[]);
            let stdout = text(&out.stdout);
            assert_eq!(out.status.code(), Some(3), "{args:?}: {stdout}");
            assert!(out.stderr.is_empty(), "{args:?}");
            assert!(
                stdout.starts_with("CHRONY UNKNOWN - "),
                "{args:?}: {stdout}"
            );
            assert_eq!(
                stdout.matches('\n').count(),
                plain_lines,
                "{args:?}: {stdout:?}"
            );
            assert_clean_lines("check", &stdout);
        }
    }
}

/// A socket path holding NEL or U+2028 was accepted, and then quoted in
/// every status and error line.
#[test]
fn socket_path_with_unicode_line_breaks_is_refused_everywhere() {
    for bad in ["/tmp/a\u{85}b.sock", "/tmp/a\u{2028}b.sock"] {
        let out = run(CHECK, &["-H", bad], &[]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(3), "{stdout}");
        assert!(
            stdout.contains("control character or line break"),
            "{stdout}"
        );
        assert_clean_lines("check", &stdout);
        for bin in [TELEGRAF, COLLECTD] {
            let out = run(bin, &["--once", "-H", bad], &[("COLLECTD_HOSTNAME", "h")]);
            assert_eq!(out.status.code(), Some(2), "{bin}: {}", text(&out.stderr));
            assert_clean_lines(bin, &text(&out.stderr));
        }
    }
}

// ------------------------------------------- a negative reference time

/// A chronyd tracking reply (cmdmon protocol 6, RPY_TRACKING) to `request`
/// whose reference time is 1.5 s before the epoch (`secs = -2`, `nanos =
/// 500000000` in chrony's timespec), synchronised to 192.0.2.1 at stratum 2.
fn reply(request: &[u8]) -> Vec<u8> {
    let mut r = tracking_reply(request, 0, 0);
    if request.len() < 12 {
        return r;
    }
    // Reference time -2 s + 500000000 ns: seconds high and low words of
    // the 64-bit two's complement, then nanoseconds.
    let secs: i64 = -2;
    r[56..60].copy_from_slice(&((secs >> 32) as u32).to_be_bytes());
    r[60..64].copy_from_slice(&(secs as u32).to_be_bytes());
    r[64..68].copy_from_slice(&500_000_000u32.to_be_bytes());
    r[80..84].fill(0); // frequency 0
    r
}

/// -1.5 s printed as `-2.500000000` in collectd's `time_ref`, the check's
/// `-vvv` and chrony-tracking: the nanoseconds were appended to the
/// floor of the seconds.
#[test]
fn negative_reference_time_is_printed_exactly_by_every_binary() {
    let peer = FakePeer::start(reply);
    let address = peer.address();

    let out = run(TRACKING, &["-H", &address], &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("\nRef time (UTC)  : -1.500000000 ("),
        "{stdout}"
    );

    let out = run(CHECK, &["-H", &address, "-vvv"], &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("\nraw reference time: -1.500000000\n"),
        "{stdout}"
    );

    let out = run(
        COLLECTD,
        // The fake peer answers tracking only.
        &["--once", "-H", &address, "--no-sources"],
        &[("COLLECTD_HOSTNAME", "h"), ("COLLECTD_INTERVAL", "10")],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let time_ref = stdout
        .lines()
        .find(|l| l.starts_with("PUTVAL h/chrony/time_ref-chrony "))
        .unwrap_or_else(|| panic!("no time_ref in:\n{stdout}"));
    assert!(time_ref.ends_with(":-1.500000000"), "{time_ref}");
}
