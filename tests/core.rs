//! The library against real chronyd processes (see `support`).

mod support;

use chrony_plugins::{Client, ErrorKind, LeapStatus, Target};
use std::net::UdpSocket;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};
use support::{as_nobody, Chrony, Options};

const TIMEOUT: Duration = Duration::from_secs(3);

fn client(address: &str) -> Client {
    Client::new(address.parse::<Target>().expect("address parses"))
}

#[test]
fn synchronised_client_reports_every_field() {
    let chrony = Chrony::start();
    let t = client(&chrony.socket_address())
        .tracking(TIMEOUT)
        .unwrap_or_else(|e| panic!("{e}\n{}", chrony.logs()));
    assert_eq!(t.stratum, 4, "{t:?}");
    assert_eq!(t.leap_status, LeapStatus::Normal);
    assert_eq!(t.address, Some("127.0.0.1".parse().unwrap()));
    assert_eq!(t.reference_id, 0x7F00_0001);
    assert_eq!(t.reference_name(), "127.0.0.1");
    assert!(t.is_synchronised());
    let age = t
        .reference_age(SystemTime::now())
        .expect("reference time set");
    assert!((0.0..60.0).contains(&age), "reference time {age} s ago");
    assert!(t.current_correction.abs() < 0.01, "{t:?}");
    assert!(
        t.last_offset.abs() < 0.01 && t.rms_offset >= 0.0 && t.rms_offset < 0.01,
        "{t:?}"
    );
    assert!(
        t.frequency.abs() < 500.0 && t.residual_frequency.abs() < 500.0,
        "{t:?}"
    );
    assert!(t.skew >= 0.0 && t.skew < 1000.0, "{t:?}");
    assert!(t.root_delay >= 0.0 && t.root_delay < 0.1, "{t:?}");
    assert!(t.root_dispersion >= 0.0 && t.root_dispersion < 1.0, "{t:?}");
    assert!(
        t.update_interval >= 0.0 && t.update_interval < 60.0,
        "{t:?}"
    );
    assert_eq!(t.root_distance(), t.root_delay / 2.0 + t.root_dispersion);
}

#[test]
fn offset_on_server_line_shows_as_current_correction() {
    let chrony = Chrony::with(Options {
        offset: Some(0.05),
        ..Options::default()
    });
    // chronyd reaches the full offset after a few updates; poll briefly.
    let mut c = client(&chrony.udp_address());
    let start = Instant::now();
    let mut last = 0.0;
    while start.elapsed() < Duration::from_secs(10) {
        last = c.tracking(TIMEOUT).unwrap().current_correction;
        if (0.045..=0.055).contains(&last) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!(
        "current correction {last}, expected 0.045..0.055\n{}",
        chrony.logs()
    );
}

#[test]
fn server_never_answering_means_not_synchronised() {
    let chrony = Chrony::with(Options {
        silent_server: true,
        ..Options::default()
    });
    let t = client(&chrony.udp_address()).tracking(TIMEOUT).unwrap();
    assert_eq!(t.leap_status, LeapStatus::NotSynchronised);
    assert_eq!(t.stratum, 0);
    assert_eq!(t.reference_id, 0);
    assert!(!t.is_synchronised());
}

#[test]
fn unix_socket_and_udp_give_the_same_data() {
    let chrony = Chrony::start();
    for _ in 0..10 {
        let a = client(&chrony.socket_address()).tracking(TIMEOUT).unwrap();
        let b = client(&chrony.udp_address()).tracking(TIMEOUT).unwrap();
        // Reads a moment apart can straddle a clock update (every 0.25 s
        // here): read again. chronyd computes the correction and the
        // dispersion at each request, so those two differ slightly.
        if a.reference_time != b.reference_time {
            continue;
        }
        let mut b_like_a = b.clone();
        b_like_a.current_correction = a.current_correction;
        b_like_a.root_dispersion = a.root_dispersion;
        assert_eq!(a, b_like_a);
        assert!((a.current_correction - b.current_correction).abs() < 1e-6);
        assert!((a.root_dispersion - b.root_dispersion).abs() < 1e-3);
        return;
    }
    panic!("no two reads saw the same clock update");
}

fn tracking_bin() -> std::path::PathBuf {
    env!("CARGO_BIN_EXE_chrony-tracking").into()
}

#[test]
fn nobody_reads_udp_but_not_the_unix_socket() {
    let chrony = Chrony::start();
    let bin = chrony.copy_for_nobody(&tracking_bin());

    let udp = as_nobody(&bin)
        .args(["-H", &chrony.udp_address(), "--json"])
        .output()
        .unwrap();
    assert!(
        udp.status.success(),
        "{}",
        String::from_utf8_lossy(&udp.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&udp.stdout).unwrap();
    assert_eq!(v["tracking"]["stratum"], 4);

    let unix = as_nobody(&bin)
        .args(["-H", &chrony.socket_address()])
        .output()
        .unwrap();
    assert!(!unix.status.success());
    let err = String::from_utf8_lossy(&unix.stderr);
    assert!(err.contains("permission denied"), "{err}");
    assert!(
        err.contains("127.0.0.1:323"),
        "hint to use the command port: {err}"
    );

    // A list falls through from the refused socket to the command port, and says so.
    let list = format!("{},{}", chrony.socket_address(), chrony.udp_address());
    let auto = as_nobody(&bin).args(["-H", &list]).output().unwrap();
    assert!(
        auto.status.success(),
        "{}",
        String::from_utf8_lossy(&auto.stderr)
    );
    let out = String::from_utf8_lossy(&auto.stdout);
    assert!(
        out.contains(&format!("Address used    : {}", chrony.udp_address())),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "Skipped         : {}: permission denied",
            chrony.socket_address()
        )),
        "{out}"
    );
    assert!(chrony.libchrony_leftovers().is_empty());
}

