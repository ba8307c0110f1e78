//! `check_chrony_sources` against a real chronyd with sources of every kind
//! (`support::topology`: two good servers, a falseticker, a `noselect`
//! server, one that never answers and a SOCK reference clock), over UDP as
//! `nobody` (as monitoring systems run it) and over the Unix socket as root:
//! every count, state, `--require` and `--ignore` case, checked against
//! what chrony's own `chronyc sources` shows.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::topology::{Topology, DEAD, FALSETICKER, GOOD, IPV6, NOSELECT, REFCLOCK};

const BIN: &str = env!("CARGO_BIN_EXE_check_chrony_sources");

/// Exit code, stdout and stderr of a run; `-t 3` bounds every run.
fn run(mut cmd: Command) -> (i32, String, String) {
    let out = cmd.output().expect("run check_chrony_sources");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The check as `nobody` over the UDP command port.
fn nobody(bin: &Path, t: &Topology, args: &[&str]) -> (i32, String, String) {
    let mut cmd = support::as_nobody(bin);
    cmd.args(["-t", "3", "-H", &t.udp_address()]).args(args);
    run(cmd)
}

/// The check as root over the Unix socket.
fn root(t: &Topology, args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.args(["-t", "3", "-H", &t.socket_address()]).args(args);
    run(cmd)
}

/// The first line's text (before `|`) and its perfdata items.
fn split(out: &str) -> (String, Vec<String>) {
    let first = out.lines().next().unwrap_or_default();
    let (text, perf) = first.split_once('|').unwrap_or((first, ""));
    assert!(!text.ends_with(' '), "{first:?}");
    assert!(!text.contains(';'), "{first:?}");
    (
        text.to_string(),
        perf.split_whitespace().map(str::to_string).collect(),
    )
}

fn perf<'a>(items: &'a [String], label: &str) -> &'a str {
    items
        .iter()
        .find(|i| i.split('=').next() == Some(label))
        .unwrap_or_else(|| panic!("no perfdata {label} in {items:?}"))
}

