//! Numbers as text for consumers that cannot parse an exponent, and the one
//! duration grammar every command line and setting of the suite shares.
//!
//! Durations (`-t`, `--interval`, `COLLECTD_INTERVAL`, and the check's
//! ranges in seconds) are written one way everywhere:
//!
//! - a plain decimal number of seconds: `10`, `2.5`, `.5` (no exponent,
//!   `inf` or `nan`, which neither Nagios ranges nor people write);
//! - a decimal number with one unit: `500ms`, `2.5s`, `1.5h` (units `ns`,
//!   `us`/`µs`, `ms`, `s`/`sec`, `m`/`min`, `h`, `d`);
//! - a compound humantime duration: `1m 30s`, `1h30m`, `2days`.
//!
//! A timeout is longer than zero and at most [`MAX_TIMEOUT`]; an interval is
//! at least [`MIN_INTERVAL`] and at most [`MAX_INTERVAL`].

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

/// `secs` seconds and `nanos` nanoseconds (0 to 999,999,999, added to
/// `secs` even when `secs` is negative, as in `struct timespec`) in plain
/// decimal with all nine digits: `-1.5 s` is `secs = -2, nanos = 500000000`
/// and prints `-1.500000000`.
pub fn seconds_nanos(secs: i64, nanos: u32) -> String {
    let total = i128::from(secs) * 1_000_000_000 + i128::from(nanos);
    let sign = if total < 0 { "-" } else { "" };
    let magnitude = total.unsigned_abs();
    format!(
        "{sign}{}.{:09}",
        magnitude / 1_000_000_000,
        magnitude % 1_000_000_000
    )
}

/// Longest timeout accepted: a read that may wait longer than a day is a
/// configuration mistake, and must fail at start, not at every read.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Shortest interval accepted: anything shorter is a busy loop that floods
/// chronyd's command port.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// Longest interval accepted: one gather a day is no monitoring; a larger
/// number is a typo (or seconds given where milliseconds were meant).
pub const MAX_INTERVAL: Duration = Duration::from_secs(86_400);

