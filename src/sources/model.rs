//! What the check needs of one source in chronyd's `sources` report: a small
//! view, independent of how the core reads the report, so that the check is
//! a pure function of a list of these.

use crate::report::{self, SourceMode, SourceState};
use std::fmt;
use std::net::IpAddr;

/// How chronyd talks to a source (chronyc's first column: `^`, `=`, `#`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An NTP server (`server`, `pool`): `^`.
    Client,
    /// A symmetric peer (`peer`): `=`.
    Peer,
    /// A reference clock (`refclock`): `#`.
    RefClock,
    /// A mode this check does not know (a newer chronyd): `?`.
    Unknown,
}

impl Mode {
    /// chronyc's symbol for the mode.
    pub fn symbol(self) -> char {
        match self {
            Mode::Client => '^',
            Mode::Peer => '=',
            Mode::RefClock => '#',
            Mode::Unknown => '?',
        }
    }

    /// The word in the check's output.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Client => "server",
            Mode::Peer => "peer",
            Mode::RefClock => "refclock",
            Mode::Unknown => "unknown mode",
        }
    }
}

/// Where chronyd's source selection put a source (chronyc's second column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// `*`: the source the clock is synchronised to.
    Selected,
    /// `+`: acceptable and combined with the selected one.
    Combined,
    /// `-`: acceptable but left out by the combining algorithm.
    Selectable,
    /// `x`: disagrees with the majority (a falseticker).
    Falseticker,
    /// `~`: its jitter is too large to be used.
    Jittery,
    /// `?`: cannot be selected: unreachable, too few samples, `noselect`,
    /// too far, or not yet evaluated.
    Nonselectable,
    /// A state this check does not know (a newer chronyd): not usable.
    Unknown,
}

impl Selection {
    /// chronyc's symbol for the state.
    pub fn symbol(self) -> char {
        match self {
            Selection::Selected => '*',
            Selection::Combined => '+',
            Selection::Selectable => '-',
            Selection::Falseticker => 'x',
            Selection::Jittery => '~',
            Selection::Nonselectable | Selection::Unknown => '?',
        }
    }

    /// The word in the check's output.
    pub fn as_str(self) -> &'static str {
        match self {
            Selection::Selected => "selected",
            Selection::Combined => "combined",
            Selection::Selectable => "selectable",
            Selection::Falseticker => "falseticker",
            Selection::Jittery => "jittery",
            Selection::Nonselectable => "not selectable",
            Selection::Unknown => "unknown state",
        }
    }

    /// Whether chronyd's selection accepts the source: selected, combined
    /// with it, or acceptable but not combined. These are the "truechimers"
    /// a host can fall back on when the selected source goes.
    pub fn is_usable(self) -> bool {
        matches!(
            self,
            Selection::Selected | Selection::Combined | Selection::Selectable
        )
    }
}

/// One source as the check sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// What `chronyc -n sources` shows: the IP address, a refclock's refid
    /// (`GPS`), or chronyd's id of a source not resolved yet.
    pub name: String,
    /// The source's IP address; `None` for a reference clock (and an NTP
    /// source whose name is not resolved yet).
    pub address: Option<IpAddr>,
    /// How chronyd talks to it.
    pub mode: Mode,
    /// Where the selection put it.
    pub selection: Selection,
    /// The reach register: one bit per poll, 1 when it was answered; the
    /// newest poll is the lowest bit.
    pub reach: u8,
    /// The source's stratum.
    pub stratum: u32,
    /// log2 of the polling interval in seconds (negative below 1 s).
    pub poll: i32,
    /// Seconds since the last good sample; `None` when there was none.
    pub last_sample_ago: Option<u64>,
    /// Offset of the last sample, adjusted for clock changes since (s);
    /// positive: the source is ahead of the local clock.
    pub offset: f64,
    /// Error bound of the last sample (s).
    pub error: f64,
    /// Offset of the last sample as measured, before later clock
    /// adjustments (s), for `-vvv`.
    pub original_offset: f64,
    /// A reference clock's id as chronyd sent it, for `-vvv`.
    pub reference_id: Option<u32>,
    /// Why chronyd's selection treats the source as it does, from the
    /// `selectdata` report when it could be read (`-v` only): chronyc
    /// selectdata's state letter and word, and the effective options.
    pub reason: Option<String>,
}

