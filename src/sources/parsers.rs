//! `check_chrony_sources`' perfdata read by the consumers' own parsers
//! ([`crate::check::consumers`]), as `check::parsers` does for the tracking
//! check. For every state, each label parses in both, and each parser's
//! verdict on the ranges it keeps is the state the check gave that figure;
//! a range a parser drops may make it see less, never more.

use super::evaluate::{evaluate, Problem};
use super::fixtures::{harness, healthy};
use super::label;
use super::model::{Selection, Source};
use super::snapshots::{n, run, secs};
use super::Config;
use crate::check::consumers::{icinga2_agrees, no_worse, perfdata_of, perl_agrees, split, Item};
use crate::check::{Limits, State};
use std::collections::BTreeMap;

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
        let perfdata = perfdata_of(&report.text);
        lines.insert(case, perfdata.to_string());
        let states = expected_states(&sources, &config);
        items.extend(split(case, perfdata, |label, warn, crit| {
            if warn.is_empty() && crit.is_empty() {
                State::Ok
            } else {
                *states.get(label).unwrap_or_else(|| {
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
        // That range is lost.
        let what = format!("{}: {}", i.case, i.text);
        assert!(
            no_worse(verdict, i.expected),
            "the Perl parser sees worse than the check: {what}: {p:?}"
        );
    });
}
