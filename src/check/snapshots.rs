//! Snapshots of the check's complete output and exit code for fixed tracking
//! reports and for every kind of failure (pinned in `snapshots/check__*.snap`).
//!
//! They live inside the crate, not in `tests/`, because failures of every
//! kind (unauthorized, disabled, protocol, ...) can only be built here; the
//! binary's real runs against chronyd are in `tests/check.rs`.

use super::{render, Config, Limits, Range, Report, Resolution, State, Unit};
use crate::address::{Address, Target};
use crate::error::{Error, ErrorKind};
use crate::tracking::{LeapStatus, Timestamp, Tracking, LOCAL_REFERENCE_ID};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// When the fixtures were "read": 10.5 s after their reference time.
pub(super) fn now() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_795_675_351, 424_973_746)
}

/// A client synchronised to 127.0.0.1 at stratum 4 (values as chronyd 4.3
/// sent them in the harness, offset of +52.3 ms).
pub(super) fn synchronised() -> Tracking {
    Tracking {
        reference_id: 0x7F00_0001,
        address: Some("127.0.0.1".parse().unwrap()),
        stratum: 4,
        leap_status: LeapStatus::Normal,
        reference_time: Timestamp::new(1_795_675_340, 924_973_746),
        current_correction: 0.000012651000361074694,
        last_offset: -0.000000018,
        rms_offset: 0.000000056,
        frequency: -16.000999450683594,
        residual_frequency: -0.0004,
        skew: 0.028,
        root_delay: 0.0016550000291317701,
        root_dispersion: 0.00330700003542006,
        update_interval: 507.1999816894531,
    }
}

pub(super) fn with_offset(offset: f64) -> Tracking {
    Tracking {
        current_correction: offset,
        ..synchronised()
    }
}

/// A client whose server never answered: leap status 3, stratum 0, no
/// reference, never updated.
pub(super) fn unsynchronised() -> Tracking {
    Tracking {
        reference_id: 0,
        address: None,
        stratum: 0,
        leap_status: LeapStatus::NotSynchronised,
        reference_time: Timestamp::new(0, 0),
        current_correction: 0.0,
        last_offset: 0.0,
        rms_offset: 0.0,
        frequency: 3.2,
        residual_frequency: 0.0,
        skew: 0.0,
        root_delay: 1.0,
        root_dispersion: 1.0,
        update_interval: 0.0,
    }
}

pub(super) fn range(s: &str) -> Option<Range> {
    Some(Range::parse(s, Unit::Seconds).unwrap())
}

pub(super) fn plain(s: &str) -> Option<Range> {
    Some(Range::parse(s, Unit::Number).unwrap())
}

/// `-w 0.01 -c 0.1`, the example.
pub(super) fn tight() -> Config {
    let mut c = Config::default();
    c.thresholds.offset = Limits {
        warning: range("0.01"),
        critical: range("0.1"),
    };
    c
}

fn udp() -> Address {
    "127.0.0.1:323".parse().unwrap()
}

fn socket() -> Address {
    "/run/chrony/chronyd.sock".parse().unwrap()
}

fn snap(name: &str, report: &Report) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(
            format!("check__{name}"),
            format!("exit {}\n{}", report.state.code(), report.text)
        )
    });
}

pub(super) fn ok(t: Tracking, config: &Config) -> Report {
    let resolution = Resolution {
        address: Some(udp()),
        skipped: Vec::new(),
    };
    render(&Ok(t), &resolution, config, now())
}

fn failed(e: Error, config: &Config) -> Report {
    render(&Err(e), &Resolution::default(), config, now())
}

#[test]
fn ok_synchronised() {
    let r = ok(synchronised(), &Config::default());
    assert_eq!(r.state, State::Ok);
    snap("ok_synchronised", &r);
}

#[test]
fn ok_negative_offset_within_absolute_range() {
    // -8 ms against -w 0.01: the range applies to |offset|.
    let r = ok(with_offset(-0.008), &tight());
    assert_eq!(r.state, State::Ok);
    snap("ok_negative_offset", &r);
}

#[test]
fn warning_offset() {
    let r = ok(with_offset(0.0523), &tight());
    assert_eq!(r.state, State::Warning);
    snap("warning_offset", &r);
}

#[test]
fn critical_offset_negative() {
    let r = ok(with_offset(-0.5), &tight());
    assert_eq!(r.state, State::Critical);
    snap("critical_offset_negative", &r);
}

