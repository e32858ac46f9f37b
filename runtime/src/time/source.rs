//! One runtime's timer store: its clock (real or paused) and its timing wheel.
//!
//! Ticks are whole milliseconds since the runtime's `origin` instant. A deadline rounds
//! *up* to a tick and a wheel fires tick `t` once the clock has reached it, so a timer
//! never fires before its deadline. Paused clocks follow tokio's `test-util` clock: `base`
//! moves only by `advance` (or by the driver's auto-advance to the next timer while every
//! task is idle) until `resume`. Auto-advance waits while a `spawn_blocking` job of the
//! runtime is in flight (`inhibitors`, as tokio's `inhibit_auto_advance`): the job may be
//! about to wake a task that would arm an earlier timer, or none at all.
//!
//! One wheel per runtime, behind its own lock (`wheel`); the clock has another. Issue 9
//! asked whether per-worker wheels (each worker arming in its own, a cross-thread cancel
//! or reset reaching the wheel its key names, the driver-holder scanning every wheel)
//! beat this on the timer rows. Measured at `2b519f1`, where both layouts were built from
//! one tree: no difference beyond the noise in wall time, and the per-worker layout ran
//! 1.4 % more instructions per sleep (scanning every wheel, finding the thread's own), so
//! the one wheel stays (`benches/README.md`, "Timer wheels: one per runtime or one per
//! worker").
//!
//! Invariants:
//! 1. Every entry is touched only under the wheel's lock, so a cancel racing a fire is
//!    ordered by it: the waker is taken once, the entry freed once (`time/wheel.rs`
//!    invariant 2; loom: `time_cancel_while_firing`, `time_store_races`).
//! 2. `driver_wake_at` is the tick the parked driver will wake at, `u64::MAX` from the
//!    end of a park until the next park has scanned the wheel. An arm stores its entry
//!    under the wheel's lock and *then* reads `driver_wake_at`; the driver scans the
//!    wheel and *then* stores the next deadline. Both SeqCst, so either the scan saw the
//!    entry or the arm reads `u64::MAX` or the new deadline and wakes the driver if it is
//!    earlier (the mio waker is sticky, so a wake before the driver's `poll` is not lost).
//! 3. The clock's reading changes only under its lock; until the first pause
//!    (`ever_paused`, set under that lock) it is the real clock and is read without it,
//!    so arming a timer on a running clock takes one lock, the wheel's.

use std::task::Waker;
use std::time::{Duration, Instant as StdInstant};

use super::wheel::{EntryKey, EntryPoll, Wheel};
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, BlockingMutex, Ordering, StaticAtomicUsize};

/// How many runtime clocks in this process have ever been paused (their reading may
/// differ from the real clock even after `resume`); `Instant::now` consults the current
/// runtime only when this is non-zero.
pub(crate) static PAUSED_CLOCKS: StaticAtomicUsize = StaticAtomicUsize::new(0);

struct Clock {
    /// The clock reads `base` plus the real time since `unfrozen` (if running).
    base: StdInstant,
    unfrozen: Option<StdInstant>,
}

/// The timer store of one runtime; see the module docs.
pub(crate) struct TimeShared {
    origin: StdInstant,
    clock: BlockingMutex<Clock>,
    /// The clock was paused at least once (invariant 3); also counted in `PAUSED_CLOCKS`.
    ever_paused: AtomicBool,
    wheel: BlockingMutex<Wheel>,
    /// Invariant 2.
    driver_wake_at: AtomicU64,
    /// `spawn_blocking` jobs in flight; a paused clock does not auto-advance while
    /// non-zero (module docs).
    inhibitors: AtomicUsize,
}

impl TimeShared {
    pub(crate) fn new(start_paused: bool) -> TimeShared {
        let now = StdInstant::now();
        let time = TimeShared {
            origin: now,
            clock: BlockingMutex::new(Clock {
                base: now,
                unfrozen: Some(now),
            }),
            ever_paused: AtomicBool::new(false),
            wheel: BlockingMutex::new(Wheel::new()),
            driver_wake_at: AtomicU64::new(u64::MAX),
            inhibitors: AtomicUsize::new(0),
        };
        if start_paused {
            // Frozen at the origin itself, so paused deadlines fall on whole ticks.
            let mut clock = time.clock.lock();
            clock.unfrozen = None;
            time.mark_paused();
        }
        time
    }