#[test]
fn candidate_list_reports_each_failure() {
    let chrony = Chrony::start();
    let missing = chrony.dir.join("nope.sock");
    let closed = support::free_udp_port();
    let target: Target = format!(
        "{},127.0.0.1:{closed},{}",
        missing.display(),
        chrony.udp_address()
    )
    .parse()
    .unwrap();
    let mut c = Client::new(target);
    c.tracking(TIMEOUT).unwrap();
    assert_eq!(c.address().unwrap().to_string(), chrony.udp_address());
    let kinds: Vec<ErrorKind> = c.skipped().iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, [ErrorKind::NoSocket, ErrorKind::ConnectionRefused]);
}

fn assert_fast_error(address: &str, kind: ErrorKind) -> String {
    let start = Instant::now();
    let e = client(address).tracking(TIMEOUT).unwrap_err();
    let took = start.elapsed();
    assert_eq!(e.kind(), kind, "{e}");
    assert!(
        took < Duration::from_secs(1),
        "{address}: {e} took {took:?}"
    );
    e.to_string()
}

#[test]
fn chronyd_not_running() {
    // Once chronyd is gone its port is free, and a test running in parallel
    // may bind it (a new chronyd, a fake peer) before the read: then the
    // premise is gone, so start over (a few times) rather than assert on
    // somebody else's port.
    let mut attempts = 0;
    let chrony = loop {
        let mut chrony = Chrony::start();
        chrony.kill_client();
        let address = chrony.udp_address();
        let port_reused = || UdpSocket::bind(address.as_str()).is_err();
        let e = client(&address).tracking(TIMEOUT).unwrap_err();
        attempts += 1;
        if e.kind() != ErrorKind::ConnectionRefused && port_reused() && attempts < 3 {
            eprintln!("{address} was bound by another test meanwhile ({e}); again");
            continue;
        }
        break chrony;
    };
    assert_fast_error(&chrony.udp_address(), ErrorKind::ConnectionRefused);
    // chronyd removes its socket on SIGTERM.
    let msg = assert_fast_error(&chrony.socket_address(), ErrorKind::NoSocket);
    assert!(msg.contains("no such socket"), "{msg}");
}

#[test]
fn stale_socket_is_connection_refused() {
    let chrony = Chrony::start();
    let stale = chrony.dir.join("stale.sock");
    drop(std::os::unix::net::UnixDatagram::bind(&stale).unwrap());
    let msg = assert_fast_error(stale.to_str().unwrap(), ErrorKind::ConnectionRefused);
    assert!(msg.contains("not running"), "{msg}");
}

#[test]
fn socket_path_missing() {
    let msg = assert_fast_error("/tmp/cp-no-such-dir/chronyd.sock", ErrorKind::NoSocket);
    assert!(
        msg.starts_with("/tmp/cp-no-such-dir/chronyd.sock: no such socket"),
        "{msg}"
    );
}

#[test]
fn udp_port_closed() {
    let port = support::free_udp_port();
    let msg = assert_fast_error(&format!("127.0.0.1:{port}"), ErrorKind::ConnectionRefused);
    assert!(msg.contains("cmdport"), "{msg}");
}

#[test]
fn regular_file_is_not_a_socket() {
    let chrony = Chrony::start();
    let file = chrony.dir.join("file.sock");
    std::fs::write(&file, "x").unwrap();
    assert_fast_error(file.to_str().unwrap(), ErrorKind::NotASocket);
}

#[test]
fn zero_deadline_is_an_error() {
    let e = client("127.0.0.1").tracking(Duration::ZERO).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidDeadline);
}

#[test]
fn huge_deadline_is_an_error_not_a_panic() {
    let e = client("127.0.0.1").tracking(Duration::MAX).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidDeadline);
    assert!(e.to_string().contains("too long"), "{e}");
}

#[test]
fn empty_candidate_list_is_an_error_not_a_panic() {
    let target = Target::FirstOf {
        candidates: Vec::new(),
        auto: false,
    };
    let e = Client::new(target).tracking(TIMEOUT).unwrap_err();
    assert!(e.to_string().contains("no chronyd address"), "{e}");
}

