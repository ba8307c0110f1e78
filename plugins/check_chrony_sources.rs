//! `check_chrony_sources`: the Nagios/Icinga/Naemon check of chronyd's
//! sources. Parses the command line, reads the `sources` report once within
//! the timeout (and, for `-v`, the `selectdata` report when chronyd serves
//! it), prints what `chrony_plugins::sources::render` makes of it and exits
//! with the state's code. See `chrony_plugins::sources` for the rules.
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

use chrony_plugins::check::{emit, one_line, Resolution, State};
use chrony_plugins::sources::cli::{self, Invocation};
use chrony_plugins::sources::{annotate, render, Source};
use chrony_plugins::{report, Client, SelectData, TerminationSignals};
use std::process::ExitCode;
use std::time::{Duration, Instant};

chrony_plugins::entry!(main);

/// Below this much time left, `-v` does not try `selectdata`.
const SELECTDATA_MIN: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    let start = Instant::now();
    let config = match cli::parse_args(std::env::args_os().skip(1)) {
        Ok(Invocation::Run(config)) => *config,
        // Exit 3 like every monitoring-plugins check: a command line that
        // asks for help by mistake must not show OK forever.
        Ok(Invocation::Info(text)) => return emit(&text, State::Unknown),
        Err(e) => {
            return emit(
                &format!("CHRONY UNKNOWN - {}\n{}", one_line(&e), cli::USAGE),
                State::Unknown,
            )
        }
    };
    let mut client = Client::new(config.target.clone());
    // SIGTERM cancels the read, so the session still closes the libchrony
    // way and leaves nothing behind.
    let signals = TerminationSignals::install().ok();
    let cancel = signals.as_ref().map(|s| s.fd());
    let read = |client: &mut Client, timeout| match cancel {
        Some(fd) => client.read_or_cancel::<report::Source>(timeout, fd),
        None => client.read::<report::Source>(timeout),
    };
    let result = read(&mut client, config.timeout);
    // Where the sources came from, before a failed selectdata read (which
    // drops the connection) can hide it from -vv.
    let resolution = Resolution {
        address: client.address().cloned(),
        skipped: client.skipped().to_vec(),
    };
    let result = result.map(|all| {
        let mut sources: Vec<Source> = all.iter().map(Source::from).collect();
        // Why a source is not selected is worth a round trip only when it
        // is shown, and only where chronyd serves it (its Unix socket, or
        // chrony 4.7's `opencommands`): any failure just leaves it out.
        let left = config.timeout.saturating_sub(start.elapsed());
        if config.verbosity >= 1 && left >= SELECTDATA_MIN {
            let select = match cancel {
                Some(fd) => client.read_or_cancel::<SelectData>(left, fd),
                None => client.read::<SelectData>(left),
            };
            if let Ok(select) = select {
                annotate(&mut sources, &select);
            }
        }
        sources
    });
    // Close the socket (and remove libchrony's client socket dir) first.
    drop(client);
    let report = render(&result, &resolution, &config);
    emit(&report.text, report.state)
}
