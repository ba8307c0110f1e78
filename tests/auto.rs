//! `-H auto` exactly as production runs it: unprivileged, against a chronyd
//! at the standard places (/run/chrony/chronyd.sock, 127.0.0.1:323). The
//! standard places belong to the host, so the test makes private ones:
//! `unshare -m -n` gives it its own /run and its own loopback, where a
//! private chronyd pair listens (see tests/auto/namespace.sh).

use std::path::Path;
use std::process::Command;

/// The output of one binary in the script's report.
fn section<'a>(report: &'a str, name: &str) -> &'a str {
    let start = report
        .find(&format!("=== {name}\n"))
        .unwrap_or_else(|| panic!("no {name} in:\n{report}"));
    let body = &report[start + name.len() + 5..];
    &body[..body.find("\n=== ").unwrap_or(body.len())]
}

fn exit_of<'a>(report: &'a str, name: &str) -> &'a str {
    let start = report.find(&format!("=== {name}\n")).unwrap();
    let rest = &report[start..];
    let at = rest.find("=== exit ").unwrap() + "=== exit ".len();
    rest[at..].lines().next().unwrap()
}

#[test]
fn auto_as_nobody_falls_through_to_the_command_port() {
    for tool in ["unshare", "ip", "setpriv"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .status
                .success(),
            "{tool} is not installed: run scripts/setup (util-linux, iproute2)"
        );
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_check_chrony_tracking"))
        .parent()
        .unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/auto/namespace.sh");
    let out = Command::new("timeout")
        .args([
            "60",
            "unshare",
            "-m",
            "-n",
            "--propagation",
            "private",
            "bash",
            script,
        ])
        .env("PLUGIN_BIN_DIR", bin_dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let tracking = section(&report, "tracking");
    assert_eq!(exit_of(&report, "tracking"), "0", "{tracking}");
    assert!(
        tracking.contains("Address used    : 127.0.0.1:323"),
        "{tracking}"
    );
    assert!(
        tracking.contains("Skipped         : /run/chrony/chronyd.sock: permission denied"),
        "{tracking}"
    );
    // /var/run/chrony is /run/chrony: the same socket is not tried twice.
    assert_eq!(tracking.matches("Skipped").count(), 1, "{tracking}");

    let check = section(&report, "check");
    assert_eq!(exit_of(&report, "check"), "0", "{check}");
    assert!(check.starts_with("CHRONY OK - "), "{check}");
    assert!(
        check.contains("127.0.0.1:323"),
        "-vv names the address used: {check}"
    );

    // No `source` tag with auto, as inputs.chrony without `server`.
    let telegraf = section(&report, "telegraf");
    assert_eq!(exit_of(&report, "telegraf"), "0", "{telegraf}");
    assert!(
        telegraf.starts_with("chrony,leap_status=normal,reference_id=7F000001,stratum=4 "),
        "{telegraf}"
    );

    let collectd = section(&report, "collectd");
    assert_eq!(exit_of(&report, "collectd"), "0", "{collectd}");
    assert!(
        collectd.contains("PUTVAL h1/chrony/clock_stratum-chrony interval=10 "),
        "{collectd}"
    );

    let root = section(&report, "tracking-root");
    assert!(
        root.contains("Address used    : /run/chrony/chronyd.sock"),
        "{root}"
    );
    // Only chronyd's own socket: no libchrony.* directory left behind.
    assert_eq!(section(&report, "leftovers").trim(), "chronyd.sock");
}
