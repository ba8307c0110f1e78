//! One record of the `selectdata` report: why chronyd selects a source or not.

use super::{parse_ip, source_name, FieldError, Model, Record, ReportKind};
use crate::tracking::LeapStatus;
use serde::Serialize;
use std::net::IpAddr;

/// The options of a source that affect selection (`noselect`, `prefer`,
/// `trust`, `require`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SelectOptions {
    /// `noselect`: never selected.
    pub noselect: bool,
    /// `prefer`: preferred over the others.
    pub prefer: bool,
    /// `trust`: assumed correct when others disagree.
    pub trust: bool,
    /// `require`: must be selectable for any source to be selected.
    pub require: bool,
}

impl SelectOptions {
    fn from_bits(bits: u64) -> SelectOptions {
        SelectOptions {
            noselect: bits & 0x1 != 0,
            prefer: bits & 0x2 != 0,
            trust: bits & 0x4 != 0,
            require: bits & 0x8 != 0,
        }
    }

    /// The four option letters: `N`, `P`, `T`, `R` or `-`. chronyc 4.3
    /// prints a fifth after them that is always `-` (no option bit behind
    /// it); the `selectdata` table adds it, values elsewhere do not.
    pub fn letters(self) -> String {
        [
            (self.noselect, 'N'),
            (self.prefer, 'P'),
            (self.trust, 'T'),
            (self.require, 'R'),
        ]
        .iter()
        .map(|&(on, c)| if on { c } else { '-' })
        .collect()
    }
}

/// A line of `chronyc selectdata`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelectData {
    /// `address`: the source's IP address; `None` for a reference clock.
    pub address: Option<IpAddr>,
    /// `reference ID`.
    pub reference_id: u32,
    /// The IP address, or the reference clock's id as text.
    pub name: String,
    /// `state` as chronyc's letter: `*` best, `+` combined, `x`
    /// falseticker, `~` jittery, `N` ignored (noselect), `s` not
    /// synchronised, `M` missing samples, `d`/`D` distance, `w`/`W`
    /// waiting, `S` stale, `O` orphan, `T` not trusted, `P` not preferred,
    /// `U` waiting for update.
    pub state: char,
    /// `state` in libchrony's words (`falseticker`, `missing samples`).
    pub state_name: Option<String>,
    /// `authentication`: whether the source is authenticated (NTS, key).
    pub authenticated: bool,
    /// `leap status` the source announces.
    pub leap_status: Option<LeapStatus>,
    /// `configured options`.
    pub configured_options: SelectOptions,
    /// `effective options` (chronyd may have dropped some).
    pub effective_options: SelectOptions,
    /// `last sample ago`, seconds; `None` before the first sample.
    pub last_sample_ago: Option<u32>,
    /// `score`: the selection score (lower is better).
    pub score: f64,
    /// `low limit`, seconds: the low end of the source's interval.
    pub low_limit: f64,
    /// `high limit`, seconds: the high end of the source's interval.
    pub high_limit: f64,
}

impl Model for SelectData {
    const REPORT: ReportKind = ReportKind::SelectData;

    fn from_record(r: &Record) -> Result<SelectData, FieldError> {
        let reference_id: u32 = r.unsigned_as("reference ID")?;
        let text = r.text("address")?;
        let address = parse_ip(text);
        let state: u8 = r.unsigned_as("state")?;
        let ago: u32 = r.unsigned_as("last sample ago")?;
        Ok(SelectData {
            address,
            reference_id,
            name: source_name(address, text, reference_id),
            state: char::from(state),
            state_name: r.constants("state")?.first().cloned(),
            authenticated: r.unsigned("authentication")? != 0,
            leap_status: LeapStatus::from_code(r.unsigned("leap status")?),
            configured_options: SelectOptions::from_bits(r.unsigned("configured options")?),
            effective_options: SelectOptions::from_bits(r.unsigned("effective options")?),
            last_sample_ago: (ago != u32::MAX).then_some(ago),
            score: r.float("score")?,
            low_limit: r.float("low limit")?,
            high_limit: r.float("high limit")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    #[test]
    fn reads_every_field() {
        let s = SelectData::from_record(&samples::selectdata_record()).unwrap();
        assert_eq!(s.name, "127.0.0.5");
        assert_eq!(s.state, 'N');
        assert_eq!(s.state_name.as_deref(), Some("ignored"));
        assert!(s.configured_options.noselect);
        assert_eq!(s.configured_options.letters(), "N---");
        assert_eq!(s.leap_status, Some(LeapStatus::Normal));
    }
}
