//! One record of the `sourcestats` report, as a line of `chronyc sourcestats`.

use super::{parse_ip, source_name, FieldError, Model, Record, ReportKind};
use serde::Serialize;
use std::net::IpAddr;

/// chronyd's regression over one source's recent samples.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceStats {
    /// `address`: the source's IP address; `None` for a reference clock.
    pub address: Option<IpAddr>,
    /// `reference ID`: the source's reference id (a reference clock's
    /// `GPS`; for NTP sources chronyd's id of the address).
    pub reference_id: u32,
    /// The IP address, or the reference clock's id as text.
    pub name: String,
    /// `samples`: samples kept (chronyc's `NP`).
    pub samples: u32,
    /// `runs`: runs of residuals with the same sign (chronyc's `NR`).
    pub runs: u32,
    /// `span`, seconds between the oldest and newest sample.
    pub span: u32,
    /// `standard deviation`, seconds (chronyc's `Std Dev`).
    pub std_dev: f64,
    /// `residual frequency`, ppm (chronyc's `Freq`).
    pub residual_frequency: f64,
    /// `skew`, ppm (chronyc's `Freq Skew`).
    pub skew: f64,
    /// `offset`, seconds: the estimated offset of the source.
    pub offset: f64,
    /// `offset error`, seconds.
    pub offset_error: f64,
}

impl Model for SourceStats {
    const REPORT: ReportKind = ReportKind::SourceStats;

    fn from_record(r: &Record) -> Result<SourceStats, FieldError> {
        let reference_id: u32 = r.unsigned_as("reference ID")?;
        let text = r.text("address")?;
        let address = parse_ip(text);
        Ok(SourceStats {
            address,
            reference_id,
            name: source_name(address, text, reference_id),
            samples: r.unsigned_as("samples")?,
            runs: r.unsigned_as("runs")?,
            span: r.unsigned_as("span")?,
            std_dev: r.float("standard deviation")?,
            residual_frequency: r.float("residual frequency")?,
            skew: r.float("skew")?,
            offset: r.float("offset")?,
            offset_error: r.float("offset error")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    #[test]
    fn reads_every_field() {
        let s = SourceStats::from_record(&samples::sourcestats_record()).unwrap();
        assert_eq!(s.name, "127.0.0.2");
        assert_eq!(s.samples, 8);
        assert_eq!(s.runs, 5);
        assert_eq!(s.span, 2);
        assert_eq!(s.skew, 0.5);
    }

    #[test]
    fn refclock_named_by_refid() {
        let mut r = samples::sourcestats_record();
        samples::set(&mut r, "address", crate::report::Value::Missing);
        samples::set(
            &mut r,
            "reference ID",
            crate::report::Value::Unsigned(u64::from(u32::from_be_bytes(*b"PPS\0"))),
        );
        let s = SourceStats::from_record(&r).unwrap();
        assert_eq!((s.address, s.name.as_str()), (None, "PPS"));
    }
}
