//! The packages `scripts/package` builds, installed and run as users would:
//!
//! - the binaries need no glibc newer than 2.28;
//! - the .deb: its metadata (Depends computed, RUNPATH to the private
//!   library, files where Debian puts them, lintian clean but for the warnings
//!   README explains), then installed with `apt-get install ./…deb` into a
//!   fresh minimal Debian 12 root made by mmdebstrap from Debian's archive
//!   (no Rust, no clang, no libchrony), where the check run as `nobody` reads a
//!   chronyd on loopback and the Telegraf and collectd binaries print their
//!   lines; `apt-get purge` then leaves no file behind;
//! - the tarball: unpacked anywhere, its binaries run under `env -i` with
//!   /usr/local/lib (this host's libchrony) hidden in a private mount namespace;
//! - the .rpm: file list, Requires and Provides read with `rpm -qp` (it
//!   cannot be installed on Debian).
//!
//! The packages are built once per test run (release build with
//! cargo-zigbuild, a few minutes the first time) and shared by the tests.
//! A missing tool fails the test with what to install (`scripts/setup
//! --package`); the archive being unreachable fails the .deb test saying so.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::SystemTime;

use support::Chrony;

/// Where scripts/package writes.
fn out_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/package")
}

/// `timeout`'s limit for scripts/package, and for each command run in the
/// Debian root or namespace.
const PACKAGE_DEADLINE: &str = "2400";
const COMMAND_DEADLINE: &str = "300";

/// The built packages.
struct Built {
    deb: PathBuf,
    tarball: PathBuf,
    rpm: PathBuf,
}

/// Runs scripts/package once for the whole test binary; every test that
/// needs the packages fails with its message when it failed.
fn built() -> &'static Built {
    static BUILT: OnceLock<Result<Built, String>> = OnceLock::new();
    let result = BUILT.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/package");
        // A deadline: the first release build takes minutes, never 40.
        let mut cmd = Command::new("timeout");
        cmd.arg(PACKAGE_DEADLINE).arg(&script);
        // The outer `cargo test` sets variables meant for its own build;
        // scripts/package runs a separate cargo with its own target dir.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if (key.starts_with("CARGO_") && key != "CARGO_HOME") || key == "RUSTFLAGS" {
                cmd.env_remove(&key);
            }
        }
        let output = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        eprintln!("{stderr}");
        if !output.status.success() {
            let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "scripts/package failed or passed its {PACKAGE_DEADLINE} s deadline ({}):\n{}",
                output.status,
                tail.join("\n")
            ));
        }
        let find = |suffix: &str| -> Result<PathBuf, String> {
            fs::read_dir(out_dir())
                .map_err(|e| e.to_string())?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| p.to_string_lossy().ends_with(suffix))
                .ok_or_else(|| format!("scripts/package made no *{suffix} in target/package"))
        };
        Ok(Built {
            deb: find("_amd64.deb")?,
            tarball: find("-x86_64-linux-gnu.tar.gz")?,
            rpm: find(".x86_64.rpm")?,
        })
    });
    match result {
        Ok(built) => built,
        Err(why) => panic!("{why}"),
    }
}

/// Runs a command to completion; panics (naming it) if it cannot start.
fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// Runs a command that must succeed; returns its stdout.
fn run_ok(cmd: &mut Command) -> String {
    let output = run(cmd);
    succeeded(output, &format!("{cmd:?}"))
}

