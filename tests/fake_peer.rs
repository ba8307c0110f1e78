//! Faults real chronyd cannot produce: a peer on the UDP command port that
//! answers with garbage, truncated or mismatched replies. Whatever it sends,
//! a read must end by its deadline with an error, never hang or crash, and
//! the client must work again once a real answer is possible.

mod support;

use chrony_plugins::{Client, ErrorKind, Target};
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// Answers every request with `reply(request)` until dropped.
struct FakePeer {
    port: u16,
    /// When set, requests are counted but not answered.
    silent: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<usize>>,
}

impl FakePeer {
    fn start(reply: fn(&[u8]) -> Vec<u8>) -> FakePeer {
        FakePeer::start_delayed(reply, Duration::ZERO)
    }

    /// Like `start`, each reply sent `delay` after its request.
    fn start_delayed(reply: fn(&[u8]) -> Vec<u8>, delay: Duration) -> FakePeer {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let silent = Arc::new(AtomicBool::new(false));
        let silent2 = silent.clone();
        let handle = thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut answered = 0;
            while !stop2.load(Ordering::Relaxed) {
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    if silent2.load(Ordering::Relaxed) {
                    } else if delay.is_zero() {
                        let _ = socket.send_to(&reply(&buf[..n]), from);
                    } else {
                        let answer = reply(&buf[..n]);
                        let socket = socket.try_clone().unwrap();
                        thread::spawn(move || {
                            thread::sleep(delay);
                            let _ = socket.send_to(&answer, from);
                        });
                    }
                    answered += 1;
                }
            }
            answered
        });
        FakePeer {
            port,
            silent,
            stop,
            handle: Some(handle),
        }
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the peer; the number of requests it received.
    fn answered(mut self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().unwrap().join().unwrap()
    }
}

impl Drop for FakePeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

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

/// A well-formed chronyd tracking reply (cmdmon protocol 6) to `request`,
/// with the given status and leap status; all floats 0 except the
/// frequency, 1 ppm. Only this fake can send values chronyd never would.
fn tracking_reply(request: &[u8], status: u16, leap: u16) -> Vec<u8> {
    let mut r = vec![0u8; 108];
    if request.len() < 12 {
        return r;
    }
    r[0] = request[0]; // protocol version
    r[1] = 2; // PKT_TYPE_CMD_REPLY
    r[4..6].copy_from_slice(&request[4..6]); // command
    r[6..8].copy_from_slice(&5u16.to_be_bytes()); // RPY_TRACKING
    r[8..10].copy_from_slice(&status.to_be_bytes());
    r[16..20].copy_from_slice(&request[8..12]); // sequence
    r[28..32].copy_from_slice(&0xC000_0201u32.to_be_bytes()); // ref id 192.0.2.1
    r[32..36].copy_from_slice(&[192, 0, 2, 1]);
    r[48..50].copy_from_slice(&1u16.to_be_bytes()); // IPADDR_INET4
    r[52..54].copy_from_slice(&2u16.to_be_bytes()); // stratum
    r[54..56].copy_from_slice(&leap.to_be_bytes());
    r[60..64].copy_from_slice(&1_700_000_000u32.to_be_bytes()); // ref time, seconds (low)
    r[64..68].copy_from_slice(&5u32.to_be_bytes()); // nanoseconds
                                                    // frequency 1 ppm: chrony floats are coef * 2^(exp - 25), exp in the top 7 bits
    r[80..84].copy_from_slice(&((25u32 << 25) | 1).to_be_bytes());
    r
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
