//! `check_chrony_tracking` end to end against real chronyd (see `support`):
//! the exit code and output a monitoring system sees in each state.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::{as_nobody, Chrony, Options};

const BIN: &str = env!("CARGO_BIN_EXE_check_chrony_tracking");

/// No run of the check may take longer than this, whatever happens.
const HARD_LIMIT: Duration = Duration::from_secs(15);

/// Runs `cmd` to completion, killing it if it outlives [`HARD_LIMIT`] (then
/// the test fails instead of hanging). Returns the output and the wall time.
fn run_command(mut cmd: Command) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the check");
    // Read the pipes on threads so a full pipe cannot stall the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let Some(status) = support::wait_for_exit(&mut child, HARD_LIMIT) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("the check ran longer than {HARD_LIMIT:?}");
    };
    let elapsed = start.elapsed();
    let output = Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    };
    (output, elapsed)
}

fn check(args: &[&str]) -> (i32, String, Duration) {
    let mut cmd = Command::new(BIN);
    cmd.args(args);
    finish(run_command(cmd))
}

fn finish((output, elapsed): (Output, Duration)) -> (i32, String, Duration) {
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.is_empty(),
        "the check wrote to stderr (monitoring drops it): {stderr}"
    );
    let code = output
        .status
        .code()
        .expect("exited, not killed by a signal");
    (code, stdout, elapsed)
}

/// Runs the check until it exits with `want` (chronyd takes a few updates to
/// show a configured offset in full), at most 20 s; returns the last run.
fn check_until(args: &[&str], want: i32, chrony: &Chrony) -> (i32, String) {
    let start = Instant::now();
    loop {
        let (code, out, _) = check(args);
        if code == want || start.elapsed() > Duration::from_secs(20) {
            assert_eq!(code, want, "{out}\n{}", chrony.logs());
            return (code, out);
        }
        sleep(Duration::from_millis(250));
    }
}

fn first_line(out: &str) -> &str {
    out.lines().next().unwrap_or("")
}

fn assert_no_leftovers(chrony: &Chrony) {
    assert_eq!(
        chrony.libchrony_leftovers(),
        Vec::<std::path::PathBuf>::new(),
        "libchrony client socket dirs left behind"
    );
}

#[test]
fn synchronised_is_ok_over_udp_and_socket() {
    let chrony = Chrony::start();
    for address in [chrony.udp_address(), chrony.socket_address()] {
        let (code, out, _) = check(&["-H", &address]);
        assert_eq!(code, 0, "{out}\n{}", chrony.logs());
        let line = first_line(&out);
        assert!(line.starts_with("CHRONY OK - offset "), "{line}");
        assert!(
            line.contains(", reference 127.0.0.1 stratum 4, leap status normal|offset="),
            "{line}"
        );
        for label in [
            " offset_abs=",
            " last_offset=",
            " rms_offset=",
            " frequency=",
            " frequency_abs=",
            " residual_frequency=",
            " skew=",
            " root_delay=",
            " root_dispersion=",
            " root_distance=",
            " stratum=4;;;0;16",
            " update_interval=",
            " ref_age=",
        ] {
            assert!(line.contains(label), "{label} missing: {line}");
        }
        assert!(!line.contains("e-"), "exponent in {line}");
        assert_eq!(out.lines().count(), 1, "{out}");
    }
    assert_no_leftovers(&chrony);
}

