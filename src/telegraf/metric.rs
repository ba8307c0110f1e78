//! The `chrony` metric: Telegraf's own inputs.chrony tracking metric, plus
//! the opt-in extras.

use super::line::{check_tag_value, FieldValue, Line, TagValueError};
use crate::address::Target;
use crate::tracking::{Timestamp, Tracking};
use std::time::SystemTime;

/// The measurement name inputs.chrony uses for the tracking report.
pub const MEASUREMENT: &str = "chrony";

/// A field beyond inputs.chrony's nine, added only when asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExtraField {
    /// `reference_time`, integer: Unix nanoseconds of the last clock update
    /// (same unit and epoch as the line's timestamp). Left out when chronyd
    /// has never updated the clock.
    ReferenceTime,
    /// `reference_age`, float seconds: time since the last clock update, at
    /// the gather. Left out when chronyd has never updated the clock.
    ReferenceAge,
    /// `root_distance`, float seconds: root delay / 2 + root dispersion.
    RootDistance,
    /// `leap_status_code`, integer: 0 normal, 1 insert second, 2 delete
    /// second, 3 not synchronized.
    LeapStatusCode,
    /// `synchronized`, boolean: whether leap status is not "not synchronized".
    Synchronized,
}

impl ExtraField {
    /// Every extra field, in the order documented.
    pub const ALL: [ExtraField; 5] = [
        ExtraField::ReferenceTime,
        ExtraField::ReferenceAge,
        ExtraField::RootDistance,
        ExtraField::LeapStatusCode,
        ExtraField::Synchronized,
    ];

    /// The field key in the line.
    pub fn key(self) -> &'static str {
        match self {
            ExtraField::ReferenceTime => "reference_time",
            ExtraField::ReferenceAge => "reference_age",
            ExtraField::RootDistance => "root_distance",
            ExtraField::LeapStatusCode => "leap_status_code",
            ExtraField::Synchronized => "synchronized",
        }
    }
}

/// What the line holds beyond the drop-in default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Format {
    /// Extra fields (duplicates are harmless).
    pub extras: Vec<ExtraField>,
    /// Write `stratum` (integer) and `leap_status` (string) as fields instead
    /// of tags, so that a change of either does not start a new series.
    pub stratum_leap_as_fields: bool,
}

impl Format {
    fn has(&self, extra: ExtraField) -> bool {
        self.extras.contains(&extra)
    }
}

/// The `source` tag for `target`, as inputs.chrony sets it: only when an
/// address was given explicitly (`None` for `auto`). For a list, the
/// candidate in use, so give [`Client::address`](crate::Client::address).
pub fn source_tag(target: &Target, in_use: Option<&crate::Address>) -> Option<String> {
    if !target.is_explicit() {
        return None;
    }
    in_use
        .or_else(|| target.candidates().first())
        .map(|a| a.to_string())
}

/// Checks, before the first gather, that every address `target` may use can
/// be written as a `source` tag (see [`check_tag_value`]).
pub fn check_source_tags(target: &Target) -> Result<(), TagValueError> {
    if !target.is_explicit() {
        return Ok(());
    }
    target
        .candidates()
        .iter()
        .try_for_each(|a| check_tag_value(&a.to_string()))
}

