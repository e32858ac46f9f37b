//! One runtime's timer store: its clock (real or paused) and its timing wheels.
//!
//! Ticks are whole milliseconds since the runtime's `origin` instant. A deadline rounds
//! *up* to a tick and a wheel fires tick `t` once the clock has reached it, so a timer
//! never fires before its deadline. Paused clocks follow tokio's `test-util` clock: `base`
//! moves only by `advance` (or by the driver's auto-advance to the next timer while every
//! task is idle) until `resume`. Auto-advance waits while a `spawn_blocking` job of the
//! runtime is in flight (`inhibitors`, as tokio's `inhibit_auto_advance`): the job may be
//! about to wake a task that would arm an earlier timer, or none at all.
//!
//! Wheels (`shards`): one per multi-thread worker plus one for every other thread (the
//! `block_on` caller, blocking-pool threads), or a single one (`current_thread`, or
//! [`TimerWheels::Shared`]). A timer is armed in the wheel of the thread that first polls
//! it and stays there; its key names the wheel, so a `Sleep` dropped or reset on another
//! thread reaches the right one. Each wheel has its own lock, so workers arming their own
//! timers never contend; other threads take it only to cancel or reset a timer that
//! moved with its task, and the driver-holder takes each in turn to fire what is due.
//!
//! Invariants:
//! 1. An entry lives in exactly one wheel, the one its [`TimerKey`] names, and is only
//!    touched under that wheel's lock (so a cancel racing a fire is ordered by the lock:
//!    the waker is taken once, the entry freed once; `time/wheel.rs` invariant 2).
//! 2. `driver_wake_at` is the tick the parked driver will wake at, `u64::MAX` from the
//!    end of a park until the next park has scanned every wheel. An arm stores its entry
//!    under its wheel's lock and *then* reads `driver_wake_at`; the driver scans every
//!    wheel and *then* stores the minimum. Both SeqCst, so either the scan saw the entry
//!    or the arm reads `u64::MAX` or the new minimum and wakes the driver if it is earlier
//!    (the mio waker is sticky, so a wake before the driver's `poll` is not lost).
//! 3. The clock's reading changes only under its lock; until the first pause
//!    (`ever_paused`, set under that lock) it is the real clock and is read without it.

use std::task::Waker;
use std::time::{Duration, Instant as StdInstant};

use super::wheel::{EntryKey, EntryPoll, Wheel};
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, BlockingMutex, Ordering, StaticAtomicUsize};

/// How many runtime clocks in this process have ever been paused (their reading may
/// differ from the real clock even after `resume`); `Instant::now` consults the current
/// runtime only when this is non-zero.
pub(crate) static PAUSED_CLOCKS: StaticAtomicUsize = StaticAtomicUsize::new(0);

/// Which wheel layout a multi-thread runtime uses (the issue 9 measurement; module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TimerWheels {
    /// One lock-protected wheel per runtime.
    Shared,
    /// One wheel per worker, plus one for every other thread.
    PerWorker,
}

impl TimerWheels {
    /// The layout named by `CTXRT_TIMER_WHEELS` (`shared` or `per_worker`), else the
    /// default. A measurement switch only: both layouts are built from one tree so the
    /// `compare` rows can run each beside tokio.
    pub(crate) fn from_env() -> TimerWheels {
        match std::env::var("CTXRT_TIMER_WHEELS").as_deref() {
            Ok("per_worker") => TimerWheels::PerWorker,
            Ok("shared") => TimerWheels::Shared,
            _ => TimerWheels::Shared,
        }
    }

    /// How many wheels a runtime with `workers` workers gets (`None`: current_thread).
    pub(crate) fn shards(self, workers: Option<usize>) -> usize {
        match (self, workers) {
            (TimerWheels::PerWorker, Some(workers)) => workers + 1,
            _ => 1,
        }
    }
}

/// Names one timer: its wheel and its entry there (invariant 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerKey {
    shard: u32,
    entry: EntryKey,
}

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
    shards: Box<[BlockingMutex<Wheel>]>,
    /// Invariant 2.
    driver_wake_at: AtomicU64,
    /// `spawn_blocking` jobs in flight; a paused clock does not auto-advance while
    /// non-zero (module docs).
    inhibitors: AtomicUsize,
}