#[test]
fn every_count_and_state_against_real_chronyd() {
    let t = Topology::start();
    let bin: PathBuf = t.copy_for_nobody(Path::new(BIN));

    // Reachability counts the last 8 polls: wait (within 30 s) until every
    // source that answers has answered 8 times (the refclock polls each
    // second), so that the figures below are stable.
    let start = std::time::Instant::now();
    let rows = loop {
        let rows = t.chronyc_sources();
        if rows.len() == 7 && rows.iter().all(|r| r.reach == 0o377 || r.name == DEAD) {
            break rows;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "reach registers not full: {rows:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    // What chrony's own client sees: the check must count the same.
    let usable = rows.iter().filter(|r| "*+-".contains(r.state)).count();
    let reachable = rows.iter().filter(|r| r.reach != 0).count();
    assert_eq!((rows.len(), usable, reachable), (7, 4, 6), "{rows:?}");

    // Defaults: the falseticker and the dead server warn, 4 usable is OK.
    for (code, out, err) in [nobody(&bin, &t, &[]), root(&t, &[])] {
        assert_eq!(code, 1, "{out}{err}");
        assert!(err.is_empty(), "{err}");
        let (text, items) = split(&out);
        assert!(text.starts_with("CHRONY WARNING - "), "{text}");
        assert!(
            text.contains("falsetickers 1 outside 0 (WARNING)"),
            "{text}"
        );
        assert!(
            text.contains(&format!("reach_worst 0% ({DEAD}) outside 50: (WARNING)")),
            "{text}"
        );
        assert!(
            text.contains("7 sources, 6 reachable, 4 usable, 1 falseticker, 0 jittery, selected "),
            "{text}"
        );
        assert_eq!(perf(&items, "sources"), "sources=7;;;0");
        assert_eq!(perf(&items, "reachable"), "reachable=6;;1:;0;7");
        assert_eq!(perf(&items, "usable"), "usable=4;3:;1:;0;7");
        assert_eq!(perf(&items, "selected"), "selected=1;;;0;1");
        assert_eq!(perf(&items, "falsetickers"), "falsetickers=1;0;;0;7");
        assert_eq!(perf(&items, "reach_worst"), "reach_worst=0%;50:;;0;100");
        // 6 sources at 100 %, one at 0 %.
        assert!(
            perf(&items, "reach_mean").starts_with("reach_mean=85.7"),
            "{items:?}"
        );
    }

    // -v: a line per source; selectdata only where chronyd serves it.
    let (_, out, _) = root(&t, &["-v"]);
    let line = |out: &str, name: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("source {name} ")))
            .unwrap_or_else(|| panic!("no -v line for {name}:\n{out}"))
            .to_string()
    };
    assert!(
        line(&out, NOSELECT).contains("^? server, not selectable"),
        "{out}"
    );
    assert!(line(&out, NOSELECT).contains("selectdata N"), "{out}");
    assert!(
        line(&out, FALSETICKER).contains("^x server, falseticker"),
        "{out}"
    );
    assert!(line(&out, DEAD).contains("reach 0 (0%)") && line(&out, DEAD).contains("no sample"));
    assert!(line(&out, REFCLOCK).starts_with("source GPS #"), "{out}");
    assert!(
        line(&out, GOOD[0]).contains("reach 377 (100%), stratum 3, poll -2"),
        "{out}"
    );
    // The IPv6 source by its address as chronyd names it (`source ::1 `).
    assert!(
        line(&out, IPV6).contains(" server, ")
            && line(&out, IPV6).contains("reach 377 (100%), stratum 3, poll -2"),
        "{out}"
    );
    let (code, out, _) = nobody(&bin, &t, &["-v"]);
    assert_eq!(code, 1, "{out}");
    assert!(line(&out, NOSELECT).contains("not selectable"), "{out}");
    // UDP serves no selectdata: no reasons on the source lines, and one
    // line with chronyd's refusal and the documented fix.
    assert!(!line(&out, NOSELECT).contains("selectdata"), "{out}");
    let refused: Vec<&str> = out.lines().filter(|l| l.contains("selectdata")).collect();
    assert_eq!(refused.len(), 1, "{out}");
    assert!(
        refused[0].starts_with("selectdata not read: ")
            && refused[0].contains("refused the selectdata report over UDP")
            && refused[0].contains("Unix socket")
            && refused[0].contains("opencommands selectdata"),
        "{out}"
    );
    // Over the socket, where it is read, no such line.
    let (_, out, _) = root(&t, &["-v"]);
    assert!(!out.contains("selectdata not read"), "{out}");
    // -vv: the address that answered, though selectdata was refused there.
    let (_, out, _) = nobody(&bin, &t, &["-vv"]);
    assert!(
        out.contains(&format!("\nanswered by {}\n", t.udp_address())),
        "{out}"
    );

    // --ignore leaves the bad ones out of every count: OK.
    let ignore = ["--ignore", DEAD, "--ignore", FALSETICKER];
    let (code, out, _) = nobody(&bin, &t, &ignore);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("CHRONY OK - 5 sources (2 ignored), 5 reachable, 4 usable, 0 falsetickers"),
        "{out}"
    );
    // ... and --require of good ones keeps it OK, refclock by refid.
    let mut args = ignore.to_vec();
    args.extend([
        "--require",
        REFCLOCK,
        "--require",
        GOOD[0],
        "--require",
        "[::ffff:127.0.0.3]",
    ]);
    let (code, out, _) = root(&t, &args);
    assert_eq!(code, 0, "{out}");
    // The IPv6 source, in any spelling of its address.
    for spelling in [IPV6, "0:0:0:0:0:0:0:1", "[::1]", "0::0001"] {
        let mut args = ignore.to_vec();
        args.extend(["--require", spelling]);
        let (code, out, _) = nobody(&bin, &t, &args);
        assert_eq!(code, 0, "--require {spelling}: {out}");
    }

    // --require: missing, unreachable, not usable are CRITICAL.
    for (name, why) in [
        ("192.0.2.1", "required 192.0.2.1 missing (CRITICAL)"),
        (DEAD, "required 127.0.0.6 unreachable (CRITICAL)"),
        (
            FALSETICKER,
            "required 127.0.0.4 not usable (falseticker) (CRITICAL)",
        ),
        (
            NOSELECT,
            "required 127.0.0.5 not usable (not selectable) (CRITICAL)",
        ),
    ] {
        let (code, out, _) = nobody(&bin, &t, &["--require", name]);
        assert_eq!(code, 2, "{name}: {out}");
        assert!(
            out.starts_with(&format!("CHRONY CRITICAL - {why}")),
            "{name}: {out}"
        );
        let (code, _, _) = nobody(
            &bin,
            &t,
            &["--require", name, "--on-required-failed", "warning"],
        );
        assert_eq!(code, 1, "{name} mapped to WARNING");
    }

    // Count ranges.
    let (code, out, _) = nobody(&bin, &t, &["-m", "5:"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("CHRONY WARNING - usable 4 outside 5: (WARNING)"),
        "{out}"
    );
    let (code, out, _) = nobody(&bin, &t, &["-n", "5:"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("CHRONY CRITICAL - usable 4 outside 5: (CRITICAL)"),
        "{out}"
    );
    let (code, out, _) = nobody(&bin, &t, &["--reachable-critical", "7:"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("reachable 6 outside 7: (CRITICAL)"), "{out}");
    let (code, out, _) = nobody(&bin, &t, &["--falsetickers-critical", "0"]);
    assert_eq!(code, 2, "{out}");
    let (code, out, _) = nobody(&bin, &t, &["--reach-mean-critical", "90:"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("reach_mean 85.7"), "{out}");
    // Every default switched off: OK even with the dead server and the falseticker.
    let (code, out, _) = nobody(
        &bin,
        &t,
        &[
            "--falsetickers-warning",
            "~:",
            "--reach-worst-warning",
            "~:",
        ],
    );
    assert_eq!(code, 0, "{out}");

    // Per-source offset bound: the falseticker is about 1 s off.
    let (code, out, _) = nobody(&bin, &t, &["-w", "50ms", "-c", "0.5", "--perfdata-sources"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with("CHRONY CRITICAL - offset of 127.0.0.4 -1.0"),
        "{out}"
    );
    let (_, items) = split(&out);
    for label in [
        "ntp_127_0_0_2_reach",
        "ntp_127_0_0_2_offset",
        "ntp_127_0_0_2_offset_bound",
        "ntp_127_0_0_6_reach",
        "ntp___1_reach",
        "ntp___1_offset",
        "ntp___1_offset_bound",
        "ref_GPS_reach",
        "ref_GPS_offset",
        "ref_GPS_stratum",
    ] {
        perf(&items, label);
    }
    // No label carries the address's colons (`::` would break parsers).
    assert!(
        items
            .iter()
            .all(|i| !i.split('=').next().unwrap().contains(':')),
        "{items:?}"
    );
    assert!(
        !items.iter().any(|i| i.starts_with("ntp_127_0_0_6_offset")),
        "no sample: {items:?}"
    );
    assert!(
        perf(&items, "ntp_127_0_0_4_offset_bound").ends_with("s;0.05;0.5;0"),
        "{items:?}"
    );

    // The socket is not nobody's: UNKNOWN with the hint, as the tracking check.
    let mut cmd = support::as_nobody(&bin);
    cmd.args(["-t", "3", "-H", &t.socket_address()]);
    let (code, out, _) = run(cmd);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("permission denied"), "{out}");

    assert_eq!(t.libchrony_leftovers(), Vec::<PathBuf>::new());
}

#[test]
fn chronyd_not_answering_and_usage_errors() {
    // Nothing listens: CRITICAL naming the address, as the tracking check.
    let port = support::free_udp_port();
    let mut cmd = Command::new(BIN);
    cmd.args(["-t", "2", "-H", &format!("127.0.0.1:{port}")]);
    let (code, out, _) = run(cmd);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with(&format!(
            "CHRONY CRITICAL - 127.0.0.1:{port}: connection refused"
        )),
        "{out}"
    );

    for args in [
        &["-m", "3:1"][..],
        &["--require", "ntp.example.org"],
        &["--bogus"],
    ] {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        let (code, out, err) = run(cmd);
        assert_eq!(code, 3, "{args:?}: {out}");
        assert!(out.starts_with("CHRONY UNKNOWN - "), "{out}");
        assert!(out.contains("Usage: check_chrony_sources"), "{out}");
        assert!(err.is_empty(), "{err}");
    }
    for flag in ["--help", "-V"] {
        let (code, out, _) = run({
            let mut c = Command::new(BIN);
            c.arg(flag);
            c
        });
        assert_eq!(code, 3, "{flag}");
        assert!(out.contains("check_chrony_sources"), "{out}");
    }
}

/// The hardening the tracking check has (tests/input.rs), for this binary:
/// the suite's one duration grammar and limits, and no argument can break
/// or add a line of the output.
#[test]
fn bad_input_is_one_clean_line_and_exit_3() {
    let check = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.args(args);
        run(cmd)
    };
    let plain_lines = check(&["-m", "x"]).1.lines().count();
    for bad in ["100000", "1e3", "2d", "0", "-1", "NaN", "inf"] {
        let (code, out, err) = check(&["-H", "127.0.0.1:1", &format!("--timeout={bad}")]);
        assert_eq!(code, 3, "-t {bad}: {out}");
        assert!(err.is_empty(), "{err}");
        assert!(
            out.starts_with("CHRONY UNKNOWN - invalid value ") && out.contains("--timeout"),
            "-t {bad}: {out}"
        );
    }
    for good in ["1d", "1m 30s", "0.5", "500ms"] {
        // Not a usage error: nothing listens there, so CRITICAL.
        let (code, out, _) = check(&["-H", "127.0.0.1:1", "-t", good]);
        assert_eq!(code, 2, "-t {good}: {out}");
    }
    for bad in [
        "x\nE! forged",
        "x\rE! forged",
        "x\u{85}E! forged",
        "x\u{2028}E! forged",
        "x\u{2029}E! forged",
        "x\u{1b}[2KE! forged",
        "x\u{9b}2KE! forged",
    ] {
        for args in [
            vec!["-m", bad],
            vec!["-H", bad],
            vec!["-t", bad],
            vec!["--require", bad],
            vec![bad],
        ] {
            let (code, out, err) = check(&args);
            assert_eq!(code, 3, "{args:?}: {out}");
            assert!(err.is_empty(), "{args:?}: {err}");
            assert!(out.starts_with("CHRONY UNKNOWN - "), "{args:?}: {out}");
            assert_eq!(out.lines().count(), plain_lines, "{args:?}: {out:?}");
            // A `|` on any line would start perfdata in Icinga and Nagios.
            assert!(!out.contains('|'), "{args:?}: {out}");
            for line in out.lines() {
                assert!(
                    !line
                        .chars()
                        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}'),
                    "{args:?}: {line:?}"
                );
                assert!(!line.contains(';'), "{line}");
            }
        }
    }
}

