//! Each source of chronyd with its `sourcestats` record: what collectd's
//! chrony plugin and Telegraf's `sources`/`sourcestats` metrics read per
//! source, in one place.
//!
//! The `sources` and `sourcestats` reports list the sources in the same
//! order (chronyd's source table), but they are two reads: a source can
//! come or go in between, and chronyd has no statistics for a source it
//! just added (libchrony's "no such source", which the client turns into an
//! empty record). So records are paired by source name, never by position
//! alone, and a source without statistics gets `None`.

use super::{FieldError, Report, Source, SourceStats};
use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::report::ReportKind;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// One source and, when chronyd has them, its statistics.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceEntry {
    /// The `sources` record.
    pub source: Source,
    /// The `sourcestats` record of the same source; `None` when chronyd had
    /// none for it (a source added a moment ago, or one that appeared
    /// between the two reads).
    pub stats: Option<SourceStats>,
}

/// Pairs every record of `sources` with the `sourcestats` record of the
/// same source (same name: IP address, or a reference clock's id), in the
/// order of `sources`. Empty records (no such source) pair with nothing.
pub fn pair(sources: &Report, stats: &Report) -> Result<Vec<SourceEntry>, FieldError> {
    let sources: Vec<Source> = sources.models()?;
    let stats: Vec<Option<SourceStats>> = stats.indexed_models()?;
    Ok(pair_models(sources, stats))
}

/// [`pair`] on models already read: `stats[i]` is tried first for
/// `sources[i]` (the usual case, no search), then any other.
pub fn pair_models(sources: Vec<Source>, mut stats: Vec<Option<SourceStats>>) -> Vec<SourceEntry> {
    sources
        .into_iter()
        .enumerate()
        .map(|(i, source)| {
            let same = |s: &Option<SourceStats>| s.as_ref().is_some_and(|s| s.name == source.name);
            let at = if stats.get(i).is_some_and(same) {
                Some(i)
            } else {
                stats.iter().position(same)
            };
            let stats = at.and_then(|at| stats[at].take());
            SourceEntry { source, stats }
        })
        .collect()
}

/// Reads `sources`, then `sourcestats`, both within `timeout` in all, and
/// pairs them; `cancel` (a readable fd, see [`Client::tracking_or_cancel`])
/// ends the reads at once. A failed read fails the whole.
pub fn read_sources_with_stats(
    client: &mut Client,
    timeout: Duration,
    cancel: Option<RawFd>,
) -> Result<Vec<SourceEntry>, Error> {
    let start = Instant::now();
    let mut read = |kind| {
        // What the first read left of the time (at least 1 µs: a zero
        // timeout is refused rather than tried).
        let left = timeout
            .saturating_sub(start.elapsed())
            .max(Duration::from_micros(1));
        match cancel {
            Some(fd) => client.report_or_cancel(kind, left, fd),
            None => client.report(kind, left),
        }
    };
    let sources = read(ReportKind::Sources)?;
    let stats = read(ReportKind::SourceStats)?;
    pair(&sources, &stats).map_err(|e| {
        Error::new(
            ErrorKind::Data,
            client.address(),
            format!("bad sources or sourcestats report: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;
    use crate::report::Record;

    fn report(kind: ReportKind, records: Vec<Record>) -> Report {
        Report { kind, records }
    }

    #[test]
    fn pairs_by_position() {
        let s = report(ReportKind::Sources, vec![samples::source_record()]);
        let st = report(ReportKind::SourceStats, vec![samples::sourcestats_record()]);
        let entries = pair(&s, &st).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].stats.as_ref().unwrap().name, "127.0.0.2");
    }

    #[test]
    fn no_such_source_pairs_with_nothing() {
        let s = report(ReportKind::Sources, vec![samples::source_record()]);
        let st = report(ReportKind::SourceStats, vec![Record::default()]);
        let entries = pair(&s, &st).unwrap();
        assert_eq!(entries[0].stats, None);
    }

    #[test]
    fn shifted_records_pair_by_name() {
        let s = report(ReportKind::Sources, vec![samples::source_record()]);
        let mut other = samples::sourcestats_record();
        samples::set(
            &mut other,
            "address",
            crate::report::Value::Text("127.0.0.9".into()),
        );
        let st = report(
            ReportKind::SourceStats,
            vec![other, samples::sourcestats_record()],
        );
        let entries = pair(&s, &st).unwrap();
        assert_eq!(entries[0].stats.as_ref().unwrap().name, "127.0.0.2");
    }

    #[test]
    fn missing_stats_is_none() {
        let s = report(ReportKind::Sources, vec![samples::source_record()]);
        let st = report(ReportKind::SourceStats, vec![]);
        assert_eq!(pair(&s, &st).unwrap()[0].stats, None);
    }
}
