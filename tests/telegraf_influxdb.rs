//! End to end with a real consumer: telegraf-chrony-tracking's lines are
//! written to a real InfluxDB 1.x (Debian package `influxdb`) through its
//! HTTP `/write` API and read back with InfluxQL; every tag and field must
//! come back with exactly the value the library read.
//!
//! Values are read back as CSV: InfluxDB prints floats there in Go's
//! shortest round-trip form without exponent, which Rust parses exactly
//! (serde_json's default float parsing may be one ulp off).

mod support;

use chrony_plugins::telegraf::{render, ExtraField, Format};
use chrony_plugins::{Client, Target, Timestamp, Tracking};
use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime};
use support::line_protocol::split_unquoted;
use support::Chrony;

/// A private influxd on free loopback ports, removed on drop.
struct Influx {
    dir: PathBuf,
    child: Child,
    http_port: u16,
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a TCP socket on 127.0.0.1")
        .port()
}

fn influxd_path() -> &'static Path {
    let path = Path::new("/usr/bin/influxd");
    assert!(
        path.is_file(),
        "influxd is not installed: run scripts/setup (Debian package influxdb)"
    );
    path
}

impl Influx {
    fn start() -> Influx {
        let mut last = String::new();
        // A port seen free can be taken before influxd binds it: retry.
        for _ in 0..3 {
            match Influx::try_start() {
                Ok(i) => return i,
                Err(why) => last = why,
            }
        }
        panic!("influxd did not start: {last}");
    }

    fn try_start() -> Result<Influx, String> {
        // Unique per start: tests run in parallel threads of one process.
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = PathBuf::from(format!("/tmp/tgf-influx-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir(&dir).unwrap();
        let http_port = free_tcp_port();
        // The RPC (backup/restore) listener is on by default at :8088: give
        // it a free loopback port too, so parallel runs cannot clash.
        let rpc_port = free_tcp_port();
        let d = dir.display();
        let conf = dir.join("influxdb.conf");
        fs::write(
            &conf,
            format!(
                "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc_port}\"\n\
                 [meta]\n  dir = \"{d}/meta\"\n  logging-enabled = false\n\
                 [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
                 [monitor]\n  store-enabled = false\n\
                 [subscriber]\n  enabled = false\n\
                 [continuous_queries]\n  enabled = false\n\
                 [http]\n  enabled = true\n  bind-address = \"127.0.0.1:{http_port}\"\n\
                 \x20 log-enabled = false\n  pprof-enabled = false\n"
            ),
        )
        .unwrap();
        let child = Command::new(influxd_path())
            .arg("-config")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join("influxd.log")).unwrap())
            .spawn()
            .map_err(|e| format!("cannot run influxd: {e}"))?;
        let mut influx = Influx {
            dir,
            child,
            http_port,
        };
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = influx.child.try_wait() {
                return Err(format!("influxd exited ({status}):\n{}", influx.log()));
            }
            if let Ok((204, _)) = influx.request("GET", "/ping", "") {
                return Ok(influx);
            }
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!("influxd not up within 30 s:\n{}", influx.log()));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.join("influxd.log")).unwrap_or_default()
    }

    /// One HTTP/1.0 request (so the reply is never chunked): status and body.
    fn request(&self, method: &str, target: &str, body: &str) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.http_port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "{method} {target} HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: application/csv\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        let status = reply
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP reply: {reply:?}"));
        let body = reply
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    }

    fn query(&self, db: &str, q: &str) -> Vec<BTreeMap<String, String>> {
        let target = format!("/query?db={db}&epoch=ns&q={}", percent_encode(q));
        let (status, body) = self.request("POST", &target, "").unwrap();
        assert_eq!(status, 200, "{q}: {body}");
        csv_records(&body)
    }

    fn create_database(&self, db: &str) {
        self.query(db, &format!("CREATE DATABASE {db}"));
    }

    fn write(&self, db: &str, lines: &str) {
        let (status, body) = self
            .request("POST", &format!("/write?db={db}&precision=ns"), lines)
            .unwrap();
        assert_eq!(status, 204, "write refused: {body}\n{lines}");
    }

    /// Field key → InfluxDB type (`float`, `integer`, `boolean`, `string`).
    fn field_types(&self, db: &str) -> BTreeMap<String, String> {
        self.query(db, "SHOW FIELD KEYS FROM chrony")
            .into_iter()
            .map(|r| (r["fieldKey"].clone(), r["fieldType"].clone()))
            .collect()
    }

    fn tag_keys(&self, db: &str) -> Vec<String> {
        self.query(db, "SHOW TAG KEYS FROM chrony")
            .into_iter()
            .map(|r| r["tagKey"].clone())
            .collect()
    }
}

