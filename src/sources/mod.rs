//! The Nagios/Icinga check `check_chrony_sources`: chronyd's sources as
//! counts (reachable, usable, falsetickers, jittery), reachability, required
//! and ignored sources and per-source offsets, against threshold ranges.
//!
//! - [`Source`], [`Mode`], [`Selection`]: what the check needs of one entry
//!   of the `sources` report, independent of how it was read.
//! - [`Config`], [`Thresholds`]: what the user asked to check, with the
//!   documented defaults (`DEFAULT_*`).
//! - [`evaluate`]: the verdict as data; [`render`]: the complete stdout and
//!   the exit state, so that snapshots pin both for fixed source lists.
//! - [`read`]: the reads of one run (`sources`, and `selectdata` for `-v`).
//! - [`cli`]: the command line.
//!
//! Ranges, states and the failure wording are `check_chrony_tracking`'s
//! ([`crate::check`]).

pub mod cli;
mod config;
mod evaluate;
#[cfg(test)]
mod fixtures;
mod label;
mod model;
#[cfg(test)]
mod parsers;
mod read;
mod render;
#[cfg(test)]
mod snapshots;

pub use config::{
    Config, Thresholds, DEFAULT_FALSETICKERS_WARNING, DEFAULT_REACHABLE_CRITICAL,
    DEFAULT_REACH_MEAN_CRITICAL, DEFAULT_REACH_MEAN_WARNING, DEFAULT_REACH_WORST_WARNING,
    DEFAULT_USABLE_CRITICAL, DEFAULT_USABLE_WARNING,
};
pub use evaluate::{evaluate, Checked, Evaluation, Metric, Problem, Verdict, METRICS};
pub use label::prefix as perfdata_prefix;
pub use model::{annotate, Mode, Selection, Selector, Source};
pub use read::{read, Read};
pub use render::render;
