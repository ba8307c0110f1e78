//! How `check_chrony_sources` reads chronyd: the `sources` report once
//! within the timeout, and for `-v` the `selectdata` report when there is
//! time left and chronyd serves it.

use super::{annotate, Config, Source};
use crate::check::Resolution;
use crate::{report, Client, Error, SelectData};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// Below this much time left, `-v` does not try `selectdata`.
const SELECTDATA_MIN: Duration = Duration::from_millis(100);

/// What one run read.
#[derive(Debug)]
pub struct Read {
    /// The sources, or why they could not be read.
    pub sources: Result<Vec<Source>, Error>,
    /// Where they came from (for `-vv`).
    pub resolution: Resolution,
    /// Why `-v`'s `selectdata` read failed (over UDP usually chronyd's
    /// refusal of a socket-only report, whose message names the fix):
    /// `-v` says so instead of leaving the reasons out without a word.
    pub selectdata: Option<Error>,
}

/// Reads the sources with `client` for `config` (the timeout counted from
/// `start`), and where they came from. A read ends early when `cancel`
/// (a [`crate::TerminationSignals`] fd) becomes readable.
pub fn read(client: &mut Client, config: &Config, start: Instant, cancel: Option<RawFd>) -> Read {
    let result = match cancel {
        Some(fd) => client.read_or_cancel::<report::Source>(config.timeout, fd),
        None => client.read::<report::Source>(config.timeout),
    };
    // Where the sources came from, before a failed selectdata read (which
    // drops the connection) can hide it from -vv.
    let resolution = Resolution {
        address: client.address().cloned(),
        skipped: client.skipped().to_vec(),
    };
    let mut selectdata = None;
    let result = result.map(|all| {
        let mut sources: Vec<Source> = all.iter().map(Source::from).collect();
        // Why a source is not selected is worth a round trip only when it
        // is shown, and only where chronyd serves it (its Unix socket, or
        // chrony 4.7's `opencommands`): a failure leaves it out, and -v
        // says why.
        let left = config.timeout.saturating_sub(start.elapsed());
        if config.verbosity >= 1 && left >= SELECTDATA_MIN {
            let select = match cancel {
                Some(fd) => client.read_or_cancel::<SelectData>(left, fd),
                None => client.read::<SelectData>(left),
            };
            match select {
                Ok(select) => annotate(&mut sources, &select),
                Err(e) => selectdata = Some(e),
            }
        }
        sources
    });
    Read {
        sources: result,
        resolution,
        selectdata,
    }
}
