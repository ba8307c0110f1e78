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

    /// Moves to the next slot after a gather and returns when it is due (in
    /// the past when the gather overran). When a whole slot was missed (a
    /// stopped process, a read that took longer than the interval), the
    /// missed gathers are skipped rather than run back to back: the next
    /// gather is the latest slot that has begun, and it runs at once.
    pub fn next(&mut self, now: Instant) -> Instant {
        self.slot += 1;
        if self.at(self.slot + 1) <= now {
            let elapsed = now.duration_since(self.start).as_nanos();
            let slots = elapsed / self.interval.as_nanos().max(1);
            self.slot = u64::try_from(slots).unwrap_or(u64::MAX);
        }
        self.at(self.slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn slots_do_not_drift() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, SECOND);
        // Each gather took 300 ms: the grid stays on whole seconds.
        assert_eq!(s.next(t0 + Duration::from_millis(300)), t0 + SECOND);
        assert_eq!(s.next(t0 + Duration::from_millis(1300)), t0 + 2 * SECOND);
        assert_eq!(s.next(t0 + Duration::from_millis(2300)), t0 + 3 * SECOND);
    }

    #[test]
    fn slight_overrun_runs_next_at_once() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, SECOND);
        assert_eq!(s.next(t0 + Duration::from_millis(1500)), t0 + SECOND);
        assert_eq!(s.next(t0 + Duration::from_millis(1600)), t0 + 2 * SECOND);
    }

    #[test]
    fn missed_slots_are_skipped() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, SECOND);
        // Stopped for 5.5 s: gather once now (slot 5), then back on the grid.
        assert_eq!(s.next(t0 + Duration::from_millis(5500)), t0 + 5 * SECOND);
        assert_eq!(s.next(t0 + Duration::from_millis(5501)), t0 + 6 * SECOND);
    }

    #[test]
    fn first_gather_at_start() {
        let t0 = Instant::now();
        assert_eq!(Schedule::new(t0, SECOND).due(), t0);
    }

    #[test]
    fn advance_after_each_gather_stays_on_the_grid() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, Duration::from_millis(100));
        for k in 1..=5u32 {
            s.next(s.due() + Duration::from_millis(30));
            assert_eq!(s.due(), t0 + Duration::from_millis(100) * k);
        }
    }

    #[test]
    fn early_wake_still_advances() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, Duration::from_millis(100));
        s.next(t0);
        s.next(t0 + Duration::from_millis(99));
        assert_eq!(s.due(), t0 + Duration::from_millis(200));
    }

    #[test]
    fn tiny_interval() {
        let t0 = Instant::now();
        let mut s = Schedule::new(t0, Duration::from_nanos(1));
        let now = t0 + Duration::from_micros(50);
        assert!(s.next(now) <= now);
    }
}
