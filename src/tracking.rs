//! chronyd's tracking report as Rust values, and what can be derived from it.

use serde::Serialize;
use std::fmt;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Reference id chronyd uses when synchronised to its own `local` reference
/// (127.127.1.1, shown as `LOCL`).
pub const LOCAL_REFERENCE_ID: u32 = 0x7F7F_0101;

/// chronyd's leap status: what it will do at the end of the UTC day, or that
/// it is not synchronised at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeapStatus {
    /// No leap second pending.
    Normal,
    /// A leap second will be inserted at the end of the day.
    InsertSecond,
    /// A leap second will be deleted at the end of the day.
    DeleteSecond,
    /// chronyd has no usable source (leap status 3).
    NotSynchronised,
}

impl LeapStatus {
    /// The value chronyd sends (0 to 3).
    pub fn code(self) -> u8 {
        match self {
            LeapStatus::Normal => 0,
            LeapStatus::InsertSecond => 1,
            LeapStatus::DeleteSecond => 2,
            LeapStatus::NotSynchronised => 3,
        }
    }

    /// From chronyd's value; `None` for a value outside 0 to 3.
    pub fn from_code(code: u64) -> Option<LeapStatus> {
        Some(match code {
            0 => LeapStatus::Normal,
            1 => LeapStatus::InsertSecond,
            2 => LeapStatus::DeleteSecond,
            3 => LeapStatus::NotSynchronised,
            _ => return None,
        })
    }

    /// The words chronyc and Telegraf use: `normal`, `insert second`,
    /// `delete second`, `not synchronized`.
    pub fn as_str(self) -> &'static str {
        match self {
            LeapStatus::Normal => "normal",
            LeapStatus::InsertSecond => "insert second",
            LeapStatus::DeleteSecond => "delete second",
            LeapStatus::NotSynchronised => "not synchronized",
        }
    }

    /// Whether a leap second is scheduled.
    pub fn is_pending(self) -> bool {
        matches!(self, LeapStatus::InsertSecond | LeapStatus::DeleteSecond)
    }
}

impl Serialize for LeapStatus {
    /// As the words chronyc prints ([`LeapStatus::as_str`]).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for LeapStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A point in time as chronyd sends it: seconds and nanoseconds since the
/// Unix epoch, kept exact (an `f64` would lose the nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub secs: i64,
    /// Nanoseconds, 0 to 999,999,999.
    pub nanos: u32,
}

impl Timestamp {
    /// From the parts, normalising nanoseconds outside 0..1e9.
    pub fn new(secs: i64, nanos: i64) -> Timestamp {
        let secs = secs.saturating_add(nanos.div_euclid(1_000_000_000));
        Timestamp {
            secs,
            nanos: nanos.rem_euclid(1_000_000_000) as u32,
        }
    }

    /// Whether this is the epoch itself, which chronyd sends before its first update.
    pub fn is_zero(self) -> bool {
        self.secs == 0 && self.nanos == 0
    }

    /// Seconds since the epoch as a float (loses precision below ~100 ns).
    pub fn as_secs_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// `now` as a timestamp.
    pub fn from_system_time(now: SystemTime) -> Timestamp {
        match now.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp::new(d.as_secs() as i64, i64::from(d.subsec_nanos())),
            Err(e) => {
                let d = e.duration();
                Timestamp::new(-(d.as_secs() as i64), -i64::from(d.subsec_nanos()))
            }
        }
    }

    /// Nanoseconds since the Unix epoch (InfluxDB's timestamp unit).
    pub fn unix_nanos(self) -> i128 {
        i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos)
    }

    /// Seconds from `self` to `later` (negative when `later` is earlier),
    /// computed on the integer parts so no precision is lost for close times.
    pub fn seconds_until(self, later: Timestamp) -> f64 {
        seconds(later.unix_nanos() - self.unix_nanos())
    }
}

impl fmt::Display for Timestamp {
    /// `SECONDS.NNNNNNNNN`, exact, signed as a whole: 1.5 s before the
    /// epoch (`secs = -2, nanos = 500000000`) is `-1.500000000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::number::seconds_nanos(self.secs, self.nanos))
    }
}

