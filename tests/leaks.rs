//! Resource leaks of the library against real chronyd. Alone in its own test
//! binary so that no other test opens fds while this one counts them.

mod support;

use chrony_plugins::{Client, ErrorKind, Target};
use std::time::Duration;

/// fd counts are per process: the checks run one after the other.
#[test]
fn nothing_leaks() {
    many_reads_and_clients_leak_nothing();
    reconnects_leak_nothing();
}

/// A reconnect after a chronyd restart, repeatedly, leaves nothing behind.
fn reconnects_leak_nothing() {
    let mut chrony = Chrony::start();
    let mut unix = client(&chrony.socket_address());
    let mut udp = client(&chrony.udp_address());
    unix.tracking(TIMEOUT).unwrap();
    udp.tracking(TIMEOUT).unwrap();
    let fds_before = fd_count();
    for _ in 0..3 {
        chrony.restart_client();
        unix.tracking(TIMEOUT).unwrap();
        udp.tracking(TIMEOUT).unwrap();
    }
    assert_eq!(fd_count(), fds_before, "fds leaked");
    drop(unix);
    assert!(chrony.libchrony_leftovers().is_empty());
}
use support::{fd_count, Chrony};

const TIMEOUT: Duration = Duration::from_secs(3);

fn client(address: &str) -> Client {
    Client::new(address.parse::<Target>().expect("address parses"))
}

/// 1,000 warm reads, 300 short-lived clients, 50 that hit their deadline,
/// and every error path, on one chronyd.
fn many_reads_and_clients_leak_nothing() {
    let chrony = Chrony::start();
    let fds_before = fd_count();
    for address in [chrony.socket_address(), chrony.udp_address()] {
        let mut c = client(&address);
        for _ in 0..1000 {
            c.tracking(TIMEOUT).unwrap();
        }
        drop(c);
        for _ in 0..150 {
            client(&address).tracking(TIMEOUT).unwrap();
        }
    }
    // Short-lived clients that hit their deadline.
    chrony.stop_client();
    for address in [chrony.socket_address(), chrony.udp_address()] {
        for _ in 0..25 {
            let e = client(&address)
                .tracking(Duration::from_millis(5))
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
        }
    }
    chrony.resume_client();

    // Every error path, many times: refused, missing, not a socket, stale.
    let closed = format!("127.0.0.1:{}", support::free_udp_port());
    let missing = chrony.dir.join("missing.sock").display().to_string();
    let file = chrony.dir.join("file.sock");
    std::fs::write(&file, "x").unwrap();
    let stale = chrony.dir.join("stale.sock");
    drop(std::os::unix::net::UnixDatagram::bind(&stale).unwrap());
    for address in [
        closed,
        missing,
        file.display().to_string(),
        stale.display().to_string(),
    ] {
        let mut c = client(&address);
        for _ in 0..50 {
            c.tracking(TIMEOUT).unwrap_err();
            client(&address).tracking(TIMEOUT).unwrap_err();
        }
    }
    assert_eq!(fd_count(), fds_before, "fds leaked");
    assert_eq!(
        chrony.libchrony_leftovers(),
        Vec::<std::path::PathBuf>::new()
    );
}
