//! `check_chrony_tracking`: the Nagios/Icinga/Naemon check of chronyd's
//! tracking report. Parses the command line, reads the report once within
//! the timeout, prints what `chrony_plugins::check::render` makes of it and
//! exits with the state's code. See `chrony_plugins::check` for the rules.
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

use chrony_plugins::check::cli::{self, Invocation};
use chrony_plugins::check::{emit, one_line, render, Resolution, State};
use chrony_plugins::{Client, TerminationSignals};
use std::process::ExitCode;
use std::time::SystemTime;

chrony_plugins::entry!(main);

fn main() -> ExitCode {
    let config = match cli::parse_args(std::env::args_os().skip(1)) {
        Ok(Invocation::Run(config)) => *config,
        // Exit 3 like every monitoring-plugins check (`print_help();
        // exit(STATE_UNKNOWN);`): a command line that asks for help by
        // mistake must not show OK forever.
        Ok(Invocation::Help) => return emit(&cli::help(), State::Unknown),
        Ok(Invocation::Version) => return emit(&cli::version(), State::Unknown),
        // One line naming the problem and a short usage, on stdout, UNKNOWN.
        // The message quotes the user's value: keep `|` and newlines out.
        Err(e) => {
            return emit(
                &format!(
                    "CHRONY UNKNOWN - {}\n{}",
                    one_line(&e.to_string()),
                    cli::USAGE
                ),
                State::Unknown,
            )
        }
    };
    let mut client = Client::new(config.target.clone());
    // The client ends within the timeout, resends and every candidate
    // address included; what runs before this point takes microseconds.
    // SIGTERM (timeout(1), a service manager) cancels the read, so the
    // session still closes the libchrony way and leaves nothing behind.
    let result = match TerminationSignals::install() {
        Ok(signals) => client.tracking_or_cancel(config.timeout, signals.fd()),
        Err(_) => client.tracking(config.timeout),
    };
    let now = SystemTime::now();
    let resolution = Resolution {
        address: client.address().cloned(),
        skipped: client.skipped().to_vec(),
    };
    // Close the socket (and remove libchrony's client socket dir) first.
    drop(client);
    let report = render(&result, &resolution, &config, now);
    emit(&report.text, report.state)
}
