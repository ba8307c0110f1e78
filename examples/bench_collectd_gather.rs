//! Time of one collectd gather through the library, for the README's
//! figures: read tracking, sources and sourcestats on one warm client and
//! format every `PUTVAL` line, as `collectd-chrony-tracking` does each
//! interval (minus the write to collectd's pipe).
//!
//! `bench_collectd_gather ADDRESS [GATHERS] [--no-sources]`: median, p90,
//! p99 and max over GATHERS (default 10,000) gathers after 100 warm-up
//! ones. Run by `scripts/bench-collectd` against a private chronyd with 4
//! sources; not a test (no assertion on time).

use chrony_plugins::collectd::{Identity, Renderer, SourceRenderer, ValueSet};
use chrony_plugins::report::read_sources_with_stats;
use chrony_plugins::{Client, Target};
use std::io::Write;
use std::time::{Duration, Instant, SystemTime};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(address) = args.first() else {
        eprintln!("usage: bench_collectd_gather ADDRESS [GATHERS] [--no-sources]");
        std::process::exit(2);
    };
    let gathers: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let sources = !args.iter().any(|a| a == "--no-sources");
    let target: Target = address.parse().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let timeout = Duration::from_secs(2);
    let identity = Identity::new("bench", None).expect("a valid host name");
    let interval = Duration::from_secs(10);
    let tracking_lines = Renderer::new(&identity, interval, ValueSet::All);
    let source_lines = SourceRenderer::new(&identity, interval);
    let mut client = Client::new(target);
    let mut batch = String::with_capacity(16 * 1024);
    let mut lines = 0;
    let gather = |client: &mut Client, batch: &mut String| {
        batch.clear();
        let now = SystemTime::now();
        let t = client.tracking(timeout).expect("tracking");
        tracking_lines.putvals(&t, now, batch);
        if sources {
            let entries = read_sources_with_stats(client, timeout, None).expect("sources");
            source_lines.putvals(&entries, now, batch);
        }
    };
    for _ in 0..100 {
        gather(&mut client, &mut batch);
    }
    let mut samples = Vec::with_capacity(gathers);
    for _ in 0..gathers {
        let start = Instant::now();
        gather(&mut client, &mut batch);
        samples.push(start.elapsed());
        lines = batch.lines().count();
    }
    samples.sort();
    let us =
        |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e6;
    let _ = writeln!(
        std::io::stdout(),
        "{address}{}: {lines} lines per gather, n={} median={:.1} us p90={:.1} us p99={:.1} us max={:.1} us",
        if sources { "" } else { " --no-sources" },
        samples.len(),
        us(0.5),
        us(0.9),
        us(0.99),
        us(1.0)
    );
}
