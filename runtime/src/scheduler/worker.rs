//! A worker's local state ([`Core`]) and the loops that drive it: the worker thread's
//! [`run`], and [`drive_current_thread`] for a `current_thread` runtime's `block_on`.
//!
//! Invariants:
//! 1. A `Core` is used by one thread at a time: the worker thread that owns it, or the one
//!    `block_on` that took it from `parked_core`. Its fields are `Cell`s because the task
//!    being polled reaches the same core through [`with_current_worker`] (to queue wakes)
//!    while the loop holds `&Core`.
//! 2. `CURRENT_WORKER` points at a live `Core` and its `SchedulerShared` exactly while a
//!    [`WorkerGuard`] made from them is alive on this thread; the guard clears it on drop,
//!    panics included.
//! 3. A `WorkerGuard` lives in the stack frame that owns (or borrows) its core, below it,
//!    and never leaves that frame: only [`run`], `drive_current_thread` and the loom
//!    model's turn make one, so guards nest exactly like those frames and the pointer a
//!    guard restores on drop belongs to a frame that is still alive. No user-held guard
//!    (`EnterGuard`) touches `CURRENT_WORKER`: one could outlive the `block_on` whose
//!    core it would restore.
//! 4. A worker thread's core (the one [`run`] drives) is a `Box` leaked into a raw pointer
//!    that `CURRENT_WORKER` holds while the core is this thread's: [`run`] reborrows it
//!    only between polls (no `&Core` of the loop spans a poll), and `block_in_place`
//!    (`block_in_place.rs`) may take it during a poll, clearing `CURRENT_WORKER.core`
//!    before it rebuilds the `Box` and hands it to another thread. A cleared core is
//!    never touched by this thread again unless `block_in_place` takes it back (the same
//!    address) before the poll returns; [`run`] then continues, and otherwise exits.
//!    Only [`run`]'s loop frees the core (shutdown), after clearing the pointer.
//!
//! Order of picking work (`claim_next`): every 61st tick a batch from the injector first
//! (fairness); then the LIFO slot (at most 3 times in a row, so two tasks waking each
//! other cannot starve the queue); the local queue; a batch from the injector; stealing
//! half of a random victim's queue; the deferred tasks; then parking.
//!
//! Deferred tasks are those that woke themselves during their own poll (a `yield_now`, an
//! exhausted budget). They wait in a list of their own until the worker finds nothing
//! else, or until the next 61st tick, as tokio defers them: tasks that keep yielding
//! cannot starve work queued on the injector or on other workers, and busy tasks cannot
//! starve a yielded one for more than one interval.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{self, Poll};

use ctxrt_context::Context;

use super::metrics::WorkerMetrics;
use super::SchedulerShared;
use crate::sync::{thread_local_const, Arc, LocalQueue, Steal, Stealer};
use crate::task::raw::waker::{arc_waker, ArcWake};
use crate::task::raw::Notified;

/// Consecutive LIFO-slot picks allowed before the slot's task goes to the queue's back.
const MAX_LIFO_STREAK: u8 = 3;
/// Tasks a `current_thread` block_on runs between checks of its own future.
const CURRENT_THREAD_BATCH: usize = 61;

/// One worker's local state; see the module docs.
///
/// Aligned to 128 bytes (two cache lines, for the adjacent-line prefetcher): each worker
/// writes its core on every tick, and the cores are boxed one after another when the
/// runtime is built, so unaligned, one core's tail and the next one's head could share a
/// line that both workers write (false sharing, which costs time but no instructions).
#[repr(align(128))]
pub(crate) struct Core {
    index: usize,
    local: LocalQueue<Notified>,
    lifo: Cell<Option<Notified>>,
    /// Tasks that woke themselves during their poll (module docs).
    deferred: RefCell<Vec<Notified>>,
    /// Ticks (`next_task` calls) left until the next driver check, then the next
    /// injector-first pick: counted down, so a tick costs no division by a runtime value.
    until_event: Cell<u32>,
    until_global: Cell<u32>,
    lifo_streak: Cell<u8>,
    is_searching: Cell<bool>,
    rng: Cell<u32>,
    /// When this worker last woke (or started): busy time for `metrics.rs`.
    busy_since: Cell<crate::sync::Instant>,
    /// This worker's counters, shared with its `Remote` (`metrics.rs`).
    metrics: Arc<WorkerMetrics>,
}

