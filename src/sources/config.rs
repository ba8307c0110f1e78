//! What `check_chrony_sources` was asked to check, with the documented
//! defaults (the README gives the reasons at length).

use super::model::Selector;
use crate::address::Target;
use crate::check::{Limits, Range, State, Unit, DEFAULT_TIMEOUT};
use std::time::Duration;

/// Default `-m/--usable-warning`: fewer than 3 usable sources. With 3,
/// chronyd can still outvote one falseticker; with 2 it cannot tell which
/// is wrong (RFC 8633 section 3.2 asks for at least 4 sources).
pub const DEFAULT_USABLE_WARNING: &str = "3:";
/// Default `-n/--usable-critical`: no usable source at all.
pub const DEFAULT_USABLE_CRITICAL: &str = "1:";
/// Default `--reachable-critical`: no source answered any of its last 8 polls.
pub const DEFAULT_REACHABLE_CRITICAL: &str = "1:";
/// Default `--falsetickers-warning`: any falseticker (a source whose time
/// disagrees with the others: misconfigured, broken or attacked).
pub const DEFAULT_FALSETICKERS_WARNING: &str = "0";
/// Default `--reach-worst-warning`: a source that missed more than half of
/// its last 8 polls (or never answers).
pub const DEFAULT_REACH_WORST_WARNING: &str = "50:";
/// Default `--reach-mean-warning`: on average more than 1 in 4 polls lost.
pub const DEFAULT_REACH_MEAN_WARNING: &str = "75:";
/// Default `--reach-mean-critical`: on average half the polls lost.
pub const DEFAULT_REACH_MEAN_CRITICAL: &str = "50:";

/// Ranges for every count and reachability figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Sources chronyd's selection accepts (`*`, `+`, `-`).
    pub usable: Limits,
    /// Sources that answered at least one of their last 8 polls.
    pub reachable: Limits,
    /// Falsetickers (`x`).
    pub falsetickers: Limits,
    /// Jittery sources (`~`).
    pub jittery: Limits,
    /// The lowest reachability of any source, percent of the last 8 polls.
    pub reach_worst: Limits,
    /// The mean reachability over all sources, percent.
    pub reach_mean: Limits,
    /// Each source's |offset| + error of its last sample, seconds.
    pub offset: Limits,
}

fn parse(text: &str, unit: Unit) -> Option<Range> {
    Some(Range::parse(text, unit).expect("built-in default parses"))
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        let n = |s| parse(s, Unit::Number);
        Thresholds {
            usable: Limits {
                warning: n(DEFAULT_USABLE_WARNING),
                critical: n(DEFAULT_USABLE_CRITICAL),
            },
            reachable: Limits {
                warning: None,
                critical: n(DEFAULT_REACHABLE_CRITICAL),
            },
            falsetickers: Limits {
                warning: n(DEFAULT_FALSETICKERS_WARNING),
                critical: None,
            },
            jittery: Limits::default(),
            reach_worst: Limits {
                warning: n(DEFAULT_REACH_WORST_WARNING),
                critical: None,
            },
            reach_mean: Limits {
                warning: n(DEFAULT_REACH_MEAN_WARNING),
                critical: n(DEFAULT_REACH_MEAN_CRITICAL),
            },
            offset: Limits::default(),
        }
    }
}

/// Everything the check was asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Where chronyd is (`-H`).
    pub target: Target,
    /// How long the whole run may take (`-t`).
    pub timeout: Duration,
    /// `-v` count, 0 to 3.
    pub verbosity: u8,
    /// The ranges.
    pub thresholds: Thresholds,
    /// Sources that must be there, reachable and usable (`--require`).
    pub require: Vec<Selector>,
    /// Sources left out of every count (`--ignore`).
    pub ignore: Vec<Selector>,
    /// State when no source is selected (`*`). Default CRITICAL: chronyd
    /// is not synchronised to any source.
    pub on_no_selected: State,
    /// State when a required source is missing, unreachable or not usable.
    /// Default CRITICAL.
    pub on_required_failed: State,
    /// State when chronyd does not answer or refuses. Default CRITICAL.
    pub on_unreachable: State,
    /// State when chronyd's Unix socket is not ours to use. Default UNKNOWN.
    pub on_permission_denied: State,
    /// Per-source perfdata labels (`--perfdata-sources`).
    pub perfdata_sources: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            target: Target::auto(),
            timeout: DEFAULT_TIMEOUT,
            verbosity: 0,
            thresholds: Thresholds::default(),
            require: Vec::new(),
            ignore: Vec::new(),
            on_no_selected: State::Critical,
            on_required_failed: State::Critical,
            on_unreachable: State::Critical,
            on_permission_denied: State::Unknown,
            perfdata_sources: false,
        }
    }
}

impl Config {
    /// The tracking check's configuration with this one's address, timeout,
    /// verbosity and failure mappings: a failed read is worded and mapped
    /// by the one code both checks share.
    pub fn for_failures(&self) -> crate::check::Config {
        crate::check::Config {
            target: self.target.clone(),
            timeout: self.timeout,
            verbosity: self.verbosity,
            on_unreachable: self.on_unreachable,
            on_permission_denied: self.on_permission_denied,
            ..crate::check::Config::default()
        }
    }
}
