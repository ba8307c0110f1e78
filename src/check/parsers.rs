//! The check's perfdata read by the consumers' own parsers: Icinga 2's
//! `parse_performance_data` (through `icinga2 console`, Debian package
//! `icinga2`) and Monitoring::Plugin::Performance, the Perl reference parser
//! (Debian package `libmonitoring-plugin-perl`).
//!
//! For a report in every state, each label must parse in both, and each
//! parser's threshold verdict must be the state the check gave that metric
//! (its `-v` line), wherever the parser keeps the range: Icinga 2 keeps only
//! bare numbers (`N`), the Perl parser drops a range with `@`. A range a
//! parser drops may make it see less than the check did, never more.

use super::snapshots::{local, ok, plain, range, synchronised, tight, unsynchronised, with_offset};
use super::{Config, Limits, State};
use crate::tracking::{LeapStatus, Timestamp, Tracking};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// A report in each state the check can give, read with `-v`.
fn cases() -> Vec<(&'static str, Tracking, Config)> {
    let verbose = |mut c: Config| {
        c.verbosity = 1;
        c
    };
    let default = || verbose(Config::default());
    let with = |f: &dyn Fn(&mut Config)| {
        let mut c = default();
        f(&mut c);
        c
    };
    let stale = |age: i64| Tracking {
        reference_time: Timestamp::new(1_795_675_351 - age, 0),
        ..synchronised()
    };
    vec![
        ("ok", synchronised(), default()),
        ("ok_negative_offset", with_offset(-0.008), verbose(tight())),
        // The issue's example: -50 ms against -w 0.01 -c 0.1.
        (
            "warning_negative_offset",
            with_offset(-0.05),
            verbose(tight()),
        ),
        (
            "warning_positive_offset",
            with_offset(0.0523),
            verbose(tight()),
        ),
        (
            "critical_negative_offset",
            with_offset(-0.5),
            verbose(tight()),
        ),
        ("critical_positive_offset", with_offset(2.0), default()),
        (
            "critical_negative_frequency",
            synchronised(),
            with(&|c| {
                c.thresholds.frequency = Limits {
                    warning: plain("5"),
                    critical: plain("10"),
                }
            }),
        ),
        (
            "warning_frequency_upper_bound_ranges",
            synchronised(),
            with(&|c| {
                c.thresholds.frequency = Limits {
                    warning: plain("~:10"),
                    critical: plain("-1:20"),
                }
            }),
        ),
        (
            "ok_offset_upper_bound_ranges",
            with_offset(-0.05),
            with(&|c| {
                c.thresholds.offset = Limits {
                    warning: range("~:100ms"),
                    critical: range("~:1"),
                }
            }),
        ),
        (
            "warning_stratum",
            synchronised(),
            with(&|c| {
                c.thresholds.stratum = Limits {
                    warning: plain("1:3"),
                    critical: plain("1:5"),
                }
            }),
        ),
        (
            "critical_stratum_plain",
            synchronised(),
            with(&|c| {
                c.thresholds.stratum = Limits {
                    warning: plain("2"),
                    critical: plain("3"),
                }
            }),
        ),
        (
            "critical_root_distance",
            synchronised(),
            with(&|c| {
                c.thresholds.root_distance = Limits {
                    warning: range("1ms"),
                    critical: range("0.004"),
                }
            }),
        ),
        ("warning_ref_age", stale(7200), default()),
        ("critical_ref_age", stale(20000), default()),
        (
            "warning_rms_offset",
            synchronised(),
            with(&|c| {
                c.thresholds.rms_offset = Limits {
                    warning: range("0.00000005"),
                    critical: range("0.001"),
                }
            }),
        ),
        (
            "warning_skew_inside",
            synchronised(),
            with(&|c| {
                c.thresholds.skew = Limits {
                    warning: plain("@0.01:0.05"),
                    critical: None,
                }
            }),
        ),
        (
            "critical_skew_only_critical",
            synchronised(),
            with(&|c| {
                c.thresholds.skew = Limits {
                    warning: None,
                    critical: plain("0.01"),
                }
            }),
        ),
        ("critical_unsynchronised", unsynchronised(), default()),
        (
            "ok_unsynchronised_mapped",
            unsynchronised(),
            with(&|c| c.on_unsynchronised = State::Ok),
        ),
        ("warning_local_reference", local(), default()),
        (
            "warning_leap_pending",
            Tracking {
                leap_status: LeapStatus::DeleteSecond,
                ..synchronised()
            },
            with(&|c| c.on_leap_pending = State::Warning),
        ),
        (
            "unknown_ref_age_never_updated",
            Tracking {
                reference_time: Timestamp::new(0, 0),
                ..synchronised()
            },
            default(),
        ),
        ("critical_nan_offset", with_offset(f64::NAN), default()),
    ]
}

