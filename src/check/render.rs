//! The check's output: `CHRONY <STATE> - <summary> | <perfdata>`, long
//! output lines by verbosity, and the state to exit with.

use super::{Config, Limits, Range, State};
use crate::address::Address;
use crate::error::{Error, ErrorKind};
use crate::number;
use crate::tracking::Tracking;
use std::fmt::Write;
use std::time::SystemTime;

/// What the check prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The state; its [`State::code`] is the exit code.
    pub state: State,
    /// Everything for stdout, each line ending in a newline.
    pub text: String,
}

/// How the address was found, for `-vv`: the address that answered and the
/// candidates that failed before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// The address the report came from (none when every candidate failed).
    pub address: Option<Address>,
    /// Candidates tried first that failed, with why.
    pub skipped: Vec<Error>,
}

/// The metrics in perfdata order, with stable labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Offset,
    LastOffset,
    RmsOffset,
    Frequency,
    ResidualFrequency,
    Skew,
    RootDelay,
    RootDispersion,
    RootDistance,
    Stratum,
    UpdateInterval,
    RefAge,
}

const METRICS: [Metric; 12] = [
    Metric::Offset,
    Metric::LastOffset,
    Metric::RmsOffset,
    Metric::Frequency,
    Metric::ResidualFrequency,
    Metric::Skew,
    Metric::RootDelay,
    Metric::RootDispersion,
    Metric::RootDistance,
    Metric::Stratum,
    Metric::UpdateInterval,
    Metric::RefAge,
];

impl Metric {
    fn label(self) -> &'static str {
        match self {
            Metric::Offset => "offset",
            Metric::LastOffset => "last_offset",
            Metric::RmsOffset => "rms_offset",
            Metric::Frequency => "frequency",
            Metric::ResidualFrequency => "residual_frequency",
            Metric::Skew => "skew",
            Metric::RootDelay => "root_delay",
            Metric::RootDispersion => "root_dispersion",
            Metric::RootDistance => "root_distance",
            Metric::Stratum => "stratum",
            Metric::UpdateInterval => "update_interval",
            Metric::RefAge => "ref_age",
        }
    }

    /// Perfdata unit of measurement: `s` for seconds; ppm and stratum
    /// have no UOM in the guidelines' list, so none.
    fn uom(self) -> &'static str {
        match self {
            Metric::Frequency | Metric::ResidualFrequency | Metric::Skew | Metric::Stratum => "",
            _ => "s",
        }
    }

    /// Unit as written after a value in the text.
    fn unit(self) -> &'static str {
        match self {
            Metric::Frequency | Metric::ResidualFrequency | Metric::Skew => " ppm",
            Metric::Stratum => "",
            _ => " s",
        }
    }

    /// Whether values are shown with a sign (offsets and frequencies).
    fn signed(self) -> bool {
        matches!(
            self,
            Metric::Offset | Metric::LastOffset | Metric::Frequency | Metric::ResidualFrequency
        )
    }

    /// Whether the ranges apply to the absolute value (as check_ntp_time
    /// does for the offset: a clock 50 ms fast is as wrong as one 50 ms slow).
    fn absolute(self) -> bool {
        matches!(self, Metric::Offset | Metric::Frequency)
    }

    /// The perfdata label of the absolute value, which carries the ranges
    /// of an [`Metric::absolute`] metric (the signed label carries none).
    fn absolute_label(self) -> &'static str {
        match self {
            Metric::Offset => "offset_abs",
            Metric::Frequency => "frequency_abs",
            _ => self.label(),
        }
    }

    /// Whether chronyd measures this only while synchronised. When it is
    /// not, it sends placeholders instead (chrony's `REF_GetReferenceParams`
    /// and `REF_GetTrackingReport`): root delay and root dispersion 1 s,
    /// skew and residual frequency 0, stratum 0 (NTP's "unspecified").
    /// Graphed as values they would draw a spike that never happened.
    fn placeholder_when_unsynchronised(self) -> bool {
        matches!(
            self,
            Metric::ResidualFrequency
                | Metric::Skew
                | Metric::RootDelay
                | Metric::RootDispersion
                | Metric::RootDistance
                | Metric::Stratum
        )
    }

    /// The value, `None` when chronyd does not know it (a placeholder, or
    /// a clock never updated). NaN stays a value: a range check fails on it.
    fn value(self, t: &Tracking, now: SystemTime) -> Option<f64> {
        if !t.is_synchronised() && self.placeholder_when_unsynchronised() {
            return None;
        }
        Some(match self {
            Metric::Offset => t.current_correction,
            Metric::LastOffset => t.last_offset,
            Metric::RmsOffset => t.rms_offset,
            Metric::Frequency => t.frequency,
            Metric::ResidualFrequency => t.residual_frequency,
            Metric::Skew => t.skew,
            Metric::RootDelay => t.root_delay,
            Metric::RootDispersion => t.root_dispersion,
            Metric::RootDistance => t.root_distance(),
            Metric::Stratum => f64::from(t.stratum),
            Metric::UpdateInterval => t.update_interval,
            Metric::RefAge => return t.reference_age(now),
        })
    }

    fn limits(self, config: &Config) -> Option<&Limits> {
        let t = &config.thresholds;
        match self {
            Metric::Offset => Some(&t.offset),
            Metric::Stratum => Some(&t.stratum),
            Metric::RootDistance => Some(&t.root_distance),
            Metric::RefAge => Some(&t.ref_age),
            Metric::RmsOffset => Some(&t.rms_offset),
            Metric::Frequency => Some(&t.frequency),
            Metric::Skew => Some(&t.skew),
            _ => None,
        }
        .filter(|l| !l.is_empty())
    }

    /// The value for the summary line: the stratum as the integer it is,
    /// the rest to three significant digits.
    fn summary(self, v: f64) -> String {
        match self {
            Metric::Stratum => number::decimal(v).unwrap_or_else(|| "NaN".to_string()),
            _ => short(v, self.signed()),
        }
    }

    /// Perfdata min/max: only the stratum has known bounds (0 to 16).
    fn bounds(self) -> (&'static str, &'static str) {
        match self {
            Metric::Stratum => ("0", "16"),
            _ => ("", ""),
        }
    }
}

