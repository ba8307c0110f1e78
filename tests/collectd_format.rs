//! The exact text collectd reads from `collectd-chrony-tracking`, for fixed
//! tracking reports and a fixed time, pinned with insta snapshots.

use chrony_plugins::collectd::{Identity, Notifier, Renderer, ValueSet};
use chrony_plugins::{LeapStatus, Timestamp, Tracking};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 10 s after the sample's reference time.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::new(1_795_675_350, 924_973_746)
}

fn synchronised() -> Tracking {
    Tracking {
        reference_id: 0x7F00_0001,
        address: Some("127.0.0.1".parse().unwrap()),
        stratum: 4,
        leap_status: LeapStatus::Normal,
        reference_time: Timestamp::new(1_795_675_340, 924_973_746),
        current_correction: 0.0499984,
        last_offset: -1.8e-8,
        rms_offset: 5.6e-8,
        frequency: -16.000999450683594,
        residual_frequency: -0.0004,
        skew: 0.028,
        root_delay: 0.0016550000291317701,
        root_dispersion: 0.00330700003542006,
        update_interval: 507.1999816894531,
    }
}

fn unsynchronised() -> Tracking {
    Tracking {
        reference_id: 0,
        address: None,
        stratum: 0,
        leap_status: LeapStatus::NotSynchronised,
        reference_time: Timestamp::new(0, 0),
        current_correction: 0.0,
        last_offset: 0.0,
        rms_offset: 0.0,
        frequency: 12.5,
        residual_frequency: 0.0,
        skew: 0.0,
        root_delay: 1.0,
        root_dispersion: 1.0,
        update_interval: 0.0,
    }
}

fn refclock() -> Tracking {
    Tracking {
        reference_id: u32::from_be_bytes(*b"PPS\0"),
        address: None,
        stratum: 1,
        root_delay: 0.000001,
        root_dispersion: 0.0000105,
        ..synchronised()
    }
}

fn leap_pending() -> Tracking {
    Tracking {
        leap_status: LeapStatus::InsertSecond,
        ..synchronised()
    }
}

/// Snapshots live in the repo's top-level `snapshots/`, named explicitly.
fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

fn putvals(identity: &Identity, set: ValueSet, t: &Tracking) -> String {
    let mut out = String::new();
    Renderer::new(identity, Duration::from_secs(10), set).putvals(t, now(), &mut out);
    out
}

fn host() -> Identity {
    Identity::new("db1.example.org", None).unwrap()
}

#[test]
fn putval_synchronised() {
    snapshot(
        "collectd__putval_synchronised",
        &putvals(&host(), ValueSet::All, &synchronised()),
    );
}

#[test]
fn putval_unsynchronised() {
    snapshot(
        "collectd__putval_unsynchronised",
        &putvals(&host(), ValueSet::All, &unsynchronised()),
    );
}

#[test]
fn putval_refclock() {
    snapshot(
        "collectd__putval_refclock",
        &putvals(&host(), ValueSet::All, &refclock()),
    );
}

#[test]
fn putval_leap_pending() {
    snapshot(
        "collectd__putval_leap_pending",
        &putvals(&host(), ValueSet::All, &leap_pending()),
    );
}

#[test]
fn putval_plugin_instance() {
    let id = Identity::new("db1.example.org", Some("ntp-b")).unwrap();
    snapshot(
        "collectd__putval_plugin_instance",
        &putvals(&id, ValueSet::All, &synchronised()),
    );
}

#[test]
fn putval_builtin_only() {
    snapshot(
        "collectd__putval_builtin_only",
        &putvals(&host(), ValueSet::Builtin, &synchronised()),
    );
}

#[test]
fn putval_host_with_space_quoted() {
    let id = Identity::new("rack 7 \"db\"", Some("a b")).unwrap();
    snapshot(
        "collectd__putval_quoted",
        &putvals(&id, ValueSet::Builtin, &synchronised()),
    );
}

/// Runs `outcomes` through one notifier, one gather per second, and prints
/// what each gather sends: its notifications, its stderr line, and how many
/// PUTVAL lines follow.
fn transitions(identity: &Identity, outcomes: &[(&str, Result<Tracking, &str>)]) -> String {
    let mut notifier = Notifier::new();
    // A real refusal (nothing listens on port 1), so the text is the
    // library's own; the "answers again" gathers pretend that address answered.
    let address: chrony_plugins::Address = "127.0.0.1:1".parse().unwrap();
    let mut client = chrony_plugins::Client::new("127.0.0.1:1".parse().unwrap());
    let refused = client
        .tracking(Duration::from_secs(1))
        .expect_err("nothing listens on port 1");
    let mut text = String::new();
    for (i, (label, outcome)) in outcomes.iter().enumerate() {
        let time = now() + Duration::from_secs(i as u64);
        text.push_str(&format!("# gather {i}: {label}\n"));
        let outcome = outcome.as_ref().map_err(|_| &refused);
        let update = notifier.observe(outcome, Some(&address));
        for n in &update.notifications {
            n.render(identity, time, &mut text);
        }
        if let Some(line) = update.log {
            text.push_str(&format!("stderr: {line}\n"));
        }
        if let Ok(t) = outcome {
            let mut lines = String::new();
            Renderer::new(identity, Duration::from_secs(1), ValueSet::All)
                .putvals(t, time, &mut lines);
            text.push_str(&format!("({} PUTVAL lines)\n", lines.lines().count()));
        }
    }
    text
}