#[derive(Clone, Copy)]
struct WorkerRef {
    shared: *const Arc<SchedulerShared>,
    /// Null while `block_in_place` has handed this thread's core away (invariant 4).
    core: *const Core,
    /// The core is a worker thread's boxed core, which `block_in_place` may hand away
    /// (invariant 4); false for a `current_thread` core and the loom model's turns.
    movable: bool,
}

const NO_WORKER: WorkerRef = WorkerRef {
    shared: std::ptr::null(),
    core: std::ptr::null(),
    movable: false,
};

thread_local_const! {
    static CURRENT_WORKER: Cell<WorkerRef> = const { Cell::new(NO_WORKER) };
}

/// Calls `f` with this thread's worker (its scheduler and core), if it is one right now.
#[inline]
pub(crate) fn with_current_worker<R>(
    f: impl FnOnce(Option<(&Arc<SchedulerShared>, &Core)>) -> R,
) -> R {
    let current = CURRENT_WORKER.try_with(Cell::get).unwrap_or(NO_WORKER);
    if current.shared.is_null() || current.core.is_null() {
        return f(None);
    }
    // SAFETY: non-null pointers are set only by a live WorkerGuard on this thread and
    // cleared when it drops (invariant 2); the guard outlives this call, which runs
    // entirely on this thread, so both point to live values throughout.
    let (shared, core) = unsafe { (&*current.shared, &*current.core) };
    f(Some((shared, core)))
}

/// Marks this thread as running `core` of `shared` (invariants 2 and 3). Not `Send`, and
/// never handed to user code.
pub(crate) struct WorkerGuard {
    previous: WorkerRef,
    /// What this guard set, checked on drop (invariant 3): the frame's `shared`, whose
    /// address is unique among live frames (a core may be handed away meanwhile).
    current: *const Arc<SchedulerShared>,
}

impl WorkerGuard {
    /// Marks this thread as `core`'s worker. The caller keeps the guard in the frame that
    /// holds `shared` and `core`, dropped before them (invariant 3).
    pub(crate) fn enter(shared: &Arc<SchedulerShared>, core: &Core) -> WorkerGuard {
        Self::set(WorkerRef {
            shared,
            core,
            movable: false,
        })
    }

    fn set(worker: WorkerRef) -> WorkerGuard {
        let previous = CURRENT_WORKER.with(|cell| cell.replace(worker));
        WorkerGuard {
            previous,
            current: worker.shared,
        }
    }
}

impl Drop for WorkerGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = CURRENT_WORKER.try_with(|cell| {
            // Invariant 3 makes this hold; if it ever did not, restoring `previous` could
            // leave a dangling pointer behind, so clear the slot instead.
            if std::ptr::eq(cell.get().shared, self.current) {
                cell.set(previous);
            } else {
                debug_assert!(false, "WorkerGuards dropped out of order");
                cell.set(NO_WORKER);
            }
        });
    }
}

impl Core {
    pub(crate) fn new(index: usize, tuning: &crate::runtime::Tuning) -> Core {
        Core {
            index,
            local: LocalQueue::new_fifo(),
            lifo: Cell::new(None),
            deferred: RefCell::new(Vec::new()),
            until_event: Cell::new(tuning.event_interval),
            until_global: Cell::new(tuning.global_queue_interval),
            lifo_streak: Cell::new(0),
            is_searching: Cell::new(false),
            rng: Cell::new(0x9E37_79B9 ^ (index as u32).wrapping_mul(0x85EB_CA6B) | 1),
            busy_since: Cell::new(crate::sync::Instant::now()),
            metrics: Arc::new(WorkerMetrics::new()),
        }
    }

