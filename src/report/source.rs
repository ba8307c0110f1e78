//! One record of the `sources` report: a source as `chronyc sources` shows it.

use super::{parse_ip, source_name, FieldError, Model, Record, ReportKind};
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

/// How chronyd uses a source (the `sources` report's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceMode {
    /// An NTP server (`server`, `pool`): chronyc's `^`.
    Server,
    /// A symmetric peer (`peer`): chronyc's `=`.
    Peer,
    /// A reference clock (`refclock`): chronyc's `#`.
    #[serde(rename = "refclock")]
    RefClock,
    /// A mode this crate does not know (a newer chronyd).
    Unknown(u16),
}

impl SourceMode {
    fn from_code(code: u16) -> SourceMode {
        match code {
            0 => SourceMode::Server,
            1 => SourceMode::Peer,
            2 => SourceMode::RefClock,
            other => SourceMode::Unknown(other),
        }
    }

    /// chronyc's mode character: `^`, `=`, `#` (`?` when unknown).
    pub fn symbol(self) -> char {
        match self {
            SourceMode::Server => '^',
            SourceMode::Peer => '=',
            SourceMode::RefClock => '#',
            SourceMode::Unknown(_) => '?',
        }
    }
}

/// What chronyd's source selection made of a source (the `sources`
/// report's `state`). libchrony's constant names differ from chronyc's
/// words: libchrony `unselected` is chronyc's `+` (combined), and
/// `selectable` is `-` (not combined).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// `*`: the source the clock is synchronised to.
    Selected,
    /// `+`: acceptable and combined with the selected source.
    Combined,
    /// `-`: acceptable but left out of the combination.
    Selectable,
    /// `x`: a falseticker (its time disagrees with the majority).
    Falseticker,
    /// `~`: too variable (jittery).
    Jittery,
    /// `?`: not selectable (unreachable, no samples yet, `noselect`,
    /// too far, ...).
    Nonselectable,
    /// A state this crate does not know (a newer chronyd).
    Unknown(u16),
}

impl SourceState {
    fn from_code(code: u16) -> SourceState {
        match code {
            0 => SourceState::Selected,
            1 => SourceState::Nonselectable,
            2 => SourceState::Falseticker,
            3 => SourceState::Jittery,
            4 => SourceState::Combined,
            5 => SourceState::Selectable,
            other => SourceState::Unknown(other),
        }
    }

    /// chronyc's state character: `*`, `+`, `-`, `x`, `~`, `?`.
    pub fn symbol(self) -> char {
        match self {
            SourceState::Selected => '*',
            SourceState::Combined => '+',
            SourceState::Selectable => '-',
            SourceState::Falseticker => 'x',
            SourceState::Jittery => '~',
            SourceState::Nonselectable | SourceState::Unknown(_) => '?',
        }
    }

    /// Whether chronyd would use the source: selected, combined or selectable.
    pub fn is_usable(self) -> bool {
        matches!(
            self,
            SourceState::Selected | SourceState::Combined | SourceState::Selectable
        )
    }

    /// A word for people and JSON: `selected`, `combined`, `selectable`,
    /// `falseticker`, `jittery`, `nonselectable`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Selected => "selected",
            SourceState::Combined => "combined",
            SourceState::Selectable => "selectable",
            SourceState::Falseticker => "falseticker",
            SourceState::Jittery => "jittery",
            SourceState::Nonselectable => "nonselectable",
            SourceState::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for SourceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One source of chronyd, as a line of `chronyc sources`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// The source's IP address (`address`); `None` for a reference clock
    /// (and for an address that is not an IP yet, such as an unresolved name).
    pub address: Option<IpAddr>,
    /// A reference clock's id (`reference ID`: `GPS`, `PPS` as 4 ASCII
    /// bytes); `None` for NTP sources.
    pub reference_id: Option<u32>,
    /// What chronyc shows in its "Name/IP address" column: the IP address,
    /// or the reference clock's id as text (`GPS`).
    pub name: String,
    /// `mode`: server, peer or reference clock.
    pub mode: SourceMode,
    /// `state`: what the source selection made of it.
    pub state: SourceState,
    /// `reachability`: the reach register, one bit per poll, newest in
    /// bit 0 (chronyc prints it in octal: 377 = the last 8 answered).
    pub reach: u8,
    /// `stratum`: the source's stratum (0 for a reference clock; 0 also
    /// before its first sample).
    pub stratum: u32,
    /// `poll`: polling interval as a power of 2 seconds (-2 = 0.25 s).
    pub poll: i16,
    /// `last sample ago`, seconds since the last sample; `None` when there
    /// has been none (chronyd sends 2^32 - 1).
    pub last_sample_ago: Option<u32>,
    /// `original last sample offset`, seconds (chronyc's value in brackets).
    pub original_offset: f64,
    /// `adjusted last sample offset`, seconds: the offset of the last
    /// sample adjusted for clock updates since (chronyc's first number).
    pub adjusted_offset: f64,
    /// `last sample error`, seconds (chronyc's `+/-`).
    pub error: f64,
}