impl Drop for Influx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Splits one CSV record (RFC 4180 quoting; no line breaks inside values).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// CSV with a header row as one map per record (empty values left out).
fn csv_records(body: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = body.lines().filter(|l| !l.is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let header = csv_fields(header);
    lines
        .map(|l| {
            header
                .iter()
                .cloned()
                .zip(csv_fields(l))
                .filter(|(_, v)| !v.is_empty())
                .collect()
        })
        .collect()
}

/// What a line said, key by key: tags, fields (raw text) and timestamp.
struct Line {
    tags: BTreeMap<String, String>,
    fields: BTreeMap<String, String>,
    timestamp: String,
}

/// Parses the lines these tests produce (escapes only `\ ` in tag values,
/// no spaces in string fields).
fn parse_line(line: &str) -> Line {
    let protected = line.replace("\\ ", "\u{1}");
    let parts: Vec<&str> = protected.split(' ').collect();
    assert_eq!(parts.len(), 3, "{line}");
    let pair = |kv: &str| {
        let (k, v) = kv.split_once('=').unwrap();
        (k.to_string(), v.replace('\u{1}', " "))
    };
    let mut head = parts[0].split(',');
    assert_eq!(head.next(), Some("chrony"));
    Line {
        tags: head.map(pair).collect(),
        fields: parts[1].split(',').map(pair).collect(),
        timestamp: parts[2].to_string(),
    }
}

/// Asserts that InfluxDB's `got` (CSV text) is exactly the line's value
/// `sent` for a field of type `kind`.
fn assert_same(key: &str, kind: &str, sent: &str, got: &str) {
    match kind {
        "float" => assert_eq!(
            got.parse::<f64>().unwrap().to_bits(),
            sent.parse::<f64>().unwrap().to_bits(),
            "{key}: sent {sent}, got {got}"
        ),
        "integer" => assert_eq!(format!("{got}i"), sent, "{key}"),
        "boolean" => assert_eq!(got, sent, "{key}"),
        "string" => assert_eq!(format!("\"{got}\""), sent, "{key}"),
        other => panic!("{key}: unexpected type {other}"),
    }
}

fn read_library(address: &str) -> Tracking {
    Client::new(address.parse::<Target>().unwrap())
        .tracking(Duration::from_secs(3))
        .expect("the library reads the harness chronyd")
}

#[test]
fn library_values_come_back_exactly() {
    let chrony = Chrony::start();
    let influx = Influx::start();
    influx.create_database("lib");
    let socket = chrony.socket_address();
    let t = read_library(&socket);
    let now = SystemTime::now();
    let format = Format {
        extras: ExtraField::ALL.to_vec(),
        stratum_leap_as_fields: false,
    };
    let mut line = String::new();
    render(&t, &format, Some(&socket), now, &mut line).unwrap();
    influx.write("lib", &line);

    let rows = influx.query("lib", "SELECT * FROM chrony");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    let ns = |ts: Timestamp| ts.unix_nanos().to_string();
    assert_eq!(row["time"], ns(Timestamp::from_system_time(now)));

    assert_eq!(
        influx.tag_keys("lib"),
        ["leap_status", "reference_id", "source", "stratum"]
    );
    assert_eq!(row["leap_status"], t.leap_status.as_str());
    assert_eq!(row["reference_id"], format!("{:08X}", t.reference_id));
    assert_eq!(row["source"], socket);
    assert_eq!(row["stratum"], t.stratum.to_string());

    let floats = [
        ("frequency", t.frequency),
        ("last_offset", t.last_offset),
        ("reference_age", t.reference_age(now).unwrap()),
        ("residual_freq", t.residual_frequency),
        ("rms_offset", t.rms_offset),
        ("root_delay", t.root_delay),
        ("root_dispersion", t.root_dispersion),
        ("root_distance", t.root_distance()),
        ("skew", t.skew),
        ("system_time", t.current_correction),
        ("update_interval", t.update_interval),
    ];
    let mut expected_types: BTreeMap<String, String> = floats
        .iter()
        .map(|(k, _)| (k.to_string(), "float".to_string()))
        .collect();
    for (k, kind) in [
        ("leap_status_code", "integer"),
        ("reference_time", "integer"),
        ("synchronized", "boolean"),
    ] {
        expected_types.insert(k.into(), kind.into());
    }
    assert_eq!(influx.field_types("lib"), expected_types);
    for (key, value) in floats {
        let got: f64 = row[key].parse().unwrap();
        assert_eq!(got.to_bits(), value.to_bits(), "{key}: {got} vs {value}");
    }
    assert_eq!(row["reference_time"], ns(t.reference_time));
    assert_eq!(row["leap_status_code"], t.leap_status.code().to_string());
    assert_eq!(row["synchronized"], t.is_synchronised().to_string());
}

/// Runs the plugin, triggers `n` gathers and returns its lines.
fn plugin_lines(args: &[&str], n: usize) -> Vec<String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_telegraf-chrony-tracking"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let rx = support::lines_of(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = Vec::new();
    for _ in 0..n {
        stdin.write_all(b"\n").unwrap();
        lines.push(rx.recv_timeout(Duration::from_secs(5)).expect("a line"));
        // Distinct timestamps (the series key is measurement + tags + time).
        thread::sleep(Duration::from_millis(20));
    }
    drop(stdin);
    let _ = child.wait();
    lines
}

