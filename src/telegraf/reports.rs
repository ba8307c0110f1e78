//! The measurements beyond tracking: inputs.chrony's `chrony_sources`,
//! `chrony_sourcestats`, `chrony_activity` and `chrony_serverstats` with its
//! exact tags, fields and types, and this crate's own `chrony_selectdata`,
//! `chrony_ntpdata` and `chrony_authdata` in the same style.
//!
//! inputs.chrony keeps the protocol's unsigned counters as uint64, which
//! Telegraf's influx serializer writes as signed integers unless
//! `influx_uint_support` is set: they are written here as `i` integers, so
//! InfluxDB stores the same types. A counter beyond `i64::MAX` is written
//! as `i64::MAX`, as that serializer does.

use super::line::{FieldValue, Line};
use crate::report::{
    Activity, AuthData, FieldError, Model, NtpData, Record, Report, SelectData, SelectOptions,
    Source, SourceMode, SourceState, SourceStats,
};
use std::net::Ipv4Addr;

/// What every line of one report shares: the `source` tag (inputs.chrony's
/// rule: only for an explicit address) and the timestamp.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The `source` tag, or `None` to leave it out.
    pub source: Option<&'a str>,
    /// The lines' timestamp, Unix nanoseconds.
    pub timestamp_ns: i128,
}

impl<'a> Context<'a> {
    fn line(&self, measurement: &'a str) -> Line<'a> {
        let mut line = Line::new(measurement);
        if let Some(source) = self.source {
            line.tag("source", source);
        }
        line
    }
}

/// A reference id as inputs.chrony names a reference clock (facebook/time's
/// `RefidToString`): its bytes as characters, NUL bytes skipped; the id in
/// hex when a byte is not printable.
pub fn refid_name(id: u32) -> String {
    let mut name = String::with_capacity(4);
    for b in id.to_be_bytes() {
        match b {
            0 => {}
            0x20..=0x7e => name.push(char::from(b)),
            // Go's strconv.IsPrint on U+00A1..U+00FF, soft hyphen excluded.
            0xa1..=0xff if b != 0xad => name.push(char::from(b)),
            _ => return format!("{id:08X}"),
        }
    }
    name
}

/// inputs.chrony's word for a source state (facebook/time's names; chronyd's
/// "unselected" is its `candidate`, "selectable" its `outlier`).
pub fn state_name(state: SourceState) -> String {
    match state {
        SourceState::Selected => "sync".into(),
        SourceState::Nonselectable => "unreach".into(),
        SourceState::Falseticker => "falseticker".into(),
        SourceState::Jittery => "jittery".into(),
        SourceState::Combined => "candidate".into(),
        SourceState::Selectable => "outlier".into(),
        SourceState::Unknown(code) => format!("unknown ({code})"),
    }
}

/// inputs.chrony's word for a source mode.
pub fn mode_name(mode: SourceMode) -> String {
    match mode {
        SourceMode::Server => "client".into(),
        SourceMode::Peer => "peer".into(),
        SourceMode::RefClock => "reference clock".into(),
        SourceMode::Unknown(code) => format!("unknown ({code})"),
    }
}

/// A protocol counter as a line-protocol integer (see the module doc).
fn count(v: u64) -> FieldValue<'static> {
    FieldValue::Integer(i64::try_from(v).unwrap_or(i64::MAX))
}

fn int(v: impl Into<i64>) -> FieldValue<'static> {
    FieldValue::Integer(v.into())
}

/// The models of `report`, index by index, with their records.
fn indexed<M: Model>(report: &Report) -> Result<Vec<(usize, &Record, M)>, FieldError> {
    report
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.fields.is_empty())
        .map(|(i, r)| M::from_record(r).map(|m| (i, r, m)))
        .collect()
}

fn index(i: usize) -> FieldValue<'static> {
    count(i as u64)
}

