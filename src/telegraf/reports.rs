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
/// hex when a byte is not printable, and also when one is a backslash: a
/// tag value cannot carry one before a comma, `=`, a space or at its end
/// (see [`super::line::check_tag_value`]), so `GP\` would run into the next
/// tag or field and break the line.
pub fn refid_name(id: u32) -> String {
    let mut name = String::with_capacity(4);
    for b in id.to_be_bytes() {
        match b {
            0 => {}
            b'\\' => return format!("{id:08X}"),
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
    use crate::report::{samples, Content as C, Field, ReportKind, Value};
    use crate::tracking::Timestamp;

    const NOW_NS: i128 = 1_795_675_350_924_973_746;

    fn ctx(source: Option<&str>) -> Context<'_> {
        Context {
            source,
            timestamp_ns: NOW_NS,
        }
    }

    fn f(name: &str, content: C, value: Value) -> Field {
        Field {
            name: name.into(),
            content,
            value,
            constants: Vec::new(),
        }
    }

    fn named(name: &str, content: C, value: Value, constant: &str) -> Field {
        Field {
            constants: vec![constant.into()],
            ..f(name, content, value)
        }
    }

    fn report(kind: ReportKind, records: Vec<Record>) -> Report {
        Report { kind, records }
    }

    /// Snapshots in the crate's `snapshots/`, named `telegraf__NAME`.
    fn snap(name: &str, text: &str) {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../snapshots");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(format!("telegraf__{name}"), text));
    }

    /// The topology's kinds of source: selected server, reference clock,
    /// falseticker, unreachable, noselect.
    fn sources_report() -> Report {
        let mut falseticker = samples::source_record();
        samples::set(&mut falseticker, "address", Value::Text("127.0.0.4".into()));
        samples::set(&mut falseticker, "state", Value::Unsigned(2));
        samples::set(
            &mut falseticker,
            "adjusted last sample offset",
            Value::Float(-1.000012),
        );
        let mut dead = samples::source_record();
        samples::set(&mut dead, "address", Value::Text("127.0.0.6".into()));
        samples::set(&mut dead, "state", Value::Unsigned(1));
        samples::set(&mut dead, "stratum", Value::Unsigned(0));
        samples::set(&mut dead, "reachability", Value::Unsigned(0));
        samples::set(
            &mut dead,
            "last sample ago",
            Value::Unsigned(u64::from(u32::MAX)),
        );
        samples::set(&mut dead, "adjusted last sample offset", Value::Float(0.0));
        samples::set(&mut dead, "last sample error", Value::Float(0.0));
        let mut noselect = samples::source_record();
        samples::set(&mut noselect, "address", Value::Text("127.0.0.5".into()));
        samples::set(&mut noselect, "state", Value::Unsigned(1));
        samples::set(&mut noselect, "flags", Value::Unsigned(1));
        let mut v6 = samples::source_record();
        samples::set(&mut v6, "address", Value::Text("::1".into()));
        samples::set(&mut v6, "state", Value::Unsigned(5));
        samples::set(&mut v6, "mode", Value::Unsigned(1));
        report(
            ReportKind::Sources,
            vec![
                samples::source_record(),
                samples::refclock_record(),
                falseticker,
                dead,
                noselect,
                v6,
            ],
        )
    }

    #[test]
    fn sources_lines() {
        let mut out = String::new();
        render_sources(&sources_report(), ctx(None), &mut out).unwrap();
        snap("sources", &out);
    }

    #[test]
    fn sources_lines_with_source_tag() {
        let mut out = String::new();
        render_sources(&sources_report(), ctx(Some("127.0.0.1:323")), &mut out).unwrap();
        assert_eq!(out.lines().count(), 6);
        assert!(
            out.lines()
                .all(|l| l.starts_with("chrony_sources,peer=")
                    && l.contains(",source=127.0.0.1:323 "))
        );
    }

    #[test]
    fn sourcestats_lines() {
        let mut gps = samples::sourcestats_record();
        samples::set(&mut gps, "address", Value::Missing);
        samples::set(
            &mut gps,
            "reference ID",
            Value::Unsigned(u64::from(u32::from_be_bytes(*b"GPS\0"))),
        );
        let r = report(
            ReportKind::SourceStats,
            vec![samples::sourcestats_record(), gps],
        );
        let mut out = String::new();
        render_sourcestats(&r, ctx(None), &mut out).unwrap();
        snap("sourcestats", &out);
    }

    #[test]
    fn activity_line() {
        let a = Activity {
            online: 5,
            offline: 1,
            burst_online: 0,
            burst_offline: 0,
            unresolved: 2,
        };
        let mut out = String::new();
        render_activity(&a, ctx(Some("/run/chrony/chronyd.sock")), &mut out);
        snap("activity", &out);
    }

    fn serverstats(n: usize) -> Record {
        // libchrony's order, v4's fields; v1..v3 are prefixes by version.
        let all = [
            "received NTP requests",
            "accepted NTS-KE connections",
            "received command requests",
            "dropped NTP requests",
            "dropped NTS-KE connections",
            "dropped command requests",
            "dropped client log records",
            "received authenticated NTP requests",
            "received interleaved NTP requests",
            "held NTP timestamps",
            "NTP timestamp span",
            "served daemon RX timestamps",
            "served daemon TX timestamps",
            "served kernel RX timestamps",
            "served kernel TX timestamps",
            "served hardware RX timestamps",
            "served hardware TX timestamps",
        ];
        let v1 = [0usize, 2, 3, 5, 6];
        let fields = all
            .iter()
            .enumerate()
            .filter(|(i, _)| if n == 5 { v1.contains(i) } else { *i < n })
            .map(|(i, name)| f(name, C::Count, Value::Unsigned(100 + i as u64)))
            .collect();
        Record::new(fields)
    }

    #[test]
    fn serverstats_versions() {
        let mut text = String::new();
        for (version, n) in [(1, 5), (2, 8), (3, 11), (4, 17)] {
            let mut out = String::new();
            render_serverstats(&serverstats(n), ctx(None), &mut out).unwrap();
            text.push_str(&format!("v{version}: {out}"));
        }
        snap("serverstats_versions", &text);
    }

    #[test]
    fn serverstats_field_counts_match_inputs_chrony() {
        for (n, fields) in [(5, 5), (8, 8), (11, 11), (17, 17)] {
            let mut out = String::new();
            render_serverstats(&serverstats(n), ctx(None), &mut out).unwrap();
            let set = out.split(' ').nth(1).unwrap();
            assert_eq!(set.split(',').count(), fields, "{out}");
        }
    }

    #[test]
    fn selectdata_lines() {
        let mut best = samples::selectdata_record();
        samples::set(&mut best, "address", Value::Text("127.0.0.2".into()));
        samples::set(&mut best, "reference ID", Value::Unsigned(0x7F00_0002));
        samples::set(&mut best, "state", Value::Unsigned(u64::from(b'*')));
        samples::set(&mut best, "configured options", Value::Unsigned(0));
        samples::set(&mut best, "effective options", Value::Unsigned(0));
        best.fields
            .iter_mut()
            .filter(|f| f.name.ends_with("options"))
            .for_each(|f| f.constants.clear());
        best.fields
            .iter_mut()
            .filter(|f| f.name == "state")
            .for_each(|f| f.constants = vec!["best".into()]);
        let r = report(
            ReportKind::SelectData,
            vec![best, samples::selectdata_record()],
        );
        let mut out = String::new();
        render_selectdata(&r, ctx(None), &mut out).unwrap();
        snap("selectdata", &out);
    }

    #[test]
    fn selectdata_state_byte_never_breaks_the_line() {
        // chronyd's state is a byte copied as a character: one that is a
        // line break must not end the line in the middle of its fields.
        let mut odd = samples::selectdata_record();
        samples::set(&mut odd, "state", Value::Unsigned(u64::from(b'\n')));
        let r = report(ReportKind::SelectData, vec![odd]);
        let mut out = String::new();
        render_selectdata(&r, ctx(None), &mut out).unwrap();
        assert_eq!(out.matches('\n').count(), 1, "{out:?}");
        assert!(out.contains(r#"state="\\n""#), "{out:?}");
    }

    fn ntpdata_record() -> Record {
        use Value::{Float as F, Signed as S, Unsigned as U};
        Record::new(vec![
            f(
                "remote address",
                C::Address,
                Value::Text("127.0.0.2".into()),
            ),
            f("local address", C::Address, Value::Text("127.0.0.1".into())),
            f("remote port", C::Port, U(12345)),
            named("leap status", C::Enum, U(0), "normal"),
            f("version", C::Count, U(4)),
            named("mode", C::Enum, U(4), "server"),
            f("stratum", C::Count, U(3)),
            f("poll", C::IntervalLog2Seconds, S(-2)),
            f("precision", C::IntervalLog2Seconds, S(-25)),
            f("root delay", C::MeasureSeconds, F(0.0)),
            f("root dispersion", C::MeasureSeconds, F(1.9e-5)),
            f("reference ID", C::ReferenceId, U(0x7F7F_0101)),
            f(
                "reference time",
                C::Time,
                Value::Time(Timestamp::new(1_795_675_349, 500_000_000)),
            ),
            f("offset", C::OffsetSeconds, F(-2.1e-5)),
            f("peer delay", C::MeasureSeconds, F(6.2e-5)),
            f("peer dispersion", C::MeasureSeconds, F(1e-6)),
            f("response time", C::IntervalSeconds, F(1.1e-5)),
            f("jitter asymmetry", C::Ratio, F(0.1)),
            Field {
                constants: vec!["interleaved".into(), "test1".into()],
                ..f("flags", C::Flags, U(0x4001))
            },
            f("transmitted messages", C::Count, U(40)),
            f("received messages", C::Count, U(39)),
            f("received valid messages", C::Count, U(39)),
            f("received good messages", C::Count, U(38)),
        ])
    }

    #[test]
    fn ntpdata_lines_skip_reference_clocks() {
        let r = report(
            ReportKind::NtpData,
            vec![ntpdata_record(), Record::default()],
        );
        let mut out = String::new();
        render_ntpdata(&r, ctx(None), &mut out).unwrap();
        snap("ntpdata", &out);
    }

    fn authdata_record() -> Record {
        use Value::Unsigned as U;
        Record::new(vec![
            named("mode", C::Enum, U(0), "none"),
            f("key type", C::Enum, U(0)),
            f("key ID", C::Index, U(0)),
            f("key length", C::LengthBits, U(0)),
            f("key establishment attempts", C::Count, U(0)),
            f("last key establishment ago", C::IntervalSeconds, U(0)),
            f("cookies", C::Count, U(0)),
            f("cookie length", C::LengthBytes, U(0)),
            f("NAK", C::Boolean, U(0)),
        ])
    }

    #[test]
    fn authdata_lines_named_by_sources() {
        let sources = report(
            ReportKind::Sources,
            vec![samples::refclock_record(), samples::source_record()],
        );
        let peers = peer_names(&sources).unwrap();
        let r = report(
            ReportKind::AuthData,
            vec![Record::default(), authdata_record()],
        );
        let mut out = String::new();
        render_authdata(&r, &peers, ctx(None), &mut out).unwrap();
        snap("authdata", &out);
    }

    #[test]
    fn refid_names() {
        assert_eq!(refid_name(u32::from_be_bytes(*b"GPS\0")), "GPS");
        assert_eq!(refid_name(u32::from_be_bytes(*b"PPS1")), "PPS1");
        assert_eq!(refid_name(u32::from_be_bytes(*b"\0PPS")), "PPS");
        assert_eq!(refid_name(0x7F00_0001), "7F000001");
        assert_eq!(refid_name(0), "");
    }

    #[test]
    fn refid_with_backslash_stays_a_valid_tag() {
        // `GP\` as a name would end the tag value with a backslash, which
        // escapes the space before the fields: the line no longer parses.
        for id in [*b"GP\\\0", *b"A\\=B", *b"\\ AB", *b"A\\,\0"] {
            let name = refid_name(u32::from_be_bytes(id));
            assert!(
                super::super::line::check_tag_value(&name).is_ok(),
                "{name:?}"
            );
        }
        let mut gps = samples::refclock_record();
        samples::set(
            &mut gps,
            "reference ID",
            Value::Unsigned(u64::from(u32::from_be_bytes(*b"GP\\\0"))),
        );
        let mut out = String::new();
        render_sources(&report(ReportKind::Sources, vec![gps]), ctx(None), &mut out).unwrap();
        assert!(out.starts_with("chrony_sources,peer=47505C00 "), "{out}");
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
