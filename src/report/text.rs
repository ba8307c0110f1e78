//! Reports as text for people, laid out like `chronyc`'s output.
//!
//! Tables (`sources`, `sourcestats`, `selectdata`) use chronyc's columns and
//! its unit-scaled offsets (`+2186ns`, `-12ms`): rounded for reading, never
//! with an exponent. The exact values are in `chrony-report --json`.
//! Reports without a table are printed field by field with exact numbers.

use super::{Field, Record, Report, SelectData, Source, SourceStats, Value};
use crate::number;
use crate::tracking::Tracking;
use std::fmt::Write;
use std::time::SystemTime;

/// The lines `chrony-tracking` and `chrony-report tracking` print above the
/// report: the address that answered and why each one before it was
/// skipped, so that a user sees which address works.
pub fn client_lines(client: &crate::Client) -> String {
    let mut out = String::new();
    if let Some(a) = client.address() {
        out.push_str(&format!("Address used    : {a}\n"));
    }
    for skipped in client.skipped() {
        out.push_str(&format!("Skipped         : {skipped}\n"));
    }
    out
}

/// The tracking report in `chronyc tracking`'s layout, values exact (the
/// layout of `chrony-tracking`).
pub fn tracking(t: &Tracking, now: SystemTime) -> String {
    let n = |v: f64| number::decimal(v).unwrap_or_else(|| "nan".into());
    let age = t
        .reference_age(now)
        .map(|a| format!("{} seconds ago", n(a)))
        .unwrap_or_else(|| "never".into());
    format!(
        "Reference ID    : {} ({})\n\
         Stratum         : {}\n\
         Ref time (UTC)  : {} ({})\n\
         System time     : {} seconds\n\
         Last offset     : {} seconds\n\
         RMS offset      : {} seconds\n\
         Frequency       : {} ppm\n\
         Residual freq   : {} ppm\n\
         Skew            : {} ppm\n\
         Root delay      : {} seconds\n\
         Root dispersion : {} seconds\n\
         Root distance   : {} seconds\n\
         Update interval : {} seconds\n\
         Leap status     : {}\n",
        t.reference_id_hex(),
        t.reference_name(),
        t.stratum,
        t.reference_time,
        age,
        n(t.current_correction),
        n(t.last_offset),
        n(t.rms_offset),
        n(t.frequency),
        n(t.residual_frequency),
        n(t.skew),
        n(t.root_delay),
        n(t.root_dispersion),
        n(t.root_distance()),
        n(t.update_interval),
        t.leap_status,
    )
}

/// `chronyc sources`: header and one line per source.
pub fn sources(sources: &[Source]) -> String {
    let mut out = String::from(
        "MS Name/IP address         Stratum Poll Reach LastRx Last sample               \n\
         ===============================================================================\n",
    );
    for s in sources {
        let _ = writeln!(
            out,
            "{}{} {:<27}  {:>2}  {:>2}   {:>3o}  {:>4}  {}[{}] +/- {}",
            s.mode.symbol(),
            s.state.symbol(),
            clip(&s.name, 27),
            s.stratum,
            s.poll,
            s.reach,
            ago(s.last_sample_ago),
            signed_scaled(s.adjusted_offset),
            signed_scaled(s.original_offset),
            scaled(s.error),
        );
    }
    out
}

/// `chronyc sourcestats`: header and one line per source.
pub fn sourcestats(stats: &[SourceStats]) -> String {
    let mut out = String::from(
        "Name/IP Address            NP  NR  Span  Frequency  Freq Skew  Offset  Std Dev\n\
         ==============================================================================\n",
    );
    for s in stats {
        let _ = writeln!(
            out,
            "{:<25} {:>3} {:>3}  {:>4} {:>10} {:>10}  {}  {}",
            clip(&s.name, 25),
            s.samples,
            s.runs,
            ago(Some(s.span)),
            signed_fixed(s.residual_frequency, 3),
            fixed(s.skew, 3),
            signed_scaled(s.offset),
            scaled(s.std_dev),
        );
    }
    out
}

