//! `check_chrony_tracking`: the Nagios/Icinga/Naemon check of chronyd's
//! tracking report. Parses the command line, reads the report once within
//! the timeout, prints what `chrony_plugins::check::render` makes of it and
//! exits with the state's code. See `chrony_plugins::check` for the rules.

use chrony_plugins::check::cli::{self, Invocation};
use chrony_plugins::check::{render, Resolution, State};
use chrony_plugins::Client;
use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

fn main() -> ExitCode {
    let config = match cli::parse_args(std::env::args_os().skip(1)) {
        Ok(Invocation::Run(config)) => *config,
        Ok(Invocation::Help) => return emit(&cli::help(), State::Ok),
        Ok(Invocation::Version) => return emit(&cli::version(), State::Ok),
        // One line naming the problem and a short usage, on stdout, UNKNOWN.
        Err(e) => {
            return emit(
                &format!("CHRONY UNKNOWN - {e}\n{}", cli::USAGE),
                State::Unknown,
            )
        }
    };
    let mut client = Client::new(config.target.clone());
    // The client ends within the timeout, resends and every candidate
    // address included; what runs before this point takes microseconds.
    let result = client.tracking(config.timeout);
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

/// Writes all of `text` to stdout and exits with `state`'s code. A closed
/// stdout is not worth a panic: the exit code still tells the state.
fn emit(text: &str, state: State) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    ExitCode::from(state.code())
}
