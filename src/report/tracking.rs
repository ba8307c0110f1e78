//! [`Tracking`] as one model among the others: read from a record by name.

use super::{FieldError, Model, Record, ReportKind};
use crate::tracking::{LeapStatus, Tracking};
use std::net::IpAddr;

impl Model for Tracking {
    const REPORT: ReportKind = ReportKind::Tracking;

    /// The 14 fields of the tracking record, by their libchrony 0.2 names.
    fn from_record(r: &Record) -> Result<Tracking, FieldError> {
        let address = match r.text("address")? {
            None | Some("") => None,
            Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
                FieldError::new("address", format!("is '{text}', not an IP address"))
            })?),
        };
        let leap = r.unsigned("leap status")?;
        Ok(Tracking {
            reference_id: r.unsigned_as("reference ID")?,
            address,
            stratum: r.unsigned_as("stratum")?,
            leap_status: LeapStatus::from_code(leap)
                .ok_or_else(|| FieldError::new("leap status", format!("is {leap}, not 0 to 3")))?,
            reference_time: r.time("reference time")?,
            current_correction: r.float("current correction")?,
            last_offset: r.float("last offset")?,
            rms_offset: r.float("RMS offset")?,
            frequency: r.float("frequency offset")?,
            residual_frequency: r.float("residual frequency")?,
            skew: r.float("skew")?,
            root_delay: r.float("root delay")?,
            root_dispersion: r.float("root dispersion")?,
            update_interval: r.float("last update interval")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{samples, Value};

    #[test]
    fn reads_the_sample() {
        let t = Tracking::from_record(&samples::tracking_record()).unwrap();
        assert_eq!(t, crate::tracking::sample());
    }

    #[test]
    fn bad_address_names_the_field() {
        let mut r = samples::tracking_record();
        samples::set(&mut r, "address", Value::Text("x".into()));
        assert_eq!(
            Tracking::from_record(&r).unwrap_err().to_string(),
            "field 'address' is 'x', not an IP address"
        );
    }

    #[test]
    fn reference_id_beyond_32_bits() {
        let mut r = samples::tracking_record();
        samples::set(&mut r, "reference ID", Value::Unsigned(1 << 32));
        assert_eq!(Tracking::from_record(&r).unwrap_err().field, "reference ID");
    }

    #[test]
    fn leap_out_of_range() {
        let mut r = samples::tracking_record();
        samples::set(&mut r, "leap status", Value::Unsigned(4));
        assert_eq!(
            Tracking::from_record(&r).unwrap_err().to_string(),
            "field 'leap status' is 4, not 0 to 3"
        );
    }
}