impl Source {
    /// The source's name as chronyc -n prints it: the address, or a
    /// refclock's id (`GPS`), or chronyd's id of an unresolved source.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the source answered at least one of the last 8 polls.
    pub fn is_reachable(&self) -> bool {
        self.reach != 0
    }

    /// Percentage of the last 8 polls answered (0, 12.5, ..., 100).
    pub fn reach_percent(&self) -> f64 {
        f64::from(self.reach.count_ones()) * 12.5
    }

    /// Whether there is a last sample (offset and error mean something).
    pub fn has_sample(&self) -> bool {
        self.last_sample_ago.is_some()
    }

    /// The worst case of the last sample's offset: |offset| + error (s).
    pub fn offset_bound(&self) -> f64 {
        self.offset.abs() + self.error
    }
}

impl From<&report::Source> for Source {
    fn from(s: &report::Source) -> Source {
        Source {
            name: s.name.clone(),
            address: s.address,
            mode: match s.mode {
                SourceMode::Server => Mode::Client,
                SourceMode::Peer => Mode::Peer,
                SourceMode::RefClock => Mode::RefClock,
                _ => Mode::Unknown,
            },
            selection: match s.state {
                SourceState::Selected => Selection::Selected,
                SourceState::Combined => Selection::Combined,
                SourceState::Selectable => Selection::Selectable,
                SourceState::Falseticker => Selection::Falseticker,
                SourceState::Jittery => Selection::Jittery,
                SourceState::Nonselectable => Selection::Nonselectable,
                _ => Selection::Unknown,
            },
            reach: s.reach,
            stratum: s.stratum,
            poll: i32::from(s.poll),
            last_sample_ago: s.last_sample_ago.map(u64::from),
            offset: s.adjusted_offset,
            error: s.error,
            original_offset: s.original_offset,
            reference_id: s.reference_id,
            reason: None,
        }
    }
}

/// Adds to each source the `selectdata` record of the same name (state
/// letter and word, effective options), for `-v`.
pub fn annotate(sources: &mut [Source], select: &[report::SelectData]) {
    for s in sources {
        if let Some(d) = select.iter().find(|d| d.name == s.name) {
            let word = d
                .state_name
                .as_deref()
                .map(|w| format!(" {w}"))
                .unwrap_or_default();
            s.reason = Some(format!(
                "selectdata {}{word}, options {}",
                d.state,
                d.effective_options.letters()
            ));
        }
    }
}

/// How a source is named on the command line (`--require`, `--ignore`):
/// an IP address (any spelling of it), or a reference id of 1 to 4 printable
/// ASCII characters (a refclock's `refid`, as `chronyc -n sources` shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Matches the source with this address.
    Address(IpAddr),
    /// Matches the source without address named this.
    RefId(String),
}

impl Selector {
    /// Parses an argument; the error says what is accepted.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let t = text.trim();
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Selector::Address(ip));
        }
        // `[2001:db8::1]`, as the address is often written.
        if let Some(ip) = t
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .and_then(|r| r.parse::<IpAddr>().ok())
        {
            return Ok(Selector::Address(ip));
        }
        if (1..=4).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_graphic()) {
            return Ok(Selector::RefId(t.to_string()));
        }
        // A refid with a byte that is not printable ASCII (`refid Gé`) is
        // named by its 8 hex digits (`47C3A900`), as the check prints it.
        if t.len() == 8 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Selector::RefId(t.to_ascii_uppercase()));
        }
        Err(
            "expected an IP address or a reference clock's refid (1 to 4 characters, \
             or the 8 hex digits the check names it by) as chronyc -n sources prints it \
             (host names are not resolved)"
                .to_string(),
        )
    }

    /// Whether `source` is the one meant.
    pub fn matches(&self, source: &Source) -> bool {
        match (self, source.address) {
            (Selector::Address(ip), Some(a)) => canonical(*ip) == canonical(a),
            (Selector::RefId(id), None) => source.name == *id,
            _ => false,
        }
    }
}

