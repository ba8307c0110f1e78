//! The binaries' own entry point (`chrony_plugins::entry!`, which replaces
//! std's start-up) keeps what std's gave them: exit statuses, SIGPIPE
//! ignored (a closed pipe is an error the plugin handles, not a kill),
//! closed standard fds reopened on /dev/null, SIGTERM handled. And the
//! build links libgcc's unwinder statically unless told otherwise.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::Chrony;

const CHECK: &str = env!("CARGO_BIN_EXE_check_chrony_tracking");
const TRACKING: &str = env!("CARGO_BIN_EXE_chrony-tracking");
const TELEGRAF: &str = env!("CARGO_BIN_EXE_telegraf-chrony-tracking");
const COLLECTD: &str = env!("CARGO_BIN_EXE_collectd-chrony-tracking");
const SOURCES: &str = env!("CARGO_BIN_EXE_check_chrony_sources");
const ALL: [&str; 5] = [CHECK, TRACKING, TELEGRAF, COLLECTD, SOURCES];
/// `check_chrony_sources` with every range and mapping switched off: OK
/// whenever chronyd answers, whatever its one source looks like right now.
const SOURCES_ALWAYS_OK: [&str; 18] = [
    "-m",
    "~:",
    "-n",
    "~:",
    "--reachable-critical",
    "~:",
    "--falsetickers-warning",
    "~:",
    "--reach-worst-warning",
    "~:",
    "--reach-mean-warning",
    "~:",
    "--reach-mean-critical",
    "~:",
    "--on-no-selected",
    "ok",
    "-t",
    "5",
];

/// No run may take longer than this, whatever happens.
const LIMIT: Duration = Duration::from_secs(15);

/// Waits for `child` within [`LIMIT`], killing it (and failing) after.
fn wait(mut child: Child, what: &str) -> ExitStatus {
    match support::wait_for_exit(&mut child, LIMIT) {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} ran longer than {LIMIT:?}");
        }
    }
}

/// Runs `bin args` with stdin on /dev/null; (exit code, stdout, stderr).
fn run(bin: &str, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {bin}: {e}"));
    // The outputs are small (a pipe holds 64 KiB): read them after the exit.
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let status = wait(child, bin);
    let (mut stdout, mut stderr) = (String::new(), String::new());
    out.read_to_string(&mut stdout).unwrap();
    err.read_to_string(&mut stderr).unwrap();
    let code = status
        .code()
        .unwrap_or_else(|| panic!("{bin} {args:?} was killed: {status:?}"));
    (code, stdout, stderr)
}

/// Runs `script` with `sh -c`, `$0` and `$@` being `bin` and `args`, so the
/// script can close fds before `exec "$0" "$@"`; returns the exit status.
fn run_in_sh(script: &str, bin: &str, args: &[&str]) -> ExitStatus {
    let child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sh");
    wait(child, bin)
}