/// One metric's value and verdict.
struct Checked<'a> {
    metric: Metric,
    value: Option<f64>,
    /// `None` when not evaluated (chronyd not synchronised).
    state: Option<State>,
    /// The range that set a non-OK state.
    tripped: Option<&'a Range>,
    limits: Option<&'a Limits>,
}

/// Renders the complete output for a read that gave `result`.
///
/// `now` is when the report was read (for the reference age); `resolution`
/// feeds `-vv`. The first line is `CHRONY <STATE> - <summary> | <perfdata>`;
/// `-v` adds a line per metric, `-vv` how the address was found and the
/// timeout, `-vvv` every raw field.
pub fn render(
    result: &Result<Tracking, Error>,
    resolution: &Resolution,
    config: &Config,
    now: SystemTime,
) -> Report {
    match result {
        Ok(t) => render_tracking(t, resolution, config, now),
        Err(e) => render_error(e, resolution, config),
    }
}

pub(crate) fn render_error(e: &Error, resolution: &Resolution, config: &Config) -> Report {
    let state = config.state_for_error(e.kind());
    // With several addresses tried, the first line names the one that got
    // furthest (the core ranks them); -v lists every attempt.
    let line = match e.attempts().len() {
        0 | 1 => e.to_string(),
        n => {
            let main = match e.address() {
                Some(a) => format!("{a}: {}", e.detail()),
                None => e.detail().to_string(),
            };
            let more = if n == 2 { "address" } else { "addresses" };
            format!("{main} (and {} more {more} failed, -v lists each)", n - 1)
        }
    };
    let mut text = String::new();
    if config.verbosity >= 1 {
        // One line per address tried, so the on-call person sees each cause.
        for attempt in e.attempts() {
            let _ = writeln!(text, "tried {attempt}");
        }
        // A timeout spends the whole deadline on one address: say which
        // candidates after it were never tried, rather than leave them out.
        let last = e.attempts().last().unwrap_or(e);
        if last.kind() == ErrorKind::Timeout {
            let candidates = config.target.candidates();
            let position = last
                .address()
                .and_then(|failed| candidates.iter().position(|a| a == failed));
            if let (Some(position), Some(failed)) = (position, last.address()) {
                for a in &candidates[position + 1..] {
                    let _ = writeln!(text, "not tried {a}: the deadline was spent on {failed}");
                }
            }
        }
        let _ = writeln!(text, "failure: {} ({})", e.kind(), state);
    }
    if config.verbosity >= 2 {
        resolution_lines(&mut text, resolution, config);
    }
    let text = format!("CHRONY {state} - {}\n{}", clean(&line), clean_lines(&text));
    Report { state, text }
}