/// A signed number of seconds in the suite's duration grammar (see the
/// module documentation), with an optional leading `-` or `+`: `-10ms`,
/// `1h 30m`, `0.25`. `None` when `text` is none of these or not finite.
/// Range endpoints in seconds are read with this.
pub fn parse_seconds(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Some(v) = plain_number(text) {
        return Some(v);
    }
    if let Some(v) = decimal_with_unit(text) {
        return Some(v);
    }
    let (sign, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    // humantime would take "-" after the sign again, or a leading space.
    if !magnitude.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let d = humantime::parse_duration(magnitude).ok()?;
    Some(sign * d.as_secs_f64())
}

/// A finite number in plain decimal notation (`10`, `-0.5`, `.5`, `+3`).
/// Rust's parser alone would also take `inf`, `nan` and `1e3`; the grammar
/// takes none of these, as monitoring-plugins' ranges do not.
pub fn plain_number(text: &str) -> Option<f64> {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let ok = !digits.is_empty()
        && digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    if !ok {
        return None;
    }
    text.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A plain decimal number with one unit, in seconds: `0.5s`, `1.5h`,
/// `-10ms`. humantime takes compound durations (`1h 30m`) but no decimals.
fn decimal_with_unit(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let scale = match unit {
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return None,
    };
    let v = plain_number(number)? * scale;
    v.is_finite().then_some(v)
}

/// `secs` as a duration within `min..=max`; the error says which bound
/// was crossed. `min` may be zero (then only zero itself is refused).
fn bounded(secs: f64, min: Duration, max: Duration) -> Result<Duration, String> {
    if secs.is_nan() {
        return Err("is not a number".into());
    }
    if secs < 0.0 {
        return Err("must not be negative".into());
    }
    if secs == 0.0 {
        return Err("must be longer than zero".into());
    }
    if secs > max.as_secs_f64() {
        return Err(format!("must be at most {}", limit(max)));
    }
    let d = Duration::from_secs_f64(secs);
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    if d < min {
        return Err(format!("must be at least {}", limit(min)));
    }
    Ok(d)
}

/// A limit in an error message: `1 day`, `2 days`, else as [`duration`]
/// writes it (`1ms`).
fn limit(d: Duration) -> String {
    const DAY: u64 = 86_400;
    match (d.as_secs(), d.subsec_nanos()) {
        (DAY, 0) => "1 day".to_string(),
        (s, 0) if s % DAY == 0 => format!("{} days", s / DAY),
        _ => duration(d),
    }
}

/// What to write instead of something that is not a duration.
const DURATION_HINT: &str = "not a duration; give e.g. 10, 2.5s, 500ms or 1m 30s";

/// A timeout from a command line (`-t`, `--timeout` of every binary):
/// longer than zero, at most [`MAX_TIMEOUT`].
pub fn parse_timeout(value: &str) -> Result<Duration, String> {
    let secs = parse_seconds(value).ok_or(DURATION_HINT)?;
    bounded(secs, Duration::ZERO, MAX_TIMEOUT)
}

/// An interval from a command line (`--interval`): at least
/// [`MIN_INTERVAL`], at most [`MAX_INTERVAL`].
pub fn parse_interval(value: &str) -> Result<Duration, String> {
    let secs = parse_seconds(value).ok_or(DURATION_HINT)?;
    interval_from_secs(secs)
}

/// An interval given in seconds (collectd's `COLLECTD_INTERVAL`), with the
/// limits of [`parse_interval`].
pub fn interval_from_secs(secs: f64) -> Result<Duration, String> {
    bounded(secs, MIN_INTERVAL, MAX_INTERVAL)
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
    fn seconds_nanos_negative_with_fraction() {
        // -1.5 s as timespec: -2 s + 0.5 s. Printed `-2.500000000` before.
        assert_eq!(seconds_nanos(-2, 500_000_000), "-1.500000000");
        assert_eq!(seconds_nanos(-1, 999_999_999), "-0.000000001");
        assert_eq!(seconds_nanos(-1, 0), "-1.000000000");
    }

    #[test]
    fn seconds_nanos_sub_second_negative() {
        // -0.25 s: secs -1, nanos 750000000. The sign must not vanish
        // with the whole seconds.
        assert_eq!(seconds_nanos(-1, 750_000_000), "-0.250000000");
    }

    #[test]
    fn seconds_nanos_zero_and_positive() {
        assert_eq!(seconds_nanos(0, 0), "0.000000000");
        assert_eq!(seconds_nanos(0, 7), "0.000000007");
        assert_eq!(seconds_nanos(5, 7), "5.000000007");
        assert_eq!(
            seconds_nanos(1_795_675_340, 924_973_746),
            "1795675340.924973746"
        );
    }

    #[test]
    fn seconds_nanos_extremes() {
        assert_eq!(
            seconds_nanos(i64::MAX, 999_999_999),
            "9223372036854775807.999999999"
        );
        assert_eq!(seconds_nanos(i64::MIN, 0), "-9223372036854775808.000000000");
        assert_eq!(seconds_nanos(i64::MIN, 1), "-9223372036854775807.999999999");
    }

    #[test]
    fn seconds_grammar() {
        for (text, secs) in [
            ("10", 10.0),
            ("0.5", 0.5),
            (".5", 0.5),
            ("+3", 3.0),
            ("-0.25", -0.25),
            ("500ms", 0.5),
            ("2.5s", 2.5),
            ("1.5h", 5400.0),
            ("-10ms", -0.01),
            ("1d", 86400.0),
            ("1m 30s", 90.0),
            ("1h30m", 5400.0),
            ("-1h 30m", -5400.0),
            ("15m", 900.0),
            (" 7 ", 7.0),
        ] {
            assert_eq!(parse_seconds(text), Some(secs), "{text:?}");
        }
    }

    #[test]
    fn seconds_grammar_refuses_exponent_inf_nan_and_junk() {
        for bad in [
            "1e3",
            "1E3",
            "inf",
            "-inf",
            "nan",
            "NaN",
            "infinity",
            "",
            " ",
            "-",
            "--1",
            "+-1",
            "soon",
            "5 parsecs",
            "1..2",
            "0x10",
            "1,5",
            "- 1s",
        ] {
            assert_eq!(parse_seconds(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn timeout_forms() {
        assert_eq!(parse_timeout("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_timeout("2.5").unwrap(), Duration::from_millis(2500));
        assert_eq!(parse_timeout("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_timeout("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_timeout("1ms").unwrap(), Duration::from_millis(1));
        assert_eq!(parse_timeout("1m 30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_timeout("1ns").unwrap(), Duration::from_nanos(1));
    }

    #[test]
    fn timeout_refuses_zero_negative_and_junk() {
        assert_eq!(parse_timeout("0").unwrap_err(), "must be longer than zero");
        assert_eq!(parse_timeout("0s").unwrap_err(), "must be longer than zero");
        assert_eq!(parse_timeout("-5").unwrap_err(), "must not be negative");
        assert_eq!(parse_timeout("-1s").unwrap_err(), "must not be negative");
        for bad in ["NaN", "inf", "soon", "", "0.0000000001"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
        assert!(parse_timeout("soon")
            .unwrap_err()
            .starts_with("not a duration"));
    }

    /// The check's `-t` took `1e3` as humantime's error and `100000` as
    /// 27 hours; the other binaries did the reverse. One grammar now.
    #[test]
    fn timeout_same_grammar_for_every_binary() {
        assert!(parse_timeout("1e3").is_err());
        assert!(parse_timeout("1e19").is_err());
        assert_eq!(
            parse_timeout("100000").unwrap_err(),
            "must be at most 1 day"
        );
        assert!(parse_timeout("2d").is_err());
        assert_eq!(parse_timeout("1d").unwrap(), MAX_TIMEOUT);
        assert_eq!(parse_timeout("86400").unwrap(), MAX_TIMEOUT);
        assert!(parse_timeout("86400.001").is_err());
        assert!(parse_timeout("99999999999999999999999999").is_err());
    }

    #[test]
    fn interval_limits() {
        assert!(parse_interval("1ns").is_err());
        assert_eq!(parse_interval("999us").unwrap_err(), "must be at least 1ms");
        assert_eq!(parse_interval("1ms").unwrap(), MIN_INTERVAL);
        assert_eq!(parse_interval("0.001").unwrap(), MIN_INTERVAL);
        assert_eq!(parse_interval("1d").unwrap(), MAX_INTERVAL);
        assert!(parse_interval("1d 1s").is_err());
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("-1").is_err());
        assert!(parse_interval("1e3").is_err());
    }

    #[test]
    fn interval_from_secs_limits() {
        assert_eq!(interval_from_secs(10.0).unwrap(), Duration::from_secs(10));
        for bad in [
            0.0,
            -0.0,
            -1.0,
            0.000001,
            0.0009,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            86_401.0,
        ] {
            assert!(interval_from_secs(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_in_words() {
        assert_eq!(limit(MAX_TIMEOUT), "1 day");
        assert_eq!(limit(Duration::from_secs(172_800)), "2 days");
        assert_eq!(limit(MIN_INTERVAL), "1ms");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(Duration::from_secs(2)), "2s");
        assert_eq!(duration(Duration::from_millis(500)), "500ms");
    }
}