#[test]
fn notifications_sync_lost_and_back() {
    let text = transitions(
        &host(),
        &[
            ("synchronised at start", Ok(synchronised())),
            ("still synchronised", Ok(synchronised())),
            ("lost", Ok(unsynchronised())),
            ("still lost", Ok(unsynchronised())),
            ("back", Ok(synchronised())),
        ],
    );
    snapshot("collectd__notify_sync_lost_and_back", &text);
}

#[test]
fn notifications_chronyd_silent_and_back() {
    let id = Identity::new("db1.example.org", Some("ntp-b")).unwrap();
    let text = transitions(
        &id,
        &[
            ("synchronised at start", Ok(synchronised())),
            ("refused", Err("refused")),
            ("still refused", Err("refused")),
            ("answers again", Ok(synchronised())),
        ],
    );
    snapshot("collectd__notify_silent_and_back", &text);
}

#[test]
fn notifications_bad_start() {
    let text = transitions(
        &host(),
        &[
            ("refused at start", Err("refused")),
            ("answers, unsynchronised", Ok(unsynchronised())),
            ("synchronised", Ok(synchronised())),
        ],
    );
    snapshot("collectd__notify_bad_start", &text);
}

/// A topology like the live tests' (tests/support/topology.rs), as fixed
/// records: selected, combined, falseticker, noselect, a source whose last
/// poll went unanswered, one never answered, a reference clock, an IPv6
/// server, and one without statistics yet (no such source).
fn source_entries() -> Vec<chrony_plugins::report::SourceEntry> {
    use chrony_plugins::report::SourceEntry;
    use chrony_plugins::{Source, SourceMode, SourceState, SourceStats};
    let source = |name: &str, state, reach: u8| Source {
        address: name.parse().ok(),
        reference_id: None,
        name: name.to_string(),
        mode: SourceMode::Server,
        state,
        reach,
        stratum: 3,
        poll: 6,
        last_sample_ago: Some(17),
        original_offset: 0.000_012_5,
        adjusted_offset: 0.000_012_25,
        error: 0.000_25,
    };
    let stats = |name: &str| SourceStats {
        address: name.parse().ok(),
        reference_id: 0x7F00_0002,
        name: name.to_string(),
        samples: 8,
        runs: 5,
        span: 450,
        std_dev: 0.000_03,
        residual_frequency: -0.125,
        skew: 1.5,
        offset: 0.000_001,
        offset_error: 0.000_02,
    };
    let entry = |source: Source| {
        let st = stats(&source.name);
        SourceEntry {
            source,
            stats: Some(st),
        }
    };
    let gps = u32::from_be_bytes(*b"GPS\0");
    vec![
        entry(source("127.0.0.2", SourceState::Selected, 0o377)),
        entry(source("127.0.0.3", SourceState::Combined, 0o377)),
        entry(Source {
            original_offset: -1.000_002,
            ..source("127.0.0.4", SourceState::Falseticker, 0o377)
        }),
        entry(source("127.0.0.5", SourceState::Nonselectable, 0o377)),
        // Answered before, not at the last poll: all undefined.
        entry(source("127.0.0.7", SourceState::Selectable, 0o376)),
        entry(Source {
            stratum: 0,
            last_sample_ago: None,
            original_offset: 0.0,
            ..source("127.0.0.6", SourceState::Nonselectable, 0)
        }),
        entry(Source {
            address: None,
            reference_id: Some(gps),
            name: "GPS".into(),
            mode: SourceMode::RefClock,
            stratum: 0,
            poll: 4,
            last_sample_ago: Some(3),
            ..source("GPS", SourceState::Combined, 0o17)
        }),
        entry(Source {
            mode: SourceMode::Peer,
            ..source("2001:db8::123", SourceState::Jittery, 0o377)
        }),
        SourceEntry {
            source: source("127.0.0.8", SourceState::Nonselectable, 0o1),
            stats: None,
        },
    ]
}

#[test]
fn putval_sources() {
    use chrony_plugins::collectd::SourceRenderer;
    let id = Identity::new("db1.example.org", None).unwrap();
    let mut out = String::new();
    SourceRenderer::new(&id, Duration::from_secs(10)).putvals(&source_entries(), now(), &mut out);
    snapshot("collectd__putval_sources", &out);
}

#[test]
fn putval_sources_plugin_instance_quoted() {
    use chrony_plugins::collectd::SourceRenderer;
    let id = Identity::new("my host", Some("ntp2")).unwrap();
    let mut out = String::new();
    SourceRenderer::new(&id, Duration::from_millis(1500)).putvals(
        &source_entries()[..1],
        now(),
        &mut out,
    );
    snapshot("collectd__putval_sources_quoted", &out);
}
