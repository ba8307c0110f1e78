//! Resource leaks of report reads against a real chronyd with many
//! sources. Alone in its own test binary so that no other test opens fds
//! while this one counts them.

mod support;

use chrony_plugins::{Client, ReportKind, Target};
use std::time::Duration;
use support::fd_count;
use support::topology::Topology;

const TIMEOUT: Duration = Duration::from_secs(3);

fn client(address: &str) -> Client {
    Client::new(address.parse::<Target>().expect("address parses"))
}

/// 1,000 reads of `sources` on one client, 100 short-lived clients, and
/// every report (refusals included) on each address: no fd and no
/// `libchrony.*` directory left.
#[test]
fn thousand_sources_reads_leak_nothing() {
    let t = Topology::start();
    let fds_before = fd_count();
    for address in [t.socket_address(), t.udp_address()] {
        let mut c = client(&address);
        for _ in 0..1000 {
            assert_eq!(c.sources(TIMEOUT).unwrap().len(), 7);
        }
        for kind in ReportKind::ALL {
            // rtcdata, smoothing and (over UDP) the socket-only reports fail.
            let _ = c.report(kind, TIMEOUT);
        }
        drop(c);
        for _ in 0..100 {
            client(&address).sources(TIMEOUT).unwrap();
        }
    }
    assert_eq!(fd_count(), fds_before, "fds leaked");
    assert_eq!(t.libchrony_leftovers(), Vec::<std::path::PathBuf>::new());
}
