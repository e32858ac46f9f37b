//! The runtime's internals as the loom models in `ctxrt-loom-tests` drive them; compiled
//! only under `cfg(loom)` and hidden from the docs. Not an API: it changes with the models.
//!
//! Whole runtimes (`runtime::Builder`) are model-checked through the public API. What the
//! public API cannot do is stop a worker between two polls to look at it, so this module
//! hands out a scheduler whose workers are driven by the model's own threads, one turn
//! of the real worker loop at a time:
//! - [`ModelScheduler`] is a real `SchedulerShared` (injector, remotes, idle counters,
//!   owned-task list, blocking pool) with no worker threads of its own.
//! - [`ModelWorker`] is one real `Core`; [`ModelWorker::run_next`] is one turn of
//!   `scheduler::worker::run` (`Core::claim_next` and the task's run, then `Core::park` if it found nothing),
//!   on the calling thread, marked as that worker for the turn as a worker thread is.
//! - [`ModelParker`] is a worker's `Parker`, for a model of its contract on its own.
//!
//! Everything a task goes through on the way (`RawTask`, `harness`, the state word, the
//! waker, the owned list, the queues) is the code that ships. The only difference from
//! a worker thread is that a turn which finds no work never sleeps: its parker is unparked
//! first, so `Core::park` does all of its bookkeeping and returns at once.

use std::future::Future;
use std::time::Duration;

use ctxrt_context::Context;

use crate::runtime::{Config, Handle};
use crate::scheduler::idle::Parker;
use crate::scheduler::{worker::WorkerGuard, Core, Flavor, SchedulerShared};
use crate::sync::Arc;
use crate::task::JoinHandle;

/// A multi-thread scheduler whose workers are [`ModelWorker`]s driven by the model.
pub struct ModelScheduler {
    shared: Arc<SchedulerShared>,
}

/// One worker's `Core`, driven one turn at a time by whichever thread holds it.
pub struct ModelWorker {
    shared: Arc<SchedulerShared>,
    core: Core,
    index: usize,
}

impl ModelScheduler {
    /// A scheduler with `workers` cores (at least 1) and a blocking pool of at most
    /// `max_blocking_threads` threads, and the cores to drive.
    pub fn new(workers: usize, max_blocking_threads: usize) -> (ModelScheduler, Vec<ModelWorker>) {
        let config = Config {
            thread_name: "loom".to_string(),
            stack_size: None,
            max_blocking_threads,
            keep_alive: Duration::from_secs(1),
            on_thread_start: None,
            on_thread_stop: None,
            tuning: Default::default(),
        };
        let (shared, cores) = SchedulerShared::new(Flavor::MultiThread, workers, config, None);
        let workers = cores
            .into_iter()
            .enumerate()
            .map(|(index, core)| ModelWorker {
                shared: shared.clone(),
                core,
                index,
            })
            .collect();
        (ModelScheduler { shared }, workers)
    }

    /// Spawns `future` in `context` from a thread that is not a worker (it goes to the
    /// injector), as `Handle::spawn` does.
    pub fn spawn<F>(&self, context: Context, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SchedulerShared::spawn(&self.shared, future, context)
    }

    /// A `Handle` to this scheduler (for `spawn_blocking`, `block_on`, `enter`).
    pub fn handle(&self) -> Handle {
        Handle {
            shared: self.shared.clone(),
        }
    }

    /// Runtime shutdown as `Runtime::drop` does it, minus joining worker threads (the
    /// model's threads drive the workers): cancels every unfinished task and queued
    /// blocking job, and waits for running blocking jobs.
    pub fn shutdown(&self) {
        self.shared.shutdown(None);
    }

    /// The number of tasks in the owned-task list (spawned, not yet complete).
    pub fn alive_tasks(&self) -> usize {
        self.shared.owned.len()
    }
}

impl ModelWorker {
    /// This worker's index among the scheduler's cores.
    pub fn index(&self) -> usize {
        self.index
    }

    /// One turn of the worker loop on this thread: runs the next task the worker finds
    /// (LIFO slot, local queue, injector, stealing) and returns true; or, finding none,
    /// goes through `Core::park` without sleeping and returns false.
    pub fn run_next(&self) -> bool {
        let _worker = WorkerGuard::enter(&self.shared, &self.core);
        if let Some(task) = self.core.claim_next(&self.shared) {
            task.run();
            return true;
        }
        self.shared.remotes[self.index].parker.unpark();
        self.core.park(&self.shared);
        false
    }
}

/// A worker's `Parker`, as is: the sleep/wake primitive under every idle worker and
/// `block_on` thread.
pub struct ModelParker(Parker);

impl ModelParker {
    /// A parker with no pending unpark.
    pub fn new() -> ModelParker {
        ModelParker(Parker::new(None))
    }

    /// Sleeps until `unpark`, or returns at once if one is pending.
    pub fn park(&self) {
        self.0.park();
    }

    /// Wakes the parked thread, or makes its next park return at once.
    pub fn unpark(&self) {
        self.0.unpark();
    }
}

impl Default for ModelParker {
    fn default() -> Self {
        ModelParker::new()
    }
}

/// One resource's readiness cell of the reactor (`io/scheduled_io.rs`), as is: what the
/// reactor calls when an event arrives, and what a task calls around a `WouldBlock`.
/// mio itself is not loom-aware and stays out of the model: the race is between this
/// cell's readiness word and its waker slots, which are all `crate::sync`.
#[derive(Default)]
pub struct ModelReadiness(crate::io::scheduled_io::ScheduledIo);

