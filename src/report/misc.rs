//! The models of the remaining reports: `activity`, `serverstats`,
//! `ntpdata` and `authdata`.

use super::{parse_ip, FieldError, Model, Record, ReportKind};
use crate::tracking::{LeapStatus, Timestamp};
use serde::Serialize;
use std::net::IpAddr;

/// `chronyc activity`: how many sources are in each state of being polled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// `online sources`.
    pub online: u32,
    /// `offline sources`.
    pub offline: u32,
    /// `burst online-return sources`.
    pub burst_online: u32,
    /// `burst offline-return sources`.
    pub burst_offline: u32,
    /// `unresolved sources`: names not resolved yet.
    pub unresolved: u32,
}

impl Model for Activity {
    const REPORT: ReportKind = ReportKind::Activity;

    fn from_record(r: &Record) -> Result<Activity, FieldError> {
        Ok(Activity {
            online: r.unsigned_as("online sources")?,
            offline: r.unsigned_as("offline sources")?,
            burst_online: r.unsigned_as("burst online-return sources")?,
            burst_offline: r.unsigned_as("burst offline-return sources")?,
            unresolved: r.unsigned_as("unresolved sources")?,
        })
    }
}

/// `chronyc serverstats`: what chronyd served. Counters chronyd added in
/// later versions are `None` when it does not send them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServerStats {
    /// `received NTP requests`.
    pub ntp_requests: u64,
    /// `received command requests`.
    pub command_requests: u64,
    /// `dropped NTP requests` (rate limiting).
    pub dropped_ntp_requests: u64,
    /// `dropped command requests`.
    pub dropped_command_requests: u64,
    /// `dropped client log records`.
    pub dropped_client_log_records: u64,
    /// `accepted NTS-KE connections` (chrony 4.0+).
    pub nts_ke_connections: Option<u64>,
    /// `dropped NTS-KE connections` (chrony 4.0+).
    pub dropped_nts_ke_connections: Option<u64>,
    /// `received authenticated NTP requests` (chrony 4.0+).
    pub authenticated_ntp_requests: Option<u64>,
    /// `received interleaved NTP requests` (chrony 4.2+).
    pub interleaved_ntp_requests: Option<u64>,
}

impl Model for ServerStats {
    const REPORT: ReportKind = ReportKind::ServerStats;

    fn from_record(r: &Record) -> Result<ServerStats, FieldError> {
        let optional = |name: &str| r.get(name).map(|_| r.unsigned(name)).transpose();
        Ok(ServerStats {
            ntp_requests: r.unsigned("received NTP requests")?,
            command_requests: r.unsigned("received command requests")?,
            dropped_ntp_requests: r.unsigned("dropped NTP requests")?,
            dropped_command_requests: r.unsigned("dropped command requests")?,
            dropped_client_log_records: r.unsigned("dropped client log records")?,
            nts_ke_connections: optional("accepted NTS-KE connections")?,
            dropped_nts_ke_connections: optional("dropped NTS-KE connections")?,
            authenticated_ntp_requests: optional("received authenticated NTP requests")?,
            interleaved_ntp_requests: optional("received interleaved NTP requests")?,
        })
    }
}

/// `chronyc ntpdata` for one NTP source: its last NTP exchange.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NtpData {
    /// `remote address`.
    pub remote_address: Option<IpAddr>,
    /// `local address` the exchange used.
    pub local_address: Option<IpAddr>,
    /// `remote port`.
    pub remote_port: u16,
    /// `leap status` the source announced.
    pub leap_status: Option<LeapStatus>,
    /// `version`: NTP version of the reply.
    pub version: u8,
    /// `mode` in libchrony's words (`server`, `active symmetric`).
    pub mode: Option<String>,
    /// `stratum` the source announced.
    pub stratum: u8,
    /// `poll` the source announced, log2 seconds.
    pub poll: i8,
    /// `precision`, log2 seconds.
    pub precision: i8,
    /// `root delay`, seconds.
    pub root_delay: f64,
    /// `root dispersion`, seconds.
    pub root_dispersion: f64,
    /// `reference ID` the source announced.
    pub reference_id: u32,
    /// `reference time` the source announced.
    pub reference_time: Timestamp,
    /// `offset`, seconds.
    pub offset: f64,
    /// `peer delay`, seconds.
    pub peer_delay: f64,
    /// `peer dispersion`, seconds.
    pub peer_dispersion: f64,
    /// `response time`, seconds.
    pub response_time: f64,
    /// `jitter asymmetry`.
    pub jitter_asymmetry: f64,
    /// `flags` set, in libchrony's words (`interleaved`, `authenticated`,
    /// and the tests passed: `test1` ...).
    pub flags: Vec<String>,
    /// `transmitted messages`.
    pub transmitted: u32,
    /// `received messages`.
    pub received: u32,
    /// `received valid messages`.
    pub received_valid: u32,
    /// `received good messages`.
    pub received_good: u32,
}