#[test]
fn offset_at_the_range_end_is_ok() {
    // Endpoints are inclusive: exactly 0.01 is not outside `0.01`.
    let r = ok(with_offset(0.01), &tight());
    assert_eq!(r.state, State::Ok);
}

#[test]
fn warning_stratum() {
    let mut c = Config::default();
    c.thresholds.stratum = Limits {
        warning: plain("1:3"),
        critical: plain("1:5"),
    };
    let r = ok(synchronised(), &c);
    assert_eq!(r.state, State::Warning);
    snap("warning_stratum", &r);
}

#[test]
fn critical_root_distance() {
    let mut c = Config::default();
    c.thresholds.root_distance = Limits {
        warning: range("1ms"),
        critical: range("0.004"),
    };
    let r = ok(synchronised(), &c);
    assert_eq!(r.state, State::Critical);
    snap("critical_root_distance", &r);
}

#[test]
fn warning_stale_reference_default_thresholds() {
    // Last updated 2 h ago: past the default 1 h warning, short of 4 h.
    let mut t = synchronised();
    t.reference_time = Timestamp::new(1_795_675_351 - 7200, 0);
    let r = ok(t, &Config::default());
    assert_eq!(r.state, State::Warning);
    snap("warning_ref_age", &r);
}

#[test]
fn critical_stale_reference_custom_thresholds() {
    let mut t = synchronised();
    t.reference_time = Timestamp::new(1_795_675_351 - 1000, 0);
    let mut c = Config::default();
    c.thresholds.ref_age = Limits {
        warning: range("5m"),
        critical: range("15m"),
    };
    let r = ok(t, &c);
    assert_eq!(r.state, State::Critical);
    snap("critical_ref_age", &r);
}

#[test]
fn warning_rms_offset() {
    let mut c = Config::default();
    c.thresholds.rms_offset = Limits {
        warning: range("0.00000005"),
        critical: range("0.001"),
    };
    let r = ok(synchronised(), &c);
    assert_eq!(r.state, State::Warning);
    snap("warning_rms_offset", &r);
}

#[test]
fn critical_frequency_absolute() {
    // -16 ppm against 10: |frequency| is checked.
    let mut c = Config::default();
    c.thresholds.frequency = Limits {
        warning: plain("5"),
        critical: plain("10"),
    };
    let r = ok(synchronised(), &c);
    assert_eq!(r.state, State::Critical);
    snap("critical_frequency", &r);
}

#[test]
fn warning_skew_inside_range() {
    let mut c = Config::default();
    c.thresholds.skew = Limits {
        warning: plain("@0.01:0.05"),
        critical: None,
    };
    let r = ok(synchronised(), &c);
    assert_eq!(r.state, State::Warning);
    snap("warning_skew_inside", &r);
}

#[test]
fn several_triggers_worst_first() {
    let mut c = tight();
    c.thresholds.stratum.warning = plain("1:3");
    c.thresholds.frequency.critical = plain("10");
    let r = ok(with_offset(0.0523), &c);
    assert_eq!(r.state, State::Critical);
    snap("critical_several", &r);
}

#[test]
fn critical_unsynchronised() {
    let r = ok(unsynchronised(), &Config::default());
    assert_eq!(r.state, State::Critical);
    snap("critical_unsynchronised", &r);
}

#[test]
fn unsynchronised_mapped_to_warning() {
    let c = Config {
        on_unsynchronised: State::Warning,
        ..Config::default()
    };
    let r = ok(unsynchronised(), &c);
    assert_eq!(r.state, State::Warning);
    snap("warning_unsynchronised_mapped", &r);
}

#[test]
fn unsynchronised_mapped_to_ok_still_says_so() {
    let c = Config {
        on_unsynchronised: State::Ok,
        ..Config::default()
    };
    let r = ok(unsynchronised(), &c);
    assert_eq!(r.state, State::Ok);
    snap("ok_unsynchronised_mapped", &r);
}

pub(super) fn local() -> Tracking {
    Tracking {
        reference_id: LOCAL_REFERENCE_ID,
        address: None,
        stratum: 10,
        root_delay: 0.0,
        root_dispersion: 0.000001,
        ..synchronised()
    }
}

#[test]
fn warning_local_reference() {
    let r = ok(local(), &Config::default());
    assert_eq!(r.state, State::Warning);
    snap("warning_local_reference", &r);
}