/// What a task saw readiness with (for [`ModelReadiness::clear`]).
pub struct ModelReadyEvent(crate::io::scheduled_io::ReadyEvent);

impl ModelReadiness {
    /// A cell with no readiness.
    pub fn new() -> ModelReadiness {
        ModelReadiness::default()
    }

    /// The reactor's side: a readable event arrived.
    pub fn event_readable(&self) {
        self.0.set_readiness(crate::io::Ready::READABLE);
    }

    /// A task polls for readability with `cx`; `Some` if readable (else its waker is
    /// stored).
    pub fn poll_readable(&self, cx: &mut std::task::Context<'_>) -> Option<ModelReadyEvent> {
        match self
            .0
            .poll_ready(cx, crate::io::scheduled_io::Direction::Read)
        {
            std::task::Poll::Ready(Ok(event)) => Some(ModelReadyEvent(event)),
            std::task::Poll::Ready(Err(_)) => panic!("no shutdown in this model"),
            std::task::Poll::Pending => None,
        }
    }

    /// The task's operation returned `WouldBlock`: clear what it saw.
    pub fn clear(&self, event: ModelReadyEvent) {
        self.0.clear_readiness(event.0);
    }
}

/// The timer store's locking protocol over the real wheel (`time/wheel.rs`): the driver
/// fires entries under the lock and wakes them after it, and a dropped `Sleep` removes
/// its entry under the same lock. Ticks are given by the model (loom has no clock).
pub struct ModelTimers(crate::sync::BlockingMutex<crate::time::wheel::Wheel>);

/// A timer armed in [`ModelTimers`].
#[derive(Clone, Copy)]
pub struct ModelTimer(crate::time::wheel::EntryKey);

impl ModelTimers {
    /// An empty wheel at tick 0.
    pub fn new() -> ModelTimers {
        ModelTimers(crate::sync::BlockingMutex::new(
            crate::time::wheel::Wheel::new(),
        ))
    }

    /// Arms a timer for tick `when` (> 0) waking `waker`.
    pub fn arm(&self, when: u64, waker: std::task::Waker) -> ModelTimer {
        match self.0.lock().insert(when, waker) {
            Ok(key) => ModelTimer(key),
            Err(_) => panic!("tick {when} has passed"),
        }
    }

    /// The driver's side: fires everything due by `now`, waking after the lock.
    pub fn fire(&self, now: u64) {
        let mut wakers = Vec::new();
        self.0.lock().advance(now, &mut wakers);
        for waker in wakers {
            waker.wake();
        }
    }

    /// A `Sleep` dropped: its entry is removed (and its waker dropped outside the lock).
    pub fn cancel(&self, timer: ModelTimer) {
        let waker = self.0.lock().remove(timer.0);
        drop(waker);
    }

    /// Entries still in use.
    pub fn live_entries(&self) -> usize {
        self.0.lock().live_entries()
    }
}

/// The runtime's timer store (`time/source.rs`: the clock, the wheel and the driver's
/// wake tick) as tasks, other threads and the driver-holder use it; a timer may be
/// cancelled or reset from any thread. A paused store's clock moves only by
/// [`ModelTimeStore::advance`]; a running one reads the real clock (loom does not model
/// time, so models on it use deadlines far from now).
pub struct ModelTimeStore(crate::time::source::TimeShared);

/// A timer armed in [`ModelTimeStore`].
#[derive(Clone, Copy)]
pub struct ModelStoreTimer(crate::time::wheel::EntryKey);

impl ModelTimeStore {
    /// A store with its clock paused at its origin if `paused`.
    pub fn new(paused: bool) -> ModelTimeStore {
        ModelTimeStore(crate::time::source::TimeShared::new(paused))
    }

    /// Arms a timer `after` from the clock's now, as a `Sleep`'s first poll does; returns
    /// it and whether the driver must be woken.
    pub fn arm(&self, after: Duration, waker: &std::task::Waker) -> (ModelStoreTimer, bool) {
        let deadline = self.0.now() + after;
        let (key, wake) = self.0.arm(deadline, waker).expect("a future deadline");
        (ModelStoreTimer(key), wake)
    }

    /// A `Sleep` dropped (on any thread): its entry is removed.
    pub fn cancel(&self, timer: ModelStoreTimer) {
        self.0.remove(timer.0);
    }

    /// `Sleep::reset` to `after` from now (on any thread); wakes the waker if due.
    pub fn reset(&self, timer: ModelStoreTimer, after: Duration) {
        let (due, _wake_driver) = self.0.reset(timer.0, self.0.now() + after);
        if let Some(waker) = due {
            waker.wake();
        }
    }

    /// The `Sleep`'s poll by its task: true if fired, else `waker` is stored.
    pub fn poll(&self, timer: ModelStoreTimer, waker: &std::task::Waker) -> bool {
        self.0.poll(timer.0, waker)
    }

    /// `time::advance` on the paused clock: fires what came due, waking after the locks.
    pub fn advance(&self, by: Duration) {
        for waker in self.0.advance(by) {
            waker.wake();
        }
    }

    /// The driver-holder's scan before it parks: fires what is due (woken after the
    /// locks) and returns the timeout it would park with.
    pub fn before_park(&self) -> Option<Duration> {
        let mut wakers = Vec::new();
        let timeout = self.0.before_park(&mut wakers, true);
        for waker in wakers {
            waker.wake();
        }
        timeout
    }

    /// Entries still in use.
    pub fn live_entries(&self) -> usize {
        self.0.live_entries()
    }
}

impl Default for ModelTimers {
    fn default() -> Self {
        ModelTimers::new()
    }
}