/// Appends one `chrony_sources` line per source (inputs.chrony's tags
/// `peer` and `source`; fields `index`, `ip`, `poll`, `stratum`, `state`,
/// `mode`, `flags`, `reachability`, `sample`, `latest_measurement`,
/// `latest_measurement_error`).
pub fn render_sources(
    report: &Report,
    ctx: Context<'_>,
    out: &mut String,
) -> Result<(), FieldError> {
    for (i, record, s) in indexed::<Source>(report)? {
        let flags = record.unsigned("flags")?;
        // chronyd sends a reference clock's id in the address (as IPv4).
        let (ip, peer) = match (s.mode, s.reference_id) {
            (SourceMode::RefClock, Some(id)) => (Ipv4Addr::from(id).to_string(), refid_name(id)),
            _ => (s.name.clone(), s.name.clone()),
        };
        let state = state_name(s.state);
        let mode = mode_name(s.mode);
        let mut line = ctx.line("chrony_sources");
        line.tag("peer", &peer)
            .field("index", index(i))
            .field("ip", FieldValue::String(&ip))
            .field("poll", int(s.poll))
            .field("stratum", int(s.stratum))
            .field("state", FieldValue::String(&state))
            .field("mode", FieldValue::String(&mode))
            .field("flags", count(flags))
            .field("reachability", int(s.reach))
            .field("sample", int(s.last_sample_ago.unwrap_or(u32::MAX)))
            .field("latest_measurement", FieldValue::Float(s.adjusted_offset))
            .field("latest_measurement_error", FieldValue::Float(s.error));
        line.write(ctx.timestamp_ns, out);
    }
    Ok(())
}

/// Appends one `chrony_sourcestats` line per source (tags `reference_id`,
/// `peer`, `source`; fields `index`, `ip`, `samples`, `runs`,
/// `span_seconds`, `stddev`, `residual_frequency`, `skew`, `offset`,
/// `offset_error`).
pub fn render_sourcestats(
    report: &Report,
    ctx: Context<'_>,
    out: &mut String,
) -> Result<(), FieldError> {
    for (i, _, s) in indexed::<SourceStats>(report)? {
        // chronyd sends no address for a reference clock ("::" to
        // inputs.chrony), which then names it by its reference id.
        let (ip, peer) = match s.address {
            Some(ip) => (ip.to_string(), ip.to_string()),
            None if s.name.starts_with("ID#") => (s.name.clone(), s.name.clone()),
            None => ("::".to_string(), refid_name(s.reference_id)),
        };
        let reference_id = format!("{:08X}", s.reference_id);
        let mut line = ctx.line("chrony_sourcestats");
        line.tag("reference_id", &reference_id)
            .tag("peer", &peer)
            .field("index", index(i))
            .field("ip", FieldValue::String(&ip))
            .field("samples", int(s.samples))
            .field("runs", int(s.runs))
            .field("span_seconds", int(s.span))
            .field("stddev", FieldValue::Float(s.std_dev))
            .field(
                "residual_frequency",
                FieldValue::Float(s.residual_frequency),
            )
            .field("skew", FieldValue::Float(s.skew))
            .field("offset", FieldValue::Float(s.offset))
            .field("offset_error", FieldValue::Float(s.offset_error));
        line.write(ctx.timestamp_ns, out);
    }
    Ok(())
}

/// Appends the `chrony_activity` line (fields `online`, `offline`,
/// `burst_online`, `burst_offline`, `unresolved`).
pub fn render_activity(a: &Activity, ctx: Context<'_>, out: &mut String) {
    let mut line = ctx.line("chrony_activity");
    line.field("online", int(a.online))
        .field("offline", int(a.offline))
        .field("burst_online", int(a.burst_online))
        .field("burst_offline", int(a.burst_offline))
        .field("unresolved", int(a.unresolved));
    line.write(ctx.timestamp_ns, out);
}

/// inputs.chrony's serverstats field for each libchrony field, in the order
/// chronyd added them: v1 has the first five, v2 (chrony 4.0) three more,
/// v3 (4.2) three more, v4 (4.4) six more. Only the fields chronyd sent are
/// written, so each version gives exactly inputs.chrony's field set for it.
pub const SERVERSTATS_FIELDS: [(&str, &str); 17] = [
    ("received NTP requests", "ntp_hits"),
    ("dropped NTP requests", "ntp_drops"),
    ("received command requests", "cmd_hits"),
    ("dropped command requests", "cmd_drops"),
    ("dropped client log records", "log_drops"),
    ("received authenticated NTP requests", "ntp_auth_hits"),
    ("accepted NTS-KE connections", "nke_hits"),
    ("dropped NTS-KE connections", "nke_drops"),
    ("received interleaved NTP requests", "ntp_interleaved_hits"),
    ("held NTP timestamps", "ntp_timestamps"),
    ("NTP timestamp span", "ntp_span_seconds"),
    ("served daemon RX timestamps", "ntp_daemon_rx_timestamps"),
    ("served daemon TX timestamps", "ntp_daemon_tx_timestamps"),
    ("served kernel RX timestamps", "ntp_kernel_rx_timestamps"),
    ("served kernel TX timestamps", "ntp_kernel_tx_timestamps"),
    (
        "served hardware RX timestamps",
        "ntp_hardware_rx_timestamps",
    ),
    (
        "served hardware TX timestamps",
        "ntp_hardware_tx_timestamps",
    ),
];

