//! Races real chronyd produces only by chance, made certain by a fake
//! chronyd on the UDP command port: a source that vanishes between the
//! record count and its record ("no such source"), a source chronyd counts
//! but has no record for, and a source table that never holds still.

use chrony_plugins::{Client, ErrorKind, ReportKind};
use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// chronyd's request codes and reply codes (candm.h).
const REQ_N_SOURCES: u16 = 14;
const REQ_SOURCE_DATA: u16 = 15;
const RPY_N_SOURCES: u16 = 2;
const RPY_SOURCE_DATA: u16 = 3;
const STT_NOSUCHSOURCE: u16 = 4;

/// What the fake answers: the source count for each count request in turn
/// (the last one repeats), and which indexes answer "no such source".
struct Script {
    counts: Vec<u32>,
    missing: fn(count: u32, index: u32) -> bool,
}

/// A fake chronyd serving `sources` from a script; logs every request.
struct Fake {
    port: u16,
    log: Arc<Mutex<Vec<(u16, u32)>>>,
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Fake {
    fn start(script: Script) -> Fake {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (flag, requests) = (stop.clone(), log.clone());
        let handle = thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut counts_sent = 0usize;
            let mut count = 0u32;
            while !flag.load(Ordering::Relaxed) {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    continue;
                };
                let req = &buf[..n];
                if n < 24 {
                    continue;
                }
                let code = u16::from_be_bytes([req[4], req[5]]);
                let index = u32::from_be_bytes([req[20], req[21], req[22], req[23]]);
                requests.lock().unwrap().push((code, index));
                let reply = match code {
                    REQ_N_SOURCES => {
                        count = script.counts[counts_sent.min(script.counts.len() - 1)];
                        counts_sent += 1;
                        let mut r = header(req, RPY_N_SOURCES, 0);
                        r[28..32].copy_from_slice(&count.to_be_bytes());
                        r
                    }
                    REQ_SOURCE_DATA if index >= count || (script.missing)(count, index) => {
                        header(req, RPY_SOURCE_DATA, STT_NOSUCHSOURCE)
                    }
                    REQ_SOURCE_DATA => source(req, index),
                    _ => continue,
                };
                let _ = socket.send_to(&reply, from);
            }
        });
        Fake {
            port,
            log,
            stop,
            handle: Some(handle),
        }
    }

    fn client(&self) -> Client {
        Client::new(format!("127.0.0.1:{}", self.port).parse().unwrap())
    }

    /// The requests received: (request code, index).
    fn requests(&self) -> Vec<(u16, u32)> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A reply header for `req` with `reply` code and `status`, 128 bytes.
fn header(req: &[u8], reply: u16, status: u16) -> Vec<u8> {
    let mut r = vec![0u8; 128];
    r[0] = req[0];
    r[1] = 2; // reply
    r[4..6].copy_from_slice(&req[4..6]);
    r[6..8].copy_from_slice(&reply.to_be_bytes());
    r[8..10].copy_from_slice(&status.to_be_bytes());
    r[16..20].copy_from_slice(&req[8..12]);
    r
}

/// Source `index`: server 192.0.2.(index + 1), poll -2, selected when 0.
fn source(req: &[u8], index: u32) -> Vec<u8> {
    let mut r = header(req, RPY_SOURCE_DATA, 0);
    r[28..32].copy_from_slice(&[192, 0, 2, index as u8 + 1]);
    r[44..46].copy_from_slice(&1u16.to_be_bytes()); // IPADDR_INET4
    r[48..50].copy_from_slice(&(-2i16).to_be_bytes()); // poll
    r[50..52].copy_from_slice(&2u16.to_be_bytes()); // stratum
    let state: u16 = if index == 0 { 0 } else { 4 };
    r[52..54].copy_from_slice(&state.to_be_bytes());
    r[58..60].copy_from_slice(&0o377u16.to_be_bytes()); // reach
    r[60..64].copy_from_slice(&3u32.to_be_bytes()); // last sample ago
    r
}

const TIMEOUT: Duration = Duration::from_secs(2);

#[test]
fn source_removed_after_the_count_restarts_the_read() {
    // Counted 3; source 2 is gone by the time it is asked for; 2 on recount.
    let fake = Fake::start(Script {
        counts: vec![3, 2],
        missing: |count, index| count == 3 && index == 2,
    });
    let sources = fake.client().sources(TIMEOUT).unwrap();
    let names: Vec<_> = sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["192.0.2.1", "192.0.2.2"]);
    assert_eq!(sources[0].poll, -2);
    let counts = fake
        .requests()
        .iter()
        .filter(|(c, _)| *c == REQ_N_SOURCES)
        .count();
    assert_eq!(counts, 2, "{:?}", fake.requests());
}

#[test]
fn source_counted_but_without_record_is_left_out() {
    // chronyd keeps counting 3 but has no record for source 1.
    let fake = Fake::start(Script {
        counts: vec![3],
        missing: |_, index| index == 1,
    });
    let mut client = fake.client();
    let report = client.report(ReportKind::Sources, TIMEOUT).unwrap();
    assert_eq!(report.records.len(), 3);
    assert!(report.records[1].fields.is_empty());
    let sources = client.sources(TIMEOUT).unwrap();
    let names: Vec<_> = sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["192.0.2.1", "192.0.2.3"]);
}

#[test]
fn source_table_that_never_holds_still_is_an_error_not_a_loop() {
    // Every count differs from the last and the last source is always gone.
    let fake = Fake::start(Script {
        counts: vec![5, 4, 5, 4, 5, 4, 5, 4],
        missing: |count, index| index == count - 1,
    });
    let e = fake.client().sources(TIMEOUT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoSuchSource, "{e}");
    assert!(e.to_string().contains("no such source"), "{e}");
}

#[test]
fn count_of_zero_is_an_empty_list() {
    let fake = Fake::start(Script {
        counts: vec![0],
        missing: |_, _| false,
    });
    assert!(fake.client().sources(TIMEOUT).unwrap().is_empty());
}

#[test]
fn silent_peer_times_out_by_the_deadline_and_cancel_ends_at_once() {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::time::Instant;
    // Bound but never answering: a stopped chronyd.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = format!("127.0.0.1:{}", silent.local_addr().unwrap().port());
    let mut client = Client::new(address.parse().unwrap());

    let start = Instant::now();
    let e = client
        .report(ReportKind::SourceStats, Duration::from_millis(300))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        start.elapsed() < Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );

    let (reader, mut writer) = std::io::pipe().unwrap();
    writer.write_all(b"x").unwrap();
    let start = Instant::now();
    let e = client
        .report_or_cancel(
            ReportKind::Sources,
            Duration::from_secs(5),
            reader.as_raw_fd(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
    assert!(
        start.elapsed() < Duration::from_millis(100),
        "{:?}",
        start.elapsed()
    );
    let e = client
        .read_or_cancel::<chrony_plugins::Source>(Duration::from_secs(5), reader.as_raw_fd())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled, "{e}");
}
