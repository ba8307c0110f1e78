//! The values the plugin sends and their `PUTVAL` lines.
//!
//! The first ten [`Metric`]s are exactly those of collectd's own chrony plugin
//! (`src/chrony.c`, `chrony_request_daemon_stats`): same types, type instance
//! `chrony`, same units. The five extras use types from collectd's stock
//! `types.db` and type instances starting `chrony_`: an underscore never
//! appears in a host name, so they cannot collide with the per-source values
//! the built-in plugin files under the source's name.

use super::ident::Identity;
use crate::number;
use crate::tracking::Tracking;
use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One value sent per gather.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// `clock_stratum-chrony`: stratum (0 when unsynchronised).
    Stratum,
    /// `time_ref-chrony`: reference time, epoch seconds; `U` before chronyd
    /// first updated the clock.
    ReferenceTime,
    /// `time_offset_ntp-chrony`: current correction, seconds (chronyc's "System time").
    CurrentCorrection,
    /// `time_offset-chrony`: last offset, seconds.
    LastOffset,
    /// `time_offset_rms-chrony`: RMS offset, seconds.
    RmsOffset,
    /// `frequency_error-chrony`: frequency offset of the system clock, ppm.
    Frequency,
    /// `clock_skew_ppm-chrony`: skew, ppm.
    Skew,
    /// `root_delay-chrony`: root delay, seconds.
    RootDelay,
    /// `root_dispersion-chrony`: root dispersion, seconds.
    RootDispersion,
    /// `clock_last_update-chrony`: last update interval, seconds.
    UpdateInterval,
    /// `frequency_error-chrony_residual`: residual frequency, ppm (extra).
    ResidualFrequency,
    /// `gauge-chrony_leap_status`: chronyd's leap status code, 0 normal,
    /// 1 insert second, 2 delete second, 3 not synchronised (extra).
    LeapStatus,
    /// `gauge-chrony_synchronised`: 1 when synchronised, else 0 (extra).
    Synchronised,
    /// `gauge-chrony_reference_age`: seconds since the last clock update;
    /// `U` before the first one (extra).
    ReferenceAge,
    /// `gauge-chrony_root_distance`: root delay / 2 + root dispersion,
    /// seconds: the bound on the clock's error (extra).
    RootDistance,
}

/// Which values to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueSet {
    /// The built-in plugin's ten values and the five extras.
    All,
    /// Only the built-in plugin's ten values.
    Builtin,
}

impl Metric {
    /// Every value, the built-in ones first.
    pub const ALL: [Metric; 15] = [
        Metric::Stratum,
        Metric::ReferenceTime,
        Metric::CurrentCorrection,
        Metric::LastOffset,
        Metric::RmsOffset,
        Metric::Frequency,
        Metric::Skew,
        Metric::RootDelay,
        Metric::RootDispersion,
        Metric::UpdateInterval,
        Metric::ResidualFrequency,
        Metric::LeapStatus,
        Metric::Synchronised,
        Metric::ReferenceAge,
        Metric::RootDistance,
    ];

    /// The built-in plugin's ten values, in its order: the first of [`Metric::ALL`].
    pub const BUILTIN: &'static [Metric] = Metric::ALL.split_at(10).0;

    /// The collectd type (from `types.db`, one GAUGE data source each).
    pub fn type_name(self) -> &'static str {
        match self {
            Metric::Stratum => "clock_stratum",
            Metric::ReferenceTime => "time_ref",
            Metric::CurrentCorrection => "time_offset_ntp",
            Metric::LastOffset => "time_offset",
            Metric::RmsOffset => "time_offset_rms",
            Metric::Frequency | Metric::ResidualFrequency => "frequency_error",
            Metric::Skew => "clock_skew_ppm",
            Metric::RootDelay => "root_delay",
            Metric::RootDispersion => "root_dispersion",
            Metric::UpdateInterval => "clock_last_update",
            // Not `bool`: that type is new in collectd 5.12's types.db, and
            // 5.9 to 5.11 would reject the value every interval.
            Metric::LeapStatus
            | Metric::ReferenceAge
            | Metric::RootDistance
            | Metric::Synchronised => "gauge",
        }
    }

    /// The type instance.
    pub fn type_instance(self) -> &'static str {
        match self {
            Metric::ResidualFrequency => "chrony_residual",
            Metric::LeapStatus => "chrony_leap_status",
            Metric::Synchronised => "chrony_synchronised",
            Metric::ReferenceAge => "chrony_reference_age",
            Metric::RootDistance => "chrony_root_distance",
            _ => "chrony",
        }
    }

    /// The value as collectd reads it: plain decimal digits with full
    /// precision, or `U` when it cannot be had (never updated, NaN).
    pub fn value(self, t: &Tracking, now: SystemTime) -> String {
        let float = |v: f64| number::decimal(v).unwrap_or_else(|| "U".to_string());
        match self {
            Metric::Stratum => t.stratum.to_string(),
            Metric::ReferenceTime if t.reference_time.is_zero() => "U".to_string(),
            // Exact to the nanosecond, as chronyd sent it.
            Metric::ReferenceTime => t.reference_time.to_string(),
            Metric::CurrentCorrection => float(t.current_correction),
            Metric::LastOffset => float(t.last_offset),
            Metric::RmsOffset => float(t.rms_offset),
            Metric::Frequency => float(t.frequency),
            Metric::Skew => float(t.skew),
            Metric::RootDelay => float(t.root_delay),
            Metric::RootDispersion => float(t.root_dispersion),
            Metric::UpdateInterval => float(t.update_interval),
            Metric::ResidualFrequency => float(t.residual_frequency),
            Metric::LeapStatus => t.leap_status.code().to_string(),
            Metric::Synchronised => u8::from(t.is_synchronised()).to_string(),
            Metric::ReferenceAge => t
                .reference_age(now)
                .and_then(number::decimal)
                .unwrap_or_else(|| "U".into()),
            Metric::RootDistance => float(t.root_distance()),
        }
    }
}

