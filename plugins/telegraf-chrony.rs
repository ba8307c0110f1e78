//! `telegraf-chrony`: chronyd's reports for Telegraf's inputs.execd, a
//! drop-in for inputs.chrony (see `telegraf_chrony.rs`).
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

#[path = "telegraf_chrony.rs"]
mod plugin;

chrony_plugins::entry!(main);

fn main() -> std::process::ExitCode {
    plugin::main()
}
