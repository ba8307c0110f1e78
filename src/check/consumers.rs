//! The consumers' own perfdata parsers, run on a check's output: Icinga 2's
//! `parse_performance_data` (through `icinga2 console`, Debian package
//! `icinga2`) and Monitoring::Plugin::Performance, the Perl reference parser
//! (Debian package `libmonitoring-plugin-perl`). Shared by the tracking
//! check's and the sources check's `parsers` tests, which give the cases and
//! the state the check gave each label.
//!
//! Each label must parse in both, and each parser's threshold verdict must
//! be the check's state wherever the parser keeps the range: Icinga 2 keeps
//! only bare numbers (`N`), the Perl parser drops a range with `@`. A range
//! a parser drops may make it see less than the check did, never more.

use super::State;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// One perfdata item as the check wrote it, and the check's state for it.
#[derive(Debug)]
pub(crate) struct Item {
    pub(crate) case: &'static str,
    /// The item exactly as printed.
    pub(crate) text: String,
    pub(crate) label: String,
    pub(crate) value: f64,
    /// warn and crit as written (empty when absent).
    pub(crate) warn: String,
    pub(crate) crit: String,
    /// What a parser must conclude from the thresholds: the state the check
    /// gave the metric when the label carries its ranges, else OK.
    pub(crate) expected: State,
}

/// The perfdata of a check's output: what follows `|` on its first line.
pub(crate) fn perfdata_of(text: &str) -> &str {
    let first = text.lines().next().unwrap();
    first.split_once('|').map(|(_, p)| p).unwrap_or("")
}

/// Splits one case's perfdata into items; `expected` gives the state a
/// label with ranges must get (it panics where the check applied none).
pub(crate) fn split(
    case: &'static str,
    perfdata: &str,
    expected: impl Fn(&str, &str, &str) -> State,
) -> Vec<Item> {
    perfdata
        .split_whitespace()
        .map(|text| {
            let (label, rest) = text.split_once('=').unwrap();
            assert!(!label.contains("::") && !label.contains('\''), "{label}");
            let fields: Vec<&str> = rest.split(';').collect();
            let number = fields[0].trim_end_matches(['s', '%']);
            // `U` (or anything else) is left for the parsers to judge.
            let value: f64 = number.parse().unwrap_or(f64::NAN);
            let field = |i: usize| fields.get(i).copied().unwrap_or("").to_string();
            let (warn, crit) = (field(1), field(2));
            let expected = expected(label, &warn, &crit);
            Item {
                case,
                text: text.to_string(),
                label: label.to_string(),
                value,
                warn,
                crit,
                expected,
            }
        })
        .collect()
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
/// Whether a parser's `verdict` is no worse than the check's `expected`
/// state (OK < UNKNOWN < WARNING < CRITICAL).
pub(crate) fn no_worse(verdict: State, expected: State) -> bool {
    verdict.severity() <= expected.severity()
}

/// Icinga 2 (`icinga2 console`) parses every item, and its verdict on the
/// ranges it keeps is the one the check gave.
pub(crate) fn icinga2_agrees(items: &[Item]) {
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
                no_worse(verdict, i.expected),
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

/// Monitoring::Plugin::Performance parses every label of `lines` (case
/// to perfdata), and its verdict on the ranges it keeps is the one the
/// check gave. Its perfdata regex has no `@`: an item with such a range is
/// judged by `at_range`, given the item, the parser's fields (value, warn,
/// crit, status) and its verdict.
pub(crate) fn perl_agrees(
    items: &[Item],
    lines: &BTreeMap<&'static str, String>,
    at_range: impl Fn(&Item, &[String], State),
) {
    let mut child = Command::new("perl")
        .args(["-e", PERL])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run perl: {e}"));
    {
        let mut stdin = child.stdin.take().unwrap();
        for (case, perfdata) in lines {
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
    for i in items {
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
            at_range(i, p, verdict);
        } else {
            assert_eq!((&p[1], &p[2]), (&i.warn, &i.crit), "{what}");
            assert_eq!(verdict, i.expected, "{what}: {p:?}");
        }
    }
}
