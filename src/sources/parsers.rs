//! `check_chrony_sources`' perfdata read by the consumers' own parsers:
//! Icinga 2's `parse_performance_data` (`icinga2 console`, Debian package
//! `icinga2`) and Monitoring::Plugin::Performance (Debian package
//! `libmonitoring-plugin-perl`), as `check::parsers` does for the tracking
//! check. For every state, each label parses in both, and each parser's
//! verdict on the ranges it keeps is the state the check gave that figure;
//! a range a parser drops may make it see less, never more.

use super::evaluate::{evaluate, Problem};
use super::fixtures::{harness, healthy};
use super::label;
use super::model::{Selection, Source};
use super::snapshots::{n, run, secs};
use super::Config;
use crate::check::{Limits, State};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

fn cases() -> Vec<(&'static str, Vec<Source>, Config)> {
    let all = |c: Config| Config {
        perfdata_sources: true,
        ..c
    };
    let with = |f: &dyn Fn(&mut Config)| {
        let mut c = all(Config::default());
        f(&mut c);
        c
    };
    let unreachable: Vec<Source> = healthy()
        .into_iter()
        .map(|s| Source {
            reach: 0,
            selection: Selection::Nonselectable,
            last_sample_ago: None,
            ..s
        })
        .collect();
    let spotty: Vec<Source> = healthy()
        .into_iter()
        .map(|s| Source { reach: 0o201, ..s })
        .collect();
    let mut two_gps = harness();
    two_gps.push(Source {
        reach: 0o1,
        ..harness().pop().expect("the harness ends with its refclock")
    });
    vec![
        ("ok", healthy(), all(Config::default())),
        ("warning_harness", harness(), all(Config::default())),
        (
            "warning_usable",
            healthy()[..2].to_vec(),
            all(Config::default()),
        ),
        ("critical_unreachable", unreachable, all(Config::default())),
        ("critical_reach", spotty, all(Config::default())),
        ("critical_empty", Vec::new(), all(Config::default())),
        // chronyd accepts two refclocks with one refid: `ref_GPS_n2_*`.
        (
            "warning_two_refclocks_one_refid",
            two_gps,
            all(Config::default()),
        ),
        (
            "critical_offset_and_falsetickers",
            harness(),
            with(&|c| {
                c.thresholds.offset = Limits {
                    warning: secs("1ms"),
                    critical: secs("0.5"),
                };
                c.thresholds.falsetickers.critical = n("0");
                c.thresholds.jittery = Limits {
                    warning: n("@1:2"),
                    critical: n("~:3"),
                };
            }),
        ),
        (
            "warning_reach_worst_critical_mean_inside",
            harness(),
            with(&|c| {
                c.thresholds.reach_worst.critical = n("@0:10");
                c.thresholds.reach_mean.critical = n("@79:81");
            }),
        ),
    ]
}

#[derive(Debug)]
struct Item {
    case: &'static str,
    text: String,
    label: String,
    value: f64,
    warn: String,
    crit: String,
    expected: State,
}

/// The check's state for each label that carries ranges.
fn expected_states(sources: &[Source], config: &Config) -> BTreeMap<String, State> {
    let e = evaluate(sources, config);
    let mut out = BTreeMap::new();
    for c in &e.metrics {
        if let Some(s) = c.state {
            out.insert(c.metric.label().to_string(), s);
        }
    }
    let prefixes = label::prefixes(e.sources.iter().map(|v| v.source));
    for (v, p) in e.sources.iter().zip(prefixes) {
        let of = |want: fn(&Problem) -> bool| {
            v.problems
                .iter()
                .filter(|(_, p)| want(p))
                .fold(State::Ok, |w, (s, _)| w.worst(*s))
        };
        out.insert(format!("{p}_reach"), of(|p| matches!(p, Problem::Reach(_))));
        out.insert(
            format!("{p}_offset_bound"),
            of(|p| matches!(p, Problem::Offset(_))),
        );
    }
    out
}