    /// Called under the clock lock by the first pause (invariant 3).
    fn mark_paused(&self) {
        // Release: pairs with the Acquire in now(): a reader that sees the flag then
        // takes the clock lock anyway.
        if !self.ever_paused.swap(true, Ordering::Release) {
            PAUSED_CLOCKS.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The clock's current instant.
    pub(crate) fn now(&self) -> StdInstant {
        // Acquire: pairs with mark_paused (invariant 3).
        if !self.ever_paused.load(Ordering::Acquire) {
            // Never paused: base == unfrozen == origin, so the reading is the real clock.
            return StdInstant::now();
        }
        self.clock.lock().now()
    }

    pub(crate) fn pause(&self) {
        let mut clock = self.clock.lock();
        let Some(unfrozen) = clock.unfrozen.take() else {
            drop(clock);
            panic!("ctxrt::time::pause(): time is already paused on this runtime");
        };
        clock.base += unfrozen.elapsed();
        self.mark_paused();
    }

    pub(crate) fn resume(&self) {
        let mut clock = self.clock.lock();
        if clock.unfrozen.is_some() {
            drop(clock);
            panic!("ctxrt::time::resume(): time is not paused on this runtime");
        }
        clock.unfrozen = Some(StdInstant::now());
    }

    /// Moves a paused clock forward by `by` and fires what came due.
    pub(crate) fn advance(&self, by: Duration) -> Vec<Waker> {
        let mut clock = self.clock.lock();
        if clock.unfrozen.is_some() {
            drop(clock);
            panic!(
                "ctxrt::time::advance(): time is not paused; call ctxrt::time::pause() first \
                 (or use #[ctxrt::test(start_paused = true)])"
            );
        }
        clock.base += by;
        let now = self.tick_floor(clock.now());
        drop(clock);
        let mut wakers = Vec::new();
        self.wheel.lock().advance(now, &mut wakers);
        wakers
    }

    /// The tick of `deadline`, rounded up.
    pub(crate) fn tick_ceil(&self, deadline: StdInstant) -> u64 {
        let since = deadline.saturating_duration_since(self.origin);
        let ms = since.as_millis();
        let ceil = if since.subsec_nanos() % 1_000_000 == 0 {
            ms
        } else {
            ms + 1
        };
        u64::try_from(ceil).unwrap_or(u64::MAX)
    }

    fn tick_floor(&self, now: StdInstant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.origin).as_millis()).unwrap_or(u64::MAX)
    }

    fn instant_of(&self, tick: u64) -> StdInstant {
        self.origin + Duration::from_millis(tick)
    }

    /// Arms a timer for `deadline`. `None`: already due. `Some((key, wake))`: armed;
    /// `wake` says the parked driver must be woken (the timer is earlier than its wake-up;
    /// invariant 2).
    pub(crate) fn arm(&self, deadline: StdInstant, waker: &Waker) -> Option<(EntryKey, bool)> {
        let when = self.tick_ceil(deadline);
        let now = self.tick_floor(self.now());
        if when <= now {
            return None;
        }
        let key = self.wheel.lock().insert(when, waker.clone()).ok()?;
        // SeqCst: invariant 2, after the insert's unlock; pairs with before_park's store.
        let wake_driver = when < self.driver_wake_at.load(Ordering::SeqCst);
        Some((key, wake_driver))
    }

    pub(crate) fn poll(&self, key: EntryKey, waker: &Waker) -> bool {
        self.wheel.lock().poll(key, waker) == EntryPoll::Fired
    }

    /// Moves an armed timer; returns (waker to wake now, whether to wake the driver).
    pub(crate) fn reset(&self, key: EntryKey, deadline: StdInstant) -> (Option<Waker>, bool) {
        let when = self.tick_ceil(deadline);
        let now = self.tick_floor(self.now());
        let mut wheel = self.wheel.lock();
        let due_now = wheel.reset(key, when);
        if when <= now && due_now.is_none() {
            // Past due but the wheel has not caught up to `now` yet: fire it as the
            // driver would.
            let mut wakers = Vec::new();
            wheel.advance(now, &mut wakers);
            drop(wheel);
            for waker in wakers {
                waker.wake();
            }
            return (None, false);
        }
        drop(wheel);
        // SeqCst: invariant 2, as in arm.
        let wake_driver = when < self.driver_wake_at.load(Ordering::SeqCst);
        (due_now, wake_driver)
    }

    /// Frees a timer, from whichever thread drops it (invariant 1).
    pub(crate) fn remove(&self, key: EntryKey) {
        let waker = self.wheel.lock().remove(key);
        drop(waker);
    }

