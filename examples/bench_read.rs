//! Latency of tracking reads through the library, for the README's figures.
//!
//! `bench_read ADDRESS [READS]`: READS warm reads on one client (median,
//! p99, max), then 1,000 cold open+read+close cycles. Run by `scripts/bench-core`
//! against a private chronyd; not a test (no assertion on time).

use chrony_plugins::{Client, Target};
use std::io::Write;
use std::time::{Duration, Instant};

fn stats(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    // A closed pipe (`| head`) ends the output quietly instead of panicking.
    let _ = writeln!(
        std::io::stdout(),
        "{label:<28} n={:<6} median={:>7.1} us  p99={:>7.1} us  max={:>8.1} us",
        samples.len(),
        pct(0.5).as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
        samples[samples.len() - 1].as_secs_f64() * 1e6
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(address) = args.next() else {
        eprintln!("usage: bench_read ADDRESS [READS]");
        std::process::exit(2);
    };
    let reads: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let target: Target = address.parse().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let timeout = Duration::from_secs(3);

    let mut client = Client::new(target.clone());
    client.tracking(timeout).expect("first read");
    let mut warm = Vec::with_capacity(reads);
    for _ in 0..reads {
        let start = Instant::now();
        client.tracking(timeout).expect("warm read");
        warm.push(start.elapsed());
    }
    stats(&format!("{address} warm read"), warm);

    let mut cold = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let start = Instant::now();
        Client::new(target.clone())
            .tracking(timeout)
            .expect("cold read");
        cold.push(start.elapsed());
    }
    stats(&format!("{address} cold open+read+close"), cold);
}
