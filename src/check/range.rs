//! Nagios threshold ranges: `N`, `N:`, `~:N`, `N:M`, `@N:M`.
//!
//! The syntax and meaning follow the Monitoring Plugins Development
//! Guidelines (and monitoring-plugins' `parse_range_string`): `start`
//! defaults to 0 and may be `~` (minus infinity), an empty `end` is plus
//! infinity, endpoints are inclusive, and a leading `@` alerts inside the
//! range instead of outside it.

use crate::number;
use std::fmt;

/// A parsed threshold range.
#[derive(Debug, Clone, PartialEq)]
pub struct Range {
    /// Lower bound; `f64::NEG_INFINITY` for `~`.
    start: f64,
    /// Upper bound; `f64::INFINITY` when `end` was left empty.
    end: f64,
    /// `@`: alert when the value is inside, not outside.
    inside: bool,
}

/// What the endpoints of a range may be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Plain numbers only (ppm, stratum).
    Number,
    /// Seconds: a plain number is seconds, and an endpoint may carry
    /// humantime units (`500ms`, `15m`, `1h 30m`).
    Seconds,
}

/// Why a range was refused; `Display` says what is wrong and how to write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeError(String);

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RangeError {}

const SYNTAX: &str = "expected N, N:, ~:N, N:M or @N:M";

impl Range {
    /// Parses `text`; endpoints are read as `unit` says.
    pub fn parse(text: &str, unit: Unit) -> Result<Range, RangeError> {
        let body = text.trim();
        let (inside, body) = match body.strip_prefix('@') {
            Some(rest) => (true, rest),
            None => (false, body),
        };
        if body.is_empty() {
            return Err(RangeError(format!("empty range ({SYNTAX})")));
        }
        let (start, end) = match body.split_once(':') {
            None => (0.0, endpoint(body, unit)?),
            Some((start, end)) => {
                let start = match start.trim() {
                    "~" => f64::NEG_INFINITY,
                    // An empty start is 0, as in monitoring-plugins.
                    "" => 0.0,
                    s => endpoint(s, unit)?,
                };
                let end = match end.trim() {
                    "" => f64::INFINITY,
                    e => endpoint(e, unit)?,
                };
                (start, end)
            }
        };
        if start > end {
            return Err(RangeError(format!(
                "start {} is greater than end {}",
                show(start),
                show(end)
            )));
        }
        Ok(Range { start, end, inside })
    }

    /// Whether `value` raises the alert: outside the range, or inside it
    /// for `@`, endpoints inclusive. A value that is not a number always
    /// alerts: nothing can be vouched for it.
    pub fn alerts(&self, value: f64) -> bool {
        if value.is_nan() {
            return true;
        }
        let within = self.start <= value && value <= self.end;
        within == self.inside
    }

    /// Whether this is an `@` range (alert inside).
    pub fn is_inside(&self) -> bool {
        self.inside
    }

    /// The range as a perfdata warn/crit field.
    ///
    /// For a value that is `never_negative` (an absolute value), an outside
    /// range from at or below 0 up to an end of at least 0 alerts exactly
    /// when the value passes the end: it is written as the bare end (`N`),
    /// which every parser reads the same way, and the one form Icinga 2
    /// keeps (it drops warn/crit with `:`, `~` or `@`). Otherwise the
    /// normalised range, as [`Display`](fmt::Display) writes it.
    pub fn perfdata(&self, never_negative: bool) -> String {
        let bare = never_negative
            && !self.inside
            && self.start <= 0.0
            && self.end >= 0.0
            && self.end.is_finite();
        if bare {
            return show(self.end);
        }
        self.to_string()
    }
}

impl fmt::Display for Range {
    /// The normalised range: endpoints in plain decimal (seconds for
    /// [`Unit::Seconds`]), a start of 0 left out, `~` for minus infinity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inside {
            f.write_str("@")?;
        }
        let start = show(self.start);
        if self.end == f64::INFINITY {
            write!(f, "{start}:")
        } else if self.start == 0.0 {
            f.write_str(&show(self.end))
        } else {
            write!(f, "{start}:{}", show(self.end))
        }
    }
}

