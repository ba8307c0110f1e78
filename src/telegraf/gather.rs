//! One gather of several reports (`--metrics`): each selected report read
//! and written in turn, within one deadline for the whole gather; a report
//! that fails (serverstats refused over UDP) is named in the gather's
//! [`Condition`] and the others are still written.

use super::metric::{self, Format};
use super::reports::{self, Context};
use crate::error::{Error, ErrorKind};
use crate::report::{Activity, FieldError, Model, Report, ReportKind};
use crate::runner::{Condition, Tick};
use crate::tracking::Timestamp;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime};

/// One measurement family `--metrics` can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// `chrony` (inputs.chrony's `tracking`).
    Tracking,
    /// `chrony_sources` (inputs.chrony's `sources`).
    Sources,
    /// `chrony_sourcestats` (inputs.chrony's `sourcestats`).
    SourceStats,
    /// `chrony_activity` (inputs.chrony's `activity`).
    Activity,
    /// `chrony_serverstats` (inputs.chrony's `serverstats`; Unix socket
    /// only before chrony 4.7's `opencommands`).
    ServerStats,
    /// `chrony_selectdata` (not in inputs.chrony; Unix socket only before
    /// `opencommands`).
    SelectData,
    /// `chrony_ntpdata` (not in inputs.chrony; Unix socket only before
    /// `opencommands`).
    NtpData,
    /// `chrony_authdata` (not in inputs.chrony; Unix socket only before
    /// `opencommands`).
    AuthData,
}

impl Metric {
    /// Every metric, in the order a gather writes them.
    pub const ALL: [Metric; 8] = [
        Metric::Tracking,
        Metric::Sources,
        Metric::SourceStats,
        Metric::Activity,
        Metric::ServerStats,
        Metric::SelectData,
        Metric::NtpData,
        Metric::AuthData,
    ];

    /// inputs.chrony's default: tracking only.
    pub const DEFAULT: [Metric; 1] = [Metric::Tracking];

