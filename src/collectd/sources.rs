//! The per-source values of collectd's own chrony plugin (`src/chrony.c`:
//! `chrony_request_source_data` and `chrony_request_source_stats`, as
//! collectd 5.12 dispatches them, checked side by side in
//! `tests/collectd_e2e.rs`): eight values per source, all of types in
//! collectd's stock `types.db` (5.9 to 5.12), filed under `HOST/chrony/TYPE-NAME` where
//! NAME is the source's IP address, or for a reference clock the printable
//! characters of its reference id (`GPS`), as [`source_name`] says.
//!
//! Like the built-in plugin, a source whose last poll went unanswered (bit
//! 0 of its reach register clear) has all eight values undefined (`U`; the
//! built-in sends NaN, which collectd stores the same way).

use super::ident::Identity;
use super::values::epoch;
use crate::number;
use crate::report::SourceEntry;
use std::fmt::Write;
use std::time::{Duration, SystemTime};

/// One value sent per source per gather, in the built-in plugin's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMetric {
    /// `clock_stratum-NAME`: the source's stratum (`sources`).
    Stratum,
    /// `clock_state-NAME`: chronyd's selection state code: 0 selected (`*`),
    /// 1 not selectable (`?`), 2 falseticker (`x`), 3 jittery (`~`),
    /// 4 combined (`+`), 5 selectable, not combined (`-`).
    State,
    /// `clock_mode-NAME`: 0 server, 1 peer, 2 reference clock.
    Mode,
    /// `clock_reachability-NAME`: the reach register as a number (0 to
    /// 255; chronyc prints it in octal, 377 = 255 = the last 8 polls answered).
    Reachability,
    /// `clock_last_meas-NAME`: seconds since the last sample.
    LastSample,
    /// `time_offset-NAME`: offset of the source's last sample as measured,
    /// seconds (`sources`' original last sample offset, the number chronyc
    /// prints in brackets).
    Offset,
    /// `clock_skew_ppm-NAME`: skew of the source's frequency estimate, ppm
    /// (`sourcestats`).
    Skew,
    /// `frequency_error-NAME`: residual frequency of the source, ppm
    /// (`sourcestats`).
    ResidualFrequency,
}

impl SourceMetric {
    /// Every per-source value, in the order the built-in plugin sends them.
    pub const ALL: [SourceMetric; 8] = [
        SourceMetric::Stratum,
        SourceMetric::State,
        SourceMetric::Mode,
        SourceMetric::Reachability,
        SourceMetric::LastSample,
        SourceMetric::Offset,
        SourceMetric::Skew,
        SourceMetric::ResidualFrequency,
    ];

    /// The collectd type (from `types.db`, all GAUGE, one data source).
    pub fn type_name(self) -> &'static str {
        match self {
            SourceMetric::Stratum => "clock_stratum",
            SourceMetric::State => "clock_state",
            SourceMetric::Mode => "clock_mode",
            SourceMetric::Reachability => "clock_reachability",
            SourceMetric::LastSample => "clock_last_meas",
            SourceMetric::Skew => "clock_skew_ppm",
            SourceMetric::ResidualFrequency => "frequency_error",
            SourceMetric::Offset => "time_offset",
        }
    }

    /// Whether the value comes from the `sourcestats` report.
    pub fn from_stats(self) -> bool {
        matches!(self, SourceMetric::Skew | SourceMetric::ResidualFrequency)
    }

    /// The value as collectd reads it, `U` when undefined: the source's
    /// last poll went unanswered, chronyd has no statistics for it yet, no
    /// sample yet, or a number that is not finite.
    pub fn value(self, entry: &SourceEntry) -> String {
        let s = &entry.source;
        if s.reach & 1 == 0 {
            return "U".into();
        }
        let float = |v: f64| number::decimal(v).unwrap_or_else(|| "U".into());
        let stats = |f: fn(&crate::SourceStats) -> f64| match &entry.stats {
            Some(st) => float(f(st)),
            None => "U".into(),
        };
        match self {
            SourceMetric::Stratum => s.stratum.to_string(),
            SourceMetric::State => s.state.code().to_string(),
            SourceMetric::Mode => s.mode.code().to_string(),
            SourceMetric::Reachability => s.reach.to_string(),
            SourceMetric::LastSample => s
                .last_sample_ago
                .map_or_else(|| "U".into(), |a| a.to_string()),
            SourceMetric::Skew => stats(|st| st.skew),
            SourceMetric::ResidualFrequency => stats(|st| st.residual_frequency),
            SourceMetric::Offset => float(s.original_offset),
        }
    }
}

