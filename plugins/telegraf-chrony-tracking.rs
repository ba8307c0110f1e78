//! `telegraf-chrony-tracking`: the old name of `telegraf-chrony`, kept so
//! that existing Telegraf configurations go on working. Same program, same
//! options (its default, `--metrics tracking`, is what it always wrote).
#![deny(unsafe_code)]

#[path = "telegraf-chrony.rs"]
mod plugin;

fn main() -> std::process::ExitCode {
    plugin::main()
}
