//! One gather of the collectd exec plugin, run by [`crate::runner`] on its
//! schedule: the notifications the outcome calls for, then the tracking
//! values, then (when chronyd answered) the per-source values, as
//! [`crate::telegraf::Gather`] does for Telegraf.

use super::{Identity, Notifier, Renderer, SourceRenderer, ValueSet};
use crate::report::read_sources_with_stats;
use crate::runner::{Condition, Tick};
use std::time::{Duration, Instant, SystemTime};

/// What every gather prints, and the notification state carried between
/// gathers.
pub struct Gather {
    identity: Identity,
    renderer: Renderer,
    /// `None`: the per-source values are left out (`--no-sources`).
    sources: Option<SourceRenderer>,
    notifier: Notifier,
}

impl Gather {
    /// Gathers for `identity` every `interval`: the tracking values of
    /// `values`, and the per-source values when `sources`.
    pub fn new(identity: Identity, interval: Duration, values: ValueSet, sources: bool) -> Gather {
        Gather {
            renderer: Renderer::new(&identity, interval, values),
            sources: sources.then(|| SourceRenderer::new(&identity, interval)),
            notifier: Notifier::new(),
            identity,
        }
    }

    /// What is read, for the status lines ("cannot read {what}").
    pub fn what(&self) -> &'static str {
        if self.sources.is_some() {
            "chronyd's tracking, sources and sourcestats reports"
        } else {
            "chronyd's tracking report"
        }
    }

    /// One gather into `batch`. A failed sources read leaves the tracking
    /// values in place, as the built-in plugin does.
    pub fn run(&mut self, tick: &mut Tick<'_>, batch: &mut String) -> Condition {
        let start = Instant::now();
        let outcome = tick.tracking();
        let now = SystemTime::now();
        let address = tick.client().address();
        let update = self.notifier.observe(outcome.as_ref(), address);
        for n in &update.notifications {
            n.render(&self.identity, now, batch);
        }
        match &outcome {
            Ok(t) => {
                self.renderer.putvals(t, now, batch);
                let address = address.map(|a| a.to_string()).unwrap_or_default();
                let Some(sources) = &self.sources else {
                    return Condition::Answering(address);
                };
                // The whole gather within the timeout: sources get what
                // tracking left (at least 1 µs, a zero timeout being refused).
                match tick.read(|client, timeout, cancel| {
                    let left = timeout
                        .saturating_sub(start.elapsed())
                        .max(Duration::from_micros(1));
                    read_sources_with_stats(client, left, Some(cancel))
                }) {
                    Ok(entries) => {
                        sources.putvals(&entries, now, batch);
                        Condition::Answering(address)
                    }
                    Err(e) => Condition::Failing(e.to_string()),
                }
            }
            Err(e) => Condition::Failing(e.to_string()),
        }
    }
}
