//! The output of `check_chrony_sources`: `CHRONY <STATE> - <summary>|<perfdata>`,
//! long output by verbosity, and the state to exit with.

use super::config::Config;
use super::evaluate::{evaluate, Evaluation, Metric, Problem, Verdict};
use super::label;
use super::model::Source;
use crate::check::{clean, clean_lines, render_error, resolution_lines, short};
use crate::check::{Limits, Range, Report, Resolution, State};
use crate::error::Error;
use crate::number;
use std::fmt::Write;

/// Renders the complete output for a read of the sources report that gave
/// `result`; `selectdata` is why `-v`'s selectdata read failed, if it did.
/// A failed read is worded and mapped exactly as `check_chrony_tracking`
/// does (see [`Config::for_failures`]).
pub fn render(
    result: &Result<Vec<Source>, Error>,
    resolution: &Resolution,
    selectdata: Option<&Error>,
    config: &Config,
) -> Report {
    match result {
        Ok(sources) => render_sources(sources, resolution, selectdata, config),
        Err(e) => render_error(e, resolution, &config.for_failures()),
    }
}

/// How bad a state is when findings are ordered: CRITICAL, WARNING,
/// UNKNOWN, OK (as [`State::worst`] combines them).
fn rank(s: State) -> u8 {
    match s {
        State::Critical => 3,
        State::Warning => 2,
        State::Unknown => 1,
        State::Ok => 0,
    }
}

fn render_sources(
    sources: &[Source],
    resolution: &Resolution,
    selectdata: Option<&Error>,
    config: &Config,
) -> Report {
    let e = evaluate(sources, config);
    let mut findings = findings(&e, config);
    findings.sort_by_key(|(s, _)| std::cmp::Reverse(rank(*s)));
    let mut parts: Vec<String> = findings
        .iter()
        .filter(|(s, _)| *s != State::Ok)
        .map(|(s, what)| format!("{what} ({s})"))
        .collect();
    parts.push(counts(&e));
    if let Some(s) = e.selected {
        parts.push(format!(
            "selected {} stratum {} offset {} s",
            s.name(),
            s.stratum,
            short(s.offset, true)
        ));
    } else if !parts.iter().any(|p| p.starts_with(NO_SELECTED)) {
        // Mapped to OK: still the one thing to know about the selection.
        parts.push(NO_SELECTED.to_string());
    }

    let mut text = String::with_capacity(1024);
    if config.verbosity >= 1 {
        metric_lines(&mut text, &e);
        for v in &e.sources {
            source_line(&mut text, v);
        }
        for m in &e.missing {
            let _ = writeln!(
                text,
                "source {m}: required but not in chronyd's sources: {}",
                config.on_required_failed
            );
        }
        if let Some(e) = selectdata {
            // Why the source lines lack selectdata's reasons, and the fix.
            let _ = writeln!(text, "selectdata not read: {}", clean(&e.to_string()));
        }
    }
    if config.verbosity >= 2 {
        resolution_lines(&mut text, resolution, &config.for_failures());
    }
    if config.verbosity >= 3 {
        for s in sources {
            raw_line(&mut text, s);
        }
    }
    // No space before `|`: Icinga keeps it as part of the output. The long
    // output is cleaned apart, so no `|` in it can start perfdata early.
    let perfdata = perfdata(&e, config);
    let text = format!(
        "CHRONY {} - {}|{perfdata}\n{}",
        e.state,
        clean(&parts.join(", ")),
        clean_lines(&text)
    );
    Report {
        state: e.state,
        text,
    }
}

const NO_SELECTED: &str = "no source selected";

/// What decided the state, each with its own state.
fn findings(e: &Evaluation, config: &Config) -> Vec<(State, String)> {
    let mut out = Vec::new();
    for m in &config.require {
        if e.missing.contains(&m) {
            out.push((config.on_required_failed, format!("required {m} missing")));
        }
    }
    for v in &e.sources {
        for (s, p) in &v.problems {
            match p {
                Problem::RequiredUnreachable => {
                    out.push((*s, format!("required {} unreachable", v.source.name())))
                }
                Problem::RequiredNotUsable => out.push((
                    *s,
                    format!(
                        "required {} not usable ({})",
                        v.source.name(),
                        v.source.selection.as_str()
                    ),
                )),
                _ => {}
            }
        }
    }
    if e.selected.is_none() {
        out.push((config.on_no_selected, NO_SELECTED.to_string()));
    }
    for c in &e.metrics {
        if let (Some(s), Some(r), Some(v)) = (c.state, c.tripped, c.value) {
            let mut what = format!("{} {}", c.metric.label(), value(c.metric, v));
            if c.metric == Metric::ReachWorst {
                // Name the sources at the worst reach.
                let worst: Vec<String> = e
                    .sources
                    .iter()
                    .filter(|x| !x.ignored && x.source.reach_percent() == v)
                    .map(|x| x.source.name().to_string())
                    .collect();
                let _ = write!(what, " ({})", list(&worst));
            }
            out.push((s, format!("{what} {} {r}", verb(r))));
        }
    }
    // Offsets: the worst source per state, and how many more.
    for state in [State::Critical, State::Warning] {
        let tripped: Vec<(&Verdict, &Range)> = e
            .sources
            .iter()
            .flat_map(|v| {
                v.problems.iter().filter_map(move |(s, p)| match p {
                    Problem::Offset(r) if *s == state => Some((v, *r)),
                    _ => None,
                })
            })
            .collect();
        let worst = tripped.iter().max_by(|a, b| {
            a.0.source
                .offset_bound()
                .total_cmp(&b.0.source.offset_bound())
        });
        if let Some((v, r)) = worst {
            let more = match tripped.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            out.push((
                state,
                format!(
                    "offset of {} {} s +/- {} s {} {r}{more}",
                    v.source.name(),
                    short(v.source.offset, true),
                    short(v.source.error, false),
                    verb(r)
                ),
            ));
        }
    }
    out
}

