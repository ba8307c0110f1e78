//! Numbers as text for consumers that cannot parse an exponent.

use std::fmt::Write;
use std::time::Duration;

/// `value` in plain decimal notation with the fewest digits that read back as
/// exactly the same `f64` (Rust's shortest round-trip form, which never uses
/// an exponent): `0.000001`, never `1e-06`. `None` for NaN and infinities,
/// which no consumer accepts.
pub fn decimal(value: f64) -> Option<String> {
    value.is_finite().then(|| {
        let mut s = String::with_capacity(24);
        // -0 reads as 0 everywhere; print it so.
        let v = if value == 0.0 { 0.0 } else { value };
        let _ = write!(s, "{v}");
        s
    })
}

/// `value` with an explicit sign (`+0.0523`, `-0.001`, `0`), shortest
/// round-trip digits; `None` for NaN and infinities.
pub fn signed_decimal(value: f64) -> Option<String> {
    let s = decimal(value)?;
    Some(if value > 0.0 { format!("+{s}") } else { s })
}

/// A positive duration from a command line: bare seconds (`10`, `0.5`) or
/// humantime (`10s`, `500ms`, `1m 30s`). Zero, negative, NaN or a value too
/// large for a `Duration` is an error saying so.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let d = match value.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs > 0.0 => {
            Duration::try_from_secs_f64(secs).map_err(|_| "is too long".to_string())?
        }
        Ok(_) => return Err("must be a positive duration".into()),
        Err(_) => humantime::parse_duration(value.trim()).map_err(|e| e.to_string())?,
    };
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

/// Longest `--timeout` accepted: a read that may wait longer than a day is
/// a configuration mistake, and must fail at start, not at every read.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Shortest `--interval` accepted: anything shorter is a busy loop.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// [`parse_duration`], at most [`MAX_TIMEOUT`].
pub fn parse_timeout(value: &str) -> Result<Duration, String> {
    let d = parse_duration(value)?;
    if d > MAX_TIMEOUT {
        return Err("must be at most 1 day".into());
    }
    Ok(d)
}

/// [`parse_duration`], at least [`MIN_INTERVAL`].
pub fn parse_interval(value: &str) -> Result<Duration, String> {
    let d = parse_duration(value)?;
    if d < MIN_INTERVAL {
        return Err("must be at least 1ms".into());
    }
    Ok(d)
}

/// A duration as people write it: `10s`, `500ms`, `2m 30s`.
pub fn duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_without_exponent() {
        assert_eq!(decimal(1e-6).unwrap(), "0.000001");
        assert_eq!(decimal(-1.8e-8).unwrap(), "-0.000000018");
    }

    #[test]
    fn round_trips() {
        for v in [
            0.1,
            1.0 / 3.0,
            0.000012651000361074694,
            -16.000999450683594,
            5e-324,
            1.7976931348623157e308,
        ] {
            let s = decimal(v).unwrap();
            assert!(!s.contains('e'), "{s}");
            assert_eq!(s.parse::<f64>().unwrap(), v);
        }
    }

    #[test]
    fn negative_zero_is_zero() {
        assert_eq!(decimal(-0.0).unwrap(), "0");
    }

    #[test]
    fn non_finite_is_none() {
        assert_eq!(decimal(f64::NAN), None);
        assert_eq!(decimal(f64::INFINITY), None);
        assert_eq!(decimal(f64::NEG_INFINITY), None);
    }

    #[test]
    fn signed() {
        assert_eq!(signed_decimal(0.0523).unwrap(), "+0.0523");
        assert_eq!(signed_decimal(-0.001).unwrap(), "-0.001");
        assert_eq!(signed_decimal(0.0).unwrap(), "0");
    }

    #[test]
    fn duration_forms() {
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("0.5").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1ms").unwrap(), Duration::from_millis(1));
        assert_eq!(parse_duration("1m 30s").unwrap(), Duration::from_secs(90));
    }

    #[test]
    fn duration_invalid() {
        for bad in ["0", "0s", "-5", "NaN", "inf", "1e30", "soon", ""] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timeout_and_interval_limits() {
        assert!(parse_timeout("1e19").is_err());
        assert!(parse_timeout("2d").is_err());
        assert_eq!(parse_timeout("1d").unwrap(), MAX_TIMEOUT);
        assert!(parse_interval("1ns").is_err());
        assert!(parse_interval("999us").is_err());
        assert_eq!(parse_interval("1ms").unwrap(), MIN_INTERVAL);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(Duration::from_secs(2)), "2s");
        assert_eq!(duration(Duration::from_millis(500)), "500ms");
    }
}