fn render_tracking(
    t: &Tracking,
    resolution: &Resolution,
    config: &Config,
    now: SystemTime,
) -> Report {
    let synchronised = t.is_synchronised();
    let checked: Vec<Checked> = METRICS
        .iter()
        .map(|&metric| {
            let value = metric.value(t, now);
            let limits = metric.limits(config);
            let (state, tripped) = match (synchronised, limits, value) {
                (false, _, _) => (None, None),
                (true, None, _) => (Some(State::Ok), None),
                (true, Some(l), Some(v)) => {
                    let (s, r) = l.evaluate(if metric.absolute() { v.abs() } else { v });
                    (Some(s), r)
                }
                // A threshold on a value chronyd cannot give (a reference
                // never updated): say so rather than pass it.
                (true, Some(_), None) => (Some(State::Unknown), None),
            };
            Checked {
                metric,
                value,
                state,
                tripped,
                limits,
            }
        })
        .collect();

    // What decided the state, each with its own state, worst first.
    let mut findings: Vec<(State, String)> = Vec::new();
    if !synchronised {
        findings.push((
            config.on_unsynchronised,
            "not synchronized: chronyd has no usable source".to_string(),
        ));
    }
    for c in &checked {
        match (c.state, c.tripped, c.value) {
            (Some(s), Some(r), Some(v)) if s != State::Ok => {
                let verb = if r.is_inside() { "inside" } else { "outside" };
                findings.push((
                    s,
                    format!(
                        "{} {}{} {verb} {r}",
                        c.metric.label(),
                        c.metric.summary(v),
                        c.metric.unit()
                    ),
                ));
            }
            (Some(State::Unknown), _, None) => findings.push((
                State::Unknown,
                format!("{} unknown (clock never updated)", c.metric.label()),
            )),
            _ => {}
        }
    }
    if synchronised && t.is_local_reference() {
        findings.push((
            config.on_local_reference,
            "synchronised only to its local reference (no upstream source)".to_string(),
        ));
    }
    if synchronised && t.leap_status.is_pending() {
        findings.push((
            config.on_leap_pending,
            format!("leap second pending ({})", t.leap_status),
        ));
    }
    let state = findings
        .iter()
        .fold(State::Ok, |worst, (s, _)| worst.worst(*s));
    findings.sort_by_key(|(s, _)| std::cmp::Reverse(s.severity()));

    // OK findings need no mention (a local reference or a pending leap
    // second shows further on), except that chronyd is not synchronised:
    // with that mapped to OK it is still the one thing to say.
    let mut parts: Vec<String> = findings
        .iter()
        .filter(|(s, _)| *s != State::Ok || !synchronised)
        .map(|(s, what)| format!("{what} ({s})"))
        .collect();
    if synchronised {
        let offset_tripped = checked
            .iter()
            .any(|c| c.metric == Metric::Offset && c.tripped.is_some());
        if !offset_tripped {
            parts.push(format!("offset {} s", short(t.current_correction, true)));
        }
        parts.push(format!(
            "reference {}{} stratum {}",
            t.reference_name(),
            reference_kind(t),
            t.stratum
        ));
        let note = if t.leap_status.is_pending() && config.on_leap_pending == State::Ok {
            match t.leap_status {
                crate::tracking::LeapStatus::InsertSecond => {
                    " (a leap second will be inserted at the end of the UTC day)"
                }
                _ => " (a leap second will be deleted at the end of the UTC day)",
            }
        } else {
            ""
        };
        parts.push(format!("leap status {}{note}", t.leap_status));
    }

    let mut text = String::with_capacity(1024);
    if config.verbosity >= 1 {
        metric_lines(&mut text, &checked);
        let reference_state = if !synchronised {
            config.on_unsynchronised
        } else if t.is_local_reference() {
            config.on_local_reference
        } else {
            State::Ok
        };
        let _ = writeln!(
            text,
            "reference {}{} (ID {}), stratum {}: {reference_state}",
            t.reference_name(),
            reference_kind(t),
            t.reference_id_hex(),
            t.stratum
        );
        let leap_state = if !synchronised {
            config.on_unsynchronised
        } else if t.leap_status.is_pending() {
            config.on_leap_pending
        } else {
            State::Ok
        };
        let _ = writeln!(text, "leap status {}: {leap_state}", t.leap_status);
    }
    if config.verbosity >= 2 {
        resolution_lines(&mut text, resolution, config);
    }
    if config.verbosity >= 3 {
        raw_lines(&mut text, t);
    }
    // Long output first built apart, so that no `|` in it (a refclock id
    // may hold one) can start perfdata early.
    // No space before `|`: Icinga keeps it as part of the output.
    let perfdata = perfdata(&checked);
    let separator = if perfdata.is_empty() { "" } else { "|" };
    let text = format!(
        "CHRONY {state} - {}{separator}{perfdata}\n{}",
        clean(&parts.join(", ")),
        clean_lines(&text)
    );
    Report { state, text }
}

