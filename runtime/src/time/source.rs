//! One runtime's timer store: its clock (real or paused) and its wheel behind one lock.
//!
//! Ticks are whole milliseconds since the runtime's `base` instant. A deadline rounds
//! *up* to a tick and the wheel fires tick `t` once the clock has reached it, so a timer
//! never fires before its deadline. `driver_wake_at` is the tick the parked driver will
//! wake at (`u64::MAX` if none): arming an earlier timer wakes the driver so it re-reads
//! the next deadline. Paused clocks follow tokio's `test-util` clock: `base` moves only
//! by `advance` (or by the driver's auto-advance to the next timer while every task is
//! idle) until `resume`. Auto-advance waits while a `spawn_blocking` job of the runtime
//! is in flight (`inhibitors`, as tokio's `inhibit_auto_advance`): the job may be about
//! to wake a task that would arm an earlier timer, or none at all.

use std::task::Waker;
use std::time::{Duration, Instant as StdInstant};

use super::wheel::{EntryKey, EntryPoll, Wheel};
use crate::sync::{AtomicUsize, BlockingMutex, Ordering, StaticAtomicUsize};

/// How many runtime clocks in this process have ever been paused (their reading may
/// differ from the real clock even after `resume`); `Instant::now` consults the current
/// runtime only when this is non-zero.
pub(crate) static PAUSED_CLOCKS: StaticAtomicUsize = StaticAtomicUsize::new(0);

struct Clock {
    /// The clock reads `base` plus the real time since `unfrozen` (if running).
    base: StdInstant,
    unfrozen: Option<StdInstant>,
    /// Counted in `PAUSED_CLOCKS` (set by the first pause, for the clock's life).
    ever_paused: bool,
}

struct TimeState {
    clock: Clock,
    wheel: Wheel,
    driver_wake_at: u64,
}

/// The timer store of one runtime; see the module docs.
pub(crate) struct TimeShared {
    origin: StdInstant,
    state: BlockingMutex<TimeState>,
    /// `spawn_blocking` jobs in flight; a paused clock does not auto-advance while
    /// non-zero (module docs).
    inhibitors: AtomicUsize,
}