impl TimeShared {
    /// A store with `shards` wheels (at least 1; see [`TimerWheels::shards`]).
    pub(crate) fn new(start_paused: bool, shards: usize) -> TimeShared {
        let now = StdInstant::now();
        let time = TimeShared {
            origin: now,
            clock: BlockingMutex::new(Clock {
                base: now,
                unfrozen: Some(now),
            }),
            ever_paused: AtomicBool::new(false),
            shards: (0..shards.max(1))
                .map(|_| BlockingMutex::new(Wheel::new()))
                .collect(),
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
        self.fire_all(now, &mut wakers);
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

    /// The wheel this thread arms in: its worker's, else the last (module docs).
    fn current_shard(&self) -> usize {
        let last = self.shards.len() - 1;
        if last == 0 {
            return 0;
        }
        crate::scheduler::with_current_worker(|worker| {
            let (shared, core) = worker?;
            let time = shared.driver.as_ref()?.time.as_ref()?;
            // A worker of another runtime arms in this runtime's shared wheel.
            std::ptr::eq(time, self).then(|| core.index())
        })
        .filter(|&index| index < last)
        .unwrap_or(last)
    }

    fn wheel(&self, key: TimerKey) -> &BlockingMutex<Wheel> {
        &self.shards[key.shard as usize]
    }

    /// Arms a timer for `deadline` in this thread's wheel. `None`: already due.
    /// `Some((key, wake))`: armed; `wake` says the parked driver must be woken (the timer
    /// is earlier than its wake-up; invariant 2).
    pub(crate) fn arm(&self, deadline: StdInstant, waker: &Waker) -> Option<(TimerKey, bool)> {
        self.arm_in(self.current_shard(), deadline, waker)
    }

    /// [`TimeShared::arm`] in wheel `shard` (the loom models pick it).
    pub(crate) fn arm_in(
        &self,
        shard: usize,
        deadline: StdInstant,
        waker: &Waker,
    ) -> Option<(TimerKey, bool)> {
        let when = self.tick_ceil(deadline);
        let now = self.tick_floor(self.now());
        if when <= now {
            return None;
        }
        let entry = self.shards[shard].lock().insert(when, waker.clone()).ok()?;
        // SeqCst: invariant 2, after the insert's unlock; pairs with before_park's store.
        let wake_driver = when < self.driver_wake_at.load(Ordering::SeqCst);
        let key = TimerKey {
            shard: shard as u32,
            entry,
        };
        Some((key, wake_driver))
    }

    pub(crate) fn poll(&self, key: TimerKey, waker: &Waker) -> bool {
        self.wheel(key).lock().poll(key.entry, waker) == EntryPoll::Fired
    }

    /// Moves an armed timer (in its own wheel; invariant 1); returns (waker to wake now,
    /// whether to wake the driver).
    pub(crate) fn reset(&self, key: TimerKey, deadline: StdInstant) -> (Option<Waker>, bool) {
        let when = self.tick_ceil(deadline);
        let now = self.tick_floor(self.now());
        let mut wheel = self.wheel(key).lock();
        let due_now = wheel.reset(key.entry, when);
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

    /// Frees a timer from whichever thread drops it (invariant 1).
    pub(crate) fn remove(&self, key: TimerKey) {
        let waker = self.wheel(key).lock().remove(key.entry);
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

    /// Fires every wheel up to tick `now`; returns the earliest remaining slot's tick.
    fn fire_all(&self, now: u64, wakers: &mut Vec<Waker>) -> Option<u64> {
        let mut next: Option<u64> = None;
        for shard in self.shards.iter() {
            let mut wheel = shard.lock();
            wheel.advance(now, wakers);
            if let Some(expiration) = wheel.next_expiration() {
                next = Some(next.map_or(expiration.deadline, |n| n.min(expiration.deadline)));
            }
        }
        next
    }

    /// Fires what is due in every wheel and returns how long the driver may sleep (None:
    /// no timer), recording its wake tick (invariant 2). With a paused clock,
    /// auto-advances to the next timer instead of sleeping when `may_advance` (every task
    /// is idle).
    pub(crate) fn before_park(
        &self,
        wakers: &mut Vec<Waker>,
        may_advance: bool,
    ) -> Option<Duration> {
        let now_instant = self.now();
        let next = self.fire_all(self.tick_floor(now_instant), wakers);
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
                self.fire_all(now, wakers);
                return Some(Duration::ZERO);
            }
        }
        // SeqCst: invariant 2, after every wheel was scanned; pairs with arm's load.
        self.driver_wake_at.store(next, Ordering::SeqCst);
        Some(self.instant_of(next).saturating_duration_since(now_instant))
    }

    /// After the driver's park: fires what came due.
    pub(crate) fn after_park(&self, wakers: &mut Vec<Waker>) {
        // SeqCst: invariant 2.
        self.driver_wake_at.store(u64::MAX, Ordering::SeqCst);
        let now = self.tick_floor(self.now());
        self.fire_all(now, wakers);
    }

    /// Fires what is due without parking (the busy workers' fairness tick), in every
    /// wheel nobody else holds.
    pub(crate) fn fire_due(&self, wakers: &mut Vec<Waker>) {
        let now = self.tick_floor(self.now());
        for shard in self.shards.iter() {
            let Some(mut wheel) = shard.try_lock() else {
                continue;
            };
            if wheel.next_expiration().is_some_and(|e| e.deadline <= now) {
                wheel.advance(now, wakers);
            }
        }
    }

    /// Shutdown: drops every stored waker (tasks' references) in every wheel, so nothing
    /// keeps the cancelled tasks alive.
    pub(crate) fn shutdown(&self) {
        let mut wakers = Vec::new();
        for shard in self.shards.iter() {
            shard.lock().take_wakers(&mut wakers);
        }
        drop(wakers);
    }

    /// How many entries are in use across the wheels (loom models: nothing left behind).
    #[cfg(loom)]
    pub(crate) fn live_entries(&self) -> usize {
        self.shards.iter().map(|s| s.lock().live_entries()).sum()
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