/// ` (refclock)` / ` (local)` after the reference name, empty for an IP.
fn reference_kind(t: &Tracking) -> &'static str {
    if t.is_local_reference() {
        " (local)"
    } else if t.is_refclock() {
        " (refclock)"
    } else {
        ""
    }
}

/// `label=value[uom];warn;crit;min;max` for every metric whose value is
/// known, trailing empty fields dropped.
///
/// An unknown value (a placeholder, a clock never updated, NaN) leaves its
/// label out rather than print `U`: Icinga 2's parser throws on `U` (2.13,
/// Icinga/icinga2#9282) and its metric writers log a warning for it on every
/// check, Monitoring::Plugin::Performance drops the label anyway, and Nagios 4
/// passes perfdata on unparsed.
///
/// warn/crit are written only where the check applied them to the value
/// printed: the signed `offset` and `frequency` carry none, their absolute
/// values (`offset_abs`, `frequency_abs`) carry `-w`/`-c` and
/// `--frequency-*`; nothing carries ranges while chronyd is unsynchronised
/// (none are evaluated then).
fn perfdata(checked: &[Checked]) -> String {
    let mut items: Vec<String> = Vec::with_capacity(checked.len() + 2);
    for c in checked {
        let m = c.metric;
        let Some(value) = c.value.filter(|v| v.is_finite()) else {
            continue;
        };
        let applied = c.state.and(c.limits);
        if m.absolute() {
            items.push(perf_item(m.label(), value, m.uom(), None, false, ("", "")));
            items.push(perf_item(
                m.absolute_label(),
                value.abs(),
                m.uom(),
                applied,
                true,
                ("", ""),
            ));
        } else {
            items.push(perf_item(
                m.label(),
                value,
                m.uom(),
                applied,
                false,
                m.bounds(),
            ));
        }
    }
    items.join(" ")
}

/// One `label=value[uom];warn;crit;min;max`, trailing empty fields dropped.
/// `never_negative` lets a range be written in the bare form `N` that
/// Icinga 2 keeps whenever that means the same for such a value.
fn perf_item(
    label: &str,
    value: f64,
    uom: &str,
    limits: Option<&Limits>,
    never_negative: bool,
    (min, max): (&str, &str),
) -> String {
    let value = number::decimal(value).unwrap_or_default();
    let show = |r: Option<&Range>| r.map(|r| r.perfdata(never_negative)).unwrap_or_default();
    let fields = [
        format!("{value}{uom}"),
        show(limits.and_then(|l| l.warning.as_ref())),
        show(limits.and_then(|l| l.critical.as_ref())),
        min.to_string(),
        max.to_string(),
    ];
    let used = fields.iter().rposition(|f| !f.is_empty()).unwrap_or(0) + 1;
    format!("{label}={}", fields[..used].join(";"))
}

/// `-v`: one line per metric, with its full-precision value and state.
fn metric_lines(text: &mut String, checked: &[Checked]) {
    for c in checked {
        let m = c.metric;
        let value = match c.value.and_then(number::decimal) {
            Some(v) if m.signed() && c.value.is_some_and(|v| v > 0.0) => {
                format!("+{v}{}", m.unit())
            }
            Some(v) => format!("{v}{}", m.unit()),
            None => "unknown".to_string(),
        };
        let absolute = m.absolute();
        let detail = match (c.state, c.tripped, c.limits) {
            (None, _, _) => "not checked (not synchronized)".to_string(),
            (Some(s), Some(r), _) => {
                let verb = if r.is_inside() { "inside" } else { "outside" };
                let what = if absolute { "absolute value " } else { "" };
                format!("{s}, {what}{verb} {r}")
            }
            (Some(s), None, Some(l)) => {
                let mut d = format!("{s}");
                let ranges = [("warning", &l.warning), ("critical", &l.critical)];
                let given: Vec<String> = ranges
                    .iter()
                    .filter_map(|(name, r)| r.as_ref().map(|r| format!("{name} {r}")))
                    .collect();
                let what = if absolute {
                    ", applied to the absolute value"
                } else {
                    ""
                };
                let _ = write!(d, " ({}{what})", given.join(", "));
                d
            }
            (Some(s), None, None) => format!("{s}"),
        };
        let _ = writeln!(text, "{} {value}: {detail}", m.label());
    }
}

