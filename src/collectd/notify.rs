//! When to tell collectd (and its log) that something changed.
//!
//! Two conditions are followed separately, each reported once per change and
//! never again while it lasts: whether chronyd answers, and whether it is
//! synchronised. The synchronisation state survives a spell of silence, so a
//! chronyd that was unsynchronised before it stopped answering and still is
//! afterwards is not reported twice. At start, only a bad state is reported
//! (an "okay" nobody asked for would be noise).

use super::ident::{always_quote, quote, Identity, PLUGIN};
use super::values::{epoch, Metric};
use crate::address::Address;
use crate::error::{Error, ErrorKind};
use crate::tracking::Tracking;
use std::fmt::Write;
use std::time::SystemTime;

/// Longest notification message collectd keeps (its buffer holds 256 bytes
/// with the NUL); longer ones are cut here, on a character boundary, rather
/// than mid-character by collectd.
pub const MAX_MESSAGE: usize = 255;

/// A notification's severity, as collectd names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Something is wrong (chronyd silent, clock not synchronised).
    Failure,
    /// A failure is over.
    Okay,
}

impl Severity {
    /// The word collectd's `PUTNOTIF` expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Failure => "failure",
            Severity::Okay => "okay",
        }
    }
}

/// One `PUTNOTIF` to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// How bad it is.
    pub severity: Severity,
    /// The value the notification is about (sets `type` and `type_instance`),
    /// or `None` for the plugin as a whole.
    pub metric: Option<Metric>,
    /// What happened, in words (cut to [`MAX_MESSAGE`] bytes when rendered).
    pub message: String,
}

impl Notification {
    /// Appends the `PUTNOTIF` line for `identity` at `time` to `out`.
    pub fn render(&self, identity: &Identity, time: SystemTime, out: &mut String) {
        let _ = write!(
            out,
            "PUTNOTIF severity={} time={} host={} plugin={PLUGIN}",
            self.severity.as_str(),
            epoch(time),
            quote(identity.host()),
        );
        if let Some(instance) = identity.plugin_instance() {
            let _ = write!(out, " plugin_instance={}", quote(instance));
        }
        if let Some(m) = self.metric {
            let _ = write!(
                out,
                " type={} type_instance={}",
                m.type_name(),
                quote(m.type_instance())
            );
        }
        let _ = writeln!(
            out,
            " message={}",
            always_quote(truncate(&self.message, MAX_MESSAGE))
        );
    }
}

/// `text` cut to at most `max` bytes on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What one gather changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// Notifications to send, oldest change first.
    pub notifications: Vec<Notification>,
    /// A line for stderr (collectd logs it as an error): set when the read
    /// failed differently from the gather before.
    pub log: Option<String>,
}

/// Follows chronyd's state from gather to gather.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    answering: Option<bool>,
    /// Whether chronyd has answered at least once (a first answer after a
    /// bad start "answers", it does not answer "again").
    ever_answered: bool,
    synchronised: Option<bool>,
    /// The last failure's kind and address, to log each condition once.
    failure: Option<(ErrorKind, Option<Address>)>,
}

impl Notifier {
    /// A notifier that has seen nothing yet.
    pub fn new() -> Notifier {
        Notifier::default()
    }

