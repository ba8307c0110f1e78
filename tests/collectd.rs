//! `collectd-chrony-tracking` against real chronyd (see `support`): values,
//! schedule, signals, chronyd stopping and restarting, bad input.

mod collectd_support;
mod support;

use chrony_plugins::collectd::{Metric, SourceMetric};
use chrony_plugins::{number, Client, Target, Tracking};
use collectd_support::{command, putnotif, putval, Putval, Running};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{free_udp_port, Chrony, Options};

const TIMEOUT: Duration = Duration::from_secs(3);

fn library(address: &str) -> Tracking {
    Client::new(address.parse::<Target>().unwrap())
        .tracking(TIMEOUT)
        .unwrap()
}

/// Runs `--once` with `args`; returns status, stdout lines, stderr lines.
fn once(args: &[&str]) -> (i32, Vec<String>, Vec<String>) {
    let out = command()
        .arg("--once")
        .args(args)
        .output()
        .expect("run the plugin");
    let text = |b: &[u8]| {
        String::from_utf8(b.to_vec())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

fn by_type(lines: &[String]) -> HashMap<String, Putval> {
    lines
        .iter()
        .filter(|l| l.starts_with("PUTVAL "))
        .map(|l| {
            let p = putval(l);
            (p.type_part().to_string(), p)
        })
        .collect()
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[test]
fn once_matches_the_library() {
    let chrony = Chrony::start();
    let address = chrony.udp_address();
    // chronyd updates the clock every 0.25 s: retry until the plugin's read
    // falls between two library reads of the same update.
    for _ in 0..40 {
        let before = library(&address);
        let start = now_secs();
        let (status, lines, stderr) = once(&["-H", &address, "--hostname", "h1"]);
        let end = now_secs();
        let after = library(&address);
        assert_eq!(status, 0, "{stderr:?}");
        assert!(stderr.is_empty(), "{stderr:?}");
        let values = by_type(&lines);
        // 15 tracking values and 8 for the one source, 127.0.0.1.
        assert_eq!(values.len(), 15 + 8, "{lines:?}");
        assert_eq!(
            lines.len(),
            15 + 8,
            "no notification when synchronised: {lines:?}"
        );
        for m in SourceMetric::ALL {
            let key = format!("{}-127.0.0.1", m.type_name());
            assert_eq!(values[&key].identifier, format!("h1/chrony/{key}"));
        }
        if before.reference_time != after.reference_time {
            continue;
        }
        for m in Metric::ALL {
            let key = format!("{}-{}", m.type_name(), m.type_instance());
            let p = &values[&key];
            assert_eq!(p.identifier, format!("h1/chrony/{key}"));
            assert_eq!(p.interval, "10");
            assert!(
                (start..=end).contains(&p.time),
                "{p:?} not in {start}..{end}"
            );
            // Expected values straight from the Tracking fields, not through
            // the renderer under test, so a swapped mapping cannot hide.
            let moving = |t: &chrony_plugins::Tracking| match m {
                Metric::CurrentCorrection => t.current_correction,
                Metric::RootDispersion => t.root_dispersion,
                _ => t.root_distance(),
            };
            let d = |v: f64| chrony_plugins::number::decimal(v).unwrap();
            let exact = match m {
                Metric::Stratum => before.stratum.to_string(),
                Metric::ReferenceTime => before.reference_time.to_string(),
                Metric::LastOffset => d(before.last_offset),
                Metric::RmsOffset => d(before.rms_offset),
                Metric::Frequency => d(before.frequency),
                Metric::Skew => d(before.skew),
                Metric::RootDelay => d(before.root_delay),
                Metric::UpdateInterval => d(before.update_interval),
                Metric::ResidualFrequency => d(before.residual_frequency),
                Metric::LeapStatus => "0".to_string(),
                Metric::Synchronised => "1".to_string(),
                _ => String::new(),
            };
            match m {
                // Move with time between reads: within the two library reads.
                Metric::CurrentCorrection | Metric::RootDispersion | Metric::RootDistance => {
                    let v: f64 = p.value.parse().unwrap();
                    let (b, a) = (moving(&before), moving(&after));
                    assert!(
                        v >= b.min(a) - 1e-9 && v <= b.max(a) + 1e-9,
                        "{key}: {v} not between {b} and {a}"
                    );
                }
                Metric::ReferenceAge => {
                    let v: f64 = p.value.parse().unwrap();
                    let want =
                        p.time - before.reference_time.as_secs_f64() + before.current_correction;
                    assert!((v - want).abs() < 1e-5, "{key}: {v} vs {want}");
                }
                _ => assert_eq!(p.value, exact, "{key}"),
            }
        }
        assert_eq!(
            values["time_ref-chrony"].value,
            after.reference_time.to_string()
        );
        assert_eq!(values["clock_stratum-chrony"].value, "4");
        assert_eq!(values["gauge-chrony_synchronised"].value, "1");
        assert_eq!(
            values["frequency_error-chrony"].value,
            number::decimal(before.frequency).unwrap()
        );
        return;
    }
    panic!("never read one clock update three times in a row");
}

#[test]
fn once_builtin_only_and_plugin_instance() {
    let chrony = Chrony::start();
    let (status, lines, _) = once(&[
        "-H",
        &chrony.socket_address(),
        "--hostname",
        "h1",
        "--plugin-instance",
        "second-chronyd",
        "--builtin-only",
    ]);
    assert_eq!(status, 0);
    let values = by_type(&lines);
    // The built-in's ten tracking values and eight for the one source.
    assert_eq!(lines.len(), 10 + 8, "{lines:?}");
    for m in SourceMetric::ALL {
        let key = format!("{}-127.0.0.1", m.type_name());
        assert_eq!(
            values[&key].identifier,
            format!("h1/chrony-second-chronyd/{key}")
        );
    }
    for &m in Metric::BUILTIN {
        let key = format!("{}-chrony", m.type_name());
        assert_eq!(
            values[&key].identifier,
            format!("h1/chrony-second-chronyd/{key}")
        );
    }
}

#[test]
fn hostname_from_environment_then_system() {
    let chrony = Chrony::start();
    let address = chrony.udp_address();
    let out = command()
        .args(["--once", "-H", &address])
        .env("COLLECTD_HOSTNAME", "from-env")
        .env("COLLECTD_INTERVAL", "2.500")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let first = putval(text.lines().next().unwrap());
    assert_eq!(first.identifier, "from-env/chrony/clock_stratum-chrony");
    assert_eq!(first.interval, "2.5");

    let (_, lines, _) = once(&["-H", &address]);
    let system = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(
        putval(&lines[0]).identifier,
        format!("{}/chrony/clock_stratum-chrony", system.trim())
    );

    // The option wins over the environment.
    let out = command()
        .args(["--once", "-H", &address, "--hostname", "opt", "-i", "5s"])
        .env("COLLECTD_HOSTNAME", "from-env")
        .env("COLLECTD_INTERVAL", "2.500")
        .output()
        .unwrap();
    let first = putval(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    );
    assert_eq!(first.identifier, "opt/chrony/clock_stratum-chrony");
    assert_eq!(first.interval, "5");
}

#[test]
fn unsynchronised_chronyd_sends_failure_once_and_values() {
    let chrony = Chrony::with(Options {
        silent_server: true,
        ..Options::default()
    });
    let (status, lines, stderr) = once(&["-H", &chrony.udp_address(), "--hostname", "h1"]);
    assert_eq!(status, 0, "{stderr:?}");
    let notif = putnotif(&lines[0]);
    assert_eq!(notif["severity"], "failure");
    assert_eq!(notif["type"], "gauge");
    assert_eq!(notif["type_instance"], "chrony_synchronised");
    assert!(notif["message"].contains("not synchronised"), "{notif:?}");
    let values = by_type(&lines[1..]);
    assert_eq!(values.len(), 15 + 8);
    // The one source never answered: all its values undefined.
    for m in SourceMetric::ALL {
        assert_eq!(values[&format!("{}-127.0.0.1", m.type_name())].value, "U");
    }
    assert_eq!(values["gauge-chrony_synchronised"].value, "0");
    assert_eq!(values["gauge-chrony_leap_status"].value, "3");
    assert_eq!(values["clock_stratum-chrony"].value, "0");
    assert_eq!(values["time_ref-chrony"].value, "U");
    assert_eq!(values["gauge-chrony_reference_age"].value, "U");
}

#[test]
fn unreachable_chronyd_once_fails_with_notification() {
    let address = format!("127.0.0.1:{}", free_udp_port());
    let (status, lines, stderr) = once(&["-H", &address, "--hostname", "h1"]);
    assert_eq!(status, 1);
    assert_eq!(lines.len(), 1, "only the notification: {lines:?}");
    let notif = putnotif(&lines[0]);
    assert_eq!(notif["severity"], "failure");
    assert!(notif["message"].contains("connection refused"), "{notif:?}");
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(stderr[0].contains(&address), "{stderr:?}");
}

#[test]
fn loop_follows_collectd_interval_with_stdin_closed() {
    let chrony = Chrony::start();
    let mut cmd = command();
    cmd.args(["-H", &chrony.udp_address()])
        .env("COLLECTD_INTERVAL", "1.000")
        .env("COLLECTD_HOSTNAME", "looper");
    // stdin is closed at once by Running::spawn, as collectd does.
    let mut plugin = Running::spawn(cmd);
    let mut times = Vec::new();
    while times.len() < 4 {
        let (line, _) = plugin.until(Duration::from_secs(3), |l| {
            l.starts_with("PUTVAL looper/chrony/clock_stratum-chrony ")
        });
        let p = putval(&line);
        assert_eq!(p.interval, "1");
        times.push(p.time);
    }
    for (k, t) in times.iter().enumerate() {
        let gap = t - times[0] - k as f64;
        assert!(
            gap.abs() < 0.1,
            "gather {k} at {t}: {gap} s off the grid ({times:?})"
        );
    }
    // SIGTERM between gathers ends it promptly with status 0.
    let start = Instant::now();
    let status = plugin.terminate(Duration::from_secs(1));
    assert!(status.success(), "{status:?}");
    assert!(start.elapsed() < Duration::from_secs(1));
    assert!(plugin.stderr().is_empty(), "{:?}", plugin.stderr());
}

#[test]
fn sigterm_exits_at_once_with_long_interval() {
    let chrony = Chrony::start();
    let mut cmd = command();
    cmd.args(["-H", &chrony.udp_address(), "--interval", "60s"]);
    let mut plugin = Running::spawn(cmd);
    plugin.until(Duration::from_secs(5), |l| l.starts_with("PUTVAL "));
    std::thread::sleep(Duration::from_millis(100));
    let start = Instant::now();
    let status = plugin.terminate(Duration::from_secs(1));
    assert_eq!(status.code(), Some(0));
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn sigterm_during_a_read_cancels_it() {
    // A read of a frozen chronyd would last the whole --timeout; SIGTERM
    // cancels it, the session closes the libchrony way, exit 0 at once.
    let chrony = Chrony::start();
    let mut cmd = command();
    cmd.args([
        "-H",
        &chrony.socket_address(),
        "--interval",
        "60s",
        "--timeout",
        "30s",
    ]);
    chrony.stop_client();
    let mut plugin = Running::spawn(cmd);
    std::thread::sleep(Duration::from_millis(300));
    let start = Instant::now();
    let status = plugin.terminate(Duration::from_secs(2));
    assert_eq!(status.code(), Some(0));
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
    chrony.resume_client();
    assert!(chrony.libchrony_leftovers().is_empty());
}

#[test]
fn stopped_chronyd_fails_once_then_recovers() {
    let chrony = Chrony::start();
    let mut cmd = command();
    cmd.args([
        "-H",
        &chrony.udp_address(),
        "--interval",
        "300ms",
        "--hostname",
        "h1",
    ]);
    let plugin = Running::spawn(cmd);
    plugin.until(Duration::from_secs(3), |l| l.starts_with("PUTVAL "));

    chrony.stop_client();
    let (failure, _) = plugin.until(Duration::from_secs(3), |l| l.starts_with("PUTNOTIF "));
    let notif = putnotif(&failure);
    assert_eq!(notif["severity"], "failure", "{failure}");
    assert!(notif["message"].contains("stopped answering"), "{failure}");
    // Several silent intervals: nothing more, neither values nor notifications.
    let quiet = plugin.collect(Duration::from_millis(1500));
    assert!(quiet.is_empty(), "{quiet:?}");
    let stderr = plugin.stderr();
    assert_eq!(stderr.len(), 1, "one stderr line per condition: {stderr:?}");
    assert!(stderr[0].contains("no answer"), "{stderr:?}");

    chrony.resume_client();
    let (okay, _) = plugin.until(Duration::from_secs(3), |l| l.starts_with("PUTNOTIF "));
    let notif = putnotif(&okay);
    assert_eq!(notif["severity"], "okay", "{okay}");
    assert!(notif["message"].contains("answers again"), "{okay}");
    plugin.until(Duration::from_secs(3), |l| {
        l.starts_with("PUTVAL h1/chrony/")
    });
    assert_eq!(plugin.stderr().len(), 1);
}

#[test]
fn chronyd_restart_survived() {
    let mut chrony = Chrony::start();
    let mut cmd = command();
    cmd.args([
        "-H",
        &chrony.udp_address(),
        "--interval",
        "300ms",
        "--hostname",
        "h1",
    ]);
    let mut plugin = Running::spawn(cmd);
    plugin.until(Duration::from_secs(3), |l| l.starts_with("PUTVAL "));
    chrony.restart_client();
    let restarted = now_secs();
    // Values flow again from the new chronyd, without restarting the plugin.
    let (line, _) = plugin.until(Duration::from_secs(10), |l| {
        l.starts_with("PUTVAL h1/chrony/clock_stratum-chrony ") && putval(l).time > restarted
    });
    assert_eq!(putval(&line).value, "4");
    assert!(
        plugin.wait(Duration::ZERO).is_none(),
        "the plugin exited instead of riding out the restart"
    );
}

#[test]
fn bad_flags_and_settings_fail_with_one_line() {
    // (arguments, environment, what the error line must name)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (&["--interval", "0"], &[], "--interval"),
        (&["--interval", "soon"], &[], "--interval"),
        (&["--timeout=-1"], &[], "--timeout"),
        (&["--frobnicate"], &[], "--frobnicate"),
        (&["-H", "no such:host:x"], &[], "--host"),
        (&["--plugin-instance", "a/b"], &[], "--plugin-instance"),
        (&["--hostname", ""], &[], "--hostname"),
        (&[], &[("COLLECTD_INTERVAL", "ten")], "COLLECTD_INTERVAL"),
        (&[], &[("COLLECTD_INTERVAL", "0.000")], "COLLECTD_INTERVAL"),
        (&[], &[("COLLECTD_HOSTNAME", "a/b")], "COLLECTD_HOSTNAME"),
        (
            &[],
            &[("COLLECTD_HOSTNAME", "two\nlines")],
            "COLLECTD_HOSTNAME",
        ),
    ];
    for (args, env, mentions) in cases {
        // Never `auto`: a bug here must not read the host's own chronyd.
        let target: &[&str] = if args.contains(&"-H") {
            &[]
        } else {
            &["-H", "127.0.0.1:1"]
        };
        let out = command()
            .arg("--once")
            .args(target)
            .args(*args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(stderr.lines().count(), 1, "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains(mentions), "{args:?} {env:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn closed_stdout_ends_without_panic() {
    let chrony = Chrony::start();
    let mut child = command()
        .args(["-H", &chrony.udp_address(), "--interval", "100ms"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // collectd gone: nobody reads stdout any more.
    drop(child.stdout.take());
    let Some(status) = support::wait_for_exit(&mut child, Duration::from_secs(3)) else {
        let _ = child.kill();
        panic!("still running 3 s after stdout was closed");
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write to stdout"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn sigterm_while_stdout_is_full_exits_0() {
    // The consumer is alive but not reading: every write blocks. SIGTERM
    // must still end the plugin, with status 0.
    let chrony = Chrony::start();
    let mut cmd = command();
    cmd.args([
        "-H",
        &chrony.udp_address(),
        "--interval",
        "1ms",
        "--hostname",
        "h1",
    ]);
    let (status, took) = support::sigterm_while_stdout_is_full(cmd);
    assert_eq!(status.and_then(|s| s.code()), Some(0), "after {took:?}");
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[test]
fn stdout_is_left_blocking_for_whoever_shares_it() {
    // O_NONBLOCK on fd 1 would reach the shell, the rest of a pipeline or
    // the terminal, and outlive the plugin.
    let mut cmd = command();
    cmd.args(["--once", "-H", "127.0.0.1:1", "--hostname", "h1"]);
    assert!(!support::leaves_stdout_nonblocking(cmd));
}

#[test]
fn sigterm_as_nobody_with_a_full_root_pipe_on_stdout_or_stderr() {
    // collectd's exec plugin creates the pipes as root and runs the plugin
    // as nobody, which cannot reopen them (EACCES). A full, never-read
    // stdout or stderr must still not keep the plugin alive past SIGTERM.
    let chrony = Chrony::start();
    let bin = chrony.copy_for_nobody(std::path::Path::new(collectd_support::bin()));
    // A refused port too: its failure line goes to stderr.
    let closed = format!("127.0.0.1:{}", free_udp_port());
    for stream in [support::Stream::Stdout, support::Stream::Stderr] {
        for address in [chrony.udp_address(), closed.clone()] {
            let mut cmd = support::as_nobody(&bin);
            cmd.env_remove("COLLECTD_INTERVAL")
                .env_remove("COLLECTD_HOSTNAME")
                .args(["-H", &address, "--hostname", "h1", "--interval", "10ms"]);
            let status = support::sigterm_with_a_full_pipe(cmd, stream);
            let status = status.unwrap_or_else(|| panic!("{stream:?} {address}: still running"));
            assert_eq!(status.code(), Some(0), "{stream:?} {address}");
        }
    }
}

#[test]
fn every_user_signal_leaves_no_libchrony_directory() {
    // The Unix-socket session stays open between gathers: no signal may end
    // the process by its default action and leave libchrony's client-socket
    // directory behind. HUP/USR1/USR2/ALRM/PIPE change nothing here.
    let chrony = Chrony::start();
    for signal in support::USER_SIGNALS {
        let mut cmd = command();
        cmd.args(["-H", &chrony.socket_address(), "--hostname", "h1"])
            .args(["--interval", "1h"]);
        let mut plugin = Running::spawn(cmd);
        plugin.until(TIMEOUT, |l| l.starts_with("PUTVAL "));
        plugin.collect(Duration::from_millis(100));
        plugin.signal(signal);
        if !support::ends_the_run(signal) {
            assert_eq!(
                plugin.collect(Duration::from_millis(300)),
                Vec::<String>::new()
            );
            assert!(plugin.child.try_wait().unwrap().is_none(), "{signal}");
            plugin.signal("-TERM");
        }
        let status = plugin.wait(Duration::from_secs(5)).expect("exit");
        assert_eq!(status.code(), Some(0), "{signal}");
        assert_eq!(plugin.stderr(), Vec::<String>::new(), "{signal}");
        assert_eq!(
            chrony.libchrony_leftovers(),
            Vec::<std::path::PathBuf>::new(),
            "{signal}"
        );
    }
}

#[test]
fn freeze_gathers_once_then_follows_the_grid() {
    // Stopped for several intervals: the missed slots are skipped and the
    // late gather at SIGCONT is not followed by another within half an
    // interval (the old schedule gathered twice, µs apart).
    let chrony = Chrony::start();
    let mut cmd = command();
    cmd.args(["-H", &chrony.udp_address(), "--hostname", "h1"])
        .args(["--interval", "300ms"]);
    let plugin = Running::spawn(cmd);
    let stratum = |l: &str| l.starts_with("PUTVAL h1/chrony/clock_stratum-chrony ");
    let (first, _) = plugin.until(TIMEOUT, stratum);
    plugin.signal("-STOP");
    std::thread::sleep(Duration::from_millis(1000));
    plugin.signal("-CONT");
    let mut times = vec![putval(&first).time];
    times.extend(
        plugin
            .collect(Duration::from_millis(1200))
            .iter()
            .filter(|l| stratum(l))
            .map(|l| putval(l).time),
    );
    assert!(times.len() >= 3, "{times:?}");
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    eprintln!("gaps between gathers around a 1 s freeze: {gaps:?} s");
    assert!(
        gaps.iter().all(|&g| g >= 0.05),
        "gathers closer than a sixth of the interval: {gaps:?} s"
    );
}

/// The multi-source topology (falseticker, noselect, unreachable, refclock):
/// eight values per source under its name, over UDP and the Unix socket,
/// agreeing with the library's own read of the sources report.
#[test]
fn once_sends_every_source_of_a_multi_source_chronyd() {
    use support::topology::{Topology, DEAD, FALSETICKER, GOOD, IPV6, NOSELECT, REFCLOCK};
    let t = Topology::start();
    for address in [t.udp_address(), t.socket_address()] {
        let (status, lines, stderr) = once(&["-H", &address, "--hostname", "h1"]);
        assert_eq!(status, 0, "{stderr:?}");
        assert!(stderr.is_empty(), "{stderr:?}");
        let values = by_type(&lines);
        assert_eq!(values.len(), 15 + 8 * 7, "{lines:#?}");
        let value = |m: SourceMetric, name: &str| -> String {
            let key = format!("{}-{name}", m.type_name());
            let p = values
                .get(&key)
                .unwrap_or_else(|| panic!("no {key} in {lines:#?}"));
            assert_eq!(p.identifier, format!("h1/chrony/{key}"));
            p.value.clone()
        };
        let sources = Client::new(address.parse::<Target>().unwrap())
            .sources(TIMEOUT)
            .unwrap();
        for s in &sources {
            // Mode and stratum do not change between two reads.
            if s.reach & 1 == 1 {
                assert_eq!(
                    value(SourceMetric::Mode, &s.name),
                    s.mode.code().to_string()
                );
                assert_eq!(value(SourceMetric::Stratum, &s.name), s.stratum.to_string());
            }
        }
        // The IPv6 source under its address, as collectd's built-in names it.
        for name in GOOD.into_iter().chain([IPV6]) {
            assert!(["0", "4", "5"].contains(&value(SourceMetric::State, name).as_str()));
            assert_eq!(value(SourceMetric::Reachability, name), "255");
            assert_eq!(value(SourceMetric::Stratum, name), "3");
            for m in SourceMetric::ALL {
                assert_ne!(value(m, name), "U", "{m:?} of {name}");
            }
        }
        assert_eq!(value(SourceMetric::State, FALSETICKER), "2");
        let offset: f64 = value(SourceMetric::Offset, FALSETICKER).parse().unwrap();
        assert!((offset + 1.0).abs() < 0.01, "falseticker offset {offset}");
        assert_eq!(value(SourceMetric::State, NOSELECT), "1");
        assert_eq!(value(SourceMetric::Reachability, NOSELECT), "255");
        for m in SourceMetric::ALL {
            assert_eq!(value(m, DEAD), "U", "{m:?} of the dead source");
        }
        assert_eq!(value(SourceMetric::Mode, REFCLOCK), "2");
        assert_eq!(value(SourceMetric::Stratum, REFCLOCK), "0");
        assert_ne!(value(SourceMetric::Skew, REFCLOCK), "U");
    }
    assert!(t.libchrony_leftovers().is_empty());
}

#[test]
fn no_sources_sends_tracking_only() {
    let chrony = Chrony::start();
    let (status, lines, _) = once(&[
        "-H",
        &chrony.udp_address(),
        "--hostname",
        "h1",
        "--no-sources",
    ]);
    assert_eq!(status, 0);
    assert_eq!(lines.len(), 15, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("-chrony")), "{lines:?}");
}

#[test]
fn help_lists_every_option() {
    let out = command().arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for option in [
        "--host",
        "--interval",
        "--hostname",
        "--plugin-instance",
        "--timeout",
        "--builtin-only",
        "--no-sources",
        "--once",
        "--help",
        "--version",
    ] {
        assert!(help.contains(option), "{option} missing from:\n{help}");
    }
}

/// Sources added and deleted while the plugin gathers every few ms: the
/// new source shows up under its name, the deleted one goes, and no gather
/// fails (the sources and sourcestats reads are paired by name, and a
/// source that vanishes mid-read makes the read start over).
#[test]
fn sources_added_and_deleted_while_gathering() {
    let t = support::topology::Topology::start();
    let mut cmd = command();
    cmd.args([
        "-H",
        &t.udp_address(),
        "--hostname",
        "h1",
        "--interval",
        "2ms",
        // chronyd is slow to answer while chronyc adds a source.
        "--timeout",
        "1s",
    ]);
    let mut plugin = Running::spawn(cmd);
    let added = "PUTVAL h1/chrony/clock_mode-127.0.0.9 ";
    for _ in 0..10 {
        t.chronyc(&["add", "server", "127.0.0.9", "iburst"]);
        plugin.until(Duration::from_secs(5), |l| l.starts_with(added));
        t.chronyc(&["delete", "127.0.0.9"]);
        // chronyc returns once chronyd has deleted it: every gather whose
        // time is later read its sources after the delete. Lines of earlier
        // gathers may still be queued (a 2 ms interval outruns a loaded
        // test machine), so each gather is judged by its own time. From one
        // clock_stratum-chrony line to the next come the per-source lines
        // of the gather before.
        let deleted = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, lines) = plugin.until(Duration::from_secs(5), |l| {
                l.starts_with("PUTVAL h1/chrony/clock_stratum-chrony ")
            });
            let modes: Vec<Putval> = lines
                .iter()
                .filter(|l| l.starts_with("PUTVAL h1/chrony/clock_mode-"))
                .map(|l| putval(l))
                .collect();
            if modes.is_empty() || modes.iter().any(|m| m.time <= deleted) {
                assert!(
                    Instant::now() < deadline,
                    "no gather after the delete: {lines:#?}"
                );
                continue;
            }
            assert!(!lines.iter().any(|l| l.starts_with(added)), "{lines:#?}");
            // The seven sources of the topology are all there.
            assert_eq!(modes.len(), 7, "{lines:#?}\nstderr: {:?}", plugin.stderr());
            break;
        }
    }
    let status = plugin.terminate(Duration::from_secs(2));
    assert!(status.success(), "{status:?}");
    assert_eq!(plugin.stderr(), Vec::<String>::new());
    assert!(t.libchrony_leftovers().is_empty());
}