/// `chronyc selectdata`: header and one line per source.
pub fn selectdata(data: &[SelectData]) -> String {
    let mut out = String::from(
        "S Name/IP Address        Auth COpts EOpts Last Score     Interval  Leap\n\
         =======================================================================\n",
    );
    for s in data {
        let leap = match s.leap_status.map(|l| l.code()) {
            Some(0) => 'N',
            Some(1) => '+',
            Some(2) => '-',
            _ => '?',
        };
        let _ = writeln!(
            out,
            "{} {:<25} {} {} {} {:>4} {:>5} {} {}  {}",
            // A byte from chronyd, as a character: escaped if a control.
            crate::text::one_line(&s.state.to_string()),
            clip(&s.name, 25),
            if s.authenticated { 'Y' } else { 'N' },
            options(s.configured_options),
            options(s.effective_options),
            ago(s.last_sample_ago),
            fixed(s.score, 1),
            signed_scaled(s.low_limit),
            signed_scaled(s.high_limit),
            leap,
        );
    }
    out
}

/// A COpts/EOpts column: chronyc 4.3's `process_cmd_selectdata` prints five
/// letters, `N`, `P`, `T`, `R` from the option bits and a fifth that is
/// always `-` (a placeholder in its format, no option bit behind it; neither
/// chronyd 4.3 nor libchrony 0.2 sends one).
fn options(o: super::SelectOptions) -> String {
    format!("{}-", o.letters())
}

/// Any report field by field: `name : value`, one record after the other,
/// a record's `labels` entry (a source's name) above it when given.
pub fn records(report: &Report, labels: &[String]) -> String {
    let mut out = String::new();
    for (i, record) in report.records.iter().enumerate() {
        if report.records.len() > 1 || !labels.is_empty() {
            if i > 0 {
                out.push('\n');
            }
            let label = labels.get(i).map(String::as_str).unwrap_or("");
            let _ = writeln!(
                out,
                "Record {i}{}{label}",
                if label.is_empty() { "" } else { ": " }
            );
        }
        out.push_str(&record_text(record));
    }
    out
}

fn record_text(record: &Record) -> String {
    if record.fields.is_empty() {
        return "(none: a reference clock has no such data)\n".into();
    }
    let width = record
        .fields
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for f in &record.fields {
        let _ = writeln!(out, "{:<width$} : {}", f.name, value_text(f));
    }
    out
}

/// A field's value, exact, with its constant names.
pub fn value_text(f: &Field) -> String {
    use super::Content;
    let mut text = match (&f.value, f.content) {
        (Value::Unsigned(v), Content::ReferenceId) => {
            let hex = format!("{v:08X}");
            match crate::tracking::reference_name(*v as u32, None) {
                name if name == hex => hex,
                name => format!("{hex} ({name})"),
            }
        }
        (Value::Unsigned(v), Content::Bits) => format!("{v:o} (octal)"),
        (Value::Unsigned(v), _) => v.to_string(),
        (Value::Signed(v), _) => v.to_string(),
        (Value::Float(v), _) => number::decimal(*v).unwrap_or_else(|| "nan".into()),
        (Value::Time(t), _) => t.to_string(),
        (Value::Text(t), _) => crate::text::one_line(t).into_owned(),
        (Value::Missing, _) => "-".into(),
    };
    if !f.constants.is_empty() {
        let _ = write!(text, " ({})", f.constants.join(", "));
    }
    text
}

/// chronyc's LastRx column: seconds, minutes, hours, days, years; `-` for never.
fn ago(seconds: Option<u32>) -> String {
    let Some(s) = seconds else {
        return "-".into();
    };
    let s = u64::from(s);
    if s < 1200 {
        s.to_string()
    } else if s < 36_000 {
        format!("{}m", s / 60)
    } else if s < 345_600 {
        format!("{}h", s / 3600)
    } else if s < 44_236_800 {
        format!("{}d", s / 86_400)
    } else {
        format!("{}y", s / 31_536_000)
    }
}

/// A signed offset in chronyc's units: `+2186ns`, `-12us`, `+1000ms`, `-1.5s`.
fn signed_scaled(seconds: f64) -> String {
    scale(seconds, true)
}

/// An unsigned measure in chronyc's units: `4560ns`, `12ms`.
fn scaled(seconds: f64) -> String {
    scale(seconds, false)
}

