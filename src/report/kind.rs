//! The reports libchrony knows, named in one place.

use serde::Serialize;
use std::ffi::CStr;
use std::fmt;
use std::str::FromStr;

/// One of the reports libchrony 0.2 can read (the names `chronyc` uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// `tracking`: how the system clock follows its reference (1 record).
    Tracking,
    /// `sources`: one record per source (state, reach, last sample).
    Sources,
    /// `sourcestats`: one record per source (regression over its samples).
    SourceStats,
    /// `selectdata`: one record per source (why it is, or is not, selected).
    /// Unix socket only before chrony 4.7's `opencommands`.
    SelectData,
    /// `activity`: how many sources are online, offline, unresolved (1 record).
    Activity,
    /// `serverstats`: requests served and dropped (1 record). Unix socket only
    /// before chrony 4.7's `opencommands`.
    ServerStats,
    /// `ntpdata`: the last NTP exchange with each NTP source (none for
    /// reference clocks). Unix socket only before `opencommands`.
    NtpData,
    /// `authdata`: authentication (NTS, keys) of each NTP source (none for
    /// reference clocks). Unix socket only before `opencommands`.
    AuthData,
    /// `rtcdata`: the real-time clock's tracking (1 record; only with `rtcfile`).
    RtcData,
    /// `smoothing`: time smoothing (1 record; only with `smoothtime`).
    Smoothing,
}

impl ReportKind {
    /// Every report, in the order `chrony-report` lists them.
    pub const ALL: [ReportKind; 10] = [
        ReportKind::Tracking,
        ReportKind::Sources,
        ReportKind::SourceStats,
        ReportKind::SelectData,
        ReportKind::Activity,
        ReportKind::ServerStats,
        ReportKind::NtpData,
        ReportKind::AuthData,
        ReportKind::RtcData,
        ReportKind::Smoothing,
    ];

    /// The name libchrony and chronyc use (`sourcestats`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ReportKind::Tracking => "tracking",
            ReportKind::Sources => "sources",
            ReportKind::SourceStats => "sourcestats",
            ReportKind::SelectData => "selectdata",
            ReportKind::Activity => "activity",
            ReportKind::ServerStats => "serverstats",
            ReportKind::NtpData => "ntpdata",
            ReportKind::AuthData => "authdata",
            ReportKind::RtcData => "rtcdata",
            ReportKind::Smoothing => "smoothing",
        }
    }

    /// The name as libchrony takes it.
    pub(crate) fn c_name(self) -> &'static CStr {
        match self {
            ReportKind::Tracking => c"tracking",
            ReportKind::Sources => c"sources",
            ReportKind::SourceStats => c"sourcestats",
            ReportKind::SelectData => c"selectdata",
            ReportKind::Activity => c"activity",
            ReportKind::ServerStats => c"serverstats",
            ReportKind::NtpData => c"ntpdata",
            ReportKind::AuthData => c"authdata",
            ReportKind::RtcData => c"rtcdata",
            ReportKind::Smoothing => c"smoothing",
        }
    }

    /// Whether the report has one record per source (its record count
    /// costs a round trip to chronyd).
    pub fn per_source(self) -> bool {
        matches!(
            self,
            ReportKind::Sources
                | ReportKind::SourceStats
                | ReportKind::SelectData
                | ReportKind::NtpData
                | ReportKind::AuthData
        )
    }

    /// Whether chronyd before 4.7 serves the report on its Unix socket only
    /// (and over UDP only when `opencommands` names it, from 4.7 on).
    pub fn socket_only(self) -> bool {
        matches!(
            self,
            ReportKind::SelectData
                | ReportKind::ServerStats
                | ReportKind::NtpData
                | ReportKind::AuthData
        )
    }
}

impl fmt::Display for ReportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ReportKind {
    /// As its name (`sources`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A report name libchrony does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownReport(pub String);

impl fmt::Display for UnknownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = ReportKind::ALL.iter().map(|k| k.name()).collect();
        write!(
            f,
            "unknown report '{}' (one of: {})",
            crate::text::one_line(&self.0),
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownReport {}

impl FromStr for ReportKind {
    type Err = UnknownReport;

    /// A report by its chronyc name, ignoring ASCII case.
    fn from_str(s: &str) -> Result<ReportKind, UnknownReport> {
        ReportKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownReport(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in ReportKind::ALL {
            assert_eq!(kind.name().parse::<ReportKind>(), Ok(kind));
            assert_eq!(kind.c_name().to_str().unwrap(), kind.name());
        }
    }

    #[test]
    fn case_ignored() {
        assert_eq!("SourceStats".parse(), Ok(ReportKind::SourceStats));
    }

    #[test]
    fn unknown_lists_the_names() {
        let e = "source".parse::<ReportKind>().unwrap_err().to_string();
        assert!(
            e.starts_with("unknown report 'source' (one of: tracking, sources,"),
            "{e}"
        );
    }

    #[test]
    fn unknown_stays_on_one_line() {
        let e = "a\nb".parse::<ReportKind>().unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
    }
}