    /// The name on the command line (chronyc's command, as inputs.chrony's
    /// `metrics` setting names it).
    pub fn name(self) -> &'static str {
        self.report().name()
    }

    /// The report this metric reads.
    pub fn report(self) -> ReportKind {
        match self {
            Metric::Tracking => ReportKind::Tracking,
            Metric::Sources => ReportKind::Sources,
            Metric::SourceStats => ReportKind::SourceStats,
            Metric::Activity => ReportKind::Activity,
            Metric::ServerStats => ReportKind::ServerStats,
            Metric::SelectData => ReportKind::SelectData,
            Metric::NtpData => ReportKind::NtpData,
            Metric::AuthData => ReportKind::AuthData,
        }
    }

    /// The measurement written.
    pub fn measurement(self) -> &'static str {
        match self {
            Metric::Tracking => metric::MEASUREMENT,
            Metric::Sources => "chrony_sources",
            Metric::SourceStats => "chrony_sourcestats",
            Metric::Activity => "chrony_activity",
            Metric::ServerStats => "chrony_serverstats",
            Metric::SelectData => "chrony_selectdata",
            Metric::NtpData => "chrony_ntpdata",
            Metric::AuthData => "chrony_authdata",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric name that is not one of [`Metric::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMetric(String);

impl fmt::Display for UnknownMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        write!(
            f,
            "unknown metric '{}' (known: {})",
            crate::text::one_line(&self.0),
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownMetric {}

impl FromStr for Metric {
    type Err = UnknownMetric;

    fn from_str(s: &str) -> Result<Metric, UnknownMetric> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownMetric(s.to_string()))
    }
}

/// What a gather reads and how it writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    /// The metrics, each once, in [`Metric::ALL`]'s order.
    pub metrics: Vec<Metric>,
    /// How the `chrony` (tracking) line looks.
    pub format: Format,
    /// The deadline for the whole gather, all reports together.
    pub timeout: Duration,
}

impl Gather {
    /// A gather of `metrics` (duplicates dropped, sorted into
    /// [`Metric::ALL`]'s order; empty means [`Metric::DEFAULT`]).
    pub fn new(mut metrics: Vec<Metric>, format: Format, timeout: Duration) -> Gather {
        if metrics.is_empty() {
            metrics = Metric::DEFAULT.to_vec();
        }
        metrics.sort();
        metrics.dedup();
        Gather {
            metrics,
            format,
            timeout,
        }
    }

    /// Reads every metric through `tick` and appends their lines to `out`.
    /// [`Condition::Answering`] when every report was written;
    /// otherwise [`Condition::Failing`] naming each report that failed and
    /// why (the same text while the same reports fail the same way, so the
    /// status log writes one line per change), with the other reports'
    /// lines still in `out`.
    pub fn run(&self, tick: &mut Tick<'_>, out: &mut String) -> Condition {
        let start = Instant::now();
        let mut failures: Vec<String> = Vec::new();
        // The per-source names chrony_authdata tags its lines with.
        let mut sources: Option<Report> = None;
        for &metric in &self.metrics {
            let left = self.timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                failures.push(format!(
                    "{metric}: not read, the gather's timeout ({}) ran out",
                    crate::number::duration(self.timeout)
                ));
                continue;
            }
            let mark = out.len();
            match self.one(metric, tick, Instant::now() + left, &mut sources, out) {
                Ok(()) => {}
                // The run ends; this gather's output is dropped anyway.
                Err(Failure::Cancelled(why)) => return Condition::Failing(why),
                Err(Failure::Failed(why)) => {
                    out.truncate(mark);
                    failures.push(format!("{metric}: {why}"));
                }
            }
        }
        let address = tick
            .client()
            .address()
            .map(|a| a.to_string())
            .unwrap_or_default();
        condition(&failures, self.metrics.len(), address)
    }

    fn one(
        &self,
        metric: Metric,
        tick: &mut Tick<'_>,
        deadline: Instant,
        sources: &mut Option<Report>,
        out: &mut String,
    ) -> Result<(), Failure> {
        // The first read gets the whole timeout (its errors then name the
        // timeout as given); the later ones what is left of it.
        let first = metric == self.metrics[0];
        let left = || {
            if first {
                self.timeout
            } else {
                deadline.saturating_duration_since(Instant::now())
            }
        };
        if metric == Metric::Tracking {
            let timeout = left();
            let tracking = tick.read(|c, _, cancel| c.tracking_or_cancel(timeout, cancel));
            let now = SystemTime::now();
            let tracking = tracking?;
            let source = self.source_tag(tick);
            return metric::render(&tracking, &self.format, source.as_deref(), now, out)
                .ok_or_else(|| {
                    Failure::Failed(
                        "every value in the tracking report is NaN or infinite; no metric written"
                            .to_string(),
                    )
                });
        }
        let kind = metric.report();
        let timeout = left();
        let report = tick.read(|c, _, cancel| c.report_or_cancel(kind, timeout, cancel))?;
        let now = Timestamp::from_system_time(SystemTime::now()).unix_nanos();
        let source = self.source_tag(tick);
        let ctx = Context {
            source: source.as_deref(),
            timestamp_ns: now,
        };
        let data = |e: FieldError| Failure::Failed(format!("unexpected data from chronyd: {e}"));
        let empty = |what: &str| Failure::Failed(format!("chronyd sent no {what} record"));
        match metric {
            Metric::Tracking => unreachable!("handled above"),
            Metric::Sources => {
                reports::render_sources(&report, ctx, out).map_err(data)?;
                *sources = Some(report);
            }
            Metric::SourceStats => reports::render_sourcestats(&report, ctx, out).map_err(data)?,
            Metric::Activity => {
                let record = report.records.first().ok_or_else(|| empty("activity"))?;
                let a = Activity::from_record(record).map_err(data)?;
                reports::render_activity(&a, ctx, out);
            }
            Metric::ServerStats => {
                let record = report.records.first().ok_or_else(|| empty("serverstats"))?;
                reports::render_serverstats(record, ctx, out).map_err(data)?;
            }
            Metric::SelectData => reports::render_selectdata(&report, ctx, out).map_err(data)?,
            Metric::NtpData => reports::render_ntpdata(&report, ctx, out).map_err(data)?,
            Metric::AuthData => {
                if sources.is_none() {
                    let timeout = left();
                    let read = tick.read(|c, _, cancel| {
                        c.report_or_cancel(ReportKind::Sources, timeout, cancel)
                    })?;
                    *sources = Some(read);
                }
                let peers = sources
                    .as_ref()
                    .map(reports::peer_names)
                    .transpose()
                    .map_err(data)?
                    .unwrap_or_default();
                reports::render_authdata(&report, &peers, ctx, out).map_err(data)?;
            }
        }
        Ok(())
    }

    fn source_tag(&self, tick: &Tick<'_>) -> Option<String> {
        let client = tick.client();
        metric::source_tag(client.target(), client.address())
    }
}

/// The gather's condition from its failures (`"REPORT: why"` each) out of
/// `reports` read: answering when none failed; the reason alone when one
/// report was read or every report failed the same way (chronyd down), as
/// with tracking only; otherwise each failing report and why, joined by
/// `; `, the same text while the same reports fail the same way.
fn condition(failures: &[String], reports: usize, address: String) -> Condition {
    let why = |f: &String| {
        f.split_once(": ")
            .map_or(String::new(), |p| p.1.to_string())
    };
    if failures.is_empty() {
        return Condition::Answering(address);
    }
    let alike = failures.windows(2).all(|w| why(&w[0]) == why(&w[1]));
    if reports == 1 || (alike && failures.len() == reports) {
        return Condition::Failing(why(&failures[0]));
    }
    Condition::Failing(failures.join("; "))
}

/// Why one report of a gather gave no lines.
enum Failure {
    /// A termination signal cancelled the read: the run ends.
    Cancelled(String),
    /// chronyd (or the data) failed: said in the status line, the other
    /// reports still written.
    Failed(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        if e.kind() == ErrorKind::Cancelled {
            Failure::Cancelled(e.to_string())
        } else {
            Failure::Failed(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(m.name().parse::<Metric>(), Ok(m));
        }
        assert_eq!(
            "bogus".parse::<Metric>().unwrap_err().to_string(),
            "unknown metric 'bogus' (known: tracking, sources, sourcestats, activity, \
             serverstats, selectdata, ntpdata, authdata)"
        );
    }

    fn failing(text: &str) -> Condition {
        Condition::Failing(text.to_string())
    }

    #[test]
    fn conditions_from_failures() {
        let addr = || "127.0.0.1:323".to_string();
        assert_eq!(condition(&[], 3, addr()), Condition::Answering(addr()));
        let down = |m: &str| format!("{m}: 127.0.0.1:323: connection refused");
        // chronyd down: the reason alone, as with tracking only.
        assert_eq!(
            condition(&[down("tracking"), down("sources")], 2, addr()),
            failing("127.0.0.1:323: connection refused")
        );
        assert_eq!(
            condition(&[down("tracking")], 1, addr()),
            failing("127.0.0.1:323: connection refused")
        );
        // One report refused, the other written: named.
        let refused = "serverstats: 127.0.0.1:323: chronyd refused".to_string();
        assert_eq!(
            condition(std::slice::from_ref(&refused), 2, addr()),
            failing(&refused)
        );
        // Two different failures: both, in report order.
        let other = "ntpdata: 127.0.0.1:323: other".to_string();
        assert_eq!(
            condition(&[refused.clone(), other.clone()], 3, addr()),
            failing(&format!("{refused}; {other}"))
        );
    }

    #[test]
    fn default_is_tracking_and_order_is_fixed() {
        let g = Gather::new(vec![], Format::default(), Duration::from_secs(3));
        assert_eq!(g.metrics, vec![Metric::Tracking]);
        let g = Gather::new(
            vec![Metric::ServerStats, Metric::Tracking, Metric::ServerStats],
            Format::default(),
            Duration::from_secs(3),
        );
        assert_eq!(g.metrics, vec![Metric::Tracking, Metric::ServerStats]);
    }
}