#[test]
fn local_reference_mapped_to_ok() {
    let c = Config {
        on_local_reference: State::Ok,
        ..Config::default()
    };
    let r = ok(local(), &c);
    assert_eq!(r.state, State::Ok);
    snap("ok_local_reference_mapped", &r);
}

#[test]
fn ok_refclock() {
    let t = Tracking {
        reference_id: u32::from_be_bytes(*b"GPS\0"),
        address: None,
        stratum: 1,
        root_delay: 0.0,
        root_dispersion: 0.0000021,
        ..synchronised()
    };
    let r = ok(t, &Config::default());
    assert_eq!(r.state, State::Ok);
    snap("ok_refclock", &r);
}

#[test]
fn ok_leap_insert_pending_with_note() {
    let t = Tracking {
        leap_status: LeapStatus::InsertSecond,
        ..synchronised()
    };
    let r = ok(t, &Config::default());
    assert_eq!(r.state, State::Ok);
    snap("ok_leap_insert", &r);
}

#[test]
fn leap_delete_pending_mapped_to_warning() {
    let t = Tracking {
        leap_status: LeapStatus::DeleteSecond,
        ..synchronised()
    };
    let c = Config {
        on_leap_pending: State::Warning,
        ..Config::default()
    };
    let r = ok(t, &c);
    assert_eq!(r.state, State::Warning);
    snap("warning_leap_delete", &r);
}

#[test]
fn unknown_ref_age_never_updated_but_synchronised() {
    // Should not happen; if it does the check says it cannot vouch for it.
    let mut t = synchronised();
    t.reference_time = Timestamp::new(0, 0);
    let r = ok(t, &Config::default());
    assert_eq!(r.state, State::Unknown);
    snap("unknown_ref_age_never_updated", &r);
}

#[test]
fn nan_value_alerts_and_is_left_out_of_perfdata() {
    // Not `offset=U`: Icinga 2's parser throws on `U` (see `perfdata`).
    let r = ok(with_offset(f64::NAN), &Config::default());
    assert_eq!(r.state, State::Critical);
    let perfdata = r.text.lines().next().unwrap().split_once('|').unwrap().1;
    assert!(perfdata.starts_with("last_offset="), "{perfdata}");
    assert!(!perfdata.contains("offset_abs"), "{perfdata}");
    assert!(!perfdata.contains("=U"), "{perfdata}");
}

#[test]
fn verbose_1() {
    let mut c = tight();
    c.verbosity = 1;
    snap("verbose_1", &ok(with_offset(0.0523), &c));
}

#[test]
fn verbose_2() {
    let mut c = tight();
    c.verbosity = 2;
    let resolution = Resolution {
        address: Some(udp()),
        skipped: vec![Error::new(
            ErrorKind::PermissionDenied,
            Some(&socket()),
            "permission denied (chronyd's Unix socket is for root and chronyd's user only; \
             unprivileged monitoring reads the UDP command port, 127.0.0.1:323)",
        )],
    };
    let r = render(&Ok(with_offset(0.0523)), &resolution, &c, now());
    snap("verbose_2", &r);
}

#[test]
fn verbose_3() {
    let mut c = tight();
    c.verbosity = 3;
    snap("verbose_3", &ok(with_offset(0.0523), &c));
}

#[test]
fn verbose_1_unsynchronised() {
    let c = Config {
        verbosity: 1,
        ..Config::default()
    };
    snap("verbose_1_unsynchronised", &ok(unsynchronised(), &c));
}

// Failures: one per kind, with the core's own wording.

fn error(kind: ErrorKind, address: Address, detail: &str) -> Error {
    Error::new(kind, Some(&address), detail)
}

#[test]
fn critical_no_socket() {
    let e = error(
        ErrorKind::NoSocket,
        socket(),
        "no such socket (chronyd not running, or its command socket is elsewhere)",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Critical);
    snap("critical_no_socket", &r);
}

#[test]
fn critical_connection_refused() {
    let e = error(
        ErrorKind::ConnectionRefused,
        udp(),
        "connection refused (chronyd not running, or its command port is closed: see `cmdport`)",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Critical);
    snap("critical_connection_refused", &r);
}

#[test]
fn critical_timeout() {
    let e = Error::timeout(&udp(), Duration::from_secs(2), 0);
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Critical);
    snap("critical_timeout", &r);
}