#[test]
fn unchecked_long_unix_address_is_path_too_long() {
    // `Address::Unix` can be built without parsing; the client checks again.
    let path = format!("/tmp/{}/chronyd.sock", "d".repeat(80));
    let target = Target::One(chrony_plugins::Address::Unix(path.into()));
    let e = Client::new(target).tracking(TIMEOUT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PathTooLong, "{e}");
}

#[test]
fn directory_without_access_is_permission_denied() {
    let chrony = Chrony::start();
    let bin = chrony.copy_for_nobody(&tracking_bin());
    // The socket exists, but its directory is 0750 root: nobody cannot reach it.
    let out = as_nobody(&bin)
        .args(["-H", &chrony.socket_address()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("permission denied"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn nobody_with_chronyd_down_is_told_it_is_down() {
    // The main unprivileged set-up (`auto`): the socket refuses nobody, and
    // the UDP port is closed. The cause to report is the closed port.
    let mut chrony = Chrony::start();
    let bin = chrony.copy_for_nobody(&tracking_bin());
    let list = format!("{},{}", chrony.socket_address(), chrony.udp_address());
    chrony.kill_client();
    // chronyd removed its socket; put a stale one there that nobody cannot reach.
    drop(std::os::unix::net::UnixDatagram::bind(&chrony.socket).unwrap());
    let out = as_nobody(&bin).args(["-H", &list]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("permission denied"), "{err}");
    assert!(
        err.contains(&format!("{}: connection refused", chrony.udp_address())),
        "{err}"
    );
}

#[test]
fn auto_tries_the_documented_places_in_order() {
    let t = Target::auto();
    let places: Vec<String> = t.candidates().iter().map(|a| a.to_string()).collect();
    assert_eq!(
        places,
        [
            "/run/chrony/chronyd.sock",
            "/var/run/chrony/chronyd.sock",
            "127.0.0.1:323",
            "[::1]:323"
        ]
    );
    assert!(!t.is_explicit());
}

#[test]
fn stopped_chronyd_times_out_on_the_deadline() {
    let chrony = Chrony::start();
    chrony.stop_client();
    for address in [chrony.udp_address(), chrony.socket_address()] {
        let deadline = Duration::from_millis(1500);
        let start = Instant::now();
        let e = client(&address).tracking(deadline).unwrap_err();
        let took = start.elapsed();
        assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        assert!(
            took >= deadline && took < deadline + Duration::from_millis(100),
            "{address}: {took:?}"
        );
        assert!(e.to_string().contains("no answer within 1s 500ms"), "{e}");
    }
    chrony.resume_client();
    assert!(chrony.libchrony_leftovers().is_empty());
}

#[test]
fn one_client_survives_stop_and_resume() {
    let chrony = Chrony::start();
    let mut c = client(&chrony.udp_address());
    c.tracking(TIMEOUT).unwrap();
    chrony.stop_client();
    assert_eq!(
        c.tracking(Duration::from_millis(300)).unwrap_err().kind(),
        ErrorKind::Timeout
    );
    chrony.resume_client();
    // The reply to the request sent while stopped arrives late; it must not
    // be taken for the answer to a later request, nor block it.
    c.tracking(TIMEOUT).unwrap();
    c.tracking(TIMEOUT).unwrap();
}

#[test]
fn one_client_survives_a_chronyd_restart() {
    let mut chrony = Chrony::start();
    for address in [chrony.socket_address(), chrony.udp_address()] {
        let mut c = client(&address);
        c.tracking(TIMEOUT).unwrap();
        chrony.restart_client();
        let t = c
            .tracking(TIMEOUT)
            .unwrap_or_else(|e| panic!("{address}: {e}"));
        assert_eq!(t.stratum, 4);
    }
}

#[test]
fn tracking_binary_prints_the_report() {
    let chrony = Chrony::start();
    let out = Command::new(tracking_bin())
        .args(["-H", &chrony.socket_address()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Reference ID    : 7F000001 (127.0.0.1)"),
        "{text}"
    );
    assert!(text.contains("Leap status     : normal"), "{text}");
}

#[test]
fn a_read_can_be_cancelled_and_leaves_nothing() {
    use std::os::unix::io::AsRawFd;
    let chrony = Chrony::start();
    chrony.stop_client();
    let (cancel_rx, cancel_tx) = std::os::unix::net::UnixDatagram::pair().unwrap();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        cancel_tx.send(b"x").unwrap();
    });
    for address in [chrony.socket_address(), chrony.udp_address()] {
        let start = Instant::now();
        let e = client(&address)
            .tracking_or_cancel(Duration::from_secs(10), cancel_rx.as_raw_fd())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }
    canceller.join().unwrap();
    chrony.resume_client();
    assert!(chrony.libchrony_leftovers().is_empty());
}