/// Appends the `chrony` line for `t`, read at `now`, to `out`. `None` (and
/// nothing appended) when no field has a finite value.
pub fn render(
    t: &Tracking,
    format: &Format,
    source: Option<&str>,
    now: SystemTime,
    out: &mut String,
) -> Option<()> {
    let reference_id = t.reference_id_hex();
    let stratum = t.stratum.to_string();
    let leap_status = t.leap_status.as_str();

    let mut line = Line::new(MEASUREMENT);
    line.tag("reference_id", &reference_id);
    if let Some(source) = source {
        line.tag("source", source);
    }
    if format.stratum_leap_as_fields {
        line.field("stratum", FieldValue::Integer(i64::from(t.stratum)))
            .field("leap_status", FieldValue::String(leap_status));
    } else {
        line.tag("stratum", &stratum)
            .tag("leap_status", leap_status);
    }

    line.field("system_time", FieldValue::Float(t.current_correction))
        .field("last_offset", FieldValue::Float(t.last_offset))
        .field("rms_offset", FieldValue::Float(t.rms_offset))
        .field("frequency", FieldValue::Float(t.frequency))
        .field("residual_freq", FieldValue::Float(t.residual_frequency))
        .field("skew", FieldValue::Float(t.skew))
        .field("root_delay", FieldValue::Float(t.root_delay))
        .field("root_dispersion", FieldValue::Float(t.root_dispersion))
        .field("update_interval", FieldValue::Float(t.update_interval));

    let updated = !t.reference_time.is_zero();
    if format.has(ExtraField::ReferenceTime) && updated {
        // i64 nanoseconds reach the year 2262; chronyd's clock would be
        // broken long before a value beyond that, so such a value is left out.
        if let Ok(ns) = i64::try_from(t.reference_time.unix_nanos()) {
            line.field(ExtraField::ReferenceTime.key(), FieldValue::Integer(ns));
        }
    }
    if format.has(ExtraField::ReferenceAge) {
        if let Some(age) = t.reference_age(now) {
            line.field(ExtraField::ReferenceAge.key(), FieldValue::Float(age));
        }
    }
    if format.has(ExtraField::RootDistance) {
        line.field(
            ExtraField::RootDistance.key(),
            FieldValue::Float(t.root_distance()),
        );
    }
    if format.has(ExtraField::LeapStatusCode) {
        line.field(
            ExtraField::LeapStatusCode.key(),
            FieldValue::Integer(i64::from(t.leap_status.code())),
        );
    }
    if format.has(ExtraField::Synchronized) {
        line.field(
            ExtraField::Synchronized.key(),
            FieldValue::Boolean(t.is_synchronised()),
        );
    }
    line.write(Timestamp::from_system_time(now).unix_nanos(), out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::sample;
    use std::time::{Duration, UNIX_EPOCH};

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::new(1_795_675_350, 924_973_746)
    }

    fn render_to_string(t: &Tracking, format: &Format, source: Option<&str>) -> String {
        let mut out = String::new();
        render(t, format, source, now(), &mut out).unwrap();
        out
    }

    #[test]
    fn default_is_inputs_chrony() {
        assert_eq!(
            render_to_string(&sample(), &Format::default(), None),
            "chrony,leap_status=normal,reference_id=7F000001,stratum=4 \
             frequency=-0.0014,last_offset=-0.000000018,residual_freq=-0.0004,\
             rms_offset=0.000000056,root_delay=0.0000055,root_dispersion=0.0000014,\
             skew=0.028,system_time=0.0499984,update_interval=0.51 1795675350924973746\n"
        );
    }

    #[test]
    fn age_from_gather_time() {
        let format = Format {
            extras: vec![ExtraField::ReferenceAge, ExtraField::ReferenceTime],
            ..Format::default()
        };
        let mut t = sample();
        t.current_correction = 0.0;
        let line = render_to_string(&t, &format, None);
        assert!(line.contains(",reference_age=10,"), "{line}");
        assert!(
            line.contains(",reference_time=1795675340924973746i,"),
            "{line}"
        );
    }

    #[test]
    fn never_updated_leaves_out_time_and_age() {
        let mut t = sample();
        t.reference_time = Timestamp::new(0, 0);
        let format = Format {
            extras: ExtraField::ALL.to_vec(),
            ..Format::default()
        };
        let line = render_to_string(&t, &format, None);
        assert!(!line.contains("reference_age"), "{line}");
        assert!(!line.contains("reference_time"), "{line}");
        assert!(line.contains("root_distance="), "{line}");
    }

    #[test]
    fn nan_field_dropped_rest_kept() {
        let mut t = sample();
        t.skew = f64::NAN;
        let line = render_to_string(&t, &Format::default(), None);
        assert!(!line.contains("skew"), "{line}");
        assert!(line.contains("system_time=0.0499984"), "{line}");
    }

    #[test]
    fn all_floats_nan_gives_no_line() {
        let mut t = sample();
        for v in [
            &mut t.current_correction,
            &mut t.last_offset,
            &mut t.rms_offset,
            &mut t.frequency,
            &mut t.residual_frequency,
            &mut t.skew,
            &mut t.root_delay,
            &mut t.root_dispersion,
            &mut t.update_interval,
        ] {
            *v = f64::NAN;
        }
        let mut out = String::new();
        assert_eq!(render(&t, &Format::default(), None, now(), &mut out), None);
        assert!(out.is_empty());
    }

    #[test]
    fn source_only_when_explicit() {
        let auto = Target::auto();
        assert_eq!(source_tag(&auto, None), None);
        let one: Target = "127.0.0.1".parse().unwrap();
        assert_eq!(source_tag(&one, None).as_deref(), Some("127.0.0.1:323"));
        let v6: Target = "::1".parse().unwrap();
        assert_eq!(source_tag(&v6, None).as_deref(), Some("[::1]:323"));
    }

    #[test]
    fn source_of_list_is_address_in_use() {
        let list: Target = "/run/x/chronyd.sock,127.0.0.1:999".parse().unwrap();
        let used = list.candidates()[1].clone();
        assert_eq!(
            source_tag(&list, Some(&used)).as_deref(),
            Some("127.0.0.1:999")
        );
    }

    #[test]
    fn source_tags_checked_up_front() {
        assert!(check_source_tags(&"/tmp/a b=c/s".parse().unwrap()).is_ok());
        assert!(check_source_tags(&r"/tmp/a\ b/s".parse().unwrap()).is_err());
        assert!(check_source_tags(&Target::auto()).is_ok());
    }
}