#[test]
fn verbose_1_timeout_in_a_list_names_what_was_not_tried() {
    let c = Config {
        verbosity: 1,
        target: "/run/chrony/chronyd.sock,127.0.0.1:323,[::1]:323"
            .parse()
            .unwrap(),
        ..Config::default()
    };
    let socket: Address = "/run/chrony/chronyd.sock".parse().unwrap();
    let r = failed(Error::timeout(&socket, Duration::from_secs(10), 0), &c);
    assert_eq!(r.state, State::Critical);
    assert!(
        r.text.contains(
            "not tried 127.0.0.1:323: the deadline was spent on /run/chrony/chronyd.sock"
        ),
        "{}",
        r.text
    );
    snap("verbose_1_timeout_not_tried", &r);
}

#[test]
fn timeout_mapped_to_unknown() {
    let c = Config {
        on_unreachable: State::Unknown,
        ..Config::default()
    };
    let r = failed(Error::timeout(&udp(), Duration::from_secs(10), 0), &c);
    assert_eq!(r.state, State::Unknown);
    snap("unknown_timeout_mapped", &r);
}

#[test]
fn critical_unauthorized() {
    let e = error(
        ErrorKind::Unauthorized,
        "192.0.2.1:323".parse().unwrap(),
        "chronyd refused the request: not authorised (allow this host with `cmdallow`, or use the Unix socket as root)",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Critical);
    snap("critical_unauthorized", &r);
}

#[test]
fn critical_disabled() {
    let e = error(
        ErrorKind::Disabled,
        udp(),
        "chronyd refused the request: the command is disabled",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Critical);
    snap("critical_disabled", &r);
}

#[test]
fn unknown_permission_denied() {
    let e = error(
        ErrorKind::PermissionDenied,
        socket(),
        "permission denied (chronyd's Unix socket is for root and chronyd's user only; \
         unprivileged monitoring reads the UDP command port, 127.0.0.1:323)",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Unknown);
    snap("unknown_permission_denied", &r);
}

#[test]
fn unknown_not_a_socket() {
    let e = error(
        ErrorKind::NotASocket,
        "/etc/chrony/chrony.conf".parse().unwrap(),
        "exists but is not a socket (give chronyd's command socket, `bindcmdaddress`)",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Unknown);
    snap("unknown_not_a_socket", &r);
}

#[test]
fn unknown_path_too_long() {
    let long = format!("/{}/chronyd.sock", "d".repeat(90));
    let e = error(
        ErrorKind::PathTooLong,
        Address::Unix(long.into()),
        "path too long for a Unix socket (at most 107 bytes, with room for libchrony's client socket beside it)",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Unknown);
    snap("unknown_path_too_long", &r);
}

#[test]
fn unknown_open_failed() {
    let e = error(
        ErrorKind::Open,
        udp(),
        "cannot open: Address family not supported by protocol (os error 97)",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Unknown);
    snap("unknown_open_failed", &r);
}

#[test]
fn unknown_protocol() {
    let e = error(
        ErrorKind::Protocol,
        udp(),
        "protocol error: Server is too new",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Unknown);
    snap("unknown_protocol", &r);
}

#[test]
fn unknown_data() {
    let e = error(
        ErrorKind::Data,
        udp(),
        "bad tracking report: field 'leap status' is 7, not 0 to 3",
    );
    let r = failed(e, &Config::default());
    assert_eq!(r.state, State::Unknown);
    snap("unknown_data", &r);
}

fn auto_attempts() -> Error {
    let no_socket = "no such socket (chronyd not running, or its command socket is elsewhere)";
    let refused =
        "connection refused (chronyd not running, or its command port is closed: see `cmdport`)";
    Error::from_attempts(vec![
        error(ErrorKind::NoSocket, socket(), no_socket),
        error(
            ErrorKind::NoSocket,
            "/var/run/chrony/chronyd.sock".parse().unwrap(),
            no_socket,
        ),
        error(ErrorKind::ConnectionRefused, udp(), refused),
        error(
            ErrorKind::ConnectionRefused,
            "[::1]:323".parse().unwrap(),
            refused,
        ),
    ])
}

#[test]
fn critical_auto_nothing_answers() {
    let r = failed(auto_attempts(), &Config::default());
    assert_eq!(r.state, State::Critical);
    snap("critical_auto_nothing_answers", &r);
}

#[test]
fn verbose_2_auto_nothing_answers() {
    let c = Config {
        verbosity: 2,
        target: Target::auto(),
        ..Config::default()
    };
    snap(
        "verbose_2_auto_nothing_answers",
        &failed(auto_attempts(), &c),
    );
}

