//! Snapshots of `check_chrony_sources`' complete output and exit code for
//! fixed source lists, in every state (pinned in `snapshots/sources__*.snap`).
//! Real runs against chronyd are in `tests/sources.rs`.

use super::fixtures::{harness, healthy, server};
use super::model::{Selection, Selector, Source};
use super::{render, Config};
use crate::address::Address;
use crate::check::{Limits, Range, Report, Resolution, State, Unit};
use crate::error::{Error, ErrorKind};

fn snap(name: &str, report: &Report) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| {
        insta::assert_snapshot!(
            format!("sources__{name}"),
            format!("exit {}\n{}", report.state.code(), report.text)
        )
    });
}

fn udp() -> Address {
    "127.0.0.1:323".parse().unwrap()
}

pub(super) fn run(sources: &[Source], config: &Config) -> Report {
    let resolution = Resolution {
        address: Some(udp()),
        skipped: Vec::new(),
    };
    render(&Ok(sources.to_vec()), &resolution, None, config)
}

pub(super) fn verbose(level: u8) -> Config {
    Config {
        verbosity: level,
        ..Config::default()
    }
}

pub(super) fn n(s: &str) -> Option<Range> {
    Some(Range::parse(s, Unit::Number).unwrap())
}

pub(super) fn secs(s: &str) -> Option<Range> {
    Some(Range::parse(s, Unit::Seconds).unwrap())
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn case(name: &str, sources: &[Source], config: &Config, expected: State) {
    let r = run(sources, config);
    assert_eq!(r.state, expected, "{name}:\n{}", r.text);
    let first = r.text.lines().next().unwrap();
    assert!(!first.contains(" |"), "{first}");
    assert!(!r.text.contains(';') || first.contains('|'), "{}", r.text);
    let (text, _) = first.split_once('|').unwrap();
    assert!(!text.contains(';'), "{text}");
    for line in r.text.lines().skip(1) {
        assert!(!line.contains('|') && !line.contains(';'), "{line}");
    }
    snap(name, &r);
}

#[test]
fn ok_healthy() {
    case("ok_healthy", &healthy(), &Config::default(), State::Ok);
}

#[test]
fn ok_healthy_verbose() {
    case("ok_healthy_v", &healthy(), &verbose(1), State::Ok);
}

/// Over UDP chronyd refuses `-v`'s selectdata read: the source lines go
/// without its reasons, and one line gives the refusal and its fix.
#[test]
fn ok_healthy_verbose_selectdata_refused() {
    let refused = Error::new(
        ErrorKind::SocketOnly,
        Some(&udp()),
        "chronyd refused the selectdata report over UDP: it serves it only on its Unix socket \
         (read it there as root or chronyd's user, e.g. -H /run/chrony/chronyd.sock, \
         or open it to the command port with `opencommands selectdata` in chrony.conf, chrony 4.7 or later)",
    );
    let resolution = Resolution {
        address: Some(udp()),
        skipped: Vec::new(),
    };
    let r = render(&Ok(healthy()), &resolution, Some(&refused), &verbose(1));
    assert_eq!(r.state, State::Ok);
    let line = r
        .text
        .lines()
        .find(|l| l.starts_with("selectdata not read: "))
        .unwrap_or_else(|| panic!("{}", r.text));
    assert!(line.contains("opencommands selectdata"), "{line}");
    // Only -v shows it.
    let quiet = render(
        &Ok(healthy()),
        &resolution,
        Some(&refused),
        &Config::default(),
    );
    assert!(!quiet.text.contains("selectdata"), "{}", quiet.text);
    snap("ok_healthy_v_selectdata_refused", &r);
}

#[test]
fn ok_healthy_vvv_with_perfdata_sources() {
    let config = Config {
        perfdata_sources: true,
        ..verbose(3)
    };
    case(
        "ok_healthy_vvv_perfdata_sources",
        &healthy(),
        &config,
        State::Ok,
    );
}

#[test]
fn warning_harness() {
    // The test harness: one unreachable source (worst reach 0%), one
    // falseticker, 2 usable.
    case("warning_harness", &harness(), &verbose(1), State::Warning);
}

#[test]
fn warning_harness_perfdata_sources() {
    let config = Config {
        perfdata_sources: true,
        ..Config::default()
    };
    case(
        "warning_harness_perfdata_sources",
        &harness(),
        &config,
        State::Warning,
    );
}

#[test]
fn ok_harness_ignoring_the_bad_ones() {
    let mut config = verbose(1);
    config.ignore = vec![sel("127.0.0.3"), sel("127.0.0.4")];
    config.thresholds.usable.warning = n("2:");
    case("ok_harness_ignored", &harness(), &config, State::Ok);
}

#[test]
fn warning_usable() {
    let sources = &healthy()[..2];
    case(
        "warning_usable",
        sources,
        &Config::default(),
        State::Warning,
    );
}

#[test]
fn critical_no_usable_no_selected() {
    let sources: Vec<Source> = healthy()
        .into_iter()
        .map(|s| Source {
            selection: Selection::Nonselectable,
            ..s
        })
        .collect();
    case("critical_no_usable", &sources, &verbose(1), State::Critical);
}

#[test]
fn warning_no_selected_mapped() {
    let mut sources = healthy();
    sources[0].selection = Selection::Combined;
    let config = Config {
        on_no_selected: State::Warning,
        ..Config::default()
    };
    case(
        "warning_no_selected_mapped",
        &sources,
        &config,
        State::Warning,
    );
}

#[test]
fn critical_no_sources() {
    case("critical_no_sources", &[], &verbose(1), State::Critical);
}

#[test]
fn critical_nothing_reachable() {
    let sources: Vec<Source> = healthy()
        .into_iter()
        .map(|s| Source {
            reach: 0,
            selection: Selection::Nonselectable,
            last_sample_ago: None,
            ..s
        })
        .collect();
    case(
        "critical_unreachable",
        &sources,
        &Config::default(),
        State::Critical,
    );
}

#[test]
fn warning_reach_mean_and_worst() {
    let sources: Vec<Source> = healthy()
        .into_iter()
        .map(|s| Source { reach: 0o356, ..s })
        .collect();
    // 6 of 8 polls: 75% everywhere, on the warning edges (inclusive): OK.
    case(
        "ok_reach_on_the_edge",
        &sources,
        &Config::default(),
        State::Ok,
    );
    let sources: Vec<Source> = healthy()
        .into_iter()
        .map(|s| Source { reach: 0o252, ..s })
        .collect();
    case("warning_reach", &sources, &verbose(1), State::Warning);
    let sources: Vec<Source> = healthy()
        .into_iter()
        .map(|s| Source { reach: 0o201, ..s })
        .collect();
    case(
        "critical_reach_mean",
        &sources,
        &Config::default(),
        State::Critical,
    );
}

#[test]
fn warning_jittery_when_asked() {
    let mut sources = healthy();
    sources[3].selection = Selection::Jittery;
    let mut config = Config::default();
    config.thresholds.usable.warning = n("2:");
    config.thresholds.jittery = Limits {
        warning: n("0"),
        critical: n("2"),
    };
    case("warning_jittery", &sources, &config, State::Warning);
}

#[test]
fn critical_falsetickers_when_asked() {
    let mut config = verbose(1);
    config.thresholds.falsetickers.critical = n("0");
    case(
        "critical_falsetickers",
        &harness(),
        &config,
        State::Critical,
    );
}

#[test]
fn required_cases() {
    let mut config = verbose(1);
    config.thresholds.usable.warning = n("1:");
    config.thresholds.reach_worst.warning = n("~:");
    config.thresholds.falsetickers.warning = n("~:");
    config.require = vec![sel("127.0.0.2"), sel("GPS")];
    case("ok_required", &harness(), &config, State::Ok);
    config.require = vec![sel("127.0.0.3"), sel("127.0.0.4"), sel("192.0.2.99")];
    case("critical_required", &harness(), &config, State::Critical);
    config.on_required_failed = State::Warning;
    case(
        "warning_required_mapped",
        &harness(),
        &config,
        State::Warning,
    );
}

#[test]
fn offset_cases() {
    let mut config = Config {
        perfdata_sources: true,
        ..verbose(1)
    };
    config.thresholds.offset = Limits {
        warning: secs("1ms"),
        critical: secs("0.5"),
    };
    case("critical_offset", &harness(), &config, State::Critical);
    let mut sources = healthy();
    sources.push(Source {
        offset: -0.0042,
        ..server("192.0.2.5", Selection::Selectable)
    });
    config.verbosity = 0;
    config.perfdata_sources = false;
    case("warning_offset", &sources, &config, State::Warning);
}

fn failed(e: Error, config: &Config) -> Report {
    render(&Err(e), &Resolution::default(), None, config)
}

#[test]
fn failures_read_as_the_tracking_check_words_them() {
    let timeout = Error::new(
        ErrorKind::Timeout,
        Some(&udp()),
        "no answer within 2s (chronyd stopped, overloaded, or packets dropped)",
    );
    let r = failed(timeout.clone(), &verbose(1));
    assert_eq!(r.state, State::Critical);
    snap("critical_timeout", &r);
    let mapped = Config {
        on_unreachable: State::Warning,
        ..Config::default()
    };
    assert_eq!(failed(timeout, &mapped).state, State::Warning);
    let denied = Error::new(
        ErrorKind::PermissionDenied,
        Some(&"/run/chrony/chronyd.sock".parse().unwrap()),
        "permission denied",
    );
    let r = failed(denied, &Config::default());
    assert_eq!(r.state, State::Unknown);
    snap("unknown_permission_denied", &r);
}

#[test]
fn ok_no_selected_mapped_still_says_so() {
    let mut sources = healthy();
    sources[0].selection = Selection::Combined;
    let config = Config {
        on_no_selected: State::Ok,
        ..Config::default()
    };
    let r = run(&sources, &config);
    assert!(r.text.contains("no source selected"), "{}", r.text);
    case("ok_no_selected_mapped", &sources, &config, State::Ok);
}

#[test]
fn warning_harness_vvv() {
    // A refclock's id and a source without a sample in the raw lines.
    case(
        "warning_harness_vvv",
        &harness(),
        &verbose(3),
        State::Warning,
    );
}

#[test]
fn perfdata_labels_unique_with_two_refclocks_of_one_refid() {
    // chronyd accepts `refclock SHM 0 refid DUP` twice.
    let gps = harness().pop().expect("the harness ends with its refclock");
    let mut sources = harness();
    sources.push(gps);
    let config = Config {
        perfdata_sources: true,
        ..Config::default()
    };
    let r = run(&sources, &config);
    let first = r.text.lines().next().unwrap();
    let perfdata = first.split_once('|').unwrap().1;
    let labels: Vec<&str> = perfdata
        .split(' ')
        .map(|i| i.split_once('=').unwrap().0)
        .collect();
    let unique: std::collections::BTreeSet<&&str> = labels.iter().collect();
    assert_eq!(unique.len(), labels.len(), "{perfdata}");
    assert!(perfdata.contains(" ref_GPS_n2_reach="), "{perfdata}");
}