impl Selector {
    /// Whether `self` and `other` name the same source, however spelt.
    pub fn same(&self, other: &Selector) -> bool {
        match (self, other) {
            (Selector::Address(a), Selector::Address(b)) => canonical(*a) == canonical(*b),
            (Selector::RefId(a), Selector::RefId(b)) => a == b,
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses compare as the IPv4 address they stand for.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Address(ip) => write!(f, "{ip}"),
            Selector::RefId(id) => f.write_str(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(address: Option<&str>, name: &str) -> Source {
        Source {
            name: address
                .unwrap_or(name)
                .parse::<IpAddr>()
                .map(|a| a.to_string())
                .unwrap_or(name.to_string()),
            address: address.map(|a| a.parse().unwrap()),
            mode: Mode::Client,
            selection: Selection::Selected,
            reach: 0o377,
            stratum: 2,
            poll: 6,
            last_sample_ago: Some(3),
            offset: -0.001,
            error: 0.0005,
            original_offset: -0.001,
            reference_id: None,
            reason: None,
        }
    }

    #[test]
    fn reach_percent_counts_answered_polls() {
        let mut s = source(Some("192.0.2.1"), "");
        assert_eq!(s.reach_percent(), 100.0);
        s.reach = 0o17;
        assert_eq!(s.reach_percent(), 50.0);
        s.reach = 0;
        assert_eq!(s.reach_percent(), 0.0);
        assert!(!s.is_reachable());
    }

    #[test]
    fn from_the_core_model() {
        let core = report::Source {
            address: None,
            reference_id: Some(0x4750_5300),
            name: "GPS".to_string(),
            mode: SourceMode::RefClock,
            state: SourceState::Unknown(9),
            reach: 0o17,
            stratum: 0,
            poll: -2,
            last_sample_ago: None,
            original_offset: 0.5,
            adjusted_offset: 0.25,
            error: 0.001,
        };
        let s = Source::from(&core);
        assert_eq!(s.name(), "GPS");
        assert_eq!(s.mode, Mode::RefClock);
        assert_eq!(s.selection, Selection::Unknown);
        assert!(!s.selection.is_usable());
        assert_eq!(s.poll, -2);
        assert!(!s.has_sample());
        assert_eq!(s.offset, 0.25, "the adjusted offset");
        assert_eq!(s.original_offset, 0.5);
        assert_eq!(s.reference_id, Some(0x4750_5300));
    }

    #[test]
    fn selectors() {
        let v6 = source(Some("2001:db8::1"), "");
        assert!(Selector::parse("2001:DB8:0::1").unwrap().matches(&v6));
        assert!(Selector::parse("[2001:db8::1]").unwrap().matches(&v6));
        let v4 = source(Some("192.0.2.1"), "");
        assert!(Selector::parse("::ffff:192.0.2.1").unwrap().matches(&v4));
        assert!(!Selector::parse("192.0.2.2").unwrap().matches(&v4));
        let gps = source(None, "GPS");
        assert!(Selector::parse("GPS").unwrap().matches(&gps));
        assert!(!Selector::parse("gps").unwrap().matches(&gps));
        // A refid never matches an NTP source, even one whose address
        // would read as those characters.
        assert!(!Selector::parse("GPS").unwrap().matches(&v4));
    }

    #[test]
    fn selector_names_a_refid_that_is_not_printable_by_its_hex() {
        // chronyd's `refid Gé` (47 C3 A9 00): the check names it 47C3A900.
        let r: report::Source = {
            let mut rec = crate::report::samples::refclock_record();
            crate::report::samples::set(
                &mut rec,
                "reference ID",
                crate::report::Value::Unsigned(0x47C3_A900),
            );
            crate::report::Model::from_record(&rec).unwrap()
        };
        let s = Source::from(&r);
        assert_eq!(s.name(), "47C3A900");
        assert!(Selector::parse("47C3A900").unwrap().matches(&s));
        assert!(Selector::parse("47c3a900").unwrap().matches(&s));
    }

    #[test]
    fn selector_refuses_host_names() {
        for bad in ["ntp.example.com", "", "a b", "GPS1x"] {
            let e = Selector::parse(bad).unwrap_err();
            assert!(e.contains("host names are not resolved"), "{bad}: {e}");
        }
    }
}
