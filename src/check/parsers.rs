//! The check's perfdata read by the consumers' own parsers
//! ([`super::consumers`]): for a report in every state, each label must
//! parse in both, and each parser's threshold verdict must be the state the
//! check gave that metric (its `-v` line), wherever the parser keeps the
//! range.

use super::consumers::{icinga2_agrees, perfdata_of, perl_agrees, split, Item};
use super::snapshots::{local, ok, plain, range, synchronised, tight, unsynchronised, with_offset};
use super::{Config, Limits, State};
use crate::tracking::{LeapStatus, Timestamp, Tracking};
use std::collections::BTreeMap;

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
        // The example: -50 ms against -w 0.01 -c 0.1.
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
        let perfdata = perfdata_of(&report.text);
        lines.insert(case, perfdata.to_string());
        let states = metric_states(&report.text);
        items.extend(split(case, perfdata, |label, warn, crit| {
            let metric = label.strip_suffix("_abs").unwrap_or(label);
            let state = states
                .get(metric)
                .unwrap_or_else(|| panic!("{case}: no -v line for {metric}:\n{}", report.text));
            if warn.is_empty() && crit.is_empty() {
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
            }
        }));
    }
    (items, lines)
}

#[test]
fn icinga2_parses_every_label_and_agrees_with_the_check() {
    icinga2_agrees(&items().0);
}

#[test]
fn monitoring_plugin_perl_parses_every_label_and_agrees_with_the_check() {
    let (items, lines) = items();
    perl_agrees(&items, &lines, |i, p, verdict| {
        // The ranges are lost, both of them.
        let what = format!("{}: {}", i.case, i.text);
        assert_eq!((p[1].as_str(), p[2].as_str()), ("", ""), "{what}");
        assert_eq!(verdict, State::Ok, "{what}");
    });
}
