//! The Telegraf input: chronyd's tracking report as InfluxDB line protocol,
//! a drop-in for the `chrony` metric of Telegraf's own inputs.chrony.
//!
//! - [`render`] writes one `chrony` line for a [`Tracking`](crate::Tracking):
//!   by default exactly inputs.chrony's tags and nine float fields; a
//!   [`Format`] adds the opt-in [`ExtraField`]s or moves `stratum` and
//!   `leap_status` from tags to fields.
//! - [`source_tag`] / [`check_source_tags`]: the `source` tag, set only when
//!   an address was given explicitly, as inputs.chrony does.
//! - [`Line`] and the `push_*` functions: line protocol escaping and layout.
//! - The execd loop (stdin and signal triggers, `--interval`, `E!`/`I!`
//!   status lines) is [`crate::runner`], shared with the collectd plugin.

mod line;
mod metric;

pub use line::{
    check_tag_value, push_key, push_measurement, push_string_value, FieldValue, Line, TagValueError,
};
pub use metric::{check_source_tags, render, source_tag, ExtraField, Format, MEASUREMENT};