/// SIGTERM (timeout(1), a service manager) while chronyd is frozen: the
/// read is cancelled, the session closed the libchrony way (nothing left
/// beside the socket), and the check ends UNKNOWN at once.
#[test]
fn sigterm_during_a_read_leaves_nothing_behind() {
    let chrony = support::Chrony::start();
    chrony.stop_client();
    let mut cmd = Command::new(BIN);
    cmd.args(["-H", &chrony.socket_address(), "-t", "10"]);
    use std::time::Duration;
    let (status, took, out) = support::sigterm_after(cmd, Duration::from_millis(500));
    chrony.resume_client();
    assert_eq!(status.expect("exit after SIGTERM").code(), Some(3));
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(out.starts_with("CHRONY UNKNOWN - "), "{out}");
    assert!(out.contains("cancelled"), "{out}");
    assert_eq!(chrony.libchrony_leftovers(), Vec::<PathBuf>::new());
}

/// A client whose only server never answers: nothing reachable, nothing
/// usable, no source selected, CRITICAL, and `--on-no-selected` maps.
#[test]
fn no_source_answers() {
    let chrony = support::Chrony::with(support::Options {
        silent_server: true,
        ..support::Options::default()
    });
    let check = |args: &[&str]| {
        let mut cmd = Command::new(BIN);
        cmd.args(["-t", "3", "-H", &chrony.udp_address()])
            .args(args);
        run(cmd)
    };
    let (code, out, _) = check(&[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.starts_with(
            "CHRONY CRITICAL - no source selected (CRITICAL), reachable 0 outside 1: (CRITICAL), \
             usable 0 outside 1: (CRITICAL)"
        ),
        "{out}"
    );
    assert!(out.contains("1 source, 0 reachable, 0 usable"), "{out}");
    assert!(
        out.contains("|sources=1;;;0 reachable=0;;1:;0;1 usable=0;3:;1:;0;1 selected=0;;;0;1 "),
        "{out}"
    );
    // Everything else switched off: only the mapping decides.
    let off = [
        "-m",
        "~:",
        "-n",
        "~:",
        "--reachable-critical",
        "~:",
        "--reach-worst-warning",
        "~:",
        "--reach-mean-warning",
        "~:",
        "--reach-mean-critical",
        "~:",
    ];
    let (code, out, _) = check(&off);
    assert_eq!(code, 2, "{out}");
    let (code, out, _) = check(&[&off[..], &["--on-no-selected", "warning"]].concat());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("CHRONY WARNING - no source selected (WARNING)"),
        "{out}"
    );
    let (code, out, _) = check(&[&off[..], &["--on-no-selected", "ok"]].concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no source selected"), "{out}");
}