/// Up to three names, then how many more.
fn list(names: &[String]) -> String {
    match names.len() {
        0..=3 => names.join(", "),
        n => format!("{} and {} more", names[..3].join(", "), n - 3),
    }
}

fn verb(r: &Range) -> &'static str {
    if r.is_inside() {
        "inside"
    } else {
        "outside"
    }
}

/// A metric's value for the text: counts as integers, percentages with `%`.
fn value(metric: Metric, v: f64) -> String {
    let n = number::decimal(v).unwrap_or_else(|| "NaN".to_string());
    if metric.is_percent() {
        format!("{n}%")
    } else {
        n
    }
}

/// `4 sources, 4 reachable, 3 usable, 0 falsetickers, 0 jittery` (and how
/// many were ignored).
fn counts(e: &Evaluation) -> String {
    // `1 falseticker`, `2 falsetickers`.
    let n = |m: Metric, one: &str, many: &str| {
        let v = e.metric(m).value.unwrap_or(0.0);
        let word = if v == 1.0 { one } else { many };
        format!("{} {word}", number::decimal(v).unwrap_or_default())
    };
    let ignored = e.sources.iter().filter(|v| v.ignored).count();
    let ignored = if ignored > 0 {
        format!(" ({ignored} ignored)")
    } else {
        String::new()
    };
    format!(
        "{}{ignored}, {}, {}, {}, {}",
        n(Metric::Sources, "source", "sources"),
        n(Metric::Reachable, "reachable", "reachable"),
        n(Metric::Usable, "usable", "usable"),
        n(Metric::Falsetickers, "falseticker", "falsetickers"),
        n(Metric::Jittery, "jittery", "jittery"),
    )
}

/// `-v`: one line per metric, as check_chrony_tracking writes them.
fn metric_lines(text: &mut String, e: &Evaluation) {
    for c in &e.metrics {
        let shown = c
            .value
            .map(|v| value(c.metric, v))
            .unwrap_or_else(|| "unknown".to_string());
        let detail = match (c.state, c.tripped, c.limits) {
            (None, _, _) => "not checked (no sources)".to_string(),
            (Some(s), Some(r), _) => format!("{s}, {} {r}", verb(r)),
            (Some(s), None, Some(l)) => format!("{s} ({})", ranges(l)),
            (Some(s), None, None) => s.to_string(),
        };
        let _ = writeln!(text, "{} {shown}: {detail}", c.metric.label());
    }
}