/// Appends the `chrony_serverstats` line for the serverstats record.
pub fn render_serverstats(
    record: &Record,
    ctx: Context<'_>,
    out: &mut String,
) -> Result<(), FieldError> {
    let mut line = ctx.line("chrony_serverstats");
    for (name, key) in SERVERSTATS_FIELDS {
        if record.get(name).is_some() {
            line.field(key, count(record.unsigned(name)?));
        }
    }
    if line.write(ctx.timestamp_ns, out).is_none() {
        return Err(FieldError::new(
            "received NTP requests",
            "is missing (libchrony or chronyd too old or too new?)",
        ));
    }
    Ok(())
}

/// The peer names of a per-source report, by index: what `chrony_sources`
/// writes as `peer` (for `chrony_authdata`, whose records carry no address).
pub fn peer_names(sources: &Report) -> Result<Vec<Option<String>>, FieldError> {
    sources
        .records
        .iter()
        .map(|r| {
            if r.fields.is_empty() {
                return Ok(None);
            }
            let s = Source::from_record(r)?;
            Ok(Some(match (s.mode, s.reference_id) {
                (SourceMode::RefClock, Some(id)) => refid_name(id),
                _ => s.name,
            }))
        })
        .collect()
}

fn options(o: SelectOptions) -> String {
    o.letters()
}

/// Appends one `chrony_selectdata` line per source (this crate's; tags
/// `peer`, `reference_id`, `source`; see the README for the fields).
pub fn render_selectdata(
    report: &Report,
    ctx: Context<'_>,
    out: &mut String,
) -> Result<(), FieldError> {
    for (i, _, s) in indexed::<SelectData>(report)? {
        let (ip, peer) = match s.address {
            Some(ip) => (ip.to_string(), ip.to_string()),
            None if s.name.starts_with("ID#") => (s.name.clone(), s.name.clone()),
            None => ("::".to_string(), refid_name(s.reference_id)),
        };
        let reference_id = format!("{:08X}", s.reference_id);
        let state = s.state.to_string();
        let state_name = s.state_name.clone().unwrap_or_default();
        let configured = options(s.configured_options);
        let effective = options(s.effective_options);
        let leap = s.leap_status.map(|l| l.as_str()).unwrap_or("");
        let mut line = ctx.line("chrony_selectdata");
        line.tag("reference_id", &reference_id)
            .tag("peer", &peer)
            .field("index", index(i))
            .field("ip", FieldValue::String(&ip))
            .field("state", FieldValue::String(&state))
            .field("authenticated", FieldValue::Boolean(s.authenticated))
            .field("configured_options", FieldValue::String(&configured))
            .field("effective_options", FieldValue::String(&effective))
            .field("score", FieldValue::Float(s.score))
            .field("low_limit", FieldValue::Float(s.low_limit))
            .field("high_limit", FieldValue::Float(s.high_limit));
        if !state_name.is_empty() {
            line.field("state_name", FieldValue::String(&state_name));
        }
        if !leap.is_empty() {
            line.field("leap_status", FieldValue::String(leap));
        }
        if let Some(ago) = s.last_sample_ago {
            line.field("last_sample_ago", int(ago));
        }
        line.write(ctx.timestamp_ns, out);
    }
    Ok(())
}