#[test]
fn a_pipe_in_a_refclock_id_never_starts_perfdata() {
    let t = Tracking {
        reference_id: u32::from_be_bytes(*b"G|S\0"),
        address: None,
        stratum: 1,
        ..synchronised()
    };
    for verbosity in 0..=3 {
        let c = Config {
            verbosity,
            ..Config::default()
        };
        let r = ok(t.clone(), &c);
        assert_eq!(r.text.matches('|').count(), 1, "{}", r.text);
        assert!(
            r.text.contains("reference G/S (refclock) stratum 1"),
            "{}",
            r.text
        );
    }
    let e = Error::new(
        ErrorKind::NoSocket,
        Some(&"/tmp/a|b.sock".parse().unwrap()),
        "no such socket",
    );
    for verbosity in 0..=3 {
        let c = Config {
            verbosity,
            ..Config::default()
        };
        let r = failed(e.clone(), &c);
        assert!(!r.text.contains('|'), "{}", r.text);
    }
}

#[test]
fn no_output_ever_has_an_exponent_or_a_stray_pipe() {
    let mut t = synchronised();
    t.last_offset = 1e-12;
    t.root_dispersion = 123456789.0;
    t.frequency = -5e-300;
    for verbosity in 0..=3 {
        let c = Config {
            verbosity,
            ..Config::default()
        };
        let r = ok(t.clone(), &c);
        assert!(!r.text.contains("e-"), "{}", r.text);
        assert!(!r.text.contains("e+"), "{}", r.text);
        assert_eq!(r.text.matches('|').count(), 1, "{}", r.text);
    }
}

/// Nagios 4, Naemon and Centreon turn every `;` of plugin output into `:`,
/// and Icinga keeps a space before `|` as part of the output: no line the
/// check prints has either, whatever chronyd or the OS put in a message.
#[test]
fn no_semicolon_and_no_space_before_the_pipe() {
    let refclock = Tracking {
        reference_id: u32::from_be_bytes(*b"G;S\0"),
        address: None,
        stratum: 1,
        ..synchronised()
    };
    let reports = |verbosity| {
        let c = Config {
            verbosity,
            ..tight()
        };
        let errors = [
            Error::timeout(&udp(), Duration::from_secs(2), 3),
            auto_attempts(),
            error(
                ErrorKind::PermissionDenied,
                socket(),
                "permission denied (for root only; use UDP)",
            ),
            error(ErrorKind::Protocol, udp(), "a; b | c"),
        ];
        let mut all = vec![
            ok(synchronised(), &c),
            ok(with_offset(-0.5), &c),
            ok(unsynchronised(), &c),
            ok(local(), &c),
            ok(refclock.clone(), &c),
        ];
        all.extend(errors.into_iter().map(|e| failed(e, &c)));
        all
    };
    for verbosity in 0..=3 {
        for r in reports(verbosity) {
            let (first, long) = r.text.split_once('\n').unwrap();
            let (status, perfdata) = first.split_once('|').unwrap_or((first, ""));
            assert!(!status.contains(';'), "{}", r.text);
            assert!(!long.contains(';'), "{}", r.text);
            assert!(!status.ends_with(' '), "space before '|': {first}");
            assert!(!perfdata.starts_with(' '), "{first}");
        }
    }
    let r = ok(refclock, &Config::default());
    assert!(r.text.contains("reference G,S (refclock)"), "{}", r.text);
}

/// Usage errors (the binary prints `one_line` of them) and the help text
/// have no `;` either, whatever the user typed.
#[test]
fn usage_errors_and_help_have_no_semicolon() {
    use super::{cli, one_line};
    for args in [
        &["-H", "chrony.example.org"][..],
        &["-H", "/".repeat(200).as_str()][..],
        &["-w", "a;b"][..],
        &["-t", "soon"][..],
        &["-w", "1:0"][..],
        &["--nonsense"][..],
    ] {
        let e = cli::parse_args(args.iter().map(std::ffi::OsString::from))
            .err()
            .unwrap_or_else(|| panic!("{args:?} accepted"));
        let line = one_line(&e.to_string());
        assert!(!line.contains(';'), "{args:?}: {line}");
    }
    assert!(!cli::help().contains(';'), "{}", cli::help());
    assert!(!cli::USAGE.contains(';'));
}