/// One perfdata item as the check wrote it, and the check's state for it.
#[derive(Debug)]
struct Item {
    case: &'static str,
    /// The item exactly as printed.
    text: String,
    label: String,
    value: f64,
    /// warn and crit as written (empty when absent).
    warn: String,
    crit: String,
    /// What a parser must conclude from the thresholds: the state the check
    /// gave the metric when the label carries its ranges, else OK.
    expected: State,
}

/// The check's per-metric states from its `-v` lines (`None`: not checked).
fn metric_states(text: &str) -> BTreeMap<String, Option<State>> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let (head, detail) = line.split_once(": ")?;
            let metric = head.split(' ').next()?;
            if !metric.contains('_')
                && !["offset", "frequency", "skew", "stratum"].contains(&metric)
            {
                return None;
            }
            let word = detail.split([' ', ',']).next()?;
            let state = match word {
                "not" => None,
                w => Some(w.parse::<State>().ok()?),
            };
            Some((metric.to_string(), state))
        })
        .collect()
}

/// Renders every case and splits its perfdata into items.
fn items() -> (Vec<Item>, BTreeMap<&'static str, String>) {
    let mut items = Vec::new();
    let mut lines = BTreeMap::new();
    for (case, t, config) in cases() {
        let report = ok(t, &config);
        let first = report.text.lines().next().unwrap();
        let perfdata = first.split_once('|').map(|(_, p)| p).unwrap_or("");
        lines.insert(case, perfdata.to_string());
        let states = metric_states(&report.text);
        for text in perfdata.split_whitespace() {
            let (label, rest) = text.split_once('=').unwrap();
            let fields: Vec<&str> = rest.split(';').collect();
            let number = fields[0].trim_end_matches('s');
            // `U` (or anything else) is left for the parsers to judge.
            let value: f64 = number.parse().unwrap_or(f64::NAN);
            let field = |i: usize| fields.get(i).copied().unwrap_or("").to_string();
            let (warn, crit) = (field(1), field(2));
            let metric = label.strip_suffix("_abs").unwrap_or(label);
            let state = states
                .get(metric)
                .unwrap_or_else(|| panic!("{case}: no -v line for {metric}:\n{}", report.text));
            let expected = if warn.is_empty() && crit.is_empty() {
                // No ranges: only a signed twin may stand for a metric in
                // another state, and then its `_abs` label carries them.
                if state.is_some_and(|s| s != State::Ok) {
                    assert!(
                        perfdata.contains(&format!("{label}_abs=")),
                        "{case}: {label} is {state:?} but no label carries its ranges: {perfdata}"
                    );
                }
                State::Ok
            } else {
                state.unwrap_or_else(|| {
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

/// A bare number, the only warn/crit form Icinga 2 keeps.
fn is_bare_number(field: &str) -> bool {
    !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
}

/// Icinga 2's reading of a kept number `N`: the guidelines' range `0..N`.
fn icinga_alerts(value: f64, n: &Value) -> bool {
    n.as_f64().is_some_and(|n| !(0.0..=n).contains(&value))
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
                verdict.severity() <= i.expected.severity(),
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
            // Its perfdata regex has no `@`: the ranges are lost.
            assert_eq!((p[1].as_str(), p[2].as_str()), ("", ""), "{what}");
            assert_eq!(verdict, State::Ok, "{what}");
        } else {
            assert_eq!((&p[1], &p[2]), (&i.warn, &i.crit), "{what}");
            assert_eq!(verdict, i.expected, "{what}: {p:?}");
        }
    }
}