impl Source {
    /// The fraction of the last 8 polls answered (0 to 1).
    pub fn reachability(&self) -> f64 {
        f64::from(self.reach.count_ones()) / 8.0
    }

    /// Whether at least one of the last 8 polls was answered.
    pub fn is_reachable(&self) -> bool {
        self.reach != 0
    }
}

impl Model for Source {
    const REPORT: ReportKind = ReportKind::Sources;

    fn from_record(r: &Record) -> Result<Source, FieldError> {
        let mode = SourceMode::from_code(r.unsigned_as("mode")?);
        // libchrony names the first field after what it holds: `reference
        // ID` for a reference clock, `address` for the rest.
        let (address, reference_id, name) = match r.get("reference ID") {
            Some(_) if r.get("address").is_none() => {
                let id: u32 = r.unsigned_as("reference ID")?;
                (None, Some(id), source_name(None, None, id))
            }
            _ => {
                let text = r.text("address")?;
                let ip = parse_ip(text);
                (ip, None, source_name(ip, text, 0))
            }
        };
        let ago: u32 = r.unsigned_as("last sample ago")?;
        let poll = r.signed("poll")?;
        Ok(Source {
            address,
            reference_id,
            name,
            mode,
            state: SourceState::from_code(r.unsigned_as("state")?),
            reach: r.unsigned_as("reachability")?,
            stratum: r.unsigned_as("stratum")?,
            poll: i16::try_from(poll)
                .map_err(|_| FieldError::new("poll", format!("is {poll}, out of range")))?,
            last_sample_ago: (ago != u32::MAX).then_some(ago),
            original_offset: r.float("original last sample offset")?,
            adjusted_offset: r.float("adjusted last sample offset")?,
            error: r.float("last sample error")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::samples;

    #[test]
    fn server_source() {
        let s = Source::from_record(&samples::source_record()).unwrap();
        assert_eq!(s.address, Some("127.0.0.2".parse().unwrap()));
        assert_eq!(s.name, "127.0.0.2");
        assert_eq!(s.reference_id, None);
        assert_eq!(s.mode, SourceMode::Server);
        assert_eq!(s.state, SourceState::Selected);
        assert_eq!(s.poll, -2);
        assert_eq!(s.reach, 0o377);
        assert_eq!(s.reachability(), 1.0);
        assert_eq!(s.last_sample_ago, Some(1));
    }

    #[test]
    fn refclock_source_named_by_refid() {
        let s = Source::from_record(&samples::refclock_record()).unwrap();
        assert_eq!(s.address, None);
        assert_eq!(s.reference_id, Some(u32::from_be_bytes(*b"GPS\0")));
        assert_eq!(s.name, "GPS");
        assert_eq!(s.mode, SourceMode::RefClock);
        assert_eq!(s.mode.symbol(), '#');
    }

    #[test]
    fn libchrony_state_names_map_to_chronyc_symbols() {
        // libchrony "unselected" (4) is chronyc's '+', "selectable" (5) '-'.
        assert_eq!(SourceState::from_code(4).symbol(), '+');
        assert_eq!(SourceState::from_code(5).symbol(), '-');
        assert_eq!(SourceState::from_code(2).symbol(), 'x');
        assert_eq!(SourceState::from_code(3).symbol(), '~');
        assert_eq!(SourceState::from_code(1).symbol(), '?');
        assert_eq!(SourceState::from_code(9), SourceState::Unknown(9));
    }

    #[test]
    fn no_sample_yet() {
        let mut r = samples::source_record();
        samples::set(
            &mut r,
            "last sample ago",
            crate::report::Value::Unsigned(u64::from(u32::MAX)),
        );
        samples::set(&mut r, "reachability", crate::report::Value::Unsigned(0));
        let s = Source::from_record(&r).unwrap();
        assert_eq!(s.last_sample_ago, None);
        assert!(!s.is_reachable());
    }

    #[test]
    fn unresolved_address_keeps_its_text() {
        let mut r = samples::source_record();
        samples::set(
            &mut r,
            "address",
            crate::report::Value::Text("ID#0000000001".into()),
        );
        let s = Source::from_record(&r).unwrap();
        assert_eq!(s.address, None);
        assert_eq!(s.name, "ID#0000000001");
    }

    #[test]
    fn reach_beyond_8_bits_is_an_error() {
        let mut r = samples::source_record();
        samples::set(
            &mut r,
            "reachability",
            crate::report::Value::Unsigned(0x1ff),
        );
        assert_eq!(Source::from_record(&r).unwrap_err().field, "reachability");
    }
}