impl Model for NtpData {
    const REPORT: ReportKind = ReportKind::NtpData;

    fn from_record(r: &Record) -> Result<NtpData, FieldError> {
        let small = |name: &str| -> Result<i8, FieldError> {
            let v = r.signed(name)?;
            i8::try_from(v).map_err(|_| FieldError::new(name, format!("is {v}, out of range")))
        };
        Ok(NtpData {
            remote_address: parse_ip(r.text("remote address")?),
            local_address: parse_ip(r.text("local address")?),
            remote_port: r.unsigned_as("remote port")?,
            leap_status: LeapStatus::from_code(r.unsigned("leap status")?),
            version: r.unsigned_as("version")?,
            mode: r.constants("mode")?.first().cloned(),
            stratum: r.unsigned_as("stratum")?,
            poll: small("poll")?,
            precision: small("precision")?,
            root_delay: r.float("root delay")?,
            root_dispersion: r.float("root dispersion")?,
            reference_id: r.unsigned_as("reference ID")?,
            reference_time: r.time("reference time")?,
            offset: r.float("offset")?,
            peer_delay: r.float("peer delay")?,
            peer_dispersion: r.float("peer dispersion")?,
            response_time: r.float("response time")?,
            jitter_asymmetry: r.float("jitter asymmetry")?,
            flags: r.constants("flags")?.to_vec(),
            transmitted: r.unsigned_as("transmitted messages")?,
            received: r.unsigned_as("received messages")?,
            received_valid: r.unsigned_as("received valid messages")?,
            received_good: r.unsigned_as("received good messages")?,
        })
    }
}

/// `chronyc authdata` for one NTP source. The record carries no address:
/// records come in the order of the `sources` report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthData {
    /// `mode` in libchrony's words: `none`, `symmetric key`, `NTS`.
    pub mode: Option<String>,
    /// `key type` (`AES128`, `SHA256`); `None` without a key.
    pub key_type: Option<String>,
    /// `key ID`.
    pub key_id: u32,
    /// `key length`, bits.
    pub key_length: u16,
    /// `key establishment attempts` (NTS-KE).
    pub ke_attempts: u16,
    /// `last key establishment ago`, seconds.
    pub last_ke_ago: u32,
    /// `cookies` held (NTS).
    pub cookies: u16,
    /// `cookie length`, bytes.
    pub cookie_length: u16,
    /// `NAK`: the server answered with an NTS NAK.
    pub nak: bool,
}

impl Model for AuthData {
    const REPORT: ReportKind = ReportKind::AuthData;

    fn from_record(r: &Record) -> Result<AuthData, FieldError> {
        Ok(AuthData {
            mode: r.constants("mode")?.first().cloned(),
            key_type: r.constants("key type")?.first().cloned(),
            key_id: r.unsigned_as("key ID")?,
            key_length: r.unsigned_as("key length")?,
            ke_attempts: r.unsigned_as("key establishment attempts")?,
            last_ke_ago: r.unsigned_as("last key establishment ago")?,
            cookies: r.unsigned_as("cookies")?,
            cookie_length: r.unsigned_as("cookie length")?,
            nak: r.unsigned("NAK")? != 0,
        })
    }
}