    /// This worker's counters, for its `Remote`.
    pub(crate) fn metrics(&self) -> Arc<WorkerMetrics> {
        self.metrics.clone()
    }

    pub(crate) fn stealer(&self) -> Stealer<Notified> {
        self.local.stealer()
    }

    /// Queues a task woken by the running task: it runs next on this worker.
    pub(crate) fn push_lifo(&self, shared: &SchedulerShared, task: Notified) {
        if shared.config.tuning.disable_lifo_slot {
            return self.push_back(shared, task);
        }
        if let Some(previous) = self.lifo.replace(Some(task)) {
            self.local.push(previous);
            self.notify_if_stealable(shared);
        }
    }

    /// Queues a task spawned by the running task: into the LIFO slot if it is empty, so it
    /// runs next on this worker while what its spawner just made is still in this core's
    /// cache (tokio puts every spawn there); else at the back of the local queue, so a
    /// task woken meanwhile keeps its turn ahead of it.
    pub(crate) fn push_spawned(&self, shared: &SchedulerShared, task: Notified) {
        if shared.config.tuning.disable_lifo_slot {
            return self.push_back(shared, task);
        }
        match self.lifo.take() {
            None => self.lifo.set(Some(task)),
            Some(occupant) => {
                self.lifo.set(Some(occupant));
                self.push_back(shared, task);
            }
        }
    }

    /// Queues a task at the back of the local queue.
    pub(crate) fn push_back(&self, shared: &SchedulerShared, task: Notified) {
        self.local.push(task);
        self.notify_if_stealable(shared);
    }

    /// Re-queues the task this worker just polled, which was woken during the poll: to the
    /// back of the queue. It adds no work that was not already runnable here, so no sleeper
    /// needs waking for it.
    pub(crate) fn push_yielded(&self, task: Notified) {
        self.local.push(task);
    }

    /// Sets aside the task this worker just polled, which woke itself (module docs).
    pub(crate) fn push_deferred(&self, task: Notified) {
        self.deferred.borrow_mut().push(task);
    }

    /// Moves the deferred tasks to the local queue (where others may steal them) and
    /// returns the first, if there are any.
    fn take_deferred(&self, shared: &SchedulerShared) -> Option<Notified> {
        let mut deferred = self.deferred.borrow_mut();
        let mut tasks = deferred.drain(..);
        let first = tasks.next()?;
        for task in tasks {
            self.local.push(task);
        }
        // Released before any task runs: running one may defer it again.
        drop(deferred);
        self.notify_if_stealable(shared);
        Some(first)
    }

    /// Moves every deferred task to the back of the local queue (the fairness tick).
    fn requeue_deferred(&self, shared: &SchedulerShared) {
        if let Some(first) = self.take_deferred(shared) {
            self.local.push(first);
        }
    }

    fn notify_if_stealable(&self, shared: &SchedulerShared) {
        // A searching worker will find it anyway; a single queued task is ours to run next.
        if !self.is_searching.get() && self.local.len() > 1 {
            shared.notify_parked();
        }
    }

    fn next_task(&self, shared: &SchedulerShared) -> Option<Notified> {
        // Busy workers still see I/O and timers (driver.rs), every `Builder::event_interval`
        // ticks (default 61). Without a driver there is nothing to see and no tick to count.
        if let Some(driver) = &shared.driver {
            if countdown(&self.until_event, shared.config.tuning.event_interval) {
                driver.poll_busy();
            }
        }
        // `Builder::global_queue_interval` (default 61).
        if countdown(
            &self.until_global,
            shared.config.tuning.global_queue_interval,
        ) {
            self.requeue_deferred(shared);
            if let Some(task) = self.steal_injector_batch(shared) {
                return Some(task);
            }
        }
        if let Some(task) = self.lifo.take() {
            let streak = self.lifo_streak.get();
            if streak < MAX_LIFO_STREAK {
                self.lifo_streak.set(streak + 1);
                return Some(task);
            }
            self.local.push(task);
        }
        self.lifo_streak.set(0);
        if let Some(task) = self.local.pop() {
            return Some(task);
        }
        self.steal_injector_batch(shared)
    }