/// `-vv`: where the report came from and the limits of the run.
pub(crate) fn resolution_lines(text: &mut String, resolution: &Resolution, config: &Config) {
    let candidates: Vec<String> = config
        .target
        .candidates()
        .iter()
        .map(|a| a.to_string())
        .collect();
    let _ = writeln!(
        text,
        "target {} (tried in order: {})",
        config.target,
        candidates.join(", ")
    );
    for e in &resolution.skipped {
        let _ = writeln!(text, "skipped {e}");
    }
    match &resolution.address {
        Some(a) => {
            let _ = writeln!(text, "answered by {a}");
        }
        None => text.push_str("answered by none\n"),
    }
    let _ = writeln!(text, "timeout {}", number::duration(config.timeout));
}

/// `-vvv`: every field of the report as chronyd sent it, exact.
fn raw_lines(text: &mut String, t: &Tracking) {
    let n = |v: f64| number::decimal(v).unwrap_or_else(|| "NaN".to_string());
    let address = t
        .address
        .map(|a| a.to_string())
        .unwrap_or_else(|| "none".to_string());
    let _ = write!(
        text,
        "raw reference ID: {} ({})\n\
         raw address: {address}\n\
         raw stratum: {}\n\
         raw leap status: {} ({})\n\
         raw reference time: {}\n\
         raw current correction: {}\n\
         raw last offset: {}\n\
         raw RMS offset: {}\n\
         raw frequency offset: {}\n\
         raw residual frequency: {}\n\
         raw skew: {}\n\
         raw root delay: {}\n\
         raw root dispersion: {}\n\
         raw last update interval: {}\n",
        t.reference_id_hex(),
        t.reference_id,
        t.stratum,
        t.leap_status.code(),
        t.leap_status,
        t.reference_time,
        n(t.current_correction),
        n(t.last_offset),
        n(t.rms_offset),
        n(t.frequency),
        n(t.residual_frequency),
        n(t.skew),
        n(t.root_delay),
        n(t.root_dispersion),
        n(t.update_interval),
    );
}

/// A value for the summary: three significant digits, plain decimal,
/// `+` on positive signed values. Perfdata and `-v` carry full precision.
pub(crate) fn short(v: f64, signed: bool) -> String {
    if !v.is_finite() {
        return "NaN".to_string();
    }
    let s = if v == 0.0 {
        "0".to_string()
    } else {
        let magnitude = v.abs().log10().floor() as i32;
        let decimals = (2 - magnitude).clamp(0, 20) as usize;
        format!("{v:.decimals$}")
    };
    if signed && v > 0.0 {
        format!("+{s}")
    } else {
        s
    }
}

/// Keeps text out of perfdata and intact through the core: Icinga and
/// Nagios split the output at the first `|`, so none may appear in the text
/// (a path could hold one), and Nagios 4, Naemon and Centreon turn every `;`
/// of plugin output into `:` (their status and command files use `;` as a
/// separator), so the check writes none. Also keeps it on one line (line
/// breaks and controls escaped, see `crate::text`).
pub(crate) fn clean(text: &str) -> String {
    crate::text::one_line(text)
        .replace('|', "/")
        .replace(';', ",")
}

/// [`clean`] for the long output: each line cleaned, line breaks kept.
pub(crate) fn clean_lines(text: &str) -> String {
    text.split('\n').map(clean).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_three_significant_digits() {
        assert_eq!(short(0.0523, true), "+0.0523");
        assert_eq!(short(0.0499984, true), "+0.0500");
        assert_eq!(short(-0.000000018, true), "-0.0000000180");
        assert_eq!(short(1234.5, false), "1234");
        assert_eq!(short(0.0, true), "0");
        assert_eq!(short(4.0, false), "4.00");
    }

    #[test]
    fn short_never_exponent() {
        for v in [1e-12, 3.3e-9, 7e15, -2.5e-7] {
            assert!(!short(v, true).contains('e'), "{v}");
        }
    }

    #[test]
    fn clean_removes_pipes_and_newlines() {
        assert_eq!(clean("/tmp/a|b\nc"), "/tmp/a/b\\nc");
        assert_eq!(clean("a\u{85}b\rc;d"), "a\\u{85}b\\rc,d");
    }

    #[test]
    fn clean_removes_semicolons_nagios_would_turn_into_colons() {
        assert_eq!(clean("only; use UDP"), "only, use UDP");
        assert_eq!(clean_lines("a;b\nc|d"), "a,b\nc/d");
    }
}
