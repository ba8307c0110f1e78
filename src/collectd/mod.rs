//! What the collectd exec plugin (`collectd-chrony-tracking`) prints: `PUTVAL`
//! lines for the tracking values and `PUTNOTIF` lines when chronyd's state
//! changes, in collectd's plain-text protocol, as pure functions of a
//! [`Tracking`](crate::Tracking) (or an [`Error`](crate::Error)) and a time,
//! so that tests can pin every byte.
//!
//! - [`Identity`]: host and plugin instance, validated and quoted for the
//!   protocol ([`ident`]).
//! - [`Metric`] / [`Renderer`]: the values and their `PUTVAL` lines
//!   ([`values`]); the first ten are exactly what collectd's own chrony plugin
//!   sends, so existing graphs carry on.
//! - [`SourceMetric`] / [`SourceRenderer`]: the eight per-source values of
//!   collectd's chrony plugin, under its identifiers ([`sources`]).
//! - [`Notifier`]: the state machine that turns each gather's outcome into
//!   `PUTNOTIF` lines and stderr lines, once per change ([`notify`]).
//! - [`Gather`]: one gather, as the plugin's loop runs it ([`gather`]).
//! - [`settings`]: `COLLECTD_INTERVAL`, `COLLECTD_HOSTNAME` and the system
//!   hostname.

pub mod gather;
pub mod ident;
pub mod notify;
pub mod settings;
pub mod sources;
pub mod values;

pub use gather::Gather;
pub use ident::{Identity, NameError, PLUGIN};
pub use notify::{Notification, Notifier, Severity, Update};
pub use sources::{source_name, SourceMetric, SourceRenderer};
pub use values::{epoch, Metric, Renderer, ValueSet};
