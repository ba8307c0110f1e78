//! Resource leaks of the library against real chronyd. Alone in its own test
//! binary so that no other test opens fds while this one counts them.

mod support;

use chrony_plugins::{Client, ErrorKind, Target};
use std::time::Duration;
use support::{fd_count, Chrony};

const TIMEOUT: Duration = Duration::from_secs(3);

fn client(address: &str) -> Client {
    Client::new(address.parse::<Target>().expect("address parses"))
}

#[test]
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
    assert_eq!(fd_count(), fds_before, "fds leaked");
    assert_eq!(
        chrony.libchrony_leftovers(),
        Vec::<std::path::PathBuf>::new()
    );
}