/// One endpoint: a finite decimal number, or with [`Unit::Seconds`] a
/// duration in the suite's one grammar ([`number::parse_seconds`]: `500ms`,
/// `1.5h`, `1h 30m`), optionally negative.
fn endpoint(text: &str, unit: Unit) -> Result<f64, RangeError> {
    let text = text.trim();
    if let Some(v) = number::plain_number(text) {
        return Ok(v);
    }
    if unit == Unit::Seconds {
        return number::parse_seconds(text).ok_or_else(|| {
            RangeError(format!(
                "'{text}' is not a number of seconds or a duration like 500ms, 15m, 1h ({SYNTAX})"
            ))
        });
    }
    Err(RangeError(format!("'{text}' is not a number ({SYNTAX})")))
}

/// An endpoint as text: `~` for minus infinity, else plain decimal.
fn show(v: f64) -> String {
    if v == f64::NEG_INFINITY {
        return "~".to_string();
    }
    number::decimal(v).unwrap_or_else(|| "~".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(s: &str) -> Range {
        Range::parse(s, Unit::Number).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn secs(s: &str) -> Range {
        Range::parse(s, Unit::Seconds).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn err(s: &str) -> String {
        Range::parse(s, Unit::Number).unwrap_err().to_string()
    }

    /// The guidelines' table, row by row, at and around each endpoint.
    #[test]
    fn guideline_plain_end() {
        let r = num("10");
        assert!(r.alerts(-0.001));
        assert!(!r.alerts(0.0));
        assert!(!r.alerts(10.0));
        assert!(r.alerts(10.001));
    }

    #[test]
    fn guideline_open_end() {
        let r = num("10:");
        assert!(r.alerts(9.999));
        assert!(!r.alerts(10.0));
        assert!(!r.alerts(1e300));
    }

    #[test]
    fn guideline_minus_infinity_start() {
        let r = num("~:10");
        assert!(!r.alerts(-1e300));
        assert!(!r.alerts(10.0));
        assert!(r.alerts(10.5));
    }

    #[test]
    fn guideline_start_end() {
        let r = num("10:20");
        assert!(r.alerts(9.0));
        assert!(!r.alerts(10.0));
        assert!(!r.alerts(20.0));
        assert!(r.alerts(20.5));
    }

    #[test]
    fn guideline_inside() {
        let r = num("@10:20");
        assert!(!r.alerts(9.9));
        assert!(r.alerts(10.0));
        assert!(r.alerts(15.0));
        assert!(r.alerts(20.0));
        assert!(!r.alerts(20.1));
        assert!(r.is_inside());
    }

    #[test]
    fn decimals_and_negatives() {
        let r = num("-0.5:0.25");
        assert!(r.alerts(-0.51));
        assert!(!r.alerts(-0.5));
        assert!(!r.alerts(0.25));
        assert!(r.alerts(0.2500001));
        let r = num("~:-3");
        assert!(!r.alerts(-3.0));
        assert!(r.alerts(-2.9));
        assert!(!num(".5").alerts(0.5));
    }

    #[test]
    fn empty_start_is_zero() {
        assert_eq!(num(":10"), num("10"));
        assert!(num(":10").alerts(-1.0));
    }

    #[test]
    fn everything_never_alerts() {
        let r = num("~:");
        assert!(!r.alerts(-1e300) && !r.alerts(1e300));
        assert!(num("@~:").alerts(0.0));
    }

    #[test]
    fn nan_always_alerts() {
        assert!(num("~:").alerts(f64::NAN));
        assert!(num("@1:2").alerts(f64::NAN));
    }

    #[test]
    fn display_normalised() {
        for (given, shown) in [
            ("10", "10"),
            ("0:10", "10"),
            (":10", "10"),
            ("10:", "10:"),
            ("0:", "0:"),
            ("~:10", "~:10"),
            ("~:", "~:"),
            ("10:20", "10:20"),
            ("@10:20", "@10:20"),
            ("@0:5", "@5"),
            ("+3", "3"),
            ("0.010", "0.01"),
            (" -1.50:-0.5 ", "-1.5:-0.5"),
            ("0.000001", "0.000001"),
        ] {
            assert_eq!(num(given).to_string(), shown, "{given}");
        }
    }

    #[test]
    fn perfdata_bare_end_for_never_negative_values() {
        for (given, shown) in [
            ("~:0.1", "0.1"),
            ("-1:0.1", "0.1"),
            ("0:0.1", "0.1"),
            ("0.1", "0.1"),
            ("0", "0"),
        ] {
            assert_eq!(num(given).perfdata(true), shown, "{given}");
        }
        // Ranges that mean something else, even for |x|, stay as they are.
        for kept in ["~:-3", "0.1:", "~:", "0.05:0.1", "@0.1", "@~:0.1"] {
            assert_eq!(num(kept).perfdata(true), num(kept).to_string(), "{kept}");
        }
        // Values that can be negative keep every range as written.
        assert_eq!(num("~:0.1").perfdata(false), "~:0.1");
        assert_eq!(num("-1:0.1").perfdata(false), "-1:0.1");
    }

    /// The bare end alerts on the same non-negative values as the range.
    #[test]
    fn perfdata_bare_end_means_the_same_for_never_negative_values() {
        for given in ["~:0.1", "-1:0.1", "~:0", "-0.5:2"] {
            let r = num(given);
            let bare = num(&r.perfdata(true));
            for v in [0.0, 0.05, 0.1, 0.1000001, 1.0, 2.0, 2.5, 1e300] {
                assert_eq!(r.alerts(v), bare.alerts(v), "{given} at {v}");
            }
        }
    }

    #[test]
    fn seconds_accept_units_on_each_endpoint() {
        assert_eq!(secs("15m").to_string(), "900");
        assert_eq!(secs("1h:").to_string(), "3600:");
        assert_eq!(secs("500ms:2s").to_string(), "0.5:2");
        assert_eq!(secs("@1h 30m:2h").to_string(), "@5400:7200");
        assert_eq!(secs("-10ms:10ms").to_string(), "-0.01:0.01");
        assert_eq!(secs("0.1").to_string(), "0.1");
        assert_eq!(secs("0.5s:1.5h").to_string(), "0.5:5400");
        assert_eq!(secs("~:-2.5ms").to_string(), "~:-0.0025");
        assert!(secs("15m").alerts(900.5));
        assert!(!secs("15m").alerts(900.0));
    }

    #[test]
    fn numbers_refuse_units() {
        assert!(
            err("15m").contains("'15m' is not a number"),
            "{}",
            err("15m")
        );
    }

    #[test]
    fn start_after_end_refused() {
        assert_eq!(err("1:0"), "start 1 is greater than end 0");
        assert_eq!(err("-5"), "start 0 is greater than end -5");
        assert!(Range::parse("2h:1h", Unit::Seconds).is_err());
    }

    #[test]
    fn equal_endpoints_accepted() {
        let r = num("5:5");
        assert!(!r.alerts(5.0));
        assert!(r.alerts(5.1));
    }

    #[test]
    fn malformed_refused() {
        for bad in [
            "", "@", " ", "abc", "1:2:3", "~", "~10", "1e3", "inf", "nan", "10:~", "1..2", "-",
            "@@1", "1:x", "--1",
        ] {
            assert!(Range::parse(bad, Unit::Number).is_err(), "{bad:?} accepted");
        }
        assert!(Range::parse("15parsecs", Unit::Seconds).is_err());
        assert!(Range::parse("1:2:3", Unit::Seconds).is_err());
    }

    #[test]
    fn seconds_endpoints_take_the_timeout_grammar() {
        // The same words as -t and --interval: decimals with a unit,
        // compound durations, no exponent.
        assert_eq!(secs("1m30s:").to_string(), "90:");
        assert_eq!(secs("2days").to_string(), "172800");
        for bad in ["1e3", "1e3s", "inf", "nan", "~:1e-3"] {
            assert!(
                Range::parse(bad, Unit::Seconds).is_err(),
                "{bad:?} accepted"
            );
        }
    }
}