/// A time as collectd reads it: epoch seconds with microseconds
/// (`1795675350.000125`); collectd keeps about a nanosecond, so nothing a
/// graph can show is lost, and two gathers never share a time.
pub fn epoch(time: SystemTime) -> String {
    let d = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

/// Renders the `PUTVAL` lines of one gather. The identifiers and the
/// `interval=` option do not change for the life of the process, so each
/// line's start is built once.
#[derive(Debug, Clone)]
pub struct Renderer {
    lines: Vec<(Metric, String)>,
}

impl Renderer {
    /// Lines for `identity`, announcing `interval` (the time between gathers,
    /// which collectd uses to tell a missing value from a late one).
    pub fn new(identity: &Identity, interval: Duration, set: ValueSet) -> Renderer {
        let metrics: &[Metric] = match set {
            ValueSet::All => &Metric::ALL,
            ValueSet::Builtin => Metric::BUILTIN,
        };
        let interval = number::decimal(interval.as_secs_f64()).expect("a duration is finite");
        let lines = metrics
            .iter()
            .map(|&m| {
                let id = identity.identifier(m.type_name(), m.type_instance());
                (m, format!("PUTVAL {id} interval={interval} "))
            })
            .collect();
        Renderer { lines }
    }

    /// Appends one `PUTVAL` line per value of `t`, read at `now`, to `out`.
    pub fn putvals(&self, t: &Tracking, now: SystemTime, out: &mut String) {
        let time = epoch(now);
        for (metric, start) in &self.lines {
            let _ = writeln!(out, "{start}{time}:{}", metric.value(t, now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::sample;
    use crate::tracking::Timestamp;

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn epoch_has_microseconds() {
        assert_eq!(epoch(at(1_795_675_350, 125_999)), "1795675350.000125");
        assert_eq!(epoch(at(5, 0)), "5.000000");
    }

    #[test]
    fn tiny_values_have_no_exponent() {
        assert_eq!(
            Metric::LastOffset.value(&sample(), at(0, 0)),
            "-0.000000018"
        );
    }

    #[test]
    fn reference_time_exact() {
        assert_eq!(
            Metric::ReferenceTime.value(&sample(), at(0, 0)),
            "1795675340.924973746"
        );
    }

    #[test]
    fn never_updated_is_undefined() {
        let mut t = sample();
        t.reference_time = Timestamp::new(0, 0);
        assert_eq!(Metric::ReferenceTime.value(&t, at(10, 0)), "U");
        assert_eq!(Metric::ReferenceAge.value(&t, at(10, 0)), "U");
    }

    #[test]
    fn nan_is_undefined() {
        let mut t = sample();
        t.skew = f64::NAN;
        assert_eq!(Metric::Skew.value(&t, at(0, 0)), "U");
    }

    #[test]
    fn reference_age_from_now() {
        let mut t = sample();
        t.current_correction = 0.0;
        assert_eq!(
            Metric::ReferenceAge.value(&t, at(1_795_675_350, 924_973_746)),
            "10"
        );
        // On chronyd's time scale: a clock 0.05 s slow adds 0.05 s.
        t.current_correction = 0.05;
        assert_eq!(
            Metric::ReferenceAge.value(&t, at(1_795_675_350, 924_973_746)),
            "10.05"
        );
    }

    #[test]
    fn reference_age_exact_to_the_nanosecond() {
        let mut t = sample();
        t.current_correction = 0.0;
        assert_eq!(
            Metric::ReferenceAge.value(&t, at(1_795_675_341, 356_734_239)),
            "0.431760493"
        );
        // A clock stepped back: the age is negative, and says so.
        assert_eq!(
            Metric::ReferenceAge.value(&t, at(1_795_675_340, 424_973_746)),
            "-0.5"
        );
    }

    #[test]
    fn type_names_have_no_dash() {
        for m in Metric::ALL {
            assert!(!m.type_name().contains('-'), "{m:?}");
        }
    }

    #[test]
    fn identifiers_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for m in Metric::ALL {
            assert!(seen.insert((m.type_name(), m.type_instance())), "{m:?}");
        }
    }

    #[test]
    fn builtin_set_sends_ten_lines() {
        let id = Identity::new("h", None).unwrap();
        let r = Renderer::new(&id, Duration::from_secs(10), ValueSet::Builtin);
        let mut out = String::new();
        r.putvals(&sample(), at(1_795_675_350, 0), &mut out);
        assert_eq!(out.lines().count(), 10);
        assert!(out
            .starts_with("PUTVAL h/chrony/clock_stratum-chrony interval=10 1795675350.000000:4\n"));
    }

    #[test]
    fn fractional_interval() {
        let id = Identity::new("h", None).unwrap();
        let r = Renderer::new(&id, Duration::from_millis(1500), ValueSet::All);
        let mut out = String::new();
        r.putvals(&sample(), at(1, 0), &mut out);
        assert!(out.contains(" interval=1.5 "), "{out}");
    }
}