/// Appends one `chrony_ntpdata` line per NTP source (none for reference
/// clocks; tags `peer`, `source`; see the README for the fields).
pub fn render_ntpdata(
    report: &Report,
    ctx: Context<'_>,
    out: &mut String,
) -> Result<(), FieldError> {
    for (i, _, n) in indexed::<NtpData>(report)? {
        let ip = n.remote_address.map(|a| a.to_string()).unwrap_or_default();
        let local = n.local_address.map(|a| a.to_string()).unwrap_or_default();
        let reference_id = format!("{:08X}", n.reference_id);
        let mode = n.mode.clone().unwrap_or_default();
        let leap = n.leap_status.map(|l| l.as_str()).unwrap_or("");
        let has = |flag: &str| n.flags.iter().any(|f| f == flag);
        let mut line = ctx.line("chrony_ntpdata");
        line.tag("peer", &ip)
            .field("index", index(i))
            .field("ip", FieldValue::String(&ip))
            .field("remote_port", int(n.remote_port))
            .field("version", int(n.version))
            .field("stratum", int(n.stratum))
            .field("poll", int(n.poll))
            .field("precision", int(n.precision))
            .field("root_delay", FieldValue::Float(n.root_delay))
            .field("root_dispersion", FieldValue::Float(n.root_dispersion))
            .field("reference_id", FieldValue::String(&reference_id))
            .field("offset", FieldValue::Float(n.offset))
            .field("peer_delay", FieldValue::Float(n.peer_delay))
            .field("peer_dispersion", FieldValue::Float(n.peer_dispersion))
            .field("response_time", FieldValue::Float(n.response_time))
            .field("jitter_asymmetry", FieldValue::Float(n.jitter_asymmetry))
            .field("interleaved", FieldValue::Boolean(has("interleaved")))
            .field("authenticated", FieldValue::Boolean(has("authenticated")))
            .field("total_tx", int(n.transmitted))
            .field("total_rx", int(n.received))
            .field("total_valid_rx", int(n.received_valid))
            .field("total_good_rx", int(n.received_good));
        if !local.is_empty() {
            line.field("local_ip", FieldValue::String(&local));
        }
        if !mode.is_empty() {
            line.field("mode", FieldValue::String(&mode));
        }
        if !leap.is_empty() {
            line.field("leap_status", FieldValue::String(leap));
        }
        if !n.reference_time.is_zero() {
            if let Ok(ns) = i64::try_from(n.reference_time.unix_nanos()) {
                line.field("reference_time", FieldValue::Integer(ns));
            }
        }
        line.write(ctx.timestamp_ns, out);
    }
    Ok(())
}

/// Appends one `chrony_authdata` line per NTP source (none for reference
/// clocks); `peers` are the names by index (see [`peer_names`]).
pub fn render_authdata(
    report: &Report,
    peers: &[Option<String>],
    ctx: Context<'_>,
    out: &mut String,
) -> Result<(), FieldError> {
    for (i, _, a) in indexed::<AuthData>(report)? {
        let peer = peers.get(i).cloned().flatten().unwrap_or_default();
        let mode = a.mode.clone().unwrap_or_default();
        let key_type = a.key_type.clone().unwrap_or_default();
        let mut line = ctx.line("chrony_authdata");
        line.tag("peer", &peer)
            .field("index", index(i))
            .field("key_id", int(a.key_id))
            .field("key_length", int(a.key_length))
            .field("ke_attempts", int(a.ke_attempts))
            .field("last_ke_ago", int(a.last_ke_ago))
            .field("cookies", int(a.cookies))
            .field("cookie_length", int(a.cookie_length))
            .field("nak", FieldValue::Boolean(a.nak));
        if !mode.is_empty() {
            line.field("mode", FieldValue::String(&mode));
        }
        if !key_type.is_empty() {
            line.field("key_type", FieldValue::String(&key_type));
        }
        line.write(ctx.timestamp_ns, out);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refid_names() {
        assert_eq!(refid_name(u32::from_be_bytes(*b"GPS\0")), "GPS");
        assert_eq!(refid_name(u32::from_be_bytes(*b"PPS1")), "PPS1");
        assert_eq!(refid_name(u32::from_be_bytes(*b"\0PPS")), "PPS");
        assert_eq!(refid_name(0x7F00_0001), "7F000001");
        assert_eq!(refid_name(0), "");
    }

    #[test]
    fn state_words_follow_inputs_chrony() {
        assert_eq!(state_name(SourceState::Combined), "candidate");
        assert_eq!(state_name(SourceState::Selectable), "outlier");
        assert_eq!(state_name(SourceState::Unknown(9)), "unknown (9)");
        assert_eq!(mode_name(SourceMode::Server), "client");
    }

    #[test]
    fn counters_beyond_i64_saturate() {
        assert_eq!(count(u64::MAX), FieldValue::Integer(i64::MAX));
    }
}