impl TimeShared {
    pub(crate) fn new(start_paused: bool) -> TimeShared {
        let now = StdInstant::now();
        let time = TimeShared {
            origin: now,
            state: BlockingMutex::new(TimeState {
                clock: Clock {
                    base: now,
                    unfrozen: Some(now),
                    ever_paused: false,
                },
                wheel: Wheel::new(),
                driver_wake_at: u64::MAX,
            }),
            inhibitors: AtomicUsize::new(0),
        };
        if start_paused {
            // Frozen at the origin itself, so paused deadlines fall on whole ticks.
            let mut state = time.state.lock();
            state.clock.unfrozen = None;
            state.clock.ever_paused = true;
            drop(state);
            PAUSED_CLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        time
    }

    /// The clock's current instant.
    pub(crate) fn now(&self) -> StdInstant {
        let state = self.state.lock();
        state.clock.now()
    }

    pub(crate) fn pause(&self) {
        let mut state = self.state.lock();
        let Some(unfrozen) = state.clock.unfrozen.take() else {
            drop(state);
            panic!("ctxrt::time::pause(): time is already paused on this runtime");
        };
        state.clock.base += unfrozen.elapsed();
        if !std::mem::replace(&mut state.clock.ever_paused, true) {
            PAUSED_CLOCKS.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn resume(&self) {
        let mut state = self.state.lock();
        if state.clock.unfrozen.is_some() {
            drop(state);
            panic!("ctxrt::time::resume(): time is not paused on this runtime");
        }
        state.clock.unfrozen = Some(StdInstant::now());
    }

    /// Moves a paused clock forward by `by` and fires what came due.
    pub(crate) fn advance(&self, by: Duration) -> Vec<Waker> {
        let mut state = self.state.lock();
        if state.clock.unfrozen.is_some() {
            drop(state);
            panic!(
                "ctxrt::time::advance(): time is not paused; call ctxrt::time::pause() first \
                 (or use #[ctxrt::test(start_paused = true)])"
            );
        }
        state.clock.base += by;
        let mut wakers = Vec::new();
        let now = self.tick_floor(state.clock.now());
        state.wheel.advance(now, &mut wakers);
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

    /// Arms a timer for `deadline`. `Ok(None)`: already due. `Ok(Some(key))`: armed;
    /// the bool says the parked driver must be woken (the timer is earlier than its wake).
    pub(crate) fn arm(&self, deadline: StdInstant, waker: &Waker) -> Option<(EntryKey, bool)> {
        let when = self.tick_ceil(deadline);
        let mut state = self.state.lock();
        let now = self.tick_floor(state.clock.now());
        if when <= now {
            return None;
        }
        match state.wheel.insert(when, waker.clone()) {
            Ok(key) => Some((key, when < state.driver_wake_at)),
            Err(_) => None,
        }
    }

    pub(crate) fn poll(&self, key: EntryKey, waker: &Waker) -> bool {
        self.state.lock().wheel.poll(key, waker) == EntryPoll::Fired
    }

    /// Moves an armed timer; returns (waker to wake now, whether to wake the driver).
    pub(crate) fn reset(&self, key: EntryKey, deadline: StdInstant) -> (Option<Waker>, bool) {
        let when = self.tick_ceil(deadline);
        let mut state = self.state.lock();
        let now = self.tick_floor(state.clock.now());
        let due_now = state.wheel.reset(key, when);
        if when <= now && due_now.is_none() {
            // Past due but the wheel has not caught up to `now` yet: fire it as the
            // driver would.
            let mut wakers = Vec::new();
            state.wheel.advance(now, &mut wakers);
            drop(state);
            for waker in wakers {
                waker.wake();
            }
            return (None, false);
        }
        let wake_driver = when < state.driver_wake_at;
        (due_now, wake_driver)
    }

    pub(crate) fn remove(&self, key: EntryKey) {
        let waker = self.state.lock().wheel.remove(key);
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
        self.state.lock().clock.unfrozen.is_none()
    }

    /// Fires what is due and returns how long the driver may sleep (None: no timer),
    /// recording its wake tick. With a paused clock, auto-advances to the next timer
    /// instead of sleeping when `may_advance` (every task is idle).
    pub(crate) fn before_park(
        &self,
        wakers: &mut Vec<Waker>,
        may_advance: bool,
    ) -> Option<Duration> {
        let mut state = self.state.lock();
        let mut now_instant = state.clock.now();
        let now = self.tick_floor(now_instant);
        state.wheel.advance(now, wakers);
        if !wakers.is_empty() {
            return Some(Duration::ZERO);
        }
        let next = state.wheel.next_expiration()?.deadline;
        if state.clock.unfrozen.is_none() {
            // SeqCst: see allow_auto_advance.
            if !may_advance || self.inhibitors.load(Ordering::SeqCst) != 0 {
                return None;
            }
            let target = self.instant_of(next);
            if target > now_instant {
                state.clock.base += target - now_instant;
                now_instant = target;
            }
            let now = self.tick_floor(now_instant);
            state.wheel.advance(now, wakers);
            return Some(Duration::ZERO);
        }
        state.driver_wake_at = next;
        Some(self.instant_of(next).saturating_duration_since(now_instant))
    }

    /// After the driver's park: fires what came due.
    pub(crate) fn after_park(&self, wakers: &mut Vec<Waker>) {
        let mut state = self.state.lock();
        state.driver_wake_at = u64::MAX;
        let now = self.tick_floor(state.clock.now());
        state.wheel.advance(now, wakers);
    }

    /// Fires what is due without parking (the busy workers' fairness tick).
    pub(crate) fn fire_due(&self, wakers: &mut Vec<Waker>) {
        let Some(mut state) = self.state.try_lock() else {
            return;
        };
        let now = self.tick_floor(state.clock.now());
        if state
            .wheel
            .next_expiration()
            .is_some_and(|e| e.deadline <= now)
        {
            state.wheel.advance(now, wakers);
        }
    }

    /// Shutdown: drops every stored waker (tasks' references) so nothing keeps the
    /// cancelled tasks alive.
    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        {
            let mut state = self.state.lock();
            state.wheel.take_wakers(&mut wakers);
        }
        drop(wakers);
    }
}

impl Drop for TimeShared {
    fn drop(&mut self) {
        if self.state.lock().clock.ever_paused {
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
