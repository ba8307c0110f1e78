//! 1,000+ gathers of one `collectd-chrony-tracking` process leave its fd
//! count and RSS flat and no libchrony socket directory behind. In its own
//! test binary so that nothing else runs beside it while it measures.

mod collectd_support;
mod support;

use collectd_support::{command, Running};
use std::time::Duration;
use support::Chrony;

/// Waits for `n` more gathers (one `clock_stratum` line each).
fn gathers(plugin: &Running, n: usize) {
    for _ in 0..n {
        plugin.until(Duration::from_secs(5), |l| {
            l.starts_with("PUTVAL h1/chrony/clock_stratum-chrony ")
        });
    }
}

/// The fd count as at `start` and the RSS at most 64 KiB above it (both
/// printed, `address` and `note` naming the run); then SIGTERM ends the
/// plugin with status 0.
fn flat_then_stop(plugin: &mut Running, address: &str, note: &str, start: (usize, u64)) {
    let (fds, rss) = start;
    eprintln!(
        "{address}{note}: fds {fds} -> {}, rss {rss} -> {} KiB",
        plugin.fd_count(),
        plugin.rss_kib()
    );
    assert_eq!(plugin.fd_count(), fds, "{address}: fds leaked");
    let grown = plugin.rss_kib().saturating_sub(rss);
    assert!(
        grown <= 64,
        "{address}: RSS grew by {grown} KiB from {rss} KiB"
    );
    let status = plugin.terminate(Duration::from_secs(2));
    assert!(status.success(), "{status:?}");
}

#[test]
fn thousand_gathers_stay_flat() {
    let chrony = Chrony::start();
    for address in [chrony.socket_address(), chrony.udp_address()] {
        let mut cmd = command();
        // 1 ms between gathers: 1,000 gathers in about a second.
        cmd.args(["-H", &address, "--hostname", "h1", "--interval", "1ms"])
            .args(["--timeout", "200ms"]);
        let mut plugin = Running::spawn(cmd);
        gathers(&plugin, 100);
        let (fds, rss) = (plugin.fd_count(), plugin.rss_kib());

        gathers(&plugin, 1000);
        // Timeouts and reconnects too: chronyd frozen for a while.
        chrony.stop_client();
        std::thread::sleep(Duration::from_millis(1000));
        chrony.resume_client();
        gathers(&plugin, 100);

        flat_then_stop(&mut plugin, &address, "", (fds, rss));
        let stderr = plugin.stderr();
        assert!(
            stderr.iter().all(|l| l.contains("no answer")),
            "only the timeouts while frozen: {stderr:?}"
        );
    }
    assert_eq!(
        chrony.libchrony_leftovers(),
        Vec::<std::path::PathBuf>::new()
    );
}

/// The same with every default report on a chronyd with seven sources
/// (tracking, sources and sourcestats each gather, one of the sources never
/// answering, one a reference clock), over UDP and the Unix socket.
#[test]
fn thousand_gathers_of_every_source_stay_flat() {
    let t = support::topology::Topology::start();
    for address in [t.udp_address(), t.socket_address()] {
        let mut cmd = command();
        cmd.args(["-H", &address, "--hostname", "h1", "--interval", "1ms"])
            .args(["--timeout", "500ms"]);
        let mut plugin = Running::spawn(cmd);
        gathers(&plugin, 100);
        let (fds, rss) = (plugin.fd_count(), plugin.rss_kib());
        gathers(&plugin, 1000);
        flat_then_stop(&mut plugin, &address, " (7 sources)", (fds, rss));
        assert_eq!(plugin.stderr(), Vec::<String>::new());
    }
    assert_eq!(t.libchrony_leftovers(), Vec::<std::path::PathBuf>::new());
}