/// chronyd's tracking report: how well the system clock follows its reference.
///
/// Field names follow chronyc's `tracking` output; the libchrony field each one
/// is read from is given in its doc.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tracking {
    /// `reference ID`: IPv4 address of the reference, 4 ASCII characters of a
    /// reference clock (`GPS`, `PPS`), [`LOCAL_REFERENCE_ID`], or 0 when unsynchronised.
    pub reference_id: u32,
    /// `address`: the reference's IP address; `None` for a reference clock,
    /// the local reference, or when unsynchronised.
    pub address: Option<IpAddr>,
    /// `stratum`: the reference's stratum plus one; 0 when unsynchronised.
    pub stratum: u32,
    /// `leap status`.
    pub leap_status: LeapStatus,
    /// `reference time`: when the clock was last updated from the reference
    /// (the epoch when it never was).
    pub reference_time: Timestamp,
    /// `current correction`, seconds: how far the system clock is from true
    /// time now (chronyc's "System time"); positive means the clock is slow.
    pub current_correction: f64,
    /// `last offset`, seconds: the offset measured at the last update.
    pub last_offset: f64,
    /// `RMS offset`, seconds: long-term average of the offset.
    pub rms_offset: f64,
    /// `frequency offset`, ppm: the system clock's frequency error.
    pub frequency: f64,
    /// `residual frequency`, ppm: frequency of the reference relative to the
    /// frequency chronyd currently uses.
    pub residual_frequency: f64,
    /// `skew`, ppm: error bound of the frequency estimate.
    pub skew: f64,
    /// `root delay`, seconds: total network path delay to the stratum-1 source.
    pub root_delay: f64,
    /// `root dispersion`, seconds: total dispersion accumulated to the stratum-1 source.
    pub root_dispersion: f64,
    /// `last update interval`, seconds: time between the last two clock updates.
    pub update_interval: f64,
}

impl Tracking {
    /// Whether chronyd considers the clock synchronised (leap status is not
    /// "not synchronized").
    pub fn is_synchronised(&self) -> bool {
        self.leap_status != LeapStatus::NotSynchronised
    }

    /// Whether the reference is chronyd's own `local` reference (a server that
    /// lost all its sources serves its own clock).
    pub fn is_local_reference(&self) -> bool {
        self.reference_id == LOCAL_REFERENCE_ID
    }

    /// Whether the reference is a reference clock (GPS, PPS, SHM, ...): no
    /// address and a printable ASCII id.
    pub fn is_refclock(&self) -> bool {
        self.address.is_none()
            && !self.is_local_reference()
            && ascii_id(self.reference_id).is_some()
    }

    /// A short name for the reference: its IP address, `LOCL` for the local
    /// reference, the ASCII id of a reference clock (`GPS`, `PPS`), or the id
    /// in hex (8 upper-case digits) when none of those apply.
    pub fn reference_name(&self) -> String {
        reference_name(self.reference_id, self.address)
    }

    /// The reference id as 8 upper-case hex digits, as chronyc and Telegraf print it.
    pub fn reference_id_hex(&self) -> String {
        format!("{:08X}", self.reference_id)
    }

    /// Root distance in seconds: root delay / 2 + root dispersion, the bound on
    /// the clock's error that chronyd itself uses to select sources.
    pub fn root_distance(&self) -> f64 {
        self.root_delay / 2.0 + self.root_dispersion
    }

    /// Seconds since the last clock update at `now`; `None` when chronyd has
    /// never updated the clock (reference time is the epoch).
    ///
    /// The reference time is on chronyd's time scale (its estimate of true
    /// time), so `now`, read from the system clock, is first corrected by
    /// [`Tracking::current_correction`]: otherwise a clock 0.5 s slow would
    /// show its last update 0.5 s in the future.
    pub fn reference_age(&self, now: SystemTime) -> Option<f64> {
        if self.reference_time.is_zero() {
            return None;
        }
        // In whole nanoseconds, then one division: adding the correction
        // as a float after dividing would round twice (0.9022605929999999).
        let correction = if self.current_correction.is_finite() {
            (self.current_correction * 1e9).round() as i128
        } else {
            0
        };
        let now = Timestamp::from_system_time(now).unix_nanos();
        Some(seconds(now + correction - self.reference_time.unix_nanos()))
    }
}

