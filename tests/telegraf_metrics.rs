//! telegraf-chrony --metrics against a real chronyd with sources of every
//! kind (`support::topology`: good servers, a falseticker, a `noselect`
//! source, an unreachable one and a reference clock): every measurement
//! over the Unix socket, and over UDP a refused serverstats that costs one
//! `E!` line while the other reports are still written at every gather.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};
use support::line_protocol::split_unquoted;
use support::topology::{Topology, DEAD, FALSETICKER, GOOD, IPV6, NOSELECT, REFCLOCK};

const ALL: &str = "tracking,sources,sourcestats,activity,serverstats,selectdata,ntpdata,authdata";
const INPUTS_CHRONY: &str = "tracking,sources,sourcestats,activity,serverstats";

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_telegraf-chrony")
}

fn old_bin() -> &'static str {
    env!("CARGO_BIN_EXE_telegraf-chrony-tracking")
}

/// One parsed line: measurement, tags, fields (raw line-protocol values).
#[derive(Debug)]
struct Point {
    measurement: String,
    tags: BTreeMap<String, String>,
    fields: BTreeMap<String, String>,
}

impl Point {
    fn tag(&self, k: &str) -> &str {
        self.tags
            .get(k)
            .unwrap_or_else(|| panic!("no tag {k}: {self:?}"))
    }
    fn field(&self, k: &str) -> &str {
        self.fields
            .get(k)
            .unwrap_or_else(|| panic!("no field {k}: {self:?}"))
    }
}

fn parse(line: &str) -> Point {
    let parts = split_unquoted(line, ' ');
    assert_eq!(parts.len(), 3, "{line}");
    let mut head = split_unquoted(parts[0], ',').into_iter();
    let measurement = head.next().unwrap().to_string();
    let pair = |kv: &str| {
        let (k, v) = kv
            .split_once('=')
            .unwrap_or_else(|| panic!("{kv} in {line}"));
        (k.to_string(), v.to_string())
    };
    let tags = head.map(pair).collect();
    let fields = split_unquoted(parts[1], ',')
        .into_iter()
        .map(pair)
        .collect();
    assert!(parts[2].parse::<i64>().is_ok(), "{line}");
    Point {
        measurement,
        tags,
        fields,
    }
}

fn of<'a>(points: &'a [Point], measurement: &str) -> Vec<&'a Point> {
    points
        .iter()
        .filter(|p| p.measurement == measurement)
        .collect()
}

fn by_peer<'a>(points: &[&'a Point], peer: &str) -> &'a Point {
    points
        .iter()
        .find(|p| p.tags.get("peer").map(String::as_str) == Some(peer))
        .unwrap_or_else(|| panic!("no peer {peer} in {points:#?}"))
}

