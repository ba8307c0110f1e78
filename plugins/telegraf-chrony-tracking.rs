//! `telegraf-chrony-tracking`: the old name of `telegraf-chrony`, kept so
//! that existing Telegraf configurations go on working. Same program, same
//! options (its default, `--metrics tracking`, is what it always wrote).
#![deny(unsafe_code)]
#![cfg_attr(not(test), no_main)]

#[path = "telegraf_chrony.rs"]
mod plugin;

chrony_plugins::entry!(main);

fn main() -> std::process::ExitCode {
    plugin::main()
}