fn items() -> (Vec<Item>, BTreeMap<&'static str, String>) {
    let mut items = Vec::new();
    let mut lines = BTreeMap::new();
    for (case, sources, config) in cases() {
        let report = run(&sources, &config);
        let first = report.text.lines().next().unwrap();
        let perfdata = first.split_once('|').map(|(_, p)| p).unwrap_or("");
        lines.insert(case, perfdata.to_string());
        let states = expected_states(&sources, &config);
        for text in perfdata.split_whitespace() {
            let (label, rest) = text.split_once('=').unwrap();
            assert!(!label.contains("::") && !label.contains('\''), "{label}");
            let fields: Vec<&str> = rest.split(';').collect();
            let number = fields[0].trim_end_matches(['s', '%']);
            let value: f64 = number.parse().unwrap_or(f64::NAN);
            let field = |i: usize| fields.get(i).copied().unwrap_or("").to_string();
            let (warn, crit) = (field(1), field(2));
            let expected = if warn.is_empty() && crit.is_empty() {
                State::Ok
            } else {
                *states.get(label).unwrap_or_else(|| {
                    panic!("{case}: {label} has ranges the check did not apply: {perfdata}")
                })
            };
            items.push(Item {
                case,
                text: text.to_string(),
                label: label.to_string(),
                value,
                warn,
                crit,
                expected,
            });
        }
    }
    (items, lines)
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

fn is_bare_number(field: &str) -> bool {
    !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
}

fn icinga_alerts(value: f64, n: &Value) -> bool {
    n.as_f64().is_some_and(|n| !(0.0..=n).contains(&value))
}

fn rank(s: State) -> u8 {
    match s {
        State::Ok => 0,
        State::Unknown => 1,
        State::Warning => 2,
        State::Critical => 3,
    }
}

#[test]
fn icinga2_parses_every_label_and_agrees_with_the_check() {
    let (items, _) = items();
    let calls: Vec<String> = items
        .iter()
        .map(|i| format!("parse_performance_data(\"{}\")", i.text))
        .collect();
    let out = Command::new("icinga2")
        .args(["console", "--eval"])
        .arg(format!("[{}]", calls.join(",")))
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run icinga2: {e} (install Debian package icinga2)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "icinga2 refused a perfdata item: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Vec<Value> = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("icinga2 console printed no JSON array ({e}): {stdout}"));
    assert_eq!(parsed.len(), items.len());
    for (i, p) in items.iter().zip(&parsed) {
        let what = format!("{}: {} -> {p}", i.case, i.text);
        assert_eq!(p["label"].as_str(), Some(i.label.as_str()), "{what}");
        assert!(
            p["value"].as_f64().is_some_and(|v| close(v, i.value)),
            "{what}"
        );
        let mut all_kept = true;
        for (field, parsed) in [(&i.warn, &p["warn"]), (&i.crit, &p["crit"])] {
            if is_bare_number(field) {
                let n: f64 = field.parse().unwrap();
                assert!(parsed.as_f64().is_some_and(|p| close(p, n)), "{what}");
            } else {
                assert!(parsed.is_null(), "{what}");
                all_kept &= field.is_empty();
            }
        }
        let verdict = if icinga_alerts(i.value, &p["crit"]) {
            State::Critical
        } else if icinga_alerts(i.value, &p["warn"]) {
            State::Warning
        } else {
            State::Ok
        };
        if all_kept {
            assert_eq!(verdict, i.expected, "{what}");
        } else {
            assert!(
                rank(verdict) <= rank(i.expected),
                "Icinga 2 sees worse than the check: {what}"
            );
        }
    }
}

const PERL: &str = r#"
use strict;
use warnings;
use Monitoring::Plugin::Performance;
local $SIG{__WARN__} = sub {};
while (my $line = <STDIN>) {
    chomp $line;
    my ($case, $perfdata) = split /\t/, $line, 2;
    for my $p (Monitoring::Plugin::Performance->parse_perfstring($perfdata)) {
        my $status = $p->threshold->get_status($p->value);
        print join("\t", $case, $p->label, $p->value, $p->warning // '', $p->critical // '', $status), "\n";
    }
}
"#;

#[test]
fn monitoring_plugin_perl_parses_every_label_and_agrees_with_the_check() {
    let (items, lines) = items();
    let mut child = Command::new("perl")
        .args(["-e", PERL])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run perl: {e}"));
    {
        let mut stdin = child.stdin.take().unwrap();
        for (case, perfdata) in &lines {
            writeln!(stdin, "{case}\t{perfdata}").unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "perl failed (install Debian package libmonitoring-plugin-perl): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let parsed: BTreeMap<(String, String), Vec<String>> = stdout
        .lines()
        .map(|l| {
            let f: Vec<String> = l.split('\t').map(str::to_string).collect();
            ((f[0].clone(), f[1].clone()), f[2..].to_vec())
        })
        .collect();
    assert_eq!(
        parsed.len(),
        items.len(),
        "the Perl parser dropped labels:\n{stdout}"
    );
    for i in &items {
        let what = format!("{}: {}", i.case, i.text);
        let p = parsed
            .get(&(i.case.to_string(), i.label.clone()))
            .unwrap_or_else(|| panic!("the Perl parser dropped {what}"));
        let value: f64 = p[0].parse().unwrap();
        assert!(close(value, i.value), "{what}: {p:?}");
        let verdict = match p[3].as_str() {
            "0" => State::Ok,
            "1" => State::Warning,
            "2" => State::Critical,
            other => panic!("{what}: status {other}"),
        };
        if i.warn.contains('@') || i.crit.contains('@') {
            // Its perfdata regex has no `@`: that range is lost.
            assert!(
                rank(verdict) <= rank(i.expected),
                "the Perl parser sees worse than the check: {what}: {p:?}"
            );
        } else {
            assert_eq!((&p[1], &p[2]), (&i.warn, &i.crit), "{what}");
            assert_eq!(verdict, i.expected, "{what}: {p:?}");
        }
    }
}
