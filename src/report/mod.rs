//! Any of chronyd's reports, read through libchrony's generic API: records
//! of named, typed fields ([`Report`], [`Record`], [`Field`]), and typed
//! models built from them ([`Source`], [`SourceStats`], [`SelectData`],
//! [`Activity`], [`ServerStats`], [`NtpData`], [`AuthData`], and
//! [`crate::Tracking`]).
//!
//! Fields are always looked up by name, never by position: their order and
//! number vary with chronyd's version (serverstats has four layouts).

mod fields;
mod kind;
mod misc;
mod pair;
mod select;
mod source;
mod stats;
pub mod text;
mod tracking;

pub use fields::{Content, Field, FieldError, Record, Value};
pub use kind::{ReportKind, UnknownReport};
pub use misc::{Activity, AuthData, NtpData, ServerStats};
pub use pair::{pair, pair_models, read_sources_with_stats, SourceEntry};
pub use select::{SelectData, SelectOptions};
pub use source::{Source, SourceMode, SourceState};
pub use stats::SourceStats;

use serde::Serialize;

/// A whole report: its kind and its records, in chronyd's order (for the
/// per-source reports, the order of chronyd's source table, the same in
/// `sources`, `sourcestats`, `selectdata`, `ntpdata` and `authdata`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Which report this is.
    pub kind: ReportKind,
    /// The records. A record of `ntpdata` or `authdata` for a reference
    /// clock has no fields (such a source has no NTP or authentication data).
    pub records: Vec<Record>,
}

impl Report {
    /// Every record as a typed model; records without fields (reference
    /// clocks in `ntpdata` and `authdata`) are left out.
    pub fn models<M: Model>(&self) -> Result<Vec<M>, FieldError> {
        self.records
            .iter()
            .filter(|r| !r.fields.is_empty())
            .map(M::from_record)
            .collect()
    }

    /// Every record as a typed model, `None` for a record without fields,
    /// so that index `i` stays the `i`-th source of the per-source reports.
    pub fn indexed_models<M: Model>(&self) -> Result<Vec<Option<M>>, FieldError> {
        self.records
            .iter()
            .map(|r| {
                if r.fields.is_empty() {
                    Ok(None)
                } else {
                    M::from_record(r).map(Some)
                }
            })
            .collect()
    }
}

/// A typed view of one record of one report.
pub trait Model: Sized {
    /// The report whose records this model reads.
    const REPORT: ReportKind;

    /// Reads the model's fields from `record`, by name.
    fn from_record(record: &Record) -> Result<Self, FieldError>;
}

/// The display name of a source: its IP address, or for a reference clock
/// (or an address libchrony gives as text, such as an unresolved `ID#...`)
/// that text or the reference id's ASCII name (`GPS`, `PPS`).
fn source_name(address: Option<std::net::IpAddr>, text: Option<&str>, reference_id: u32) -> String {
    match (address, text) {
        (Some(ip), _) => ip.to_string(),
        (None, Some(text)) if !text.is_empty() => text.to_string(),
        (None, _) => crate::tracking::reference_name(reference_id, None),
    }
}

/// An address field as an IP: `None` for NULL (reference clocks) and for
/// text that is not an IP address (`ID#0000000001` for an unresolved source).
fn parse_ip(text: Option<&str>) -> Option<std::net::IpAddr> {
    text.and_then(|t| t.parse().ok())
}

#[cfg(test)]
pub(crate) mod samples;