/// The stdout of `output`, which must be a success (else a panic naming
/// `what`, with both streams).
fn succeeded(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Fails with what to install when `tool` is not on PATH.
fn require_tool(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{tool}` not found: install {package} (`scripts/setup --package` does)"
    );
}

/// A temp dir removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "chrony-plugins-{tag}-{}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The names of Cargo.toml's `[[bin]]` targets: what every package must
/// carry, so a new binary cannot be left out of one of them unnoticed.
fn binaries() -> Vec<String> {
    let manifest = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let Some(name) = line.strip_prefix("name = \"").filter(|_| in_bin) {
            names.push(name.trim_end_matches('"').to_string());
        }
    }
    assert!(!names.is_empty(), "no [[bin]] in Cargo.toml");
    names
}

/// Where a package installs binary `name`: the checks into the monitoring
/// plugin directory `plugins`, the rest into `bin`.
fn installed<'a>(name: &str, plugins: &'a str, bin: &'a str) -> String {
    let dir = if name.starts_with("check_") {
        plugins
    } else {
        bin
    };
    format!("{dir}{name}")
}

/// The binaries' highest GLIBC_ version, as scripts/package measured it.
#[test]
fn binaries_need_at_most_glibc_2_28() {
    built();
    let report = fs::read_to_string(out_dir().join("glibc-versions.txt")).unwrap();
    eprintln!("{report}");
    let mut seen = 0;
    for line in report.lines() {
        let (name, version) = line.split_once(" GLIBC_").expect(line);
        let parts: Vec<u32> = version
            .trim()
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert!(
            parts.as_slice() <= [2, 28].as_slice(),
            "{} needs GLIBC_{version}",
            name.trim()
        );
        seen += 1;
    }
    // Every [[bin]] of Cargo.toml, and libchrony.
    let bins = binaries().len();
    assert_eq!(seen, bins + 1, "{bins} binaries and libchrony: {report}");
}

/// Every lintian tag of the .deb: no error, and each warning explained in README.
#[test]
fn deb_metadata_and_lintian() {
    let built = built();
    let field = |name: &str| {
        run_ok(
            Command::new("dpkg-deb")
                .arg("--field")
                .arg(&built.deb)
                .arg(name),
        )
        .trim()
        .to_string()
    };
    assert_eq!(field("Package"), "chrony-plugins");
    let depends = field("Depends");
    assert_eq!(
        depends, "libc6 (>= 2.28)",
        "Depends computed by dpkg-shlibdeps, capped at the glibc 2.28 floor"
    );

    let listing = run_ok(Command::new("dpkg-deb").arg("--contents").arg(&built.deb));
    let files: BTreeSet<String> = listing
        .lines()
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| l.split_whitespace().last())
        .map(|p| p.trim_start_matches('.').to_string())
        .collect();
    let bins = binaries()
        .iter()
        .map(|b| installed(b, "/usr/lib/nagios/plugins/", "/usr/bin/"))
        .collect::<Vec<_>>();
    for expected in bins.iter().map(String::as_str).chain([
        "/usr/lib/chrony-plugins/libchrony.so.0",
        "/usr/share/doc/chrony-plugins/copyright",
        "/usr/share/doc/chrony-plugins/examples/icinga2/command-chrony-tracking.conf",
        "/usr/share/doc/chrony-plugins/examples/icinga2/command-chrony-sources.conf",
        "/usr/share/doc/chrony-plugins/examples/telegraf/chrony-tracking.conf",
        "/usr/share/doc/chrony-plugins/examples/collectd/chrony-tracking.conf",
    ]) {
        assert!(
            files.contains(expected),
            "{expected} not in the .deb: {files:?}"
        );
    }
    for file in &files {
        assert!(
            !file.starts_with("/etc/telegraf") && !file.starts_with("/etc/collectd"),
            "{file}: Telegraf and collectd would load it by themselves"
        );
        assert!(
            !file.contains("libchrony") || file.starts_with("/usr/lib/chrony-plugins/"),
            "{file}: libchrony belongs in the private directory only"
        );
    }

    // The sample configs and README name the binaries where the .deb puts them.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    for doc in [
        "telegraf/chrony-tracking.conf",
        "collectd/chrony-tracking.conf",
        "README.md",
    ] {
        let text = fs::read_to_string(manifest.join(doc)).unwrap();
        for path in installed_paths(&text, &["/usr/bin/", "/usr/lib/nagios/plugins/"]) {
            assert!(
                files.contains(&path),
                "{doc} names {path}, which the .deb does not install"
            );
        }
    }

    // The copyright file names libchrony's licence and where its source is.
    let unpacked = TempDir::new("deb");
    run_ok(
        Command::new("dpkg-deb")
            .arg("-x")
            .arg(&built.deb)
            .arg(&unpacked.0),
    );
    let copyright =
        fs::read_to_string(unpacked.0.join("usr/share/doc/chrony-plugins/copyright")).unwrap();
    for needle in [
        "License: MIT or Apache-2.0",
        "License: LGPL-2.1+",
        "https://gitlab.com/chrony/libchrony",
        "/usr/share/common-licenses/LGPL-2.1",
    ] {
        assert!(copyright.contains(needle), "copyright lacks {needle:?}");
    }
    // RUNPATH: the private directory, nothing from the build host.
    for bin in binaries()
        .iter()
        .map(|b| installed(b, "usr/lib/nagios/plugins/", "usr/bin/"))
    {
        let dynamic = run_ok(Command::new("readelf").arg("-d").arg(unpacked.0.join(&bin)));
        assert!(
            dynamic.contains("Library runpath: [/usr/lib/chrony-plugins]"),
            "{bin}: {dynamic}"
        );
        assert!(!dynamic.contains("(RPATH)"), "{bin} has a DT_RPATH");
    }

    // lintian, as scripts/package ran it.
    let lintian = fs::read_to_string(out_dir().join("lintian.txt")).unwrap();
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for line in lintian.lines() {
        assert!(!line.starts_with("E: "), "lintian error: {line}");
        if let Some(rest) = line.strip_prefix("W: chrony-plugins: ") {
            let tag = rest.split_whitespace().next().unwrap();
            assert!(
                readme.contains(&format!("`{tag}`")),
                "lintian warning {tag} is not explained in README.md"
            );
        }
    }
}

/// The .deb in a fresh Debian 12: installs, runs, purges without a trace.
#[test]
fn deb_installs_runs_and_purges_in_a_fresh_debian_12() {
    require_tool("mmdebstrap", "mmdebstrap");
    require_tool("unshare", "util-linux");
    require_tool("curl", "curl");
    let built = built();

    // Debian's archive must answer, or the test says so.
    let archive = "http://deb.debian.org/debian";
    let probe = run(Command::new("curl").args([
        "-fsS",
        "-o",
        "/dev/null",
        "--max-time",
        "30",
        &format!("{archive}/dists/bookworm/Release"),
    ]));
    assert!(
        probe.status.success(),
        "Debian's archive ({archive}) cannot be reached, so no fresh Debian 12 root can be made: {}",
        String::from_utf8_lossy(&probe.stderr).trim()
    );

    let tmp = TempDir::new("debian12");
    let root = tmp.0.join("root");
    // Minimal: Essential packages and apt; nothing else (no Rust, no clang).
    let started = std::time::Instant::now();
    let made = run(Command::new("timeout")
        .args(["900", "mmdebstrap", "--variant=apt", "--quiet", "bookworm"])
        .arg(&root)
        .arg(archive));
    assert!(
        made.status.success(),
        "mmdebstrap bookworm failed or took more than 15 minutes ({}): {}",
        made.status,
        String::from_utf8_lossy(&made.stderr)
    );
    eprintln!(
        "mmdebstrap bookworm: {:.0} s",
        started.elapsed().as_secs_f64()
    );
    for absent in [
        "usr/bin/rustc",
        "usr/bin/cargo",
        "usr/bin/clang",
        "usr/bin/cc",
    ] {
        assert!(!root.join(absent).exists(), "the fresh root has {absent}");
    }
    assert!(
        find_files(&root, "libchrony").is_empty(),
        "the fresh root already has a libchrony"
    );

    let before = tree(&root);
    let deb_name = built
        .deb
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    fs::copy(&built.deb, root.join("tmp").join(&deb_name)).unwrap();

    // In the root, with its own /proc, in a private mount and PID namespace.
    let in_root = |user: Option<&str>, args: &[&str]| -> Output {
        let mut cmd = Command::new("timeout");
        cmd.args([
            COMMAND_DEADLINE,
            "unshare",
            "--mount",
            "--pid",
            "--fork",
            "--kill-child",
        ])
        .arg(format!("--mount-proc={}", root.join("proc").display()))
        .arg("chroot");
        if let Some(user) = user {
            cmd.arg(format!("--userspec={user}"));
        }
        cmd.arg(&root)
            .args([
                "/usr/bin/env",
                "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "DEBIAN_FRONTEND=noninteractive",
                "LC_ALL=C.UTF-8",
            ])
            .args(args);
        run(&mut cmd)
    };
    let ok = succeeded;

    ok(
        in_root(
            None,
            &[
                "apt-get",
                "install",
                "-y",
                "--no-install-recommends",
                &format!("/tmp/{deb_name}"),
            ],
        ),
        "apt-get install ./chrony-plugins.deb",
    );
    fs::remove_file(root.join("tmp").join(&deb_name)).unwrap();

    let chrony = Chrony::start();
    let address = chrony.udp_address();
    let check = in_root(
        Some("nobody:nogroup"),
        &[
            "/usr/lib/nagios/plugins/check_chrony_tracking",
            "-H",
            &address,
        ],
    );
    let check_out = String::from_utf8_lossy(&check.stdout).into_owned();
    assert_eq!(
        check.status.code(),
        Some(0),
        "installed check as nobody: {check_out}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(check_out.contains("OK"), "{check_out}");
    eprintln!("check: {check_out}");

    let telegraf = ok(
        in_root(
            Some("nobody:nogroup"),
            &["telegraf-chrony-tracking", "--once", "-H", &address],
        ),
        "installed telegraf-chrony-tracking --once",
    );
    assert!(telegraf.starts_with("chrony,"), "{telegraf}");
    eprintln!("telegraf: {telegraf}");

    let collectd = ok(
        in_root(
            Some("nobody:nogroup"),
            &[
                "collectd-chrony-tracking",
                "--once",
                "-H",
                &address,
                "--hostname",
                "h1",
            ],
        ),
        "installed collectd-chrony-tracking --once",
    );
    assert!(
        collectd.lines().any(|l| l.starts_with("PUTVAL h1/chrony/")),
        "{collectd}"
    );
    ok(
        in_root(Some("nobody:nogroup"), &["chrony-tracking", "-H", &address]),
        "installed chrony-tracking",
    );
    ok(
        in_root(
            Some("nobody:nogroup"),
            &["chrony-report", "-H", &address, "tracking"],
        ),
        "installed chrony-report",
    );

    ok(
        in_root(None, &["apt-get", "purge", "-y", "chrony-plugins"]),
        "apt-get purge chrony-plugins",
    );
    let after = tree(&root);
    let left: Vec<&String> = after.difference(&before).collect();
    assert!(left.is_empty(), "apt-get purge left files behind: {left:?}");
}

/// The tarball, unpacked anywhere, runs with an empty environment and no
/// libchrony anywhere but its own lib/.
#[test]
fn tarball_runs_with_env_i_and_its_own_libchrony() {
    require_tool("unshare", "util-linux");
    let built = built();
    let chrony = Chrony::start();
    let address = chrony.udp_address();

    let tmp = TempDir::new("tarball");
    run_ok(
        Command::new("tar")
            .arg("-xzf")
            .arg(&built.tarball)
            .arg("-C")
            .arg(&tmp.0),
    );
    let top = fs::read_dir(&tmp.0)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let bins = binaries()
        .iter()
        .map(|b| format!("bin/{b}"))
        .collect::<Vec<_>>();
    for file in bins.iter().map(String::as_str).chain([
        "lib/libchrony.so.0",
        "examples/icinga2/command-chrony-tracking.conf",
        "examples/icinga2/command-chrony-sources.conf",
        "examples/telegraf/chrony-tracking.conf",
        "examples/collectd/chrony-tracking.conf",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "LICENSES/LGPL-2.1-or-later.txt",
        "LICENSES/README",
    ]) {
        assert!(top.join(file).is_file(), "{file} not in the tarball");
    }
    let dynamic = run_ok(
        Command::new("readelf")
            .arg("-d")
            .arg(top.join("bin/check_chrony_tracking")),
    );
    assert!(
        dynamic.contains("Library runpath: [$ORIGIN/../lib]"),
        "{dynamic}"
    );

    // In a private mount namespace: /usr/local/lib (where scripts/setup put
    // this host's libchrony) covered by an empty tmpfs. The .rpm's binary,
    // which has no RUNPATH, proves the host's copy is out of reach.
    let rpm_bin = out_dir().join("stage/rpm/check_chrony_tracking");
    let bin = top.join("bin");
    let script = format!(
        r#"set -u
mount --make-rprivate / && mount -t tmpfs none /usr/local/lib || exit 90
for lib in /usr/lib/libchrony.so.0 /usr/lib64/libchrony.so.0 /usr/lib/x86_64-linux-gnu/libchrony.so.0; do
    [ -e "$lib" ] && mount --bind /dev/null "$lib"
done
if env -i {rpm_bin} -H {address} >/dev/null 2>&1; then echo "host libchrony still visible"; exit 91; fi
env -i {bin}/check_chrony_tracking -H {address}; echo "check=$?"
env -i {bin}/check_chrony_sources -H {address} -m 1: -n 1: --reach-mean-warning '~:' --reach-mean-critical '~:' --reach-worst-warning '~:' >/dev/null; echo "sources=$?"
env -i {bin}/telegraf-chrony-tracking --once -H {address}; echo "telegraf=$?"
env -i {bin}/telegraf-chrony --once -H {address} --metrics tracking,sources >/dev/null; echo "telegraf-chrony=$?"
env -i {bin}/collectd-chrony-tracking --once -H {address} --hostname h1; echo "collectd=$?"
env -i {bin}/chrony-tracking -H {address} >/dev/null; echo "chrony-tracking=$?"
env -i {bin}/chrony-report -H {address} tracking >/dev/null; echo "chrony-report=$?"
"#,
        rpm_bin = rpm_bin.display(),
        bin = bin.display(),
    );
    let output = run(Command::new("timeout").args([
        COMMAND_DEADLINE,
        "unshare",
        "--mount",
        "--fork",
        "--kill-child",
        "sh",
        "-c",
        &script,
    ]));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "namespace setup failed ({}; needs root with CAP_SYS_ADMIN): {stdout}{stderr}",
        output.status
    );
    eprintln!("{stdout}");
    for status in [
        "check=0",
        "sources=0",
        "telegraf=0",
        "telegraf-chrony=0",
        "collectd=0",
        "chrony-tracking=0",
        "chrony-report=0",
    ] {
        assert!(
            stdout.lines().any(|l| l == status),
            "expected {status}:\n{stdout}{stderr}"
        );
    }
    assert!(stdout.lines().any(|l| l.starts_with("chrony,")), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("PUTVAL h1/chrony/")),
        "{stdout}"
    );
}

/// The .rpm's files, Requires and Provides (it cannot be installed here).
#[test]
fn rpm_requires_libchrony_and_bundles_nothing() {
    require_tool("rpm", "rpm");
    let built = built();
    let query = |args: &[&str]| run_ok(Command::new("rpm").arg("-qp").args(args).arg(&built.rpm));
    let files = query(&["--list"]);
    let bins = binaries()
        .iter()
        .map(|b| installed(b, "/usr/lib64/nagios/plugins/", "/usr/bin/"))
        .collect::<Vec<_>>();
    for expected in bins.iter().map(String::as_str).chain([
        "/usr/share/doc/chrony-plugins/examples/icinga2/command-chrony-tracking.conf",
        "/usr/share/doc/chrony-plugins/examples/icinga2/command-chrony-sources.conf",
        "/usr/share/doc/chrony-plugins/examples/telegraf/chrony-tracking.conf",
        "/usr/share/doc/chrony-plugins/examples/collectd/chrony-tracking.conf",
        "/usr/share/licenses/chrony-plugins/LICENSE-MIT",
    ]) {
        assert!(
            files.lines().any(|l| l == expected),
            "{expected} not in the .rpm:\n{files}"
        );
    }
    assert!(
        !files.contains("libchrony"),
        "the .rpm bundles libchrony:\n{files}"
    );
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for path in installed_paths(&readme, &["/usr/lib64/nagios/plugins/"]) {
        assert!(
            files.lines().any(|l| l == path),
            "README names {path}, not in the .rpm"
        );
    }
    assert!(
        !files.contains("/etc/"),
        "the .rpm installs into /etc:\n{files}"
    );

    let requires = query(&["--requires"]);
    eprintln!("Requires:\n{requires}");
    assert!(
        !requires.lines().any(|l| l.trim() == "/bin/sh"),
        "no scriptlets, so no /bin/sh: {requires}"
    );
    assert!(
        requires.lines().any(|l| l.trim() == "libchrony >= 0.1"),
        "{requires}"
    );
    assert!(
        requires
            .lines()
            .any(|l| l.trim() == "libchrony.so.0()(64bit)"),
        "{requires}"
    );
    for line in requires.lines() {
        if let Some(v) = line.trim().strip_prefix("libc.so.6(GLIBC_") {
            let v = v.trim_end_matches(")(64bit)");
            let parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap()).collect();
            assert!(parts.as_slice() <= [2, 28].as_slice(), "{line}");
        }
    }
    let provides = query(&["--provides"]);
    eprintln!("Provides:\n{provides}");
    assert!(
        provides.lines().any(|l| l.starts_with("chrony-plugins")),
        "{provides}"
    );
    assert!(!provides.contains("libchrony"), "{provides}");
    let info = query(&["--info"]);
    assert!(info.contains("MIT OR Apache-2.0"), "{info}");
    // Nothing in it has a RUNPATH (the distribution's libchrony is in the
    // default search path).
    let dynamic = run_ok(
        Command::new("readelf")
            .arg("-d")
            .arg(out_dir().join("stage/rpm/check_chrony_tracking")),
    );
    assert!(
        !dynamic.contains("RUNPATH") && !dynamic.contains("RPATH"),
        "{dynamic}"
    );
}

/// The paths under `dirs` that `text` names for this project's binaries.
fn installed_paths(text: &str, dirs: &[&str]) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for dir in dirs {
        for (at, _) in text.match_indices(dir) {
            let name: String = text[at + dir.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            if name.contains("chrony_tracking")
                || name.contains("chrony_sources")
                || name.contains("chrony-tracking")
                || name == "telegraf-chrony"
                || name == "chrony-report"
            {
                paths.insert(format!("{dir}{name}"));
            }
        }
    }
    paths
}

/// Files under `root` whose name contains `needle`.
fn find_files(root: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && !path.starts_with(root.join("proc")) {
                stack.push(path.clone());
            }
            if entry.file_name().to_string_lossy().contains(needle) {
                found.push(path);
            }
        }
    }
    found
}

/// Every path in the root but the package managers' own state and logs,
/// which installing and purging rightly change.
fn tree(root: &Path) -> BTreeSet<String> {
    const STATE: &[&str] = &[
        "proc",
        "dev",
        "tmp",
        "var/lib/dpkg",
        "var/lib/apt",
        "var/cache/apt",
        "var/cache/debconf",
        "var/log",
    ];
    let mut paths = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if STATE
                .iter()
                .any(|s| relative == *s || relative.starts_with(&format!("{s}/")))
            {
                continue;
            }
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(path);
            }
            paths.insert(relative);
        }
    }
    paths
}