/// Whole nanoseconds as seconds, with one rounding (the count is exact in
/// an f64 below 2^53 ns, 104 days).
fn seconds(nanos: i128) -> f64 {
    nanos as f64 / 1e9
}

/// See [`Tracking::reference_name`].
pub fn reference_name(reference_id: u32, address: Option<IpAddr>) -> String {
    if let Some(ip) = address {
        return ip.to_string();
    }
    if reference_id == LOCAL_REFERENCE_ID {
        return "LOCL".to_string();
    }
    ascii_id(reference_id).unwrap_or_else(|| format!("{reference_id:08X}"))
}

/// The id as up to 4 printable ASCII characters, trailing NULs dropped, or
/// `None` when it is not such a name (as for an IPv4 address or a hash).
fn ascii_id(reference_id: u32) -> Option<String> {
    let bytes = reference_id.to_be_bytes();
    let len = bytes.iter().rposition(|&b| b != 0)? + 1;
    let name = &bytes[..len];
    name.iter()
        .all(|b| b.is_ascii_graphic())
        .then(|| String::from_utf8_lossy(name).into_owned())
}

/// The one tracking report the unit tests share: synchronised to
/// 127.0.0.1 at stratum 4, last updated at 1795675340.924973746.
#[cfg(test)]
pub(crate) fn sample() -> Tracking {
    Tracking {
        reference_id: 0x7F00_0001,
        address: Some("127.0.0.1".parse().expect("an IP address")),
        stratum: 4,
        leap_status: LeapStatus::Normal,
        reference_time: Timestamp::new(1_795_675_340, 924_973_746),
        current_correction: 0.0499984,
        last_offset: -1.8e-8,
        rms_offset: 5.6e-8,
        frequency: -0.0014,
        residual_frequency: -0.0004,
        skew: 0.028,
        root_delay: 5.5e-6,
        root_dispersion: 1.4e-6,
        update_interval: 0.51,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn name_ip() {
        assert_eq!(sample().reference_name(), "127.0.0.1");
    }

    #[test]
    fn name_refclock_gps() {
        assert_eq!(reference_name(u32::from_be_bytes(*b"GPS\0"), None), "GPS");
        assert_eq!(reference_name(u32::from_be_bytes(*b"PPS\0"), None), "PPS");
        assert_eq!(reference_name(u32::from_be_bytes(*b"SHM0"), None), "SHM0");
    }

    #[test]
    fn name_local() {
        assert_eq!(reference_name(LOCAL_REFERENCE_ID, None), "LOCL");
        let mut t = sample();
        t.reference_id = LOCAL_REFERENCE_ID;
        t.address = None;
        assert!(t.is_local_reference());
        assert!(!t.is_refclock());
    }

    #[test]
    fn name_unsynchronised_is_hex() {
        assert_eq!(reference_name(0, None), "00000000");
    }

    #[test]
    fn name_non_ascii_is_hex() {
        assert_eq!(reference_name(0xC0A8_0001, None), "C0A80001");
        // An embedded NUL is not a name.
        assert_eq!(reference_name(0x4700_5300, None), "47005300");
    }

    #[test]
    fn hex_id() {
        assert_eq!(sample().reference_id_hex(), "7F000001");
    }

    #[test]
    fn refclock_detection() {
        let mut t = sample();
        assert!(!t.is_refclock());
        t.address = None;
        t.reference_id = u32::from_be_bytes(*b"PPS\0");
        assert!(t.is_refclock());
    }

    #[test]
    fn root_distance_is_half_delay_plus_dispersion() {
        let mut t = sample();
        t.root_delay = 0.002;
        t.root_dispersion = 0.0005;
        assert_eq!(t.root_distance(), 0.0015);
    }

    #[test]
    fn age_from_reference_time() {
        let mut t = sample();
        t.current_correction = 0.0;
        let now = UNIX_EPOCH + Duration::new(1_795_675_350, 924_973_746);
        assert_eq!(t.reference_age(now), Some(10.0));
        let before = UNIX_EPOCH + Duration::new(1_795_675_340, 424_973_746);
        assert_eq!(t.reference_age(before), Some(-0.5));
    }

    #[test]
    fn age_is_on_chronyds_time_scale() {
        // The system clock is 0.5 s slow (correction +0.5): chronyd's "now"
        // is 0.5 s later than the system's, and so is the age.
        let mut t = sample();
        t.current_correction = 0.5;
        let now = UNIX_EPOCH + Duration::new(1_795_675_340, 824_973_746);
        assert_eq!(t.reference_age(now), Some(0.4));
    }

    #[test]
    fn age_with_correction_is_rounded_once() {
        // 0.901749038 s + 0.000511555 s added as floats gives
        // 0.9022605929999999; summed in nanoseconds, 0.902260593.
        let mut t = sample();
        t.reference_time = Timestamp::new(1_795_675_340, 0);
        t.current_correction = 0.000_511_555;
        let now = UNIX_EPOCH + Duration::new(1_795_675_340, 901_749_038);
        assert_eq!(t.reference_age(now).unwrap().to_string(), "0.902260593");
    }

    #[test]
    fn age_is_rounded_once() {
        // 1 s - 0.542509705 s as floats gives 0.45749029500000005.
        let t = Timestamp::new(1_795_677_000, 700_000_000);
        let later = Timestamp::new(1_795_677_001, 157_490_295);
        assert_eq!(t.seconds_until(later).to_string(), "0.457490295");
    }

    #[test]
    fn age_none_when_never_updated() {
        let mut t = sample();
        t.reference_time = Timestamp::new(0, 0);
        assert_eq!(t.reference_age(SystemTime::now()), None);
    }

    #[test]
    fn synchronised_by_leap_status() {
        let mut t = sample();
        assert!(t.is_synchronised());
        t.leap_status = LeapStatus::InsertSecond;
        assert!(t.is_synchronised());
        t.leap_status = LeapStatus::NotSynchronised;
        assert!(!t.is_synchronised());
    }

    #[test]
    fn leap_codes_round_trip() {
        for code in 0..4 {
            assert_eq!(u64::from(LeapStatus::from_code(code).unwrap().code()), code);
        }
        assert_eq!(LeapStatus::from_code(4), None);
    }

    #[test]
    fn timestamp_display_exact() {
        assert_eq!(
            Timestamp::new(1_795_675_340, 924_973_746).to_string(),
            "1795675340.924973746"
        );
        assert_eq!(Timestamp::new(5, 7).to_string(), "5.000000007");
    }

    #[test]
    fn timestamp_display_negative() {
        // Printed `-2.500000000` before: the nanoseconds count forwards
        // from `secs`, not away from zero.
        assert_eq!(Timestamp::new(-1, -500_000_000).to_string(), "-1.500000000");
        assert_eq!(Timestamp::new(0, -250_000_000).to_string(), "-0.250000000");
        assert_eq!(Timestamp::new(-3, 0).to_string(), "-3.000000000");
        assert_eq!(Timestamp::new(0, 0).to_string(), "0.000000000");
        assert_eq!(Timestamp::new(0, 1).to_string(), "0.000000001");
    }

    #[test]
    fn timestamp_display_reads_back_as_its_value() {
        for (secs, nanos) in [(-2, 999_999_999), (-1_000_000, 1), (7, 0), (-5, 0)] {
            let t = Timestamp::new(secs, nanos);
            let shown: f64 = t.to_string().parse().unwrap();
            assert!((shown - t.as_secs_f64()).abs() < 1e-6, "{t:?} {shown}");
        }
    }

    #[test]
    fn timestamp_normalises() {
        assert_eq!(
            Timestamp::new(5, -1),
            Timestamp {
                secs: 4,
                nanos: 999_999_999
            }
        );
        assert_eq!(
            Timestamp::new(5, 1_000_000_001),
            Timestamp { secs: 6, nanos: 1 }
        );
    }
}