#[test]
fn plugin_output_comes_back_exactly() {
    let chrony = Chrony::start();
    let influx = Influx::start();
    let udp = chrony.udp_address();
    let extras = ["--extra-fields", "all", "--stratum-leap-as-fields"];
    for (db, args) in [("plain", &[][..]), ("extras", &extras[..])] {
        influx.create_database(db);
        let mut all_args = vec!["-H", udp.as_str()];
        all_args.extend_from_slice(args);
        let lines = plugin_lines(&all_args, 3);
        influx.write(db, &(lines.join("\n") + "\n"));

        let types = influx.field_types(db);
        let tag_keys = influx.tag_keys(db);
        let rows = influx.query(db, "SELECT * FROM chrony ORDER BY time");
        assert_eq!(rows.len(), lines.len(), "{db}: {rows:?}");
        for (line, row) in lines.iter().zip(&rows) {
            let sent = parse_line(line);
            assert_eq!(row["time"], sent.timestamp, "{db}");
            assert_eq!(
                tag_keys,
                sent.tags.keys().cloned().collect::<Vec<_>>(),
                "{db}"
            );
            for (key, value) in &sent.tags {
                assert_eq!(&row[key], value, "{db}: tag {key}");
            }
            assert_eq!(
                types.keys().collect::<Vec<_>>(),
                sent.fields.keys().collect::<Vec<_>>(),
                "{db}"
            );
            for (key, value) in &sent.fields {
                assert_same(key, &types[key], value, &row[key]);
            }
            // No column InfluxDB holds that the line did not send.
            let known = 1 + sent.tags.len() + sent.fields.len();
            let extra: Vec<_> = row
                .keys()
                .filter(|k| *k != "name" && *k != "time")
                .filter(|k| !sent.tags.contains_key(*k) && !sent.fields.contains_key(*k))
                .collect();
            assert!(extra.is_empty(), "{db}: {extra:?} ({known} expected)");
        }
        // And the stable values agree with a read of the library's own.
        let t = read_library(&udp);
        let first = parse_line(&lines[0]);
        assert_eq!(
            first.tags["reference_id"],
            format!("{:08X}", t.reference_id)
        );
        assert_eq!(first.tags["source"], udp);
        if db == "plain" {
            assert_eq!(first.tags["stratum"], t.stratum.to_string());
            assert_eq!(first.tags["leap_status"], t.leap_status.as_str());
        } else {
            assert_eq!(types["stratum"], "integer");
            assert_eq!(types["leap_status"], "string");
            assert_eq!(first.fields["stratum"], format!("{}i", t.stratum));
            assert_eq!(
                first.fields["leap_status"],
                format!("\"{}\"", t.leap_status)
            );
        }
    }
}

#[test]
fn unsynchronised_line_is_accepted_as_is() {
    // The escaped tag value `not\ synchronized` and reference id 00000000
    // from a chronyd whose server never answers.
    let chrony = Chrony::with(support::Options {
        silent_server: true,
        ..support::Options::default()
    });
    let influx = Influx::start();
    influx.create_database("unsync");
    let lines = plugin_lines(&["-H", &chrony.socket_address(), "--extra-fields=all"], 1);
    influx.write("unsync", &lines[0]);
    let rows = influx.query("unsync", "SELECT * FROM chrony");
    assert_eq!(rows[0]["leap_status"], "not synchronized");
    assert_eq!(rows[0]["reference_id"], "00000000");
    assert_eq!(rows[0]["stratum"], "0");
    assert_eq!(rows[0]["synchronized"], "false");
    assert_eq!(rows[0]["leap_status_code"], "3");
    assert!(!rows[0].contains_key("reference_time"), "{rows:?}");
}

