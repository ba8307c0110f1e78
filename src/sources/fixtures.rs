//! Fixed source lists for the unit tests and snapshots.

use super::model::{Mode, Selection, Source};

/// An NTP server source with full reach and a small offset.
pub(super) fn server(address: &str, selection: Selection) -> Source {
    let ip: std::net::IpAddr = address.parse().expect("an IP address");
    Source {
        name: ip.to_string(),
        address: Some(ip),
        mode: Mode::Client,
        selection,
        reach: 0o377,
        stratum: 2,
        poll: 6,
        last_sample_ago: Some(23),
        offset: 0.000012345,
        error: 0.000456,
        original_offset: 0.000012345,
        reference_id: None,
        reason: None,
    }
}

/// Four good servers, one selected, as on a well-configured host.
pub(super) fn healthy() -> Vec<Source> {
    vec![
        server("192.0.2.1", Selection::Selected),
        server("192.0.2.2", Selection::Combined),
        Source {
            offset: -0.000321,
            ..server("2001:db8::123", Selection::Combined)
        },
        Source {
            offset: 0.0021,
            error: 0.0031,
            ..server("198.51.100.7", Selection::Selectable)
        },
    ]
}

/// The test harness's topology: a good server (selected), one that never
/// answers, one 1 s off (a falseticker), one `noselect`, and a reference
/// clock combined with the selected server.
pub(super) fn harness() -> Vec<Source> {
    vec![
        Source {
            poll: -2,
            last_sample_ago: Some(0),
            ..server("127.0.0.2", Selection::Selected)
        },
        Source {
            reach: 0,
            stratum: 0,
            poll: -2,
            last_sample_ago: None,
            offset: 0.0,
            error: 0.0,
            ..server("127.0.0.3", Selection::Nonselectable)
        },
        Source {
            poll: -2,
            offset: 1.0000234,
            error: 0.000012,
            ..server("127.0.0.4", Selection::Falseticker)
        },
        Source {
            poll: -2,
            // As -v shows it when selectdata could be read (the socket).
            reason: Some("selectdata N ignored, options N---".to_string()),
            ..server("127.0.0.5", Selection::Nonselectable)
        },
        Source {
            name: "GPS".to_string(),
            address: None,
            reference_id: Some(0x4750_5300),
            mode: Mode::RefClock,
            stratum: 0,
            poll: 0,
            last_sample_ago: Some(1),
            offset: -0.0000021,
            error: 0.0000005,
            ..server("127.0.0.1", Selection::Combined)
        },
    ]
}
