//! The plugins' process entry point: [`entry!`](macro@crate::entry) makes a
//! binary's `fn main() -> ExitCode` the C `main` that libc's start-up code
//! calls, without std's `lang_start` in between.
//!
//! Why: a check is started once per check interval, for every host, and most
//! of its wall time is process start-up. std's `lang_start` spends part of
//! it on work these plugins do not need: it reads `/proc/self/maps` to find
//! the main thread's stack guard, and maps a `sigaltstack` and installs
//! SIGSEGV/SIGBUS handlers, only to print "has overflowed its stack" before
//! the process dies anyway (without them a stack overflow is still a plain
//! SIGSEGV: the guard page is the kernel's, not std's). The measured saving
//! is in the README's performance section (`scripts/bench-startup`).
//!
//! What `lang_start` does that the plugins rely on is kept, in
//! `sys::prepare_process` (called first):
//! - fds 0, 1 and 2 are opened on `/dev/null` when the parent closed them, so
//!   that no socket libchrony opens can become "stdout" and receive the
//!   report (std does the same, with the same poll);
//! - SIGPIPE is ignored, as std does, so a closed stdout or stderr pipe is
//!   an `EPIPE` error the plugins handle (the check still exits with its
//!   state's code; the long-running plugins stop cleanly), not a kill.
//!
//! And after `main` returns, [`run`] flushes stdout and exits through
//! [`std::process::exit`], which runs std's clean-up as a normal return
//! from `main` would. Arguments (`std::env::args_os`) need nothing: on
//! glibc, std captures them from `.init_array`, before `main` runs. A panic
//! still prints its message and aborts (`panic = "abort"`) as before; the
//! message names the thread `<unnamed>` instead of `main`.
//!
//! Usage, in every `plugins/*.rs` (tests build the binaries with the test
//! harness's own `main`, hence the `cfg`):
//!
//! ```ignore
//! #![cfg_attr(not(test), no_main)]
//! chrony_plugins::entry!(main);
//!
//! fn main() -> std::process::ExitCode { /* ... */ }
//! ```

use std::io::Write;
use std::os::raw::c_int;
use std::process::ExitCode;

/// Defines the C `main` of a binary crate marked `#![no_main]`, running the
/// given `fn() -> ExitCode` as [`run`] describes. Use once per binary, at
/// the crate root (see the [module documentation](mod@crate::entry)).
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The C entry point: libc's start-up code calls it with the
        /// arguments std has already captured, so they are not used here.
        // SAFETY: the one C-ABI `main` symbol of this binary (the crate is
        // `no_main`, so std defines none); it takes the C signature and
        // only calls safe Rust.
        #[cfg(not(test))]
        #[allow(unsafe_code)]
        #[export_name = "main"]
        extern "C" fn chrony_plugins_c_main(
            _argc: ::std::os::raw::c_int,
            _argv: *const *const ::std::os::raw::c_char,
        ) -> ::std::os::raw::c_int {
            $crate::entry::run($main)
        }
    };
}

/// Prepares the process as std's start-up would (what the plugins rely
/// on: see the module documentation), runs `main` and exits with its
/// status after flushing stdout. Called by [`entry!`](macro@crate::entry).
pub fn run(main: fn() -> ExitCode) -> ! {
    crate::sys::prepare_process();
    let code = main();
    // A closed stdout is not a reason to change the status.
    let _ = std::io::stdout().flush();
    std::process::exit(status(code))
}

/// The number `code` stands for: `ExitCode` gives it away only through
/// `PartialEq` (`exit_process` and `to_i32` are unstable), and every code
/// the plugins build comes from a `u8`.
fn status(code: ExitCode) -> c_int {
    (0..=u8::MAX)
        .find(|&n| ExitCode::from(n) == code)
        .map_or(1, c_int::from)
}

#[cfg(test)]
mod tests {
    use super::status;
    use std::process::ExitCode;

    #[test]
    fn status_of_every_u8() {
        for n in 0..=u8::MAX {
            assert_eq!(status(ExitCode::from(n)), i32::from(n));
        }
    }

    #[test]
    fn status_of_the_named_codes() {
        assert_eq!(status(ExitCode::SUCCESS), 0);
        assert_eq!(status(ExitCode::FAILURE), 1);
    }
}