#[test]
fn offset_of_50ms_is_warning_with_tight_thresholds() {
    let chrony = Chrony::with(Options {
        offset: Some(0.05),
        ..Options::default()
    });
    let udp = chrony.udp_address();
    let (_, out) = check_until(&["-H", &udp, "-w", "0.01", "-c", "0.1"], 1, &chrony);
    let line = first_line(&out);
    assert!(line.starts_with("CHRONY WARNING - offset +0.0"), "{line}");
    assert!(
        line.contains(" s outside 0.01 (WARNING), reference 127.0.0.1 stratum 4"),
        "{line}"
    );
    assert!(line.contains("|offset=0.0"), "{line}");
    // The ranges are on the absolute value, where the check applied them.
    assert!(line.contains(" offset_abs=0.0"), "{line}");
    assert!(line.contains("s;0.01;0.1 "), "{line}");
    // Over the socket too, and with -v one line per metric.
    let socket = chrony.socket_address();
    let (code, out, _) = check(&["-H", &socket, "-w", "0.01", "-c", "0.1", "-v"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\noffset +0.0"), "{out}");
    assert!(
        out.contains(": WARNING, absolute value outside 0.01\n"),
        "{out}"
    );
    assert_no_leftovers(&chrony);
}

#[test]
fn offset_of_half_a_second_is_critical() {
    let chrony = Chrony::with(Options {
        offset: Some(0.5),
        ..Options::default()
    });
    let udp = chrony.udp_address();
    let (_, out) = check_until(&["-H", &udp, "-w", "0.01", "-c", "0.1"], 2, &chrony);
    let line = first_line(&out);
    assert!(line.starts_with("CHRONY CRITICAL - offset +0."), "{line}");
    assert!(line.contains("outside 0.1 (CRITICAL)"), "{line}");
}

#[test]
fn server_never_answering_is_critical_not_synchronized() {
    let chrony = Chrony::with(Options {
        silent_server: true,
        ..Options::default()
    });
    let (code, out, _) = check(&["-H", &chrony.udp_address()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        first_line(&out).starts_with(
            "CHRONY CRITICAL - not synchronized: chronyd has no usable source (CRITICAL)|offset="
        ),
        "{out}"
    );
    // chronyd's placeholders (stratum 0, root delay and dispersion 1 s,
    // skew 0, no reference time) are not values: left out, never `U`.
    for absent in [
        "stratum=",
        "root_delay=",
        "root_dispersion=",
        "root_distance=",
        "skew=",
        "residual_frequency=",
        "ref_age=",
        "=U",
        ";0.1;1",
    ] {
        assert!(!out.contains(absent), "{absent} in {out}");
    }
    // The option maps it.
    let (code, out, _) = check(&[
        "-H",
        &chrony.udp_address(),
        "--on-unsynchronized",
        "warning",
    ]);
    assert_eq!(code, 1, "{out}");
}

#[test]
fn stopped_chronyd_is_critical_within_the_timeout() {
    let chrony = Chrony::start();
    chrony.stop_client();
    for address in [chrony.udp_address(), chrony.socket_address()] {
        let (code, out, elapsed) = check(&["-H", &address, "-t", "2"]);
        assert_eq!(code, 2, "{out}");
        assert!(
            elapsed < Duration::from_millis(2200),
            "took {elapsed:?} with -t 2"
        );
        assert!(
            elapsed >= Duration::from_millis(1900),
            "gave up after {elapsed:?}"
        );
        assert_eq!(
            first_line(&out),
            format!(
                "CHRONY CRITICAL - {address}: no answer within 2s (chronyd stopped, overloaded, or packets dropped)"
            )
        );
    }
    chrony.resume_client();
    assert_no_leftovers(&chrony);
}

#[test]
fn chronyd_not_running_is_critical_at_once() {
    let mut chrony = Chrony::start();
    chrony.kill_client();
    let udp = chrony.udp_address();
    let (code, out, elapsed) = check(&["-H", &udp]);
    assert_eq!(code, 2, "{out}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert!(
        first_line(&out).starts_with(&format!("CHRONY CRITICAL - {udp}: connection refused")),
        "{out}"
    );
    let socket = chrony.socket_address();
    let (code, out, elapsed) = check(&["-H", &socket]);
    assert_eq!(code, 2, "{out}");
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
    assert!(
        first_line(&out).starts_with(&format!("CHRONY CRITICAL - {socket}: ")),
        "{out}"
    );
    assert_no_leftovers(&chrony);
}

#[test]
fn nobody_reads_the_command_port_but_not_the_socket() {
    let chrony = Chrony::start();
    let bin = chrony.copy_for_nobody(Path::new(BIN));

    let mut cmd = as_nobody(&bin);
    cmd.args(["-H", &chrony.udp_address()]);
    let (code, out, _) = finish(run_command(cmd));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("CHRONY OK - "), "{out}");

    let mut cmd = as_nobody(&bin);
    cmd.args(["-H", &chrony.socket_address()]);
    let (code, out, _) = finish(run_command(cmd));
    assert_eq!(code, 3, "{out}");
    let line = first_line(&out);
    assert!(
        line.starts_with(&format!(
            "CHRONY UNKNOWN - {}: permission denied",
            chrony.socket_address()
        )),
        "{line}"
    );
    assert!(line.contains("UDP command port, 127.0.0.1:323"), "{line}");
    // Nagios 4, Naemon and Centreon would turn a `;` into `:`.
    assert!(!out.contains(';'), "{out}");
    assert_no_leftovers(&chrony);
}

#[test]
fn bad_range_is_unknown_with_usage_on_stdout() {
    let (code, out, _) = check(&["-w", "1:0"]);
    assert_eq!(code, 3);
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "CHRONY UNKNOWN - invalid value '1:0' for -w/--warning: start 1 is greater than end 0"
    );
    assert!(lines
        .next()
        .unwrap()
        .starts_with("Usage: check_chrony_tracking "));
}

#[test]
fn usage_errors_are_one_line_and_unknown() {
    for (args, first) in [
        (
            &["--frobnicate"][..],
            "CHRONY UNKNOWN - unknown option '--frobnicate'",
        ),
        (
            &["-t", "soon"][..],
            "CHRONY UNKNOWN - invalid value 'soon' for -t/--timeout: not a duration",
        ),
        (
            &["-H", "chrony.example.org"][..],
            "CHRONY UNKNOWN - invalid value 'chrony.example.org' for -H/--host: ",
        ),
        (
            &["-c"][..],
            "CHRONY UNKNOWN - option -c/--critical needs a value",
        ),
        (
            &["-W", "x"][..],
            "CHRONY UNKNOWN - invalid value 'x' for -W/--stratum-warning: ",
        ),
        (
            &["localhost"][..],
            "CHRONY UNKNOWN - unexpected argument 'localhost'",
        ),
    ] {
        let (code, out, _) = check(args);
        assert_eq!(code, 3, "{args:?}: {out}");
        assert!(first_line(&out).starts_with(first), "{args:?}: {out}");
        assert_eq!(out.lines().count(), 3, "{args:?}: {out}");
    }
}

#[test]
fn help_and_version_exit_3_on_stdout() {
    // As monitoring-plugins' checks do: help is not a check result.
    let (code, out, _) = check(&["--help"]);
    assert_eq!(code, 3);
    assert!(
        out.contains("Usage: check_chrony_tracking [OPTIONS]"),
        "{out}"
    );
    assert!(out.contains("--ref-age-warning"), "{out}");
    let (code, out, _) = check(&["-V"]);
    assert_eq!(code, 3);
    assert_eq!(
        out,
        format!("check_chrony_tracking {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn closed_stdout_does_not_panic() {
    let chrony = Chrony::start();
    let mut child = Command::new(BIN)
        .args(["-H", &chrony.udp_address()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end before the check writes.
    drop(child.stdout.take());
    let status = support::wait_for_exit(&mut child, HARD_LIMIT).expect("the check hung");
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(err.is_empty(), "{err}");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn verbose_2_shows_how_auto_style_lists_resolve() {
    // A list whose first candidate does not exist: -vv says it was skipped.
    let chrony = Chrony::start();
    let list = format!(
        "{}/nothing.sock,{}",
        chrony.dir.display(),
        chrony.udp_address()
    );
    let (code, out, _) = check(&["-H", &list, "-vv"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\nskipped "), "{out}");
    assert!(out.contains("nothing.sock: no such socket"), "{out}");
    assert!(
        out.contains(&format!("\nanswered by {}\n", chrony.udp_address())),
        "{out}"
    );
    assert!(out.contains("\ntimeout 10s\n"), "{out}");
}

#[test]
fn usage_error_keeps_pipes_and_newlines_out_of_the_status_line() {
    let (_, plain, _) = check(&["-w", "x"]);
    for bad in ["1|x", "1\nx"] {
        let (code, out, _) = check(&["-w", bad]);
        assert_eq!(code, 3);
        let first = first_line(&out);
        assert!(first.starts_with("CHRONY UNKNOWN - "), "{out}");
        assert!(!first.contains('|'), "{first}");
        assert_eq!(out.lines().count(), plain.lines().count(), "{out}");
    }
}

#[test]
fn sigterm_during_a_read_leaves_nothing_behind() {
    // A check killed with SIGTERM (timeout(1), a service manager) while
    // chronyd is frozen: the read is cancelled, the session closed the
    // libchrony way, and the check ends UNKNOWN at once.
    let chrony = Chrony::start();
    chrony.stop_client();
    let mut cmd = Command::new(BIN);
    cmd.args(["-H", &chrony.socket_address(), "-t", "10"]);
    let (status, took, out) = support::sigterm_after(cmd, Duration::from_millis(500));
    assert_eq!(status.expect("exit after SIGTERM").code(), Some(3));
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(out.contains("cancelled"), "{out}");
    chrony.resume_client();
    assert_no_leftovers(&chrony);
}