/// `warning 3:, critical 1:`
fn ranges(l: &Limits) -> String {
    [("warning", &l.warning), ("critical", &l.critical)]
        .iter()
        .filter_map(|(name, r)| r.as_ref().map(|r| format!("{name} {r}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `-v`: one line per source, with chronyc's columns.
fn source_line(text: &mut String, v: &Verdict) {
    let s = v.source;
    let sample = match s.last_sample_ago {
        Some(ago) => format!(
            "last sample {ago} s ago {} s +/- {} s",
            signed(s.offset),
            number::decimal(s.error).unwrap_or_else(|| "NaN".to_string())
        ),
        None => "no sample".to_string(),
    };
    let verdict = if v.ignored {
        "ignored".to_string()
    } else if v.problems.is_empty() {
        v.state.to_string()
    } else {
        let why: Vec<String> = v
            .problems
            .iter()
            .map(|(st, p)| match p {
                Problem::Reach(r) => {
                    format!("reach {}% {} {r} ({st})", s.reach_percent(), verb(r))
                }
                Problem::Offset(r) => format!(
                    "offset bound {} s {} {r} ({st})",
                    number::decimal(s.offset_bound()).unwrap_or_else(|| "NaN".to_string()),
                    verb(r)
                ),
                Problem::RequiredUnreachable => format!("required, unreachable ({st})"),
                Problem::RequiredNotUsable => format!("required, not usable ({st})"),
            })
            .collect();
        format!("{}, {}", v.state, why.join(", "))
    };
    let required = if v.required { ", required" } else { "" };
    let reason = s
        .reason
        .as_deref()
        .map(|r| format!(", {r}"))
        .unwrap_or_default();
    let _ = writeln!(
        text,
        "source {} {}{} {}, {}{required}, reach {:o} ({}%), stratum {}, poll {}, {sample}{reason}: {verdict}",
        s.name(),
        s.mode.symbol(),
        s.selection.symbol(),
        s.mode.as_str(),
        s.selection.as_str(),
        s.reach,
        s.reach_percent(),
        s.stratum,
        s.poll,
    );
}

/// `-vvv`: every field of a source, exact.
fn raw_line(text: &mut String, s: &Source) {
    let none = || "none".to_string();
    let address = s.address.map(|a| a.to_string()).unwrap_or_else(none);
    let reference_id = s
        .reference_id
        .map(|id| format!("{id:08X}"))
        .unwrap_or_else(none);
    let ago = s
        .last_sample_ago
        .map(|a| a.to_string())
        .unwrap_or_else(none);
    let n = |v: f64| number::decimal(v).unwrap_or_else(|| "NaN".to_string());
    let _ = writeln!(
        text,
        "raw source: name {}, address {address}, reference ID {reference_id}, mode {}, \
         state {}, reach {:o}, stratum {}, poll {}, last sample ago {ago}, \
         original offset {}, adjusted offset {}, error {}",
        s.name,
        s.mode.as_str(),
        s.selection.as_str(),
        s.reach,
        s.stratum,
        s.poll,
        n(s.original_offset),
        n(s.offset),
        n(s.error),
    );
}

fn signed(v: f64) -> String {
    match number::decimal(v) {
        Some(d) if v > 0.0 => format!("+{d}"),
        Some(d) => d,
        None => "NaN".to_string(),
    }
}

/// The counts with the ranges the check applied, then (when asked) each
/// source's figures. Unknown values are left out, as the tracking check
/// does (Icinga 2 cannot parse `U`).
fn perfdata(e: &Evaluation, config: &Config) -> String {
    let mut items = Vec::with_capacity(8 + 5 * e.sources.len());
    let total = e.metric(Metric::Sources).value.unwrap_or(0.0);
    for c in &e.metrics {
        let Some(v) = c.value.filter(|v| v.is_finite()) else {
            continue;
        };
        let (uom, max) = match c.metric {
            m if m.is_percent() => ("%", 100.0),
            Metric::Selected => ("", 1.0),
            _ => ("", total),
        };
        let max = if c.metric == Metric::Sources {
            None
        } else {
            Some(max)
        };
        items.push(item(c.metric.label(), v, uom, c.state.and(c.limits), max));
    }
    if config.perfdata_sources {
        let t = &config.thresholds;
        let reach = Some(&t.reach_worst).filter(|l| !l.is_empty());
        // Numbered over every source, so that ignoring one renames none.
        let prefixes = label::prefixes(e.sources.iter().map(|v| v.source));
        for (v, p) in e.sources.iter().zip(prefixes).filter(|(v, _)| !v.ignored) {
            let s = v.source;
            items.push(item(
                &format!("{p}_reach"),
                s.reach_percent(),
                "%",
                reach,
                Some(100.0),
            ));
            if s.has_sample() && s.offset.is_finite() && s.error.is_finite() {
                items.push(plain(&format!("{p}_offset"), s.offset, "s"));
                items.push(plain(&format!("{p}_error"), s.error, "s"));
                if v.offset_checked {
                    items.push(item(
                        &format!("{p}_offset_bound"),
                        s.offset_bound(),
                        "s",
                        Some(&t.offset),
                        None,
                    ));
                }
            }
            items.push(plain(&format!("{p}_stratum"), f64::from(s.stratum), ""));
        }
    }
    items.join(" ")
}

fn plain(label: &str, value: f64, uom: &str) -> String {
    format!(
        "{label}={}{uom}",
        number::decimal(value).unwrap_or_default()
    )
}

/// `label=value[uom];warn;crit;0[;max]`. Every value here is a count, a
/// percentage or a bound, never negative: a range bounding it only from
/// above is written as the bare `N` Icinga 2 keeps.
fn item(label: &str, value: f64, uom: &str, limits: Option<&Limits>, max: Option<f64>) -> String {
    let show = |r: Option<&Range>| r.map(|r| r.perfdata(true)).unwrap_or_default();
    let max = max.and_then(number::decimal).unwrap_or_default();
    let fields = [
        format!("{}{uom}", number::decimal(value).unwrap_or_default()),
        show(limits.and_then(|l| l.warning.as_ref())),
        show(limits.and_then(|l| l.critical.as_ref())),
        "0".to_string(),
        max,
    ];
    let used = fields.iter().rposition(|f| !f.is_empty()).unwrap_or(0) + 1;
    format!("{label}={}", fields[..used].join(";"))
}