    /// A blocking job starts: no auto-advance until the matching
    /// [`TimeShared::allow_auto_advance`].
    pub(crate) fn inhibit_auto_advance(&self) {
        // SeqCst: as in allow_auto_advance.
        self.inhibitors.fetch_add(1, Ordering::SeqCst);
    }

    /// A blocking job is done; true if it was the last one and the clock may be paused,
    /// so a driver parked without a timeout must be woken to auto-advance.
    pub(crate) fn allow_auto_advance(&self) -> bool {
        // SeqCst: pairs with the load in before_park. Either that load sees this
        // decrement, or it came first and the caller's driver wake (after this) ends the
        // park that followed it.
        let last = self.inhibitors.fetch_sub(1, Ordering::SeqCst) == 1;
        // Relaxed: a hint; a clock paused only after this job never waited for it.
        last && PAUSED_CLOCKS.load(Ordering::Relaxed) != 0 && self.is_paused()
    }

    fn is_paused(&self) -> bool {
        self.clock.lock().unfrozen.is_none()
    }

    /// Fires the wheel up to tick `now`; returns the earliest remaining slot's tick.
    fn fire(&self, now: u64, wakers: &mut Vec<Waker>) -> Option<u64> {
        let mut wheel = self.wheel.lock();
        wheel.advance(now, wakers);
        wheel
            .next_expiration()
            .map(|expiration| expiration.deadline)
    }

    /// Fires what is due and returns how long the driver may sleep (None:
    /// no timer), recording its wake tick (invariant 2). With a paused clock,
    /// auto-advances to the next timer instead of sleeping when `may_advance` (every task
    /// is idle).
    pub(crate) fn before_park(
        &self,
        wakers: &mut Vec<Waker>,
        may_advance: bool,
    ) -> Option<Duration> {
        let now_instant = self.now();
        let next = self.fire(self.tick_floor(now_instant), wakers);
        if !wakers.is_empty() {
            return Some(Duration::ZERO);
        }
        let next = next?;
        if self.ever_paused.load(Ordering::Acquire) {
            let mut clock = self.clock.lock();
            if clock.unfrozen.is_none() {
                // SeqCst: see allow_auto_advance.
                if !may_advance || self.inhibitors.load(Ordering::SeqCst) != 0 {
                    return None;
                }
                let now_instant = clock.now();
                let target = self.instant_of(next);
                if target > now_instant {
                    clock.base += target - now_instant;
                }
                let now = self.tick_floor(clock.now());
                drop(clock);
                self.fire(now, wakers);
                return Some(Duration::ZERO);
            }
        }
        // SeqCst: invariant 2, after the wheel was scanned; pairs with arm's load.
        self.driver_wake_at.store(next, Ordering::SeqCst);
        Some(self.instant_of(next).saturating_duration_since(now_instant))
    }

    /// After the driver's park: fires what came due.
    pub(crate) fn after_park(&self, wakers: &mut Vec<Waker>) {
        // SeqCst: invariant 2.
        self.driver_wake_at.store(u64::MAX, Ordering::SeqCst);
        let now = self.tick_floor(self.now());
        self.fire(now, wakers);
    }

    /// Fires what is due without parking (the busy workers' fairness tick), unless
    /// another thread holds the wheel.
    pub(crate) fn fire_due(&self, wakers: &mut Vec<Waker>) {
        let Some(mut wheel) = self.wheel.try_lock() else {
            return;
        };
        let now = self.tick_floor(self.now());
        if wheel.next_expiration().is_some_and(|e| e.deadline <= now) {
            wheel.advance(now, wakers);
        }
    }

    /// Shutdown: drops every stored waker (tasks' references) so nothing keeps the
    /// cancelled tasks alive.
    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        self.wheel.lock().take_wakers(&mut wakers);
        drop(wakers);
    }

    /// How many entries are in use (loom models: nothing left behind).
    #[cfg(loom)]
    pub(crate) fn live_entries(&self) -> usize {
        self.wheel.lock().live_entries()
    }
}

impl Drop for TimeShared {
    fn drop(&mut self) {
        if self.ever_paused.load(Ordering::Relaxed) {
            PAUSED_CLOCKS.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Clock {
    fn now(&self) -> StdInstant {
        match self.unfrozen {
            Some(since) => self.base + since.elapsed(),
            None => self.base,
        }
    }
}
