//! A real collectd (Debian's collectd-core) runs `collectd-chrony-tracking`
//! through its exec plugin as user `nobody`, against the harness chronyd's
//! UDP command port, and writes what it accepted with the csv plugin. Every
//! value must arrive under the expected identifier with the value chronyd
//! reported, the notifications must pass, and collectd must reject no line.

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
                r#"Hostname "{HOST}"
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
{exec}
LoadPlugin csv
<Plugin csv>
  DataDir "{dir}/csv"
  StoreRates false
</Plugin>
"#,
                dir = dir.display(),
                exec = exec_snippet(plugin, udp),
            ),
        )
        .unwrap();
        let child = Command::new("collectd")
            .arg("-f")
            .arg("-C")
            .arg(&conf)
            .stdin(Stdio::null())
            // collectd answers a rejected PUTVAL with `-1 ...` on its stdout.
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
