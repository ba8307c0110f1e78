//! `-H auto` exactly as production runs it: unprivileged, against a chronyd
//! at the standard places (/run/chrony/chronyd.sock, 127.0.0.1:323). The
//! standard places belong to the host, so the test makes private ones:
//! `unshare -m -n` gives it its own /run and its own loopback, where a
//! private chronyd pair listens (see tests/auto/namespace.sh).

use std::io::Write;
use std::path::Path;
use std::process::Command;

/// Set to `1` to let this test pass without running where namespaces are
/// not available (a container without CAP_SYS_ADMIN, a user without root).
/// Documented in the README's Tests section; CI never sets it.
const OPT_OUT: &str = "CHRONY_PLUGINS_SKIP_NAMESPACE_TEST";

/// Whether this process may make the namespaces the test needs: `unshare
/// -m -n` (CAP_SYS_ADMIN), a tmpfs mounted inside (CAP_SYS_ADMIN; Docker's
/// seccomp and AppArmor profiles also deny it unless relaxed) and the
/// private loopback brought up (CAP_NET_ADMIN). `Err` says what failed.
fn namespaces_available() -> Result<(), String> {
    let probe = Command::new("unshare")
        .args([
            "-m",
            "-n",
            "--propagation",
            "private",
            "sh",
            "-c",
            "mount -t tmpfs tmpfs /run && ip link set lo up",
        ])
        .output()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if probe.status.success() {
        return Ok(());
    }
    Err(format!(
        "`unshare -m -n` with a tmpfs on /run and `ip link set lo up` failed ({}): {}",
        probe.status,
        String::from_utf8_lossy(&probe.stderr).trim()
    ))
}

/// Says `text` in the test output even when the test passes (the test
/// harness captures `eprintln!`, not a direct write to stderr).
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

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
    if let Err(why) = namespaces_available() {
        let what = format!(
            "auto_as_nobody_falls_through_to_the_command_port needs root with CAP_SYS_ADMIN \
             and CAP_NET_ADMIN for private mount and network namespaces, which this \
             environment does not give: {why}. In a container, run it with \
             `--cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt apparmor=unconfined` \
             (or `--privileged`); see docker/."
        );
        if std::env::var(OPT_OUT).as_deref() == Ok("1") {
            say(&format!("SKIPPED ({OPT_OUT}=1): {what}"));
            return;
        }
        panic!("{what} Set {OPT_OUT}=1 to skip this test knowingly.");
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

    let sources = section(&report, "sources");
    assert_eq!(exit_of(&report, "sources"), "0", "{sources}");
    assert!(
        sources.starts_with("CHRONY OK - 1 source, 1 reachable, 1 usable, "),
        "{sources}"
    );
    assert!(
        sources.contains("\nskipped /run/chrony/chronyd.sock: permission denied")
            && sources.contains("\nanswered by 127.0.0.1:323\n"),
        "-vv names the address used: {sources}"
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
    let sources_root = section(&report, "sources-root");
    assert_eq!(exit_of(&report, "sources-root"), "0", "{sources_root}");
    assert!(
        sources_root.contains("\nanswered by /run/chrony/chronyd.sock\n"),
        "{sources_root}"
    );
    // Only chronyd's own socket: no libchrony.* directory left behind.
    assert_eq!(section(&report, "leftovers").trim(), "chronyd.sock");
}
