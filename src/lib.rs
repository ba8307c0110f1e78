//! chrony-plugins: read chronyd's reports (tracking, sources and every other
//! report libchrony knows) through libchrony, for the binaries in `plugins/`:
//! two Nagios/Icinga checks (tracking, sources), a Telegraf execd input, a
//! collectd exec plugin, and `chrony-tracking` / `chrony-report`, which print
//! reports for people.
//!
//! - [`Target`] / [`Address`]: where chronyd listens (Unix socket, UDP command
//!   port, or `auto`, which tries the usual places in order).
//! - [`Client`]: one long-lived connection, read with [`Client::tracking`],
//!   [`Client::sources`], [`Client::read`] (any typed model) or
//!   [`Client::report`] (any report as named, typed fields) within a
//!   deadline; it never blocks past the deadline, resends over UDP, and
//!   reconnects after chronyd restarts.
//! - [`report`]: every report libchrony knows ([`ReportKind`]), its records
//!   and fields, and the typed models [`Source`], [`SourceStats`],
//!   [`SelectData`], [`Activity`], [`ServerStats`], [`NtpData`],
//!   [`AuthData`] beside [`Tracking`].
//! - [`Tracking`]: the 14 fields of the report plus derived values (reference
//!   name, root distance, age of the last update).
//! - [`Error`] / [`ErrorKind`]: why a read failed, in words a sysadmin can act on.
//! - [`check`], [`telegraf`], [`collectd`]: what each plugin prints, as
//!   functions of the reports read (a [`Tracking`], the sources, an
//!   [`Error`]) so that tests can pin them.
//! - [`sources`]: the check of chronyd's sources (counts, reachability,
//!   required sources), as functions of a list of [`sources::Source`].
//! - [`number`]: exact, exponent-free number formatting for the output
//!   formats, and the one duration grammar of every command line.
//! - [`text`]: text from outside (arguments, paths, replies) kept on one line.
//! - [`usage`]: one-line usage errors for the clap-based binaries.
//! - [`runner`]: the long-running loop of the Telegraf and collectd plugins
//!   (triggers, schedule, signals, status lines), with [`output`]'s writers
//!   and [`schedule`]'s grid.
//! - [`entry`](mod@entry): the binaries' C `main` ([`entry!`]), without std's start-up work.
//!
//! All `unsafe` code is in two private modules: `ffi` (libchrony) and `sys`
//! (system calls); the rest of the crate is compiled with `unsafe_code` denied.
//! The one exception is the `export_name = "main"` attribute that [`entry!`]
//! puts in each binary (see [`entry`](mod@entry)).
#![deny(missing_docs)]
#![deny(unsafe_code)]

mod address;
pub mod check;
mod client;
pub mod collectd;
pub mod entry;
mod error;
#[allow(unsafe_code)]
mod ffi;
pub mod number;
pub mod output;
pub mod report;
pub mod runner;
pub mod schedule;
pub mod sources;
#[allow(unsafe_code)]
mod sys;
pub mod telegraf;
pub mod text;
mod tracking;
pub mod usage;

pub use address::{Address, AddressError, Target, AUTO_CANDIDATES, DEFAULT_PORT, MAX_SOCKET_PATH};
pub use client::Client;
pub use error::{Error, ErrorKind};
pub use report::{
    Activity, AuthData, Model, NtpData, Record, Report, ReportKind, SelectData, ServerStats,
    Source, SourceMode, SourceState, SourceStats,
};
pub use sys::{poll, Ready, TerminationSignals};
pub use tracking::{reference_name, LeapStatus, Timestamp, Tracking, LOCAL_REFERENCE_ID};