#[test]
fn check_exits_with_each_state() {
    let chrony = Chrony::start();
    let udp = chrony.udp_address();
    let (code, out, err) = run(CHECK, &["-H", &udp]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(out.starts_with("CHRONY OK - "), "{out}");
    let (code, out, _) = run(CHECK, &["-H", &udp, "--ref-age-warning", "0.000001"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("CHRONY WARNING - "), "{out}");
    let refused = format!("127.0.0.1:{}", support::free_udp_port());
    let (code, out, _) = run(CHECK, &["-H", &refused, "-t", "2s"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.starts_with("CHRONY CRITICAL - "), "{out}");
    let (code, out, _) = run(CHECK, &["--help"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("Usage: check_chrony_tracking"), "{out}");
    let (code, out, _) = run(CHECK, &["--no-such-option"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.starts_with("CHRONY UNKNOWN - "), "{out}");
}

#[test]
fn clap_binaries_exit_0_on_help_and_2_on_a_usage_error() {
    for bin in [TRACKING, TELEGRAF, COLLECTD] {
        let (code, out, err) = run(bin, &["--help"]);
        assert_eq!((code, err.as_str()), (0, ""), "{bin}: {out}");
        assert!(out.contains("Usage: "), "{bin}: {out}");
        let (code, out, err) = run(bin, &["--no-such-option"]);
        assert_eq!(code, 2, "{bin}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{bin}: {err}");
    }
}

#[test]
fn chrony_tracking_reads_and_fails_with_status_1() {
    let chrony = Chrony::start();
    let (code, out, err) = run(TRACKING, &["-H", &chrony.udp_address()]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert!(out.contains("\nStratum         : 4\n"), "{out}");
    let refused = format!("127.0.0.1:{}", support::free_udp_port());
    let (code, _, err) = run(TRACKING, &["-H", &refused, "-t", "2s"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn a_closed_stdout_pipe_is_an_error_not_sigpipe() {
    // Every binary writes to a pipe nobody reads any more: with SIGPIPE at
    // its default the first write would kill it (signal 13, no status).
    let chrony = Chrony::start();
    let udp = chrony.udp_address();
    let sources_ok = [&["-H", udp.as_str()][..], &SOURCES_ALWAYS_OK[..]].concat();
    let cases: [(&str, &[&str], i32); 6] = [
        (CHECK, &["-H", &udp], 0),
        (CHECK, &["--help"], 3),
        (TRACKING, &["-H", &udp], 1),
        (TELEGRAF, &["-H", &udp, "--once"], 1),
        (SOURCES, &sources_ok, 0),
        (SOURCES, &["--help"], 3),
    ];
    for (bin, args, want) in cases {
        let mut child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let status = wait(child, bin);
        assert_eq!(status.code(), Some(want), "{bin} {args:?}: {status:?}");
    }
}

#[test]
fn closed_standard_fds_are_reopened_on_dev_null() {
    // Started with fds 0, 1 and 2 closed, the check must not hand one of
    // them to libchrony's socket (the report would be written to chronyd).
    let chrony = Chrony::start();
    let udp = chrony.udp_address();
    let status = run_in_sh(r#"exec "$0" "$@" <&- >&- 2>&-"#, CHECK, &["-H", &udp]);
    assert_eq!(status.code(), Some(0), "{status:?}");
    let sources_ok = [&["-H", udp.as_str()][..], &SOURCES_ALWAYS_OK[..]].concat();
    let status = run_in_sh(r#"exec "$0" "$@" <&- >&- 2>&-"#, SOURCES, &sources_ok);
    assert_eq!(status.code(), Some(0), "{status:?}");

    // A long-running plugin, looked at from outside while it runs.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"exec "$0" "$@" >&- 2>&-"#)
        .arg(TELEGRAF)
        .args(["-H", &udp])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let fd_dir = format!("/proc/{}/fd", child.id());
    let start = Instant::now();
    let links = loop {
        // Once exec'd (its own binary), fds 1 and 2 are whatever it made of them.
        let exe = std::fs::read_link(format!("/proc/{}/exe", child.id()));
        if exe.is_ok_and(|e| e == Path::new(TELEGRAF)) {
            sleep(Duration::from_millis(200));
            let link = |fd| std::fs::read_link(format!("{fd_dir}/{fd}")).ok();
            break [link(1), link(2)];
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("telegraf-chrony-tracking did not start");
        }
        sleep(Duration::from_millis(10));
    };
    drop(child.stdin.take());
    let status = wait(child, TELEGRAF);
    for link in &links {
        assert_eq!(link.as_deref(), Some(Path::new("/dev/null")), "{links:?}");
    }
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn sigterm_ends_each_binary_as_before() {
    // chronyd frozen: every read hangs until the timeout, so only SIGTERM
    // can end it early. The check says UNKNOWN (3), the long-running
    // plugins stop with 0.
    let chrony = Chrony::start();
    chrony.stop_client();
    let udp = chrony.udp_address();
    for (bin, args, want) in [
        (CHECK, vec!["-H", &udp, "-t", "10s"], 3),
        (SOURCES, vec!["-H", &udp, "-t", "10s"], 3),
        (
            TELEGRAF,
            vec!["-H", &udp, "-t", "10s", "--interval", "1s"],
            0,
        ),
        (COLLECTD, vec!["-H", &udp, "-t", "10s"], 0),
    ] {
        let mut child = Command::new(bin)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        sleep(Duration::from_millis(500));
        let (status, took) = support::sigterm_timed(&mut child, Duration::from_secs(5));
        let status = status.unwrap_or_else(|| panic!("{bin} ignored SIGTERM"));
        assert_eq!(status.code(), Some(want), "{bin}: {status:?}");
        assert!(took < Duration::from_secs(2), "{bin}: {took:?}");
    }
    chrony.resume_client();
}

#[test]
fn binaries_link_as_the_build_says() {
    // build.rs sets this: `static` unless CHRONY_PLUGINS_DYNAMIC_UNWINDER
    // was set or the linker is cargo-zigbuild's.
    let unwinder = env!("CHRONY_PLUGINS_UNWINDER");
    for bin in ALL {
        let out = Command::new("readelf")
            .args(["-d", bin])
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run readelf: {e} (install Debian package binutils)")
            });
        assert!(out.status.success(), "readelf -d {bin} failed");
        let dynamic = String::from_utf8_lossy(&out.stdout);
        assert!(dynamic.contains("[libchrony.so"), "{bin}: {dynamic}");
        let loads_libgcc_s = dynamic.contains("[libgcc_s.so");
        assert_eq!(loads_libgcc_s, unwinder == "dynamic", "{bin}: {dynamic}");
        // Full RELRO stays: the GOT is read-only before main runs.
        assert!(dynamic.contains("BIND_NOW"), "{bin}: {dynamic}");
        // Packed relative relocations only with the version need that makes
        // a glibc without DT_RELR refuse the binary rather than run it
        // unrelocated.
        if dynamic.contains("(RELR)") {
            let out = Command::new("readelf").args(["-V", bin]).output().unwrap();
            let versions = String::from_utf8_lossy(&out.stdout);
            assert!(versions.contains("GLIBC_ABI_DT_RELR"), "{bin}: {versions}");
        }
    }
}

/// `-V` names the binary that was run (clap's default would be the crate's
/// name, `chrony-plugins`, for every binary), as monitoring-plugins' checks
/// print `check_ntp_time v2.3`.
#[test]
fn version_names_each_binary() {
    for (path, name) in [
        (CHECK, "check_chrony_tracking"),
        (SOURCES, "check_chrony_sources"),
        (TRACKING, "chrony-tracking"),
        (env!("CARGO_BIN_EXE_chrony-report"), "chrony-report"),
        (env!("CARGO_BIN_EXE_telegraf-chrony"), "telegraf-chrony"),
        (TELEGRAF, "telegraf-chrony-tracking"),
        (COLLECTD, "collectd-chrony-tracking"),
    ] {
        let out = Command::new(path).arg("-V").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.starts_with(&format!("{name} {}", env!("CARGO_PKG_VERSION"))),
            "{name} -V printed {text:?}"
        );
    }
}

#[test]
fn usage_errors_fit_one_stderr_line_of_4_kib() {
    // The offending value is quoted in the message: one of 100 KB must not
    // make a stderr line longer than one pipe write (Telegraf stops reading
    // stderr for good after a line over 64 KiB).
    let long = "x".repeat(100_000);
    let bins = [
        TRACKING,
        TELEGRAF,
        COLLECTD,
        env!("CARGO_BIN_EXE_telegraf-chrony"),
        env!("CARGO_BIN_EXE_chrony-report"),
    ];
    for bin in bins {
        for args in [vec!["-H", long.as_str()], vec![long.as_str()]] {
            // output() drains both pipes while the binary runs.
            let output = Command::new(bin)
                .args(&args)
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("start {bin}: {e}"));
            assert_eq!(output.status.code(), Some(2), "{bin}");
            let err = String::from_utf8_lossy(&output.stderr);
            assert_eq!(err.lines().count(), 1, "{bin}");
            assert!(err.len() <= 4096, "{bin}: {} bytes", err.len());
            assert!(err.ends_with(" (see --help)\n"), "{bin}: {err}");
        }
    }
    // collectd's settings are quoted in their errors too.
    for var in ["COLLECTD_INTERVAL", "COLLECTD_HOSTNAME"] {
        let output = Command::new(COLLECTD)
            .args(["-H", "127.0.0.1:1", "--once"])
            .env(var, "1".repeat(100_000))
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("start {COLLECTD}: {e}"));
        assert_eq!(output.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(err.lines().count(), 1, "{var}");
        assert!(err.len() <= 4096, "{var}: {} bytes", err.len());
        assert!(
            err.starts_with(&format!("collectd-chrony-tracking: {var}")),
            "{err}"
        );
    }
}