/// The type instance collectd's chrony plugin files a source under: its IP
/// address as `inet_ntop` prints it, or for a reference clock the printable
/// ASCII characters of its reference id, others skipped (`GPS` for
/// `47 50 53 00`), as the built-in plugin's `nreftostr` does; a `/` is
/// skipped too, as it would split the identifier. A source whose address is
/// not known yet (an unresolved name) keeps chronyc's name for it
/// (`ID#0000000001`).
pub fn source_name(entry: &SourceEntry) -> String {
    let s = &entry.source;
    match (s.address, s.reference_id) {
        (Some(ip), _) => ip.to_string(),
        (None, Some(id)) => id
            .to_be_bytes()
            .iter()
            .filter(|&&b| (b' '..=b'~').contains(&b) && b != b'/')
            .map(|&b| char::from(b))
            .collect(),
        (None, None) => s.name.clone(),
    }
}

/// Renders the per-source `PUTVAL` lines of one gather.
#[derive(Debug, Clone)]
pub struct SourceRenderer {
    identity: Identity,
    /// ` interval=N ` as every line carries it.
    interval: String,
}

impl SourceRenderer {
    /// Lines for `identity`, announcing `interval` (as
    /// [`super::Renderer::new`]).
    pub fn new(identity: &Identity, interval: Duration) -> SourceRenderer {
        let interval = number::decimal(interval.as_secs_f64()).expect("a duration is finite");
        SourceRenderer {
            identity: identity.clone(),
            interval: format!(" interval={interval} "),
        }
    }

    /// Appends eight `PUTVAL` lines per source of `entries`, read at `now`,
    /// to `out`.
    pub fn putvals(&self, entries: &[SourceEntry], now: SystemTime, out: &mut String) {
        let time = epoch(now);
        for entry in entries {
            let instance = source_name(entry);
            for metric in SourceMetric::ALL {
                let id = self.identity.identifier(metric.type_name(), &instance);
                let _ = writeln!(
                    out,
                    "PUTVAL {id}{}{time}:{}",
                    self.interval,
                    metric.value(entry)
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{samples, Model};
    use crate::{Source, SourceStats};
    use std::time::UNIX_EPOCH;

    fn entry() -> SourceEntry {
        SourceEntry {
            source: Source::from_record(&samples::source_record()).unwrap(),
            stats: Some(SourceStats::from_record(&samples::sourcestats_record()).unwrap()),
        }
    }

    fn refclock() -> SourceEntry {
        SourceEntry {
            source: Source::from_record(&samples::refclock_record()).unwrap(),
            stats: None,
        }
    }

    fn lines(entries: &[SourceEntry]) -> String {
        let id = Identity::new("h", None).unwrap();
        let r = SourceRenderer::new(&id, Duration::from_secs(10));
        let mut out = String::new();
        r.putvals(entries, UNIX_EPOCH + Duration::from_secs(5), &mut out);
        out
    }

    #[test]
    fn eight_lines_per_source() {
        let out = lines(&[entry(), entry()]);
        assert_eq!(out.lines().count(), 16);
        assert!(out.starts_with("PUTVAL h/chrony/clock_stratum-127.0.0.2 interval=10 5.000000:"));
    }

    #[test]
    fn refclock_named_by_printable_refid() {
        assert_eq!(source_name(&refclock()), "GPS");
        let mut e = refclock();
        e.source.reference_id = Some(u32::from_be_bytes([b'P', 0, b'/', b'S']));
        assert_eq!(source_name(&e), "PS");
    }

    #[test]
    fn no_stats_is_undefined() {
        let mut e = entry();
        e.stats = None;
        assert_eq!(SourceMetric::Skew.value(&e), "U");
        assert_ne!(SourceMetric::Stratum.value(&e), "U");
    }

    #[test]
    fn last_poll_unanswered_is_undefined() {
        let mut e = entry();
        e.source.reach = 0o376;
        for m in SourceMetric::ALL {
            assert_eq!(m.value(&e), "U", "{m:?}");
        }
    }

    #[test]
    fn refclock_lines() {
        let out = lines(&[refclock()]);
        assert!(
            out.contains("PUTVAL h/chrony/clock_mode-GPS interval=10 5.000000:2\n"),
            "{out}"
        );
        assert!(
            out.contains("PUTVAL h/chrony/clock_skew_ppm-GPS interval=10 5.000000:U\n"),
            "{out}"
        );
    }

    #[test]
    fn type_names_are_in_types_db_and_dashless() {
        for m in SourceMetric::ALL {
            assert!(!m.type_name().contains('-'));
        }
    }
}