    /// Moves a batch of tasks from the injector to the local queue, returning one.
    fn steal_injector_batch(&self, shared: &SchedulerShared) -> Option<Notified> {
        loop {
            match shared.injector.steal_batch_and_pop(&self.local) {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    fn steal(&self, shared: &SchedulerShared) -> Option<Notified> {
        if !self.is_searching.get() {
            if !shared.idle.transition_to_searching() {
                return None;
            }
            self.is_searching.set(true);
        }
        let n = shared.remotes.len();
        let start = self.next_random() as usize % n;
        for offset in 0..n {
            let victim = (start + offset) % n;
            if victim == self.index {
                continue;
            }
            loop {
                let before = self.local.len();
                match shared.remotes[victim]
                    .stealer
                    .steal_batch_and_pop(&self.local)
                {
                    Steal::Success(task) => {
                        let moved = self.local.len().saturating_sub(before) + 1;
                        self.metrics.stole(moved);
                        return Some(task);
                    }
                    Steal::Empty => break,
                    Steal::Retry => continue,
                }
            }
        }
        shared.pop_injector()
    }

    /// The next task a worker thread should run (its own queues, the injector, then
    /// stealing), its bookkeeping done; the caller runs it, `run` with no borrow of the
    /// core alive (invariant 4). `None`: nothing to run, the caller parks.
    pub(crate) fn claim_next(&self, shared: &SchedulerShared) -> Option<Notified> {
        let task = self
            .next_task(shared)
            .or_else(|| self.steal(shared))
            .or_else(|| self.take_deferred(shared))?;
        self.before_run(shared);
        Some(task)
    }

    fn run_task(&self, shared: &SchedulerShared, task: Notified) {
        self.before_run(shared);
        task.run();
    }

    fn before_run(&self, shared: &SchedulerShared) {
        if self.is_searching.replace(false) && shared.idle.transition_from_searching() {
            // The last searcher found work; there may be more, so wake another.
            shared.notify_parked();
        }
        self.metrics.polled();
    }

    /// Sleeps until notified. Once registered as a sleeper it re-checks the shared queues:
    /// a producer that queued work just before may have seen this worker still awake and
    /// notified nobody (always so on a `current_thread` runtime, whose only worker never
    /// searches), so the work would otherwise wait for an unrelated wake.
    pub(crate) fn park(&self, shared: &SchedulerShared) {
        self.metrics.parking(self.busy_since.get());
        let was_searching = self.is_searching.replace(false);
        shared.idle.transition_to_parked(self.index, was_searching);
        if shared.has_stealable_work() {
            // Wakes a sleeper: possibly this worker, whose park then returns at once.
            shared.notify_parked();
        }
        let awake = || {
            let searching = shared.idle.unpark_worker(self.index);
            self.is_searching.set(searching);
        };
        if shared.is_shutdown() {
            awake();
        } else {
            // `Builder::on_thread_park` / `on_thread_unpark`.
            if let Some(hook) = &shared.config.tuning.on_thread_park {
                hook();
            }
            // Counted awake before the tasks a park in the driver found ready are queued
            // here (`Parker::park_then`), so queueing them can wake the other sleepers.
            shared.remotes[self.index].parker.park_then(awake);
            if let Some(hook) = &shared.config.tuning.on_thread_unpark {
                hook();
            }
            // More than this worker runs at once came in while it slept (a driver park
            // that made several tasks ready): wake another worker to take a share, and to
            // watch the driver this one just left (tokio's `notify_parked_local`).
            if !self.is_searching.get() && self.queued_beyond_next() {
                shared.notify_parked();
            }
        }
        self.busy_since.set(crate::sync::Instant::now());
    }

    /// Whether more than one task is queued here (LIFO slot and local queue).
    fn queued_beyond_next(&self) -> bool {
        let lifo = self.lifo.take();
        let queued = usize::from(lifo.is_some()) + self.local.len();
        self.lifo.set(lifo);
        queued > 1
    }

    fn next_random(&self) -> u32 {
        // xorshift32: cheap victim selection.
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng.set(x);
        x
    }

    /// Drops every queued task entry (shutdown; the owned list cancels the tasks).
    pub(crate) fn drain(&self) {
        drop(self.lifo.take());
        drop(std::mem::take(&mut *self.deferred.borrow_mut()));
        while let Some(task) = self.local.pop() {
            drop(task);
        }
    }

    /// Whether this core's queues are empty.
    fn is_idle(&self) -> bool {
        // A task in the LIFO slot is not lost by `take` + `set`.
        let lifo = self.lifo.take();
        let empty = lifo.is_none() && self.local.is_empty() && self.deferred.borrow().is_empty();
        self.lifo.set(lifo);
        empty
    }
}

/// One tick of an interval counter: true on every `interval`-th call (the counter starts
/// at `interval`, so the first true is the `interval`-th tick, as `tick % interval == 0`
/// with ticks counted from 1).
#[inline(always)]
fn countdown(left: &Cell<u32>, interval: u32) -> bool {
    let next = left.get() - 1;
    if next == 0 {
        left.set(interval);
        true
    } else {
        left.set(next);
        false
    }
}

/// A worker thread's life: run tasks until shutdown, then drop what is still queued; or
/// until a task's `block_in_place` hands the core to another thread (invariant 4).
pub(crate) fn run(shared: Arc<SchedulerShared>, core: Box<Core>) {
    let _worker = WorkerGuard::set(WorkerRef {
        shared: &shared,
        core: Box::into_raw(core),
        movable: true,
    });
    loop {
        let core = CURRENT_WORKER.with(Cell::get).core;
        if core.is_null() {
            // Handed to another thread by `block_in_place` during the last poll.
            return;
        }
        // SAFETY: the core is this thread's while CURRENT_WORKER holds it, and nobody else
        // touches or frees it meanwhile (invariant 4); this borrow ends before the poll.
        let held = unsafe { &*core };
        if shared.is_shutdown() {
            held.drain();
            CURRENT_WORKER.with(|cell| {
                cell.set(WorkerRef {
                    core: std::ptr::null(),
                    ..cell.get()
                })
            });
            // SAFETY: the pointer came from `Box::into_raw` (here or in `block_in_place`),
            // and clearing CURRENT_WORKER just gave up the last way to reach it (invariant 4).
            drop(unsafe { Box::from_raw(core.cast_mut()) });
            return;
        }
        match held.claim_next(&shared) {
            Some(task) => task.run(),
            None => held.park(&shared),
        }
    }
}

/// Takes this worker thread's core away for `block_in_place` (invariant 4): its scheduler
/// and the core, now owned by the caller. `None` unless this thread is a worker thread of
/// a multi-thread runtime that holds its core right now.
pub(crate) fn take_core() -> Option<(Arc<SchedulerShared>, Box<Core>)> {
    let current = CURRENT_WORKER.try_with(Cell::get).ok()?;
    if current.core.is_null() || !current.movable {
        return None;
    }
    CURRENT_WORKER.with(|cell| {
        cell.set(WorkerRef {
            core: std::ptr::null(),
            ..current
        })
    });
    // SAFETY: a movable core is the `run` frame's leaked box (invariant 4), alive until
    // that frame frees it, which it does only while it holds it; the `run` frame is alive
    // (the caller is inside one of its polls) and CURRENT_WORKER no longer holds it.
    let core = unsafe { Box::from_raw(current.core.cast_mut()) };
    // SAFETY: a non-null `shared` points at the `run` frame's Arc (invariant 2).
    let shared = unsafe { &*current.shared }.clone();
    Some((shared, core))
}

/// Gives back a core taken by [`take_core`] on this thread during the same poll, before
/// any other thread ran it: the `run` frame continues with it.
pub(crate) fn restore_core(core: Box<Core>) {
    CURRENT_WORKER.with(|cell| {
        let current = cell.get();
        debug_assert!(current.movable && current.core.is_null());
        cell.set(WorkerRef {
            core: Box::into_raw(core),
            ..current
        })
    });
}

/// The scheduler this thread runs a core of (a worker thread, or a `current_thread`
/// `block_on`), also while `block_in_place` has handed the core away.
pub(crate) fn worker_scheduler() -> Option<Arc<SchedulerShared>> {
    let current = CURRENT_WORKER.try_with(Cell::get).ok()?;
    if current.shared.is_null() {
        return None;
    }
    // SAFETY: a non-null `shared` points at a live frame's Arc (invariant 2).
    Some(unsafe { &*current.shared }.clone())
}

/// Wakes the `block_on` thread of a `current_thread` runtime, or of a multi-thread one.
pub(crate) struct BlockOnSignal {
    pub(crate) notified: crate::sync::AtomicBool,
    pub(crate) parker: Arc<super::Parker>,
}

impl ArcWake for BlockOnSignal {
    fn wake_by_ref(this: &Arc<Self>) {
        this.wake();
    }
}

impl BlockOnSignal {
    pub(crate) fn wake(&self) {
        // Release: pairs with the Acquire swap in the block_on loop.
        self.notified.store(true, crate::sync::Ordering::Release);
        self.parker.unpark();
    }

    fn take(&self) -> bool {
        // Acquire: sees what the waker published before waking.
        self.notified.swap(false, crate::sync::Ordering::Acquire)
    }

    /// A signal that starts notified (the future is polled once at once) and unparks
    /// `parker`, with the waker that raises it.
    fn with_waker(parker: Arc<super::Parker>) -> (Arc<BlockOnSignal>, std::task::Waker) {
        let signal = Arc::new(BlockOnSignal {
            notified: crate::sync::AtomicBool::new(true),
            parker,
        });
        let waker = arc_waker(signal.clone());
        (signal, waker)
    }
}

/// `block_on` for a multi-thread runtime: poll `future` in `context`, sleep between wakes.
pub(crate) fn block_on_parked<F: Future>(future: Pin<&mut F>, context: &mut Context) -> F::Output {
    let (signal, waker) = BlockOnSignal::with_waker(Arc::new(super::Parker::new(None)));
    let mut cx = task::Context::from_waker(&waker);
    let mut future = future;
    loop {
        if signal.take() {
            if let Poll::Ready(output) = context.run(|| future.as_mut().poll(&mut cx)) {
                return output;
            }
        }
        signal.parker.park();
    }
}

/// `block_on` for a `current_thread` runtime: drive the core whenever this thread can take
/// it; while another thread's `block_on` holds it, poll `future` here and take the core
/// over once it is given back, so the tasks `future` waits for are never left undriven.
pub(crate) fn block_on_current_thread<F: Future>(
    shared: &Arc<SchedulerShared>,
    mut future: Pin<&mut F>,
    context: &mut Context,
) -> F::Output {
    loop {
        if let Some(output) = drive_current_thread(shared, future.as_mut(), context) {
            return output;
        }
        if let Some(output) = wait_for_core(shared, future.as_mut(), context) {
            return output;
        }
    }
}

/// Polls `future` while another thread holds the `current_thread` core, sleeping between
/// wakes; `None` as soon as the core is free to take.
fn wait_for_core<F: Future>(
    shared: &SchedulerShared,
    future: Pin<&mut F>,
    context: &mut Context,
) -> Option<F::Output> {
    let (signal, waker) = BlockOnSignal::with_waker(Arc::new(super::Parker::new(None)));
    let mut cx = task::Context::from_waker(&waker);
    let mut future = future;
    // Registered before looking at the core: a give-back after the look wakes us, one
    // before it is seen by the look (both under the locks, in that order). We stay
    // registered until we return, so every give-back meanwhile wakes us, including
    // those after a wake whose core another caller took first.
    shared.core_waiters.lock().push(signal.clone());
    let output = loop {
        if shared.parked_core.lock().is_some() {
            break None;
        }
        if signal.take() {
            if let Poll::Ready(output) = context.run(|| future.as_mut().poll(&mut cx)) {
                break Some(output);
            }
        }
        signal.parker.park();
    };
    shared
        .core_waiters
        .lock()
        .retain(|waiter| !Arc::ptr_eq(waiter, &signal));
    output
}

/// `block_on` for a `current_thread` runtime: this thread takes the core and runs the
/// tasks between polls of `future`. `None` if another thread holds the core.
fn drive_current_thread<F: Future>(
    shared: &Arc<SchedulerShared>,
    future: Pin<&mut F>,
    context: &mut Context,
) -> Option<F::Output> {
    let core = shared.parked_core.lock().take()?;
    // Give the core back on every exit path, panics included.
    struct ReturnCore<'a> {
        shared: &'a SchedulerShared,
        core: Option<Core>,
    }
    impl Drop for ReturnCore<'_> {
        fn drop(&mut self) {
            let Some(core) = self.core.take() else {
                return;
            };
            // The shutdown check and the store are one step under the `parked_core`
            // lock: shutdown sets its flag before it takes that lock to drain the core,
            // so either it finds the core stored here or this sees its flag. Checked
            // outside the lock, shutdown could take the empty slot in between and the
            // core stored after it (holding queued tasks) would never be drained.
            let mut parked = self.shared.parked_core.lock();
            if self.shared.is_shutdown() {
                drop(parked);
                core.drain();
                return;
            }
            *parked = Some(core);
            drop(parked);
            // Every waiting block_on caller (`wait_for_core`) is woken; they stay
            // registered until they leave `wait_for_core`, so one that loses the race
            // for the core to another is woken again by the next give-back.
            for waiter in self.shared.core_waiters.lock().iter() {
                waiter.wake();
            }
        }
    }
    let held = ReturnCore {
        shared,
        core: Some(core),
    };
    let core = held.core.as_ref().expect("just stored");
    let _worker = WorkerGuard::enter(shared, core);
    // Its waker unparks the core's own parker, which idle notifications also use.
    let (signal, waker) = BlockOnSignal::with_waker(shared.remotes[core.index].parker.clone());
    let mut cx = task::Context::from_waker(&waker);
    let mut future = future;
    // The future woke itself during its last poll (it yielded): poll it again, but only
    // after a batch of tasks, or a future that waits for a task by yielding in a loop
    // would be re-polled forever and the task never run.
    let mut yielded = false;
    loop {
        let woken = signal.take();
        if yielded || woken {
            if let Poll::Ready(output) = context.run(|| future.as_mut().poll(&mut cx)) {
                return Some(output);
            }
            yielded = signal.take();
        }
        // Stops early only for a wake that arrives during the batch (from a task).
        let mut ran = 0;
        // The whole batch runs before the future is polled again, as tokio does: stopping
        // at each wake of the future would re-poll it after every task it waits for.
        while ran < CURRENT_THREAD_BATCH {
            match core
                .next_task(shared)
                .or_else(|| core.take_deferred(shared))
            {
                Some(task) => {
                    core.run_task(shared, task);
                    ran += 1;
                }
                None => break,
            }
        }
        if !yielded
            && ran == 0
            && core.is_idle()
            && !signal.notified.load(crate::sync::Ordering::Acquire)
        {
            core.park(shared);
        }
    }
}
