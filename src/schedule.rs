//! Gather times on an absolute grid, for the long-running plugins (collectd's
//! interval, Telegraf's `--interval`): the k-th gather is due at
//! `start + k × interval`, so the time a gather takes never shifts the ones
//! after it (sleeping `interval` after each gather would drift).

use std::time::{Duration, Instant};

/// The grid of gather times.
#[derive(Debug, Clone)]
pub struct Schedule {
    start: Instant,
    interval: Duration,
    slot: u64,
}

impl Schedule {
    /// A grid whose first slot (the first gather) is `start`.
    pub fn new(start: Instant, interval: Duration) -> Schedule {
        Schedule {
            start,
            interval,
            slot: 0,
        }
    }

    /// When the current slot's gather is due.
    pub fn due(&self) -> Instant {
        self.at(self.slot)
    }

    /// When slot `slot` is due.
    fn at(&self, slot: u64) -> Instant {
        let nanos = self.interval.as_nanos().saturating_mul(u128::from(slot));
        self.start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// Moves to the slot of the next gather, after a gather that began at
    /// `began` and ended at `ended`, and returns when it is due: the first
    /// slot that begins at least half an interval after `began` and after
    /// `ended`. On time, that is the next slot. Slots missed while the
    /// process was stopped (SIGSTOP, a suspended VM) or while a gather ran
    /// past them are skipped, not run back to back, and a gather that ran
    /// late (at once after a stall) is not followed by another within half
    /// an interval: after any stall, one gather, then the grid.
    pub fn after(&mut self, began: Instant, ended: Instant) -> Instant {
        let interval = self.interval.as_nanos().max(1);
        let since = |t: Instant| t.saturating_duration_since(self.start).as_nanos();
        // Slot s begins at s × interval; the first at or after `nanos`.
        let first_from = |nanos: u128| nanos.div_ceil(interval);
        let earliest = first_from(since(began) + interval / 2)
            .max(first_from(since(ended) + 1))
            .max(u128::from(self.slot) + 1);
        self.slot = u64::try_from(earliest).unwrap_or(u64::MAX);
        self.at(self.slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn slots_do_not_drift() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, SECOND);
        // Each gather took 300 ms: the grid stays on whole seconds.
        assert_eq!(s.after(t0, t0 + ms(300)), t0 + SECOND);
        assert_eq!(s.after(t0 + ms(1000), t0 + ms(1300)), t0 + 2 * SECOND);
        assert_eq!(s.after(t0 + ms(2001), t0 + ms(2300)), t0 + 3 * SECOND);
    }

    #[test]
    fn overrun_skips_the_slot_it_ran_past() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, SECOND);
        assert_eq!(s.after(t0, t0 + ms(1500)), t0 + 2 * SECOND);
        assert_eq!(s.after(t0 + ms(2000), t0 + ms(2100)), t0 + 3 * SECOND);
    }

    #[test]
    fn slow_gather_within_the_interval_keeps_the_next_slot() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, SECOND);
        assert_eq!(s.after(t0, t0 + ms(800)), t0 + SECOND);
    }

    #[test]
    fn freeze_during_a_gather_skips_missed_slots() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, SECOND);
        // Stopped for 5.5 s during the gather: next on the grid after it.
        assert_eq!(s.after(t0, t0 + ms(5500)), t0 + 6 * SECOND);
    }

    #[test]
    fn late_gather_after_a_freeze_is_not_doubled() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, SECOND);
        s.after(t0, t0 + ms(1));
        // Stopped while waiting for slot 1; woke at 6.99 s and gathered at
        // once: the gather of slot 7, 10 ms later, would be a double.
        assert_eq!(s.after(t0 + ms(6990), t0 + ms(6991)), t0 + 8 * SECOND);
        // Woke at 6.3 s: slot 7 is 700 ms away, that is fine.
        let mut s = Schedule::new(t0, SECOND);
        assert_eq!(s.after(t0 + ms(6300), t0 + ms(6301)), t0 + 7 * SECOND);
    }

    #[test]
    fn first_gather_at_start() {
        let t0 = Instant::now();
        assert_eq!(Schedule::new(t0, SECOND).due(), t0);
    }

    #[test]
    fn gathers_on_time_stay_on_the_grid() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, ms(100));
        for k in 1..=5u32 {
            let began = s.due();
            s.after(began, began + ms(30));
            assert_eq!(s.due(), t0 + ms(100) * k);
        }
    }

    #[test]
    fn early_wake_still_advances() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, ms(100));
        s.after(t0, t0);
        assert_eq!(s.due(), t0 + ms(100));
        s.after(t0 + ms(40), t0 + ms(41));
        assert_eq!(s.due(), t0 + ms(200));
    }

    #[test]
    fn tiny_interval() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, Duration::from_nanos(1));
        let now = t0 + Duration::from_micros(50);
        let due = s.after(now, now);
        assert!(due > now && due <= now + Duration::from_nanos(2));
    }
}
