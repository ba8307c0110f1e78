//! The shipped Icinga 2 files, in a real Icinga 2: `icinga2 daemon -C`
//! accepts them, and a real daemon (own config, dirs and API listener in a
//! temp dir) runs `check_chrony_tracking` through the `chrony_tracking`
//! CheckCommand against harness chronyd; its REST API must report the
//! expected exit status, output and perfdata. And each check's options and
//! its CheckCommand's arguments match one to one.

mod support;

use serde_json::Value;
use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};
use support::topology::{Topology, DEAD, FALSETICKER, GOOD, REFCLOCK};
use support::{Chrony, Options};

const BIN: &str = env!("CARGO_BIN_EXE_check_chrony_tracking");
const NODE: &str = "icinga-e2e";
const API_USER: &str = "e2e";

fn icinga_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("icinga")
}

const COMMAND_FILE: &str = "command-chrony-tracking.conf";
const SERVICE_FILE: &str = "service-chrony-tracking.conf";
const SOURCES_COMMAND_FILE: &str = "command-chrony-sources.conf";
const SOURCES_SERVICE_FILE: &str = "service-chrony-sources.conf";

/// A private temp dir for one Icinga instance, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        // Tests of this file run in parallel: one dir per instance.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ick-{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for sub in ["data/certs", "log", "cache", "spool", "run", "lib"] {
            fs::create_dir_all(dir.join(sub)).unwrap();
        }
        TempDir(dir)
    }

    /// `icinga2 daemon` with every path in this dir, running as root.
    fn icinga2(&self, config: &Path) -> Command {
        let d = |sub: &str| self.0.join(sub).display().to_string();
        let mut cmd = Command::new("icinga2");
        cmd.arg("daemon")
            .arg("-c")
            .arg(config)
            .arg(format!("-DDataDir={}", d("data")))
            .arg(format!("-DLogDir={}", d("log")))
            .arg(format!("-DCacheDir={}", d("cache")))
            .arg(format!("-DSpoolDir={}", d("spool")))
            .arg(format!("-DInitRunDir={}", d("run")))
            .arg(format!("-DStateDir={}", d("lib")))
            .arg("-DRunAsUser=root")
            .arg("-DRunAsGroup=root");
        cmd
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd` to completion within `limit` (killed and failed past it).
fn run_bounded(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (Debian package icinga2)"));
    if support::wait_for_exit(&mut child, limit).is_some() {
        return child.wait_with_output().unwrap();
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    panic!(
        "{cmd:?} ran past {limit:?}:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn icinga_validates_the_shipped_files() {
    let tmp = TempDir::new("validate");
    // As deployed: the command in a global zone every agent syncs, the
    // example service in the master zone, with one agent host the apply
    // rule matches and one it does not.
    let zones = tmp.0.join("zones.d");
    for (zone, file) in [
        ("global-templates", COMMAND_FILE),
        ("global-templates", SOURCES_COMMAND_FILE),
        ("master", SERVICE_FILE),
        ("master", SOURCES_SERVICE_FILE),
    ] {
        fs::create_dir_all(zones.join(zone)).unwrap();
        fs::copy(icinga_dir().join(file), zones.join(zone).join(file)).unwrap();
    }
    fs::write(
        zones.join("master/hosts.conf"),
        "object CheckCommand \"nothing\" { command = [ \"/bin/true\" ] }\n\
         object Host \"agent1.example.org\" {\n\
           check_command = \"nothing\"\n\
           vars.os = \"Linux\"\n\
           vars.agent_endpoint = name\n\
         }\n\
         object Host \"printer\" { check_command = \"nothing\" }\n",
    )
    .unwrap();
    let config = tmp.0.join("main.conf");
    fs::write(
        &config,
        format!(
            "const PluginDir = \"/usr/lib/nagios/plugins\"\n\
             const NodeName = \"{NODE}\"\n\
             object Endpoint NodeName {{}}\n\
             object Zone \"master\" {{ endpoints = [ NodeName ] }}\n\
             object Zone \"global-templates\" {{ global = true }}\n\
             object Endpoint \"agent1.example.org\" {{}}\n\
             object Zone \"agent1.example.org\" {{ endpoints = [ \"agent1.example.org\" ]; parent = \"master\" }}\n\
             include_zones \"chrony\", \"{}\"\n",
            zones.display()
        ),
    )
    .unwrap();
    let mut cmd = tmp.icinga2(&config);
    cmd.arg("-C");
    let out = run_bounded(cmd, Duration::from_secs(60));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "icinga2 -C refused the files:\n{text}"
    );
    assert!(
        text.contains("Instantiated 2 Services."),
        "each example apply rule should make exactly one service:\n{text}"
    );
    assert!(
        text.contains("Instantiated 3 CheckCommands."),
        "the chrony_tracking or chrony_sources command is missing:\n{text}"
    );
    assert!(!text.contains("warning/"), "warnings:\n{text}");
}

/// A running `icinga2 daemon` with its REST API on a free loopback port.
struct Icinga {
    tmp: TempDir,
    port: u16,
    password: String,
    child: Option<Child>,
}

impl Icinga {
    fn start(services: &str) -> Icinga {
        let tmp = TempDir::new("daemon");
        make_certificates(&tmp.0);
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let password = format!("pw-{}-{port}", std::process::id());
        let plugin_dir = Path::new(BIN).parent().unwrap();
        let config = tmp.0.join("main.conf");
        fs::write(
            &config,
            format!(
                "const PluginDir = \"{}\"\n\
                 const NodeName = \"{NODE}\"\n\
                 include \"{}\"\n\
                 include \"{}\"\n\
                 object Endpoint NodeName {{}}\n\
                 object Zone \"master\" {{ endpoints = [ NodeName ] }}\n\
                 object ApiListener \"api\" {{ bind_host = \"127.0.0.1\"; bind_port = {port} }}\n\
                 object ApiUser \"{API_USER}\" {{ password = \"{password}\"; permissions = [ \"*\" ] }}\n\
                 object CheckerComponent \"checker\" {{}}\n\
                 object CheckCommand \"nothing\" {{ command = [ \"/bin/true\" ] }}\n\
                 object Host \"chrony-host\" {{ check_command = \"nothing\"; enable_active_checks = false }}\n\
                 {services}",
                plugin_dir.display(),
                icinga_dir().join(COMMAND_FILE).display(),
                icinga_dir().join(SOURCES_COMMAND_FILE).display()
            ),
        )
        .unwrap();
        let log = fs::File::create(tmp.0.join("daemon.out")).unwrap();
        let child = tmp
            .icinga2(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // Its own process group, so that everything it forks can be ended.
            .process_group(0)
            .spawn()
            .expect("start icinga2 (Debian package icinga2)");
        Icinga {
            tmp,
            port,
            password,
            child: Some(child),
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.tmp.0.join("daemon.out")).unwrap_or_default()
    }

    fn curl(&self, method: &str, path: &str) -> Option<Value> {
        let mut cmd = Command::new("curl");
        cmd.args(["-k", "-s", "--max-time", "5", "-X", method])
            .args(["-H", "Accept: application/json"])
            .arg("-u")
            .arg(format!("{API_USER}:{}", self.password))
            .arg(format!("https://127.0.0.1:{}{path}", self.port));
        let out = run_bounded(cmd, Duration::from_secs(10));
        serde_json::from_slice(&out.stdout).ok()
    }

    /// The last check result of `service`, once there is one.
    fn result(&self, service: &str) -> Option<Value> {
        let v = self.curl(
            "GET",
            &format!("/v1/objects/services/chrony-host!{service}?attrs=last_check_result"),
        )?;
        let r = v["results"][0]["attrs"]["last_check_result"].clone();
        (!r.is_null()).then_some(r)
    }

    fn reschedule(&self, service: &str) {
        let _ = self.curl(
            "POST",
            &format!("/v1/actions/reschedule-check?service=chrony-host!{service}&force=true"),
        );
    }

    /// Waits (at most `limit`) for a result of `service` with `exit_status`.
    fn wait_for(&self, service: &str, exit_status: i64, limit: Duration) -> Value {
        let start = Instant::now();
        let mut last = Value::Null;
        while start.elapsed() < limit {
            if let Some(r) = self.result(service) {
                if r["exit_status"].as_i64() == Some(exit_status) {
                    return r;
                }
                last = r;
            }
            sleep(Duration::from_millis(250));
        }
        panic!(
            "service {service}: no result with exit status {exit_status} within {limit:?}; last: {last}\n--- icinga2 log\n{}",
            self.log()
        );
    }
}

impl Drop for Icinga {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            support::send_signal(child.id(), "-TERM");
            support::wait_for_exit(&mut child, Duration::from_secs(10));
            // Whatever is left of the group (workers, the process spawner).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
            let _ = child.wait();
        }
    }
}

/// A throw-away CA and a certificate for [`NODE`], where the ApiListener
/// looks for them (DataDir/certs).
fn make_certificates(dir: &Path) {
    let certs = dir.join("data/certs");
    let openssl = |args: &[&str]| {
        let mut cmd = Command::new("openssl");
        cmd.args(args).current_dir(&certs);
        let out = run_bounded(cmd, Duration::from_secs(30));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let node_key = format!("{NODE}.key");
    let node_crt = format!("{NODE}.crt");
    let subject = format!("/CN={NODE}");
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=e2e CA",
        "-days",
        "2",
    ]);
    openssl(&[
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", &node_key, "-out", "node.csr", "-subj",
        &subject,
    ]);
    openssl(&[
        "x509",
        "-req",
        "-in",
        "node.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        &node_crt,
        "-days",
        "2",
    ]);
}

fn service(name: &str, address: &str, extra: &str) -> String {
    format!(
        "object Service \"{name}\" {{\n\
           host_name = \"chrony-host\"\n\
           check_command = \"chrony_tracking\"\n\
           check_interval = 2s\n\
           retry_interval = 2s\n\
           vars.chrony_tracking_address = \"{address}\"\n\
           vars.chrony_tracking_warning = \"0.01\"\n\
           vars.chrony_tracking_critical = \"0.1\"\n\
           {extra}\n\
         }}\n"
    )
}

/// Each item as Icinga 2's perfdata writers read it: its own
/// `parse_performance_data` (which throws on a value such as `U`) must take
/// it, with the label and the numeric warn/crit the check wrote.
fn assert_icinga_parses(perf: &[String]) {
    let calls: Vec<String> = perf
        .iter()
        .map(|p| format!("parse_performance_data({p:?})"))
        .collect();
    let mut cmd = Command::new("icinga2");
    cmd.args(["console", "--eval"])
        .arg(format!("[{}]", calls.join(",")));
    let out = run_bounded(cmd, Duration::from_secs(30));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "icinga2 refused {perf:?}: {text}");
    let parsed: Vec<Value> = serde_json::from_str(text.trim()).expect("a JSON array");
    for (p, v) in perf.iter().zip(&parsed) {
        assert_eq!(
            Some(p.split('=').next().unwrap()),
            v["label"].as_str(),
            "{v}"
        );
        let fields: Vec<&str> = p.split(';').collect();
        for (i, key) in [(1, "warn"), (2, "crit")] {
            match fields.get(i).filter(|f| !f.is_empty()) {
                Some(f) => assert_eq!(v[key].as_f64(), f.parse().ok(), "{p}: {v}"),
                None => assert!(v[key].is_null(), "{p}: {v}"),
            }
        }
    }
    assert_eq!(parsed.len(), perf.len());
}

fn perfdata(r: &Value) -> Vec<String> {
    r["performance_data"]
        .as_array()
        .unwrap_or_else(|| panic!("no perfdata in {r}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn icinga_runs_the_check_and_reports_state_output_and_perfdata() {
    let synced = Chrony::start();
    let offset = Chrony::with(Options {
        offset: Some(0.05),
        ..Options::default()
    });
    let services = service(
        "synchronised",
        &synced.udp_address(),
        "vars.chrony_tracking_timeout = \"2\"",
    ) + &service(
        "offset",
        &offset.udp_address(),
        "vars.chrony_tracking_verbose = true",
    );
    let icinga = Icinga::start(&services);
    let limit = Duration::from_secs(60);

    // Synchronised: OK, with every perfdata label.
    let r = icinga.wait_for("synchronised", 0, limit);
    assert_eq!(r["state"].as_f64(), Some(0.0), "{r}");
    let output = r["output"].as_str().unwrap();
    assert!(output.starts_with("CHRONY OK - offset "), "{output}");
    assert!(
        output.contains("reference 127.0.0.1 stratum 4, leap status normal"),
        "{output}"
    );
    let perf = perfdata(&r);
    let labels: Vec<&str> = perf.iter().map(|p| p.split('=').next().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "offset",
            "offset_abs",
            "last_offset",
            "rms_offset",
            "frequency",
            "frequency_abs",
            "residual_frequency",
            "skew",
            "root_delay",
            "root_dispersion",
            "root_distance",
            "stratum",
            "update_interval",
            "ref_age"
        ]
    );
    // Ranges on the absolute offset, where the check applies them.
    assert!(perf[0].ends_with('s'), "{perf:?}");
    assert!(perf[1].ends_with("s;0.01;0.1"), "{perf:?}");
    assert_eq!(perf[11], "stratum=4;;;0;16");
    assert!(perf[13].ends_with("s;3600;14400"), "{perf:?}");
    // Icinga keeps whatever precedes `|`: no trailing space.
    assert!(!output.ends_with(' '), "{output:?}");
    assert_icinga_parses(&perf);

    // +50 ms with -w 0.01 -c 0.1: WARNING, long output per metric (-v).
    let r = icinga.wait_for("offset", 1, limit);
    assert_eq!(r["state"].as_f64(), Some(1.0), "{r}");
    let output = r["output"].as_str().unwrap();
    assert!(
        output.starts_with("CHRONY WARNING - offset +0.0"),
        "{output}"
    );
    assert!(output.contains(" s outside 0.01 (WARNING)"), "{output}");
    assert!(
        output.contains("\noffset +0.0"),
        "long output missing: {output}"
    );
    assert!(!output.lines().next().unwrap().ends_with(' '), "{output:?}");
    let perf = perfdata(&r);
    assert!(perf[0].starts_with("offset=0.0"), "{perf:?}");
    assert!(
        perf[1].starts_with("offset_abs=0.0") && perf[1].ends_with("s;0.01;0.1"),
        "{perf:?}"
    );
    assert_icinga_parses(&perf);

    // chronyd stopped: CRITICAL after the 2 s timeout, naming the address.
    synced.stop_client();
    icinga.reschedule("synchronised");
    let r = icinga.wait_for("synchronised", 2, limit);
    synced.resume_client();
    assert_eq!(r["state"].as_f64(), Some(2.0), "{r}");
    assert_eq!(
        r["output"].as_str().unwrap(),
        format!(
            "CHRONY CRITICAL - {}: no answer within 2s (chronyd stopped, overloaded, or packets dropped)",
            synced.udp_address()
        )
    );
    assert!(
        r["performance_data"]
            .as_array()
            .is_none_or(|a| a.is_empty()),
        "{r}"
    );
}

/// `check_chrony_sources` run by a real Icinga 2 through the shipped
/// `chrony_sources` CheckCommand against the multi-source topology: arrays
/// become repeated `--require` / `--ignore`, booleans flags, and the state,
/// output and perfdata come back through the REST API.
#[test]
fn icinga_runs_the_sources_check() {
    let t = Topology::start();
    let sources_service = |name: &str, extra: &str| {
        format!(
            "object Service \"{name}\" {{\n\
               host_name = \"chrony-host\"\n\
               check_command = \"chrony_sources\"\n\
               check_interval = 2s\n\
               retry_interval = 2s\n\
               vars.chrony_sources_address = \"{}\"\n\
               vars.chrony_sources_timeout = \"3\"\n\
               {extra}\n\
             }}\n",
            t.udp_address()
        )
    };
    let services = sources_service("sources-default", "")
        + &sources_service(
            "sources-ok",
            &format!(
                "vars.chrony_sources_ignore = [ \"{DEAD}\", \"{FALSETICKER}\" ]\n\
                 vars.chrony_sources_require = [ \"{REFCLOCK}\", \"{}\" ]\n\
                 vars.chrony_sources_perfdata_sources = true\n\
                 vars.chrony_sources_verbose = true",
                GOOD[0]
            ),
        )
        + &sources_service(
            "sources-required",
            &format!("vars.chrony_sources_require = [ \"{DEAD}\" ]"),
        );
    let icinga = Icinga::start(&services);
    let limit = Duration::from_secs(60);

    // The defaults: the falseticker and the dead server warn.
    let r = icinga.wait_for("sources-default", 1, limit);
    let output = r["output"].as_str().unwrap();
    assert!(output.starts_with("CHRONY WARNING - "), "{output}");
    assert!(
        output.contains("falsetickers 1 outside 0 (WARNING)"),
        "{output}"
    );
    assert!(!output.ends_with(' '), "{output:?}");
    let perf = perfdata(&r);
    let labels: Vec<&str> = perf.iter().map(|p| p.split('=').next().unwrap()).collect();
    assert_eq!(
        labels,
        [
            "sources",
            "reachable",
            "usable",
            "selected",
            "falsetickers",
            "jittery",
            "reach_worst",
            "reach_mean"
        ]
    );
    assert_eq!(perf[4], "falsetickers=1;0;;0;7");
    assert_icinga_parses(&perf);

    // Both ignored, the required ones usable: OK, with per-source perfdata
    // and the long output.
    let r = icinga.wait_for("sources-ok", 0, limit);
    let output = r["output"].as_str().unwrap();
    assert!(
        output.starts_with("CHRONY OK - 5 sources (2 ignored), 5 reachable, 4 usable"),
        "{output}"
    );
    assert!(output.contains("\nsource GPS #"), "{output}");
    let perf = perfdata(&r);
    assert!(
        perf.iter().any(|p| p.starts_with("ref_GPS_reach=")),
        "{perf:?}"
    );
    assert!(
        perf.iter().any(|p| p.starts_with("ntp_127_0_0_2_offset=")),
        "{perf:?}"
    );
    // The IPv6 source ::1: its label carries no colon, which Icinga parses.
    assert!(
        perf.iter().any(|p| p.starts_with("ntp___1_offset=")),
        "{perf:?}"
    );
    assert!(
        !perf.iter().any(|p| p.starts_with("ntp_127_0_0_6")),
        "{perf:?}"
    );
    assert_icinga_parses(&perf);

    // A required source that never answers: CRITICAL.
    let r = icinga.wait_for("sources-required", 2, limit);
    let output = r["output"].as_str().unwrap();
    assert!(
        output.starts_with(&format!(
            "CHRONY CRITICAL - required {DEAD} unreachable (CRITICAL)"
        )),
        "{output}"
    );
}

/// The argument blocks of a CheckCommand file: each key (`"-w"`,
/// `"--require"`) with the text of its `{ ... }`.
fn command_arguments(conf: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = conf;
    while let Some(at) = rest.find("\" = {") {
        let key_start = rest[..at].rfind('"').expect("key opens with a quote") + 1;
        let key = rest[key_start..at].to_string();
        let body = &rest[at + 5..];
        let end = body.find('}').expect("argument block closes");
        if key.starts_with('-') {
            out.push((key, body[..end].to_string()));
        }
        rest = &body[end..];
    }
    out
}

/// Each option in a binary's `--help`, as (short, long) (`-h`/`-V` left
/// out: not for a CheckCommand).
fn help_options(bin: &str) -> Vec<(Option<String>, String)> {
    let out = Command::new(bin)
        .arg("--help")
        .output()
        .expect("run --help");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut options = Vec::new();
    for line in help.lines().map(str::trim_start) {
        if !line.starts_with('-') {
            continue;
        }
        // The option column ends where two spaces start the description.
        let head = line.split("  ").next().unwrap_or("");
        let mut short = None;
        for token in head.split([' ', ',']) {
            let token = token.trim_end_matches("...");
            if token.len() == 2 && token.starts_with('-') {
                short = Some(token.to_string());
            } else if token.starts_with("--") {
                options.push((short.take(), token.to_string()));
            }
        }
    }
    options.retain(|(_, long)| long != "--help" && long != "--version");
    assert!(options.len() > 10, "{bin}: {options:?}\n{help}");
    options
}

/// Every option of each check has an argument in its shipped CheckCommand
/// (by its short or long name), every argument is an option, and the
/// repeatable ones repeat their key for an array.
#[test]
fn every_option_has_a_checkcommand_argument() {
    let sources_bin = env!("CARGO_BIN_EXE_check_chrony_sources");
    for (bin, file, repeatable) in [
        (BIN, COMMAND_FILE, &[][..]),
        (
            sources_bin,
            SOURCES_COMMAND_FILE,
            &["--require", "--ignore"][..],
        ),
    ] {
        let conf = fs::read_to_string(icinga_dir().join(file)).unwrap();
        let arguments = command_arguments(&conf);
        let options = help_options(bin);
        for (short, long) in &options {
            let found = arguments
                .iter()
                .find(|(k, _)| k == long || Some(k) == short.as_ref());
            let Some((key, body)) = found else {
                panic!("{file}: no argument for {long} ({short:?})");
            };
            let repeats = body.contains("repeat_key = true");
            assert_eq!(
                repeats,
                repeatable.contains(&long.as_str()),
                "{file}: {key} repeat_key"
            );
        }
        for (key, _) in &arguments {
            assert!(
                options
                    .iter()
                    .any(|(s, l)| l == key || s.as_deref() == Some(key.as_str())),
                "{file}: {key} is not an option of {bin}"
            );
        }
    }
}
