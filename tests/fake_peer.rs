//! Faults real chronyd cannot produce: a peer on the UDP command port that
//! answers with garbage, truncated or mismatched replies. Whatever it sends,
//! a read must end by its deadline with an error, never hang or crash, and
//! the client must work again once a real answer is possible.

mod support;

use chrony_plugins::{Client, ErrorKind, Target};
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};
use support::fake_peer::{tracking_reply, FakePeer};

fn read_with(reply: fn(&[u8]) -> Vec<u8>) -> (chrony_plugins::Error, Duration, usize) {
    let peer = FakePeer::start(reply);
    let target: Target = peer.address().parse().unwrap();
    let deadline = Duration::from_millis(700);
    let start = Instant::now();
    let e = Client::new(target).tracking(deadline).unwrap_err();
    let took = start.elapsed();
    assert!(
        took < deadline + Duration::from_millis(100),
        "{e}: took {took:?}"
    );
    (e, took, peer.answered())
}

/// Malformed replies end as a timeout (libchrony drops what it cannot
/// use) that says replies came but were ignored, or as a protocol error.
fn assert_bad_replies_reported(e: &chrony_plugins::Error) {
    match e.kind() {
        ErrorKind::Timeout => assert!(e.to_string().contains("replies ignored: malformed"), "{e}"),
        ErrorKind::Protocol => {}
        other => panic!("{other}: {e}"),
    }
}

#[test]
fn empty_reply() {
    let (e, _, answered) = read_with(|_| Vec::new());
    assert!(answered >= 1);
    assert_bad_replies_reported(&e);
}

#[test]
fn truncated_reply() {
    // The first bytes of the request echoed back: a header, no body.
    let (e, _, _) = read_with(|req| req[..req.len().min(8)].to_vec());
    assert_bad_replies_reported(&e);
}

#[test]
fn echoed_request() {
    // A request is not a reply (wrong packet type).
    let (e, _, _) = read_with(|req| req.to_vec());
    assert_bad_replies_reported(&e);
}

#[test]
fn garbage_reply() {
    let (e, _, _) = read_with(|req| {
        // Deterministic noise, as long as a real tracking reply.
        (0..104u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ req.len() as u8)
            .collect()
    });
    assert_bad_replies_reported(&e);
}

#[test]
fn reply_with_header_of_request_but_huge_length() {
    let (e, _, _) = read_with(|req| {
        let mut r = req.to_vec();
        r.resize(1500, 0xff);
        if r.len() > 1 {
            r[1] = 2; // packet type: reply
        }
        r
    });
    assert_bad_replies_reported(&e);
}

#[test]
fn silent_peer_gets_resends_within_the_deadline() {
    // A peer that reads requests and never answers (a reply of None).
    let peer = FakePeer::start(|_| Vec::new());
    peer.silent.store(true, Ordering::Relaxed);
    let target: Target = peer.address().parse().unwrap();
    let e = Client::new(target)
        .tracking(Duration::from_millis(700))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.to_string().contains("no answer within 700ms"), "{e}");
    // Sends at 0, 250 ms (resend), and 750 ms would be past the deadline.
    let requests = peer.answered();
    assert_eq!(requests, 2, "{requests} requests");
}

#[test]
fn well_formed_fake_reply_is_read() {
    let peer = FakePeer::start(|req| tracking_reply(req, 0, 0));
    let t = Client::new(peer.address().parse().unwrap())
        .tracking(Duration::from_secs(1))
        .unwrap();
    assert_eq!(t.reference_id, 0xC000_0201);
    assert_eq!(t.address, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(t.stratum, 2);
    assert_eq!(t.reference_time.to_string(), "1700000000.000000005");
    assert_eq!(t.frequency, 1.0);
    assert_eq!(t.current_correction, 0.0);
}

#[test]
fn impossible_leap_status_is_a_data_error_naming_the_field() {
    let peer = FakePeer::start(|req| tracking_reply(req, 0, 7));
    let e = Client::new(peer.address().parse().unwrap())
        .tracking(Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Data, "{e}");
    assert!(
        e.to_string()
            .contains("field 'leap status' is 7, not 0 to 3"),
        "{e}"
    );
}

#[test]
fn unauthorised_status_is_reported() {
    let peer = FakePeer::start(|req| tracking_reply(req, 2, 0)); // STT_UNAUTH
    let e = Client::new(peer.address().parse().unwrap())
        .tracking(Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
    assert!(e.to_string().contains("cmdallow"), "{e}");
}

#[test]
fn slow_peer_is_answered_by_a_later_resend() {
    // Every reply comes 1.1 s after its request, after the next resend has
    // made it stale: the resend interval must grow until one can match.
    let peer =
        FakePeer::start_delayed(|req| tracking_reply(req, 0, 0), Duration::from_millis(1100));
    let start = Instant::now();
    let t = Client::new(peer.address().parse().unwrap())
        .tracking(Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.stratum, 2);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn concurrent_clients_keep_their_own_reference_address() {
    // libchrony formats string fields into one static buffer: clients on two
    // threads must never see each other's address.
    let chrony = support::Chrony::start();
    let peer = FakePeer::start(|req| tracking_reply(req, 0, 0));
    let until = Instant::now() + Duration::from_secs(2);
    let reader = |address: String, expect: &'static str| {
        thread::spawn(move || {
            let mut c = Client::new(address.parse().unwrap());
            let expect = Some(expect.parse().unwrap());
            let mut reads = 0;
            while Instant::now() < until {
                let t = c.tracking(Duration::from_secs(2)).unwrap();
                assert_eq!(t.address, expect, "after {reads} reads");
                reads += 1;
            }
            reads
        })
    };
    let a = reader(peer.address(), "192.0.2.1");
    let b = reader(chrony.udp_address(), "127.0.0.1");
    assert!(a.join().unwrap() > 100);
    assert!(b.join().unwrap() > 100);
}