#[test]
fn every_measurement_over_the_socket_for_every_kind_of_source() {
    let t = Topology::start();
    let socket = t.socket_address();
    let out = Command::new(bin())
        .args(["--once", "-H", &socket, "--metrics", ALL])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}\n{text}\n{}", t.logs());
    assert!(err.is_empty(), "{err}");
    let points: Vec<Point> = text.lines().map(parse).collect();
    // inputs.chrony's rule: an explicit address is the `source` tag.
    assert!(points.iter().all(|p| p.tag("source") == socket), "{text}");
    let count = |m: &str| of(&points, m).len();
    assert_eq!(count("chrony"), 1, "{text}");
    assert_eq!(count("chrony_sources"), 7, "{text}");
    assert_eq!(count("chrony_sourcestats"), 7, "{text}");
    assert_eq!(count("chrony_selectdata"), 7, "{text}");
    assert_eq!(count("chrony_activity"), 1, "{text}");
    assert_eq!(count("chrony_serverstats"), 1, "{text}");
    // No NTP or authentication data for the reference clock.
    assert_eq!(count("chrony_ntpdata"), 6, "{text}");
    assert_eq!(count("chrony_authdata"), 6, "{text}");

    let sources = of(&points, "chrony_sources");
    // The IPv6 source's `peer` is its address as inputs.chrony prints it
    // (Go's net.IP String: RFC 5952, `::1`), in the tag and the `ip` field.
    for good in GOOD.into_iter().chain([IPV6]) {
        let p = by_peer(&sources, good);
        assert_eq!(p.field("ip"), format!("\"{good}\""));
        assert_eq!(p.field("mode"), "\"client\"");
        assert!(
            ["\"sync\"", "\"candidate\"", "\"outlier\""].contains(&p.field("state")),
            "{p:?}"
        );
        assert_eq!(p.field("stratum"), "3i");
        assert_eq!(p.field("poll"), "-2i");
    }
    assert_eq!(
        by_peer(&sources, FALSETICKER).field("state"),
        "\"falseticker\""
    );
    let dead = by_peer(&sources, DEAD);
    assert_eq!(
        (dead.field("state"), dead.field("reachability")),
        ("\"unreach\"", "0i")
    );
    assert_eq!(dead.field("sample"), "4294967295i");
    let noselect = by_peer(&sources, NOSELECT);
    assert_eq!(noselect.field("state"), "\"unreach\"");
    // chronyd 4.x no longer sets the noselect flag here (selectdata has it).
    assert_eq!(noselect.field("flags"), "0i");
    let gps = by_peer(&sources, REFCLOCK);
    assert_eq!(gps.field("mode"), "\"reference clock\"");
    // chronyd sends the refid "GPS\0" where the address goes.
    assert_eq!(gps.field("ip"), "\"71.80.83.0\"");
    let indexes: Vec<&str> = sources.iter().map(|p| p.field("index")).collect();
    assert_eq!(indexes, ["0i", "1i", "2i", "3i", "4i", "5i", "6i"]);

    let stats = of(&points, "chrony_sourcestats");
    let gps = by_peer(&stats, REFCLOCK);
    assert_eq!(gps.field("ip"), "\"::\"");
    assert_eq!(gps.tag("reference_id"), "47505300");
    assert_eq!(by_peer(&stats, GOOD[0]).tag("reference_id"), "7F000002");
    assert_eq!(by_peer(&stats, IPV6).field("ip"), "\"::1\"");

    let select = of(&points, "chrony_selectdata");
    assert_eq!(by_peer(&select, NOSELECT).field("state"), "\"N\"");
    assert_eq!(
        by_peer(&select, NOSELECT).field("configured_options"),
        "\"N---\""
    );
    assert_eq!(by_peer(&select, FALSETICKER).field("state"), "\"x\"");
    assert!(by_peer(&select, IPV6).field("state").len() == 3);

    let ntp = of(&points, "chrony_ntpdata");
    let good = by_peer(&ntp, GOOD[0]);
    assert_eq!(good.field("stratum"), "3i");
    assert_eq!(good.field("mode"), "\"server\"");
    assert_eq!(by_peer(&ntp, DEAD).field("total_rx"), "0i");
    assert_eq!(by_peer(&ntp, IPV6).field("stratum"), "3i");

    let auth = of(&points, "chrony_authdata");
    assert_eq!(by_peer(&auth, GOOD[1]).field("mode"), "\"none\"");
    assert!(auth.iter().all(|p| p.tag("peer") != REFCLOCK));

    let activity = &of(&points, "chrony_activity")[0];
    // The six NTP sources (activity does not count reference clocks);
    // one may still be in its iburst, which chronyd counts apart.
    let n = |f: &str| -> u32 { activity.field(f).trim_end_matches('i').parse().unwrap() };
    assert_eq!(n("online") + n("burst_online"), 6, "{activity:?}");

    // chronyd 4.3 sends serverstats v3: inputs.chrony's 11 fields.
    let server = &of(&points, "chrony_serverstats")[0];
    let keys: Vec<&str> = server.fields.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "cmd_drops",
            "cmd_hits",
            "log_drops",
            "nke_drops",
            "nke_hits",
            "ntp_auth_hits",
            "ntp_drops",
            "ntp_hits",
            "ntp_interleaved_hits",
            "ntp_span_seconds",
            "ntp_timestamps"
        ]
    );

    // authdata alone: the peers still named, from a read of sources.
    let out = Command::new(bin())
        .args(["--once", "-H", &socket, "--metrics", "authdata"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let points: Vec<Point> = text.lines().map(parse).collect();
    let mut peers: Vec<&str> = points.iter().map(|p| p.tag("peer")).collect();
    peers.sort();
    let mut want = vec![GOOD[0], GOOD[1], FALSETICKER, NOSELECT, DEAD, IPV6];
    want.sort();
    assert_eq!(peers, want, "{text}");
    assert!(t.libchrony_leftovers().is_empty());
}

fn take(rx: &Receiver<String>, n: usize, within: Duration) -> Vec<String> {
    let end = Instant::now() + within;
    (0..n)
        .map(|i| {
            rx.recv_timeout(end.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| panic!("line {} of {n} did not come", i + 1))
        })
        .collect()
}

#[test]
fn refused_serverstats_over_udp_gives_one_error_and_the_rest_every_gather() {
    let t = Topology::start();
    let udp = t.udp_address();
    let mut child = Command::new(bin())
        .args(["-H", &udp, "--metrics", INPUTS_CHRONY])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = support::lines_of(child.stdout.take().unwrap());
    let err = support::lines_of(child.stderr.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    // tracking 1 + sources 7 + sourcestats 7 + activity 1.
    for _ in 0..3 {
        stdin.write_all(b"\n").unwrap();
        let got = take(&out, 16, Duration::from_secs(5));
        let points: Vec<Point> = got.iter().map(|l| parse(l)).collect();
        assert_eq!(of(&points, "chrony").len(), 1);
        assert_eq!(of(&points, "chrony_sources").len(), 7);
        assert_eq!(of(&points, "chrony_sourcestats").len(), 7);
        assert_eq!(of(&points, "chrony_activity").len(), 1);
        assert!(points.iter().all(|p| p.tag("source") == udp));
    }
    let e = take(&err, 1, Duration::from_secs(1)).remove(0);
    assert!(e.starts_with("E! serverstats: "), "{e}");
    assert!(!e.contains("tracking"), "{e}");
    thread::sleep(Duration::from_millis(200));
    assert!(out.try_recv().is_err(), "no line beyond the 3 gathers");
    assert!(err.try_recv().is_err(), "one E! line for the same failure");
    drop(stdin);
    let status = support::wait_for_exit(&mut child, Duration::from_secs(3)).expect("exits on EOF");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn old_name_is_the_same_program() {
    let t = Topology::start();
    let udp = t.udp_address();
    let run = |program: &str| {
        let out = Command::new(program)
            .args(["--once", "-H", &udp, "--metrics", "sources,activity"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines()
            .map(|l| {
                let p = parse(l);
                (p.measurement, p.tags.get("peer").cloned())
            })
            .collect::<Vec<_>>()
    };
    let new = run(bin());
    assert_eq!(new.len(), 8, "{new:?}");
    assert_eq!(run(old_bin()), new);

    // Without --metrics, the old name writes what it always wrote.
    let out = Command::new(old_bin())
        .args(["--once", "-H", &udp])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with("chrony,"), "{text}");

    let out = Command::new(bin())
        .args(["--once", "--metrics", "tracking,bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("unknown metric 'bogus'"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn help_lists_every_option_and_metric() {
    for program in [bin(), old_bin()] {
        let out = Command::new(program).arg("--help").output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let help = String::from_utf8(out.stdout).unwrap();
        for option in [
            "--host",
            "--metrics",
            "--timeout",
            "--interval",
            "--once",
            "--extra-fields",
            "--stratum-leap-as-fields",
        ] {
            assert!(help.contains(option), "{option} missing:\n{help}");
        }
        for metric in ALL.split(',') {
            assert!(help.contains(metric), "{metric} missing:\n{help}");
        }
        assert!(help.contains("[default: tracking]"), "{help}");
    }
}