fn scale(seconds: f64, signed: bool) -> String {
    if !seconds.is_finite() {
        return "nan".into();
    }
    let x = seconds.abs();
    let (value, unit) = if x < 9999.5e-9 {
        (seconds * 1e9, "ns")
    } else if x < 9999.5e-6 {
        (seconds * 1e6, "us")
    } else if x < 9999.5e-3 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    // Formatting with `{:.0}` never prints an exponent.
    let digits = if unit == "s" && x < 999.5 { 1 } else { 0 };
    // Widths as chronyc's `%+5.0f` and `%4.0f`, so that columns line up.
    if signed {
        format!("{value:+5.digits$}{unit}")
    } else {
        format!("{value:4.digits$}{unit}")
    }
}

/// A fixed-point number, `nan` for NaN.
fn fixed(value: f64, digits: usize) -> String {
    if value.is_finite() {
        format!("{value:.digits$}")
    } else {
        "nan".into()
    }
}

/// A fixed-point number with its sign, `nan` for NaN.
fn signed_fixed(value: f64, digits: usize) -> String {
    if value.is_finite() {
        format!("{value:+.digits$}")
    } else {
        "nan".into()
    }
}

/// `name` cut to `width` characters (IPv6 addresses can be longer).
fn clip(name: &str, width: usize) -> String {
    let name = crate::text::one_line(name);
    name.chars().take(width).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{samples, Model};

    /// Snapshots in the crate's `snapshots/`, named `report__NAME`.
    fn snap(name: &str, text: &str) {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(format!("report__{name}"), text));
    }

    #[test]
    fn sources_table_like_chronyc() {
        let list = vec![
            Source::from_record(&samples::source_record()).unwrap(),
            Source::from_record(&samples::refclock_record()).unwrap(),
        ];
        snap("sources_table", &sources(&list));
    }

    #[test]
    fn sourcestats_table_like_chronyc() {
        let list = vec![SourceStats::from_record(&samples::sourcestats_record()).unwrap()];
        snap("sourcestats_table", &sourcestats(&list));
    }

    #[test]
    fn selectdata_table_like_chronyc() {
        let list = vec![SelectData::from_record(&samples::selectdata_record()).unwrap()];
        snap("selectdata_table", &selectdata(&list));
    }

    #[test]
    fn selectdata_state_control_byte_stays_on_its_line() {
        let mut s = SelectData::from_record(&samples::selectdata_record()).unwrap();
        s.state = '\n';
        let text = selectdata(&[s]);
        assert_eq!(text.lines().count(), 3, "{text:?}");
        assert!(
            text.lines().nth(2).unwrap().starts_with("\\n 127.0.0.5"),
            "{text:?}"
        );
    }

    #[test]
    fn generic_record_exact_with_constant_names() {
        let report = Report {
            kind: crate::ReportKind::SelectData,
            records: vec![samples::selectdata_record(), Record::default()],
        };
        snap(
            "selectdata_fields",
            &records(&report, &["127.0.0.5".into(), "GPS".into()]),
        );
    }

    #[test]
    fn units_scale_like_chronyc_without_exponents() {
        assert_eq!(signed_scaled(2.186e-6), "+2186ns");
        assert_eq!(signed_scaled(-1.2e-5), "  -12us");
        assert_eq!(signed_scaled(-1.0), "-1000ms");
        assert_eq!(signed_scaled(12.25), "+12.2s");
        assert_eq!(scaled(1.5e-4), " 150us");
        assert_eq!(signed_scaled(1e300), format!("+{:.0}s", 1e300));
        assert!(!signed_scaled(1e300).contains('e'));
        assert_eq!(scaled(4.56e-6), "4560ns");
        assert_eq!(scaled(f64::NAN), "nan");
    }

    #[test]
    fn last_rx_like_chronyc() {
        assert_eq!(ago(None), "-");
        assert_eq!(ago(Some(5)), "5");
        assert_eq!(ago(Some(1200)), "20m");
        assert_eq!(ago(Some(40_000)), "11h");
        assert_eq!(ago(Some(400_000)), "4d");
        assert_eq!(ago(Some(u32::MAX - 1)), "136y");
    }

    #[test]
    fn tracking_layout_is_chrony_trackings() {
        let now = std::time::UNIX_EPOCH + std::time::Duration::new(1_795_675_350, 924_973_746);
        snap("tracking_text", &tracking(&crate::tracking::sample(), now));
    }
}
