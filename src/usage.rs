//! The command lines of the clap-based binaries (`chrony-tracking`,
//! `telegraf-chrony-tracking`, `collectd-chrony-tracking`): a usage error is
//! one line on stderr, and nothing the user typed can make it two.
//!
//! clap quotes the offending value in its message as it is, and prints a
//! usage block after it. On Telegraf's stderr every line is logged, and a
//! value holding `\nE! ...` (or `\r`, NEL, U+2028) would forge a line of its
//! own. No option of these binaries takes a control character or a line
//! break (addresses, host names, durations and field names cannot hold one),
//! so an argument holding one is refused before clap sees it, naming it
//! escaped; of clap's message only the first line is kept, escaped again
//! with [`crate::text::one_line`] for good measure.

use crate::text;
use clap::error::ErrorKind;
use clap::Parser;
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

/// Exit status of a usage error (clap's convention, kept by every binary).
pub const USAGE_ERROR: u8 = 2;

/// A command line that does not ask for a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Usage {
    /// `--help` or `--version`: this text belongs on stdout, status 0.
    Info(String),
    /// A usage error: one line, without a prefix or a newline.
    Error(String),
}

impl Usage {
    /// Prints `self` (an error as `{prefix}{message} (see --help)` on
    /// stderr) and gives the status to exit with. A closed stream is
    /// ignored: the status still tells.
    pub fn exit(&self, prefix: &str) -> ExitCode {
        match self {
            Usage::Info(text) => {
                let _ = crate::output::print_all(text);
                ExitCode::SUCCESS
            }
            Usage::Error(message) => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{}", error_line(prefix, message));
                ExitCode::from(USAGE_ERROR)
            }
        }
    }
}

/// The usage error line as printed, without its newline: at most
/// [`crate::output::PIPE_BUF`] bytes with it, as every stderr line of the
/// long-running plugins (a value of any length is quoted in the message, and
/// Telegraf stops reading stderr for good after one line over 64 KiB).
fn error_line(prefix: &str, message: &str) -> String {
    const TAIL: &str = " (see --help)";
    let max = crate::output::PIPE_BUF - 1 - TAIL.len();
    let head = crate::output::cap_line(&format!("{prefix}{message}"), max).into_owned();
    head + TAIL
}

/// Parses this process's arguments as `P`.
pub fn parse<P: Parser>() -> Result<P, Usage> {
    parse_from(std::env::args_os())
}

/// Parses `args` (the program name first) as `P`.
pub fn parse_from<P, I>(args: I) -> Result<P, Usage>
where
    P: Parser,
    I: IntoIterator<Item = OsString>,
{
    let args: Vec<OsString> = args.into_iter().collect();
    for (position, arg) in args.iter().enumerate().skip(1) {
        let arg = arg.to_string_lossy();
        if let Some(c) = text::first_unsafe(&arg) {
            return Err(Usage::Error(format!(
                "argument {position} '{}' {}; no option takes one",
                text::one_line(&arg),
                text::unsafe_char_reason(c)
            )));
        }
    }
    P::try_parse_from(args).map_err(|e| match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Usage::Info(e.render().to_string()),
        _ => {
            let rendered = e.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            Usage::Error(text::one_line(first).into_owned())
        }
    })
}

/// The `-H/--host` and `-t/--timeout` options of the one-shot clap binaries
/// (`chrony-report`, `chrony-tracking`): one definition, one help text.
/// Flatten it (`#[command(flatten)]`) into a binary's arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct Connection {
    /// chronyd's address: `auto`, a Unix socket path, IP[:port], [IPv6]:port,
    /// or a comma-separated list tried in order.
    #[arg(
        short = 'H',
        long = "host",
        default_value = "auto",
        value_name = "ADDRESS"
    )]
    pub target: crate::Target,

    /// Give up after this long (e.g. `3s`, `500ms`; a bare number is seconds).
    #[arg(short = 't', long, default_value = "3s", value_parser = crate::number::parse_timeout)]
    pub timeout: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Target;

    /// A stand-in with the shapes the binaries use: an address, a string.
    #[derive(Parser, Debug)]
    #[command(name = "demo", version)]
    struct Demo {
        #[arg(short = 'H', long = "host", default_value = "auto")]
        target: Target,
        #[arg(long)]
        hostname: Option<String>,
        #[arg(long, value_parser = crate::number::parse_interval)]
        interval: Option<std::time::Duration>,
    }

    fn parse(args: &[&str]) -> Result<Demo, Usage> {
        parse_from::<Demo, _>(
            std::iter::once("demo")
                .chain(args.iter().copied())
                .map(OsString::from),
        )
    }

    #[test]
    fn error_lines_are_capped_at_one_pipe_write() {
        let long = "x".repeat(100_000);
        let line = error_line("E! ", &error(&["-H", &long]));
        assert!(line.len() < crate::output::PIPE_BUF, "{}", line.len());
        assert!(line.starts_with("E! "), "{line}");
        assert!(line.ends_with(" [...] (see --help)"), "{line}");
        assert_eq!(error_line("E! ", "short"), "E! short (see --help)");
    }

    fn error(args: &[&str]) -> String {
        match parse(args) {
            Err(Usage::Error(e)) => e,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn valid_line_parses() {
        let d = parse(&["-H", "127.0.0.1:1", "--interval", "10s"]).unwrap();
        assert_eq!(d.target.to_string(), "127.0.0.1:1");
    }

    #[test]
    fn help_and_version_are_info() {
        assert!(matches!(parse(&["--help"]), Err(Usage::Info(t)) if t.contains("--interval")));
        assert!(matches!(parse(&["--version"]), Err(Usage::Info(t)) if t.starts_with("demo ")));
    }

    #[test]
    fn clap_error_is_one_line_without_prefix() {
        let e = error(&["--interval", "0"]);
        assert_eq!(
            e,
            "invalid value '0' for '--interval <INTERVAL>': must be longer than zero"
        );
        assert!(error(&["--bogus"]).starts_with("unexpected argument '--bogus'"));
    }

    /// clap quoted the value as it was: `\nE! forged` became a line of
    /// its own on Telegraf's stderr.
    #[test]
    fn value_cannot_forge_a_line() {
        for bad in [
            "x\nE! forged",
            "x\rE! forged",
            "x\u{85}E! forged",
            "x\u{2028}E! forged",
            "x\u{1b}[2K",
        ] {
            for args in [
                vec!["--interval", bad],
                vec!["--hostname", bad],
                vec!["-H", bad],
                vec![bad],
            ] {
                let e = error(&args);
                assert_eq!(text::first_unsafe(&e), None, "{args:?}: {e}");
                assert!(e.contains("no option takes one"), "{args:?}: {e}");
            }
        }
        assert_eq!(
            error(&["--hostname", "a\nE! b"]),
            "argument 2 'a\\nE! b' contains a control character or line break (\\n); no option takes one"
        );
    }

    #[test]
    fn inline_value_refused_too() {
        let e = error(&["--hostname=a\u{2029}b"]);
        assert!(e.starts_with("argument 1 '--hostname=a\\u{2029}b'"), "{e}");
    }
}
