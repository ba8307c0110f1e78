//! A fake chronyd on the UDP command port, for faults and values a real
//! chronyd cannot produce (`tests/fake_peer.rs`, `tests/input.rs`): it
//! answers each request with whatever a test's function makes of it.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

/// Answers every request with `reply(request)` until dropped.
pub struct FakePeer {
    port: u16,
    /// When set, requests are counted but not answered.
    pub silent: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<usize>>,
}

impl FakePeer {
    /// Starts answering on a free loopback port.
    pub fn start(reply: fn(&[u8]) -> Vec<u8>) -> FakePeer {
        FakePeer::start_delayed(reply, Duration::ZERO)
    }

    /// Like `start`, each reply sent `delay` after its request.
    pub fn start_delayed(reply: fn(&[u8]) -> Vec<u8>, delay: Duration) -> FakePeer {
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

    /// `127.0.0.1:PORT`, for `-H`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the peer; the number of requests it received.
    pub fn answered(mut self) -> usize {
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

/// A well-formed chronyd tracking reply (cmdmon protocol 6) to `request`,
/// with the given status and leap status; all floats 0 except the
/// frequency, 1 ppm. Only this fake can send values chronyd never would.
pub fn tracking_reply(request: &[u8], status: u16, leap: u16) -> Vec<u8> {
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