#[test]
fn escaped_source_comes_back_exactly() {
    // A source path with a space, a comma and `=` (the plugin's own -H
    // cannot take a comma, which separates a list; the escaping is the
    // library's, so render it directly).
    let chrony = Chrony::start();
    let influx = Influx::start();
    influx.create_database("esc");
    let t = read_library(&chrony.socket_address());
    let source = "/srv/my chrony,dir=a/chronyd.sock";
    let mut line = String::new();
    render(
        &t,
        &Format::default(),
        Some(source),
        SystemTime::now(),
        &mut line,
    )
    .unwrap();
    influx.write("esc", &line);
    let rows = influx.query("esc", "SELECT * FROM chrony");
    assert_eq!(rows[0]["source"], source);
}

/// Any measurement's line (string fields may hold spaces): measurement and
/// its [`Line`].
fn parse_any(line: &str) -> (String, Line) {
    let parts = split_unquoted(line, ' ');
    assert_eq!(parts.len(), 3, "{line}");
    let pair = |kv: &str| {
        let (k, v) = kv.split_once('=').unwrap();
        (k.to_string(), v.replace("\\ ", " "))
    };
    let mut head = split_unquoted(parts[0], ',').into_iter();
    let measurement = head.next().unwrap().to_string();
    let line = Line {
        tags: head.map(pair).collect(),
        fields: split_unquoted(parts[1], ',')
            .into_iter()
            .map(pair)
            .collect(),
        timestamp: parts[2].to_string(),
    };
    (measurement, line)
}

/// The InfluxDB type a line-protocol value has.
fn line_type(value: &str) -> &'static str {
    if value.starts_with('"') {
        "string"
    } else if value == "true" || value == "false" {
        "boolean"
    } else if value.ends_with('i') {
        "integer"
    } else {
        "float"
    }
}

#[test]
fn every_measurement_comes_back_type_for_type() {
    let topology = support::topology::Topology::start();
    let influx = Influx::start();
    influx.create_database("reports");
    let socket = topology.socket_address();
    let out = Command::new(env!("CARGO_BIN_EXE_telegraf-chrony"))
        .args(["--once", "-H", &socket, "--metrics"])
        .arg("tracking,sources,sourcestats,activity,serverstats,selectdata,ntpdata,authdata")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    influx.write("reports", &text);

    let mut sent: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    for line in text.lines() {
        let (m, l) = parse_any(line);
        sent.entry(m).or_default().push(l);
    }
    let measurements: Vec<&str> = sent.keys().map(String::as_str).collect();
    assert_eq!(
        measurements,
        [
            "chrony",
            "chrony_activity",
            "chrony_authdata",
            "chrony_ntpdata",
            "chrony_selectdata",
            "chrony_serverstats",
            "chrony_sources",
            "chrony_sourcestats"
        ]
    );
    for (m, lines) in &sent {
        // Each field's type in InfluxDB is the type the lines wrote.
        let types: BTreeMap<String, String> = influx
            .query("reports", &format!("SHOW FIELD KEYS FROM {m}"))
            .into_iter()
            .map(|r| (r["fieldKey"].clone(), r["fieldType"].clone()))
            .collect();
        let mut written: BTreeMap<String, String> = BTreeMap::new();
        for l in lines {
            for (k, v) in &l.fields {
                let kind = line_type(v).to_string();
                let before = written.insert(k.clone(), kind.clone());
                assert!(before.is_none_or(|b| b == kind), "{m}.{k}: two types");
            }
        }
        assert_eq!(types, written, "{m}");

        // Every line comes back, value for value, found by its tags.
        let rows = influx.query("reports", &format!("SELECT * FROM {m}"));
        assert_eq!(rows.len(), lines.len(), "{m}: {rows:?}");
        for l in lines {
            let row = rows
                .iter()
                .find(|r| l.tags.iter().all(|(k, v)| r.get(k) == Some(v)))
                .unwrap_or_else(|| panic!("{m}: no row with tags {:?}", l.tags));
            assert_eq!(row["time"], l.timestamp, "{m}");
            for (k, v) in &l.fields {
                let got = row
                    .get(k)
                    .unwrap_or_else(|| panic!("{m}.{k} not stored: {row:?}"));
                assert_same(&format!("{m}.{k}"), &types[k], v, got);
            }
        }
    }
}