    /// Takes the outcome of one read (from `address`, the client's
    /// connection when it succeeded) and says what to report.
    pub fn observe(
        &mut self,
        outcome: Result<&Tracking, &Error>,
        address: Option<&Address>,
    ) -> Update {
        let mut update = Update::default();
        match outcome {
            Err(e) => {
                let condition = (e.kind(), e.address().cloned());
                if self.failure.as_ref() != Some(&condition) {
                    update.log = Some(e.to_string());
                    self.failure = Some(condition);
                }
                if self.answering != Some(false) {
                    let verb = if self.answering.is_none() {
                        "is not answering"
                    } else {
                        "stopped answering"
                    };
                    update.notifications.push(Notification {
                        severity: Severity::Failure,
                        metric: None,
                        message: format!("chronyd {verb}: {e}"),
                    });
                    self.answering = Some(false);
                }
            }
            Ok(t) => {
                self.failure = None;
                if self.answering == Some(false) {
                    let at = address.map(|a| format!(" at {a}")).unwrap_or_default();
                    let again = if self.ever_answered { " again" } else { "" };
                    update.notifications.push(Notification {
                        severity: Severity::Okay,
                        metric: None,
                        message: format!("chronyd answers{again}{at}"),
                    });
                }
                self.answering = Some(true);
                self.ever_answered = true;
                let synchronised = t.is_synchronised();
                if self.synchronised != Some(synchronised) {
                    let message = match (self.synchronised, synchronised) {
                        (_, true) => format!(
                            "chronyd is synchronised again, to {} (stratum {})",
                            t.reference_name(),
                            t.stratum
                        ),
                        (None, false) => format!(
                            "chronyd is not synchronised (leap status: {})",
                            t.leap_status
                        ),
                        (Some(_), false) => format!(
                            "chronyd lost synchronisation (leap status: {})",
                            t.leap_status
                        ),
                    };
                    // Being synchronised at start is no news.
                    if !(self.synchronised.is_none() && synchronised) {
                        update.notifications.push(Notification {
                            severity: if synchronised {
                                Severity::Okay
                            } else {
                                Severity::Failure
                            },
                            metric: Some(Metric::Synchronised),
                            message,
                        });
                    }
                    self.synchronised = Some(synchronised);
                }
            }
        }
        update
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracking::{LeapStatus, Timestamp};
    use std::time::{Duration, UNIX_EPOCH};

    fn synced() -> Tracking {
        Tracking {
            reference_id: 0x7F00_0001,
            address: Some("127.0.0.1".parse().unwrap()),
            stratum: 4,
            leap_status: LeapStatus::Normal,
            reference_time: Timestamp::new(1_795_675_340, 0),
            current_correction: 0.0,
            last_offset: 0.0,
            rms_offset: 0.0,
            frequency: 0.0,
            residual_frequency: 0.0,
            skew: 0.0,
            root_delay: 0.0,
            root_dispersion: 0.0,
            update_interval: 0.0,
        }
    }

    fn unsynced() -> Tracking {
        Tracking {
            leap_status: LeapStatus::NotSynchronised,
            stratum: 0,
            ..synced()
        }
    }

    fn timeout() -> Error {
        Error::timeout(&"127.0.0.1:323".parse().unwrap(), Duration::from_secs(2), 0)
    }

    fn refused() -> Error {
        Error::new(
            ErrorKind::ConnectionRefused,
            Some(&"127.0.0.1:323".parse().unwrap()),
            "connection refused",
        )
    }

    fn severities(u: &Update) -> Vec<Severity> {
        u.notifications.iter().map(|n| n.severity).collect()
    }

    #[test]
    fn synchronised_at_start_is_silent() {
        let mut n = Notifier::new();
        assert_eq!(n.observe(Ok(&synced()), None), Update::default());
        assert_eq!(n.observe(Ok(&synced()), None), Update::default());
    }

    #[test]
    fn unsynchronised_at_start_fails_once() {
        let mut n = Notifier::new();
        let u = n.observe(Ok(&unsynced()), None);
        assert_eq!(severities(&u), [Severity::Failure]);
        assert_eq!(u.notifications[0].metric, Some(Metric::Synchronised));
        assert_eq!(u.log, None);
        assert_eq!(n.observe(Ok(&unsynced()), None), Update::default());
    }

    #[test]
    fn loss_and_return_of_synchronisation() {
        let mut n = Notifier::new();
        n.observe(Ok(&synced()), None);
        let lost = n.observe(Ok(&unsynced()), None);
        assert_eq!(severities(&lost), [Severity::Failure]);
        assert!(lost.notifications[0].message.contains("lost"));
        let back = n.observe(Ok(&synced()), None);
        assert_eq!(severities(&back), [Severity::Okay]);
        assert!(back.notifications[0]
            .message
            .contains("127.0.0.1 (stratum 4)"));
    }

    #[test]
    fn silence_reported_once_and_logged_per_condition() {
        let mut n = Notifier::new();
        n.observe(Ok(&synced()), None);
        let first = n.observe(Err(&timeout()), None);
        assert_eq!(severities(&first), [Severity::Failure]);
        assert!(first.notifications[0]
            .message
            .starts_with("chronyd stopped answering: 127.0.0.1:323: no answer"));
        assert!(first.log.is_some());
        assert_eq!(n.observe(Err(&timeout()), None), Update::default());
        let other = n.observe(Err(&refused()), None);
        assert!(other.notifications.is_empty());
        assert_eq!(
            other.log.as_deref(),
            Some("127.0.0.1:323: connection refused")
        );
    }

    #[test]
    fn answering_again_is_okay_and_keeps_sync_state() {
        let mut n = Notifier::new();
        n.observe(Ok(&synced()), None);
        n.observe(Err(&timeout()), None);
        let address: Address = "127.0.0.1:323".parse().unwrap();
        let back = n.observe(Ok(&synced()), Some(&address));
        assert_eq!(severities(&back), [Severity::Okay]);
        assert_eq!(
            back.notifications[0].message,
            "chronyd answers again at 127.0.0.1:323"
        );
        assert_eq!(back.log, None);
    }

    #[test]
    fn unreachable_at_start() {
        let mut n = Notifier::new();
        let u = n.observe(Err(&refused()), None);
        assert_eq!(severities(&u), [Severity::Failure]);
        assert!(u.notifications[0]
            .message
            .starts_with("chronyd is not answering: "));
        // Then it answers, unsynchronised: both changes, in order.
        let u = n.observe(Ok(&unsynced()), None);
        assert_eq!(severities(&u), [Severity::Okay, Severity::Failure]);
    }

    #[test]
    fn failure_logged_again_after_recovery() {
        let mut n = Notifier::new();
        assert!(n.observe(Err(&timeout()), None).log.is_some());
        n.observe(Ok(&synced()), None);
        assert!(n.observe(Err(&timeout()), None).log.is_some());
    }

    #[test]
    fn message_cut_on_char_boundary() {
        assert_eq!(truncate("ééé", 5), "éé");
        assert_eq!(truncate("abc", 5), "abc");
        let n = Notification {
            severity: Severity::Failure,
            metric: None,
            message: "é".repeat(200),
        };
        let mut out = String::new();
        let id = Identity::new("h", None).unwrap();
        n.render(&id, UNIX_EPOCH + Duration::from_secs(1), &mut out);
        let message = out
            .split("message=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches("\"\n");
        assert_eq!(message.len(), 254);
    }

    #[test]
    fn message_quotes_escaped() {
        let n = Notification {
            severity: Severity::Okay,
            metric: None,
            message: r#"say "hi" \o/"#.into(),
        };
        let mut out = String::new();
        let id = Identity::new("h", None).unwrap();
        n.render(&id, UNIX_EPOCH + Duration::from_secs(1), &mut out);
        assert_eq!(
            out,
            "PUTNOTIF severity=okay time=1.000000 host=h plugin=chrony message=\"say \\\"hi\\\" \\\\o/\"\n"
        );
    }
}
