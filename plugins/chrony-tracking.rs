//! `chrony-tracking`: print chronyd's tracking report as read through the
//! library, like `chronyc tracking` (or as JSON with `--json`). Used by
//! `scripts/demo`, and handy to check which address works for a user.
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

use chrony_plugins::{output, report, usage, Client};
use clap::Parser;
use std::process::ExitCode;
use std::time::SystemTime;

chrony_plugins::entry!(main);

/// Print chronyd's tracking report, read through libchrony.
#[derive(Parser)]
#[command(name = env!("CARGO_BIN_NAME"), version)]
struct Args {
    #[command(flatten)]
    connection: usage::Connection,

    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let args = match usage::parse::<Args>() {
        Ok(args) => args,
        Err(usage) => return usage.exit("error: "),
    };
    let mut client = Client::new(args.connection.target);
    let tracking = match client.tracking(args.connection.timeout) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("chrony-tracking: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = if args.json {
        let address = client.address().map(|a| a.to_string());
        let value = serde_json::json!({ "address": address, "tracking": tracking });
        format!("{value}\n")
    } else {
        report::text::client_lines(&client) + &report::text::tracking(&tracking, SystemTime::now())
    };
    match output::print_all(&text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}
