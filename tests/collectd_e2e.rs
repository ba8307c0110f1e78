//! A real collectd (Debian's collectd-core) runs `collectd-chrony-tracking`
//! through its exec plugin as user `nobody`, against the harness chronyd's
//! UDP command port, and writes what it accepted with the csv plugin. Every
//! value must arrive under the expected identifier with the value chronyd
//! reported, the notifications must pass, and collectd must reject no line.
//!
//! Side by side: one collectd runs its built-in `chrony` plugin and ours
//! against the same multi-source chronyd; every identifier the built-in
//! dispatches must be among ours, with a value that agrees (`collectdctl`).

mod collectd_support;
mod support;

use chrony_plugins::collectd::Metric;
use chrony_plugins::{Client, Target, Timestamp, Tracking};
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::Chrony;

/// Has a space, so identifiers must be quoted for collectd to accept them.
const HOST: &str = "chrony e2e";
const WAIT: Duration = Duration::from_secs(20);

/// The name of user `nobody`'s primary group, as collectd's `Exec
/// "user:group"` wants it: `nogroup` on Debian and Ubuntu, `nobody` on
/// Fedora and EL (which have no `nogroup`).
fn nobody_group() -> String {
    let out = Command::new("id")
        .args(["-gn", "nobody"])
        .output()
        .expect("run id(1) (coreutils)");
    assert!(
        out.status.success(),
        "`id -gn nobody` failed: the system has no user nobody? {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let group = String::from_utf8(out.stdout).expect("a UTF-8 group name");
    let group = group.trim();
    assert!(!group.is_empty(), "`id -gn nobody` printed nothing");
    group.to_string()
}

/// The shipped `collectd/chrony-tracking.conf`, pointed at `plugin` and
/// `udp` instead of /usr/bin and port 323 (and at nobody's own group), so
/// the snippet users copy is the one collectd runs here.
fn exec_snippet(plugin: &Path, udp: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("collectd/chrony-tracking.conf");
    let snippet = fs::read_to_string(path).expect("collectd/chrony-tracking.conf");
    let exec = r#"Exec "nobody:nogroup" "/usr/bin/collectd-chrony-tracking" "-H" "127.0.0.1:323""#;
    assert_eq!(
        snippet.matches(exec).count(),
        1,
        "the snippet's Exec line changed:\n{snippet}"
    );
    snippet.replace(
        exec,
        &format!(
            r#"Exec "nobody:{group}" "{}" "-H" "{udp}""#,
            plugin.display(),
            group = nobody_group(),
        ),
    )
}

/// The start of every test's collectd.conf: host `host`, everything in
/// `dir`, a 1 s interval, and the log in `dir`/collectd.log.
fn conf_head(host: &str, dir: &Path) -> String {
    format!(
        r#"Hostname "{host}"
FQDNLookup false
BaseDir "{dir}"
PIDFile "{dir}/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
Interval 1
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "{dir}/collectd.log"
  Timestamp true
  PrintSeverity true
</Plugin>
"#,
        dir = dir.display()
    )
}

/// A collectd in the foreground; stopped (SIGTERM, then SIGKILL) on drop.
struct Collectd {
    child: Child,
    dir: PathBuf,
}

impl Collectd {
    fn start(dir: &Path, plugin: &Path, udp: &str) -> Collectd {
        fs::create_dir_all(dir).unwrap();
        let conf = dir.join("collectd.conf");
        fs::write(
            &conf,
            format!(
                r#"{head}{exec}
LoadPlugin csv
<Plugin csv>
  DataDir "{dir}/csv"
  StoreRates false
</Plugin>
"#,
                head = conf_head(HOST, dir),
                dir = dir.display(),
                exec = exec_snippet(plugin, udp),
            ),
        )
        .unwrap();
        Collectd::spawn(dir, &conf)
    }

    /// Runs collectd in the foreground on `conf`, its stdout and stderr in
    /// `dir` (collectd answers a rejected PUTVAL with `-1 ...` on stdout).
    fn spawn(dir: &Path, conf: &Path) -> Collectd {
        let child = Command::new("collectd")
            .arg("-f")
            .arg("-C")
            .arg(conf)
            .stdin(Stdio::null())
            .stdout(fs::File::create(dir.join("collectd.out")).unwrap())
            .stderr(fs::File::create(dir.join("collectd.err")).unwrap())
            .spawn()
            .expect("start collectd (Debian package collectd-core: run scripts/setup --test)");
        Collectd {
            child,
            dir: dir.to_path_buf(),
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("collectd.log")).unwrap_or_default()
    }

    fn stdout(&self) -> String {
        fs::read_to_string(self.dir.join("collectd.out")).unwrap_or_default()
    }

    fn diagnostics(&self) -> String {
        format!(
            "--- collectd.log\n{}--- collectd stdout\n{}--- collectd stderr\n{}",
            self.log(),
            self.stdout(),
            fs::read_to_string(self.dir.join("collectd.err")).unwrap_or_default()
        )
    }

    /// The CSV file of `metric` (the csv plugin adds the date to the name).
    fn csv(&self, metric: Metric) -> Option<PathBuf> {
        let dir = self.dir.join("csv").join(HOST).join("chrony");
        let prefix = format!("{}-{}-", metric.type_name(), metric.type_instance());
        fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix) && n[prefix.len()..].starts_with("20"))
            })
    }

    /// `epoch → value` rows of `metric`'s CSV file.
    fn rows(&self, metric: Metric) -> HashMap<String, f64> {
        let Some(path) = self.csv(metric) else {
            return HashMap::new();
        };
        fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .filter_map(|l| {
                let (epoch, value) = l.split_once(',')?;
                Some((epoch.to_string(), value.parse().ok()?))
            })
            .collect()
    }

    fn wait_for(&self, what: &str, ok: impl Fn(&Collectd) -> bool) {
        let start = Instant::now();
        while !ok(self) {
            assert!(
                start.elapsed() < WAIT,
                "{what}: not within {WAIT:?}\n{}",
                self.diagnostics()
            );
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Collectd {
    fn drop(&mut self) {
        support::send_signal(self.child.id(), "-TERM");
        if support::wait_for_exit(&mut self.child, Duration::from_secs(5)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads chronyd through the library every 20 ms until stopped, keeping each
/// clock update (by reference time) as it was first seen.
fn sample(address: String, stop: Arc<AtomicBool>) -> Arc<Mutex<Vec<Tracking>>> {
    let seen = Arc::new(Mutex::new(Vec::<Tracking>::new()));
    let sink = seen.clone();
    std::thread::spawn(move || {
        let mut client = Client::new(address.parse::<Target>().unwrap());
        while !stop.load(Ordering::Relaxed) {
            if let Ok(t) = client.tracking(Duration::from_secs(1)) {
                let mut seen = sink.lock().unwrap();
                if seen.last().map(|l| l.reference_time) != Some(t.reference_time) {
                    seen.push(t);
                }
            }
            sleep(Duration::from_millis(20));
        }
    });
    seen
}

/// The library value of `metric` for update `t`, and how far the CSV may be
/// off: the csv plugin prints 6 decimals; values chronyd recomputes at each
/// read (current correction, root dispersion) move a little between reads.
fn expected(metric: Metric, t: &Tracking, epoch: f64) -> (f64, f64) {
    let printed = 0.5e-6 + 1e-9;
    match metric {
        Metric::Stratum => (f64::from(t.stratum), 0.0),
        Metric::ReferenceTime => (t.reference_time.as_secs_f64(), printed),
        Metric::CurrentCorrection => (t.current_correction, 1e-4),
        Metric::LastOffset => (t.last_offset, printed),
        Metric::RmsOffset => (t.rms_offset, printed),
        Metric::Frequency => (t.frequency, printed),
        Metric::Skew => (t.skew, printed),
        Metric::RootDelay => (t.root_delay, printed),
        Metric::RootDispersion => (t.root_dispersion, 1e-4),
        Metric::UpdateInterval => (t.update_interval, printed),
        Metric::ResidualFrequency => (t.residual_frequency, printed),
        Metric::LeapStatus => (f64::from(t.leap_status.code()), 0.0),
        Metric::Synchronised => (1.0, 0.0),
        // The CSV's epoch has 3 decimals.
        Metric::ReferenceAge => (epoch - t.reference_time.as_secs_f64(), 2e-3),
        Metric::RootDistance => (t.root_distance(), 1e-4),
    }
}

#[test]
fn collectd_accepts_every_value_and_notification() {
    let chrony = Chrony::start();
    let plugin = chrony.copy_for_nobody(Path::new(collectd_support::bin()));
    let stop = Arc::new(AtomicBool::new(false));
    let history = sample(chrony.udp_address(), stop.clone());
    let collectd = Collectd::start(&chrony.dir.join("collectd"), &plugin, &chrony.udp_address());

    // Every value arrives, twice (so one full gather is surely complete).
    collectd.wait_for("a row for every value", |c| {
        Metric::ALL.iter().all(|&m| c.rows(m).len() >= 2)
    });
    stop.store(true, Ordering::Relaxed);

    // Take one gather (same epoch in every file) and the clock update it saw.
    let times = collectd.rows(Metric::ReferenceTime);
    let (epoch, reference_time) = times
        .iter()
        .filter(|(e, _)| {
            Metric::ALL
                .iter()
                .all(|&m| collectd.rows(m).contains_key(*e))
        })
        .max_by(|a, b| a.0.cmp(b.0))
        .map(|(e, v)| (e.clone(), *v))
        .expect("one gather in every file");
    let history = history.lock().unwrap().clone();
    let update = history
        .iter()
        .find(|t| (t.reference_time.as_secs_f64() - reference_time).abs() < 1e-6)
        .unwrap_or_else(|| {
            panic!(
                "the library never saw reference time {reference_time}: {:?}",
                history
                    .iter()
                    .map(|t| t.reference_time)
                    .collect::<Vec<Timestamp>>()
            )
        });
    let at: f64 = epoch.parse().unwrap();
    for m in Metric::ALL {
        let got = collectd.rows(m)[&epoch];
        let (want, within) = expected(m, update, at);
        assert!(
            (got - want).abs() <= within,
            "{}-{}: collectd has {got}, chronyd said {want} (±{within})",
            m.type_name(),
            m.type_instance()
        );
    }

    // Notifications pass too: chronyd frozen, then back.
    chrony.stop_client();
    collectd.wait_for("the failure notification", |c| {
        c.log().contains("Notification: severity = FAILURE")
    });
    chrony.resume_client();
    collectd.wait_for("the okay notification", |c| {
        c.log().contains("Notification: severity = OKAY")
    });

    let log = collectd.log();
    let failure = log
        .lines()
        .find(|l| l.contains("Notification: severity = FAILURE"))
        .unwrap();
    assert!(
        failure.contains(&format!("host = {HOST}")) && failure.contains("plugin = chrony"),
        "{failure}"
    );
    assert!(failure.contains("stopped answering"), "{failure}");
    for rejected in [
        "Unable to parse",
        "Parsing options failed",
        "parse_identifier",
        "Malformed",
        "Error parsing option",
        "Dataset not found",
        "missing",
        "Unexpected command",
    ] {
        assert!(
            !log.contains(rejected),
            "collectd logged {rejected:?}:\n{log}"
        );
    }
    let stdout = collectd.stdout();
    assert!(
        !stdout.lines().any(|l| l.starts_with("-1")),
        "collectd rejected a line:\n{stdout}"
    );
    // stderr: exactly the one line for the frozen spell, logged by collectd.
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("[error]")).collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("no answer"), "{errors:?}");
}

/// The host of the side-by-side test (collectdctl's arguments are easier
/// without a space).
const SIDE_HOST: &str = "e2e.example";
/// The plugin instance of our plugin beside the built-in (which has none).
const OURS: &str = "ours";

/// A collectd running its own `chrony` plugin (UDP) and our plugin (as
/// nobody, under plugin instance `ours` so that the two do not overwrite
/// each other) against the same multi-source chronyd, with the unixsock
/// plugin for `collectdctl`.
fn start_side_by_side(dir: &Path, plugin: &Path, port: u16) -> Collectd {
    fs::create_dir_all(dir).unwrap();
    let conf = dir.join("collectd.conf");
    let group = nobody_group();
    let udp = format!("127.0.0.1:{port}");
    fs::write(
        &conf,
        format!(
            r#"{head}LoadPlugin csv
<Plugin csv>
  DataDir "{dir}/csv"
  StoreRates false
</Plugin>
LoadPlugin unixsock
<Plugin unixsock>
  SocketFile "{dir}/collectd.sock"
</Plugin>
LoadPlugin chrony
<Plugin chrony>
  Host "127.0.0.1"
  Port "{port}"
  Timeout 2
</Plugin>
LoadPlugin exec
<Plugin exec>
  Exec "nobody:{group}" "{plugin}" "-H" "{udp}" "--plugin-instance" "{OURS}"
</Plugin>
"#,
            head = conf_head(SIDE_HOST, dir),
            dir = dir.display(),
            plugin = plugin.display(),
        ),
    )
    .unwrap();
    Collectd::spawn(dir, &conf)
}

impl Collectd {
    /// `collectdctl ARGS` on this collectd's socket.
    fn ctl(&self, args: &[&str]) -> String {
        let out = Command::new("collectdctl")
            .arg("-s")
            .arg(self.dir.join("collectd.sock"))
            .args(args)
            .output()
            .expect("run collectdctl (Debian package collectd-utils: run scripts/setup --test)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Every identifier collectd holds (`collectdctl listval`).
    fn listval(&self) -> Vec<String> {
        self.ctl(&["listval"])
            .lines()
            .map(|l| l.split_once(' ').map_or(l, |(_, id)| id).to_string())
            .collect()
    }

    /// The value of `identifier` (`collectdctl getval`); NaN for `nan`.
    fn getval(&self, identifier: &str) -> Option<f64> {
        let out = self.ctl(&["getval", identifier]);
        let v = out.lines().find_map(|l| l.strip_prefix("value="))?;
        Some(if v == "nan" {
            f64::NAN
        } else {
            v.parse().ok()?
        })
    }
}

/// `host/chrony/rest` of the built-in as our plugin files it.
fn ours(builtin: &str) -> String {
    builtin.replacen("/chrony/", &format!("/chrony-{OURS}/"), 1)
}

/// Whether the built-in's `b` and our `o` agree, allowing for what changes
/// between two reads a fraction of a second apart: chronyd polls each source
/// every 0.25 s and updates the clock as often, so offsets, reference time
/// and dispersion move, states of good sources swap between selected and
/// combined, and the seconds since a sample tick on.
fn agree(identifier: &str, b: f64, o: f64) -> bool {
    if b.is_nan() || o.is_nan() {
        return b.is_nan() && o.is_nan();
    }
    let kind = identifier.rsplit('/').next().unwrap();
    let type_name = kind.split('-').next().unwrap();
    let usable = |s: f64| [0.0, 4.0, 5.0].contains(&s);
    match type_name {
        "clock_stratum" | "clock_mode" | "clock_reachability" => b == o,
        "clock_state" => b == o || (usable(b) && usable(o)),
        "clock_last_meas" => (b - o).abs() <= 1.0,
        // Seconds: estimated and last offsets of sources 1 s apart (the
        // falseticker) or microseconds apart move by far less than 1 ms
        // between two samples on loopback.
        "time_offset" | "time_offset_ntp" | "time_offset_rms" | "root_delay"
        | "root_dispersion" => (b - o).abs() <= 1e-3,
        "time_ref" => (b - o).abs() <= 2.0,
        "clock_last_update" => (b - o).abs() <= 1.0,
        // ppm: regressions over a handful of 0.25 s samples move by a few
        // ppm per sample.
        "frequency_error" | "clock_skew_ppm" => (b - o).abs() <= 50.0 + 0.5 * b.abs().max(o.abs()),
        other => panic!("unexpected type {other} from the built-in plugin"),
    }
}

#[test]
fn builtin_chrony_plugin_identifiers_are_all_among_ours() {
    use chrony_plugins::collectd::SourceMetric;
    use support::topology::{Topology, DEAD, FALSETICKER, GOOD, IPV6, NOSELECT, REFCLOCK};
    let t = Topology::start();
    let plugin = t.copy_for_nobody(Path::new(collectd_support::bin()));
    let collectd = start_side_by_side(&t.dir.join("collectd"), &plugin, t.cmd_port);
    let builtin = |ids: &[String]| -> Vec<String> {
        ids.iter()
            .filter(|id| id.starts_with(&format!("{SIDE_HOST}/chrony/")))
            .cloned()
            .collect()
    };
    // Both have gathered every source: the built-in's 10 tracking values
    // plus 8 per source (7 sources, ::1 among them).
    let start = Instant::now();
    collectd.wait_for("every source from the built-in and from ours", |c| {
        let ids = c.listval();
        if start.elapsed() > WAIT - Duration::from_secs(1) {
            eprintln!("listval:\n{}", ids.join("\n"));
        }
        let b = builtin(&ids);
        b.len() >= 10 + 8 * 7 && b.iter().all(|id| ids.contains(&ours(id)))
    });
    let ids = collectd.listval();
    let b = builtin(&ids);
    assert_eq!(b.len(), 10 + 8 * 7, "{b:#?}");
    // Every source under its name, with all eight values.
    for name in [
        GOOD[0],
        GOOD[1],
        FALSETICKER,
        NOSELECT,
        DEAD,
        IPV6,
        REFCLOCK,
    ] {
        for metric in SourceMetric::ALL {
            let id = format!("{SIDE_HOST}/chrony/{}-{name}", metric.type_name());
            assert!(b.contains(&id), "the built-in has no {id}: {b:#?}");
            assert!(
                ids.contains(&ours(&id)),
                "we have no {}: {ids:#?}",
                ours(&id)
            );
        }
    }

    // Values agree: compare each pair within what changes between two
    // reads; a pair caught across a change gets up to 20 more tries.
    for id in &b {
        eprintln!(
            "{id}: built-in {:?}, ours {:?}",
            collectd.getval(id),
            collectd.getval(&ours(id))
        );
    }
    // Not vacuous: the sources that answer have real values.
    assert!(collectd.getval(&format!("{SIDE_HOST}/chrony/clock_mode-{REFCLOCK}")) == Some(2.0));
    assert!(collectd
        .getval(&format!("{SIDE_HOST}/chrony/clock_state-{FALSETICKER}"))
        .is_some_and(|s| s == 2.0));
    let mut pending: Vec<String> = b.clone();
    for _ in 0..20 {
        pending.retain(|id| {
            let got = (collectd.getval(id), collectd.getval(&ours(id)));
            !matches!(got, (Some(x), Some(y)) if agree(id, x, y))
        });
        if pending.is_empty() {
            break;
        }
        sleep(Duration::from_millis(300));
    }
    let report: Vec<String> = pending
        .iter()
        .map(|id| {
            format!(
                "{id}: built-in {:?}, ours {:?}",
                collectd.getval(id),
                collectd.getval(&ours(id))
            )
        })
        .collect();
    assert!(report.is_empty(), "values disagree:\n{}", report.join("\n"));

    let log = collectd.log();
    assert!(
        !log.lines()
            .any(|l| l.contains("exec plugin") && l.contains("error")),
        "{log}"
    );
    // collectd 5.12's unixsock names its connection threads after they
    // may have ended: a harmless error of its own, not ours.
    let errors: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("[error]") && !l.contains("set_thread_name"))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
