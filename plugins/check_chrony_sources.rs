//! `check_chrony_sources`: the Nagios/Icinga/Naemon check of chronyd's
//! sources. Parses the command line, reads the `sources` report once within
//! the timeout (and, for `-v`, the `selectdata` report when chronyd serves
//! it), prints what `chrony_plugins::sources::render` makes of it and exits
//! with the state's code. See `chrony_plugins::sources` for the rules.
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

use chrony_plugins::check::{emit, one_line, State};
use chrony_plugins::sources::cli::{self, Invocation};
use chrony_plugins::sources::{self, render};
use chrony_plugins::{Client, TerminationSignals};
use std::process::ExitCode;
use std::time::Instant;

chrony_plugins::entry!(main);

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
    // SIGTERM (timeout(1), a service manager) cancels a read, so the
    // session still closes the libchrony way and leaves nothing behind.
    let signals = TerminationSignals::install().ok();
    let cancel = signals.as_ref().map(|s| s.fd());
    let read = sources::read(&mut client, &config, start, cancel);
    // Close the socket (and remove libchrony's client socket dir) first.
    drop(client);
    let report = render(
        &read.sources,
        &read.resolution,
        read.selectdata.as_ref(),
        &config,
    );
    emit(&report.text, report.state)
}
