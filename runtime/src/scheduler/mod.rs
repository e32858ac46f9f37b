//! The scheduler: where tasks wait to run, which thread runs them, and how it shuts down.
//!
//! [`SchedulerShared`] is shared by every thread of one runtime (workers, the blocking
//! pool, block_on callers, wakers on foreign threads). It owns:
//! - the global `Injector` queue (spawns and wakes from threads that are not its workers),
//! - one `Remote` per worker: the stealing end of its local queue and its `Parker`,
//! - the `Idle` counters that decide which sleeper to wake ([`idle`]),
//! - the owned-task list that shutdown cancels (`task/raw/list.rs`),
//! - the blocking pool,
//! - the driver (`driver.rs`): the reactor and the timers, if the runtime enabled them.
//!
//! Each worker's local state (`Core`: local queue, LIFO slot, tick) lives on the worker's
//! own stack ([`worker`]). A task woken by the task running on a worker goes to that
//! worker's LIFO slot; a task spawned there goes to the back of its local queue; anything
//! from elsewhere goes to the injector and wakes one sleeper.
//!
//! `current_thread` runtimes are the same machinery with one `Core` and no thread: the
//! thread inside `block_on` takes the core and runs tasks between polls of its future.
//!
//! The task core (`task/raw/`) sits below this module and calls it only through
//! `impl Schedule for Arc<SchedulerShared>` (at the bottom of this file): every task's
//! cell holds its runtime's `Arc<SchedulerShared>` as its scheduler.

use std::future::Future;
use std::time::Duration;

use ctxrt_context::Context;

use crate::blocking::BlockingPool;
use crate::driver::DriverHandle;
use crate::runtime::Config;
use crate::sync::{Arc, AtomicBool, AtomicU64, BlockingMutex, Injector, Ordering, Steal, Stealer};
use crate::task::raw::{Id, JoinHandle, Notified, OwnedTasks, RawTask, Schedule, TaskName};

pub(crate) mod idle;
pub(crate) mod metrics;
mod panic_shutdown;
pub(crate) mod worker;

use idle::{Idle, Parker};
use worker::BlockOnSignal;
pub(crate) use worker::{with_current_worker, Core};

/// Which flavour of runtime a scheduler drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// Worker threads run the tasks.
    MultiThread,
    /// The thread in `block_on` runs the tasks.
    CurrentThread,
}

/// What other threads can reach of one worker.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Notified>,
    pub(crate) parker: Arc<Parker>,
    /// Its counters (`metrics.rs`), written only by the worker.
    pub(crate) metrics: metrics::WorkerMetrics,
}

/// Everything the threads of one runtime share; see the module docs.
pub(crate) struct SchedulerShared {
    pub(crate) flavor: Flavor,
    pub(crate) injector: Injector<Notified>,
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) idle: Idle,
    pub(crate) owned: OwnedTasks,
    pub(crate) blocking: BlockingPool,
    pub(crate) config: Config,
    /// The reactor and timer store (`None` without `enable_io`/`enable_time`).
    pub(crate) driver: Option<Arc<DriverHandle>>,
    /// The `current_thread` core while no `block_on` drives it.
    pub(crate) parked_core: BlockingMutex<Option<Core>>,
    /// `current_thread` `block_on` callers waiting for `parked_core` while another thread
    /// holds it; each is woken by every give-back until it leaves the list itself.
    pub(crate) core_waiters: BlockingMutex<Vec<Arc<BlockOnSignal>>>,
    shutdown: AtomicBool,
    next_task_id: AtomicU64,
    /// A task's panic shut the runtime down (`panic_shutdown.rs`).
    panicked: AtomicBool,
    /// The wakers of the `block_on`s in progress, kept only with
    /// `UnhandledPanic::ShutdownRuntime` (`panic_shutdown.rs`).
    block_on_wakers: BlockingMutex<Vec<std::task::Waker>>,
}

impl SchedulerShared {
    /// A scheduler with one core per worker; returns it and the cores to hand to threads
    /// (for `current_thread`, the single core is kept in `parked_core` instead).
    pub(crate) fn new(
        flavor: Flavor,
        num_workers: usize,
        config: Config,
        driver: Option<Arc<DriverHandle>>,
    ) -> (Arc<Self>, Vec<Core>) {
        let cores: Vec<Core> = (0..num_workers)
            .map(|index| Core::new(index, &config.tuning))
            .collect();
        let remotes = cores
            .iter()
            .map(|core| Remote {
                stealer: core.stealer(),
                parker: Arc::new(Parker::new(driver.clone())),
                metrics: metrics::WorkerMetrics::new(),
            })
            .collect();
        let blocking = BlockingPool::new(&config);
        let shared = Arc::new(SchedulerShared {
            flavor,
            injector: Injector::new(),
            remotes,
            idle: Idle::new(num_workers),
            owned: OwnedTasks::new((num_workers * 4).next_power_of_two()),
            blocking,
            config,
            driver,
            parked_core: BlockingMutex::new(None),
            core_waiters: BlockingMutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
            next_task_id: AtomicU64::new(1),
            panicked: AtomicBool::new(false),
            block_on_wakers: BlockingMutex::new(Vec::new()),
        });
        match flavor {
            Flavor::MultiThread => (shared, cores),
            Flavor::CurrentThread => {
                *shared.parked_core.lock() = cores.into_iter().next();
                (shared, Vec::new())
            }
        }
    }

    /// Tasks (and blocking jobs) spawned so far: ids are handed out from 1 in order.
    pub(crate) fn spawned_tasks_count(&self) -> u64 {
        // Relaxed: a statistic.
        self.next_task_id.load(Ordering::Relaxed) - 1
    }

    /// A fresh task id.
    pub(crate) fn next_id(&self) -> Id {
        // Relaxed: an id is a number and publishes nothing.
        Id(self.next_task_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Spawns an async task running in `context`.
    pub(crate) fn spawn<F>(this: &Arc<Self>, future: F, context: Context) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Self::spawn_inner(this, future, context, None)
    }

    /// Spawns an async task running in `context`, with a name (`task::Builder`).
    pub(crate) fn spawn_named<F>(
        this: &Arc<Self>,
        future: F,
        context: Context,
        name: Option<Box<TaskName>>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Self::spawn_inner(this, future, context, name)
    }

    /// The body of [`spawn`](Self::spawn) and [`spawn_named`](Self::spawn_named), inlined
    /// into each so an unnamed spawn carries no name argument.
    #[inline(always)]
    fn spawn_inner<F>(
        this: &Arc<Self>,
        future: F,
        context: Context,
        name: Option<Box<TaskName>>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let id = this.next_id();
        this.task_spawned(id);
        // Three references: the JoinHandle, the queue entry, the owned list.
        let raw = RawTask::new(future, context, this.clone(), id, name, 3);
        let join = JoinHandle::new(raw);
        let notified = Notified::from_raw(raw);
        if !this.owned.insert(raw) {
            // Shut down: the list's reference is not taken; cancel the task right away.
            raw.drop_reference();
            notified.cancel();
            return join;
        }
        with_current_worker(|worker| match worker {
            Some((shared, core)) if Arc::ptr_eq(shared, this) => core.push_back(shared, notified),
            _ => this.push_remote(notified),
        });
        join
    }

    /// Runs the `on_task_spawn` hook, if any, for a task about to be created. Without a
    /// hook this is one predictable branch, inlined into the spawn path.
    #[inline]
    pub(crate) fn task_spawned(&self, id: Id) {
        if let Some(hook) = &self.config.tuning.on_task_spawn {
            run_spawn_hook(&**hook, id);
        }
    }

    /// Runs the `on_task_terminate` hook, if any, for a task that finished; its panic is
    /// caught, since it runs on the runtime's threads. Without a hook this is one
    /// predictable branch, inlined into the task's completion.
    #[inline]
    pub(crate) fn task_terminated(&self, id: Id) {
        if let Some(hook) = &self.config.tuning.on_task_terminate {
            run_terminate_hook(&**hook, id);
        }
    }

    /// Queues a task from a thread that is not one of this scheduler's workers.
    pub(crate) fn push_remote(&self, task: Notified) {
        if self.is_shutdown() {
            // Its owned-list entry is cancelled by shutdown; this queue entry just goes.
            drop(task);
            return;
        }
        self.injector.push(task);
        if self.is_shutdown() {
            // Shutdown may have drained the injector before our push: drain it again.
            self.drain_injector();
            return;
        }
        self.notify_parked();
    }

    /// Wakes one parked worker if new work may need one (see `idle.rs`).
    pub(crate) fn notify_parked(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].parker.unpark();
        }
    }

    /// Whether any queue another worker could take from holds a task.
    pub(crate) fn has_stealable_work(&self) -> bool {
        !self.injector.is_empty() || self.remotes.iter().any(|r| !r.stealer.is_empty())
    }

    /// Takes one task from the injector.
    pub(crate) fn pop_injector(&self) -> Option<Notified> {
        loop {
            match self.injector.steal() {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        // SeqCst: ordered against the injector push in push_remote (see there).
        self.shutdown.load(Ordering::SeqCst)
    }

    fn drain_injector(&self) {
        while let Some(task) = self.pop_injector() {
            drop(task);
        }
    }

    /// Shuts the scheduler down: stops the workers (the caller joins them), cancels every
    /// unfinished task, and waits up to `timeout` (None: forever) for running blocking jobs.
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        // SeqCst: see is_shutdown.
        self.shutdown.store(true, Ordering::SeqCst);
        for remote in self.remotes.iter() {
            remote.parker.unpark();
        }
        // After the flag: a block_on giving the core back checks the flag under this lock
        // (`ReturnCore` in worker.rs), so the core is drained here or there, never lost.
        let core = self.parked_core.lock().take();
        if let Some(core) = core {
            core.drain();
        }
        if let Some(driver) = &self.driver {
            // Before the tasks are cancelled: their wakers leave the driver with them.
            driver.shutdown();
        }
        self.owned.close_and_shutdown_all();
        self.drain_injector();
        self.blocking.shutdown(timeout);
    }
}

/// A task hook as `Builder::on_task_spawn` / `on_task_terminate` store it.
type TaskHookFn = dyn Fn(&crate::runtime::TaskMeta<'_>) + Send + Sync;

/// Runs an `on_task_spawn` hook (out of line: the hookless spawn path stays small).
#[cold]
#[inline(never)]
fn run_spawn_hook(hook: &TaskHookFn, id: Id) {
    hook(&crate::runtime::TaskMeta {
        id,
        _life: std::marker::PhantomData,
    });
}

/// Runs an `on_task_terminate` hook, catching its panic (out of line, as above).
#[cold]
#[inline(never)]
fn run_terminate_hook(hook: &TaskHookFn, id: Id) {
    let meta = crate::runtime::TaskMeta {
        id,
        _life: std::marker::PhantomData,
    };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(&meta)));
}

/// The task core's door to the scheduler (rule 8 in `task/raw/mod.rs`). A task queued by
/// its own scheduler's worker goes to that worker's core; from any other thread, to the
/// injector (waking a sleeper).
impl Schedule for Arc<SchedulerShared> {
    /// A wake: the current worker's LIFO slot, so it runs next.
    #[inline]
    fn schedule(&self, task: Notified) {
        route(self, task, Placement::Lifo);
    }

    /// Woken by someone else while it ran (after its poll stored its context): the back
    /// of the local queue, so the others get a turn. No sleeper is woken for it: it was
    /// already runnable on this worker.
    #[inline]
    fn yield_now(&self, task: Notified) {
        route(self, task, Placement::Back);
    }

    /// Woke itself during its poll (a yield): the worker's deferred list, run when the
    /// worker has nothing else to do (`worker.rs`).
    #[inline]
    fn defer(&self, task: Notified) {
        route(self, task, Placement::Deferred);
    }

    fn release(&self, task: RawTask) -> bool {
        self.owned.remove(task)
    }

    #[inline]
    fn task_terminated(&self, id: Id) {
        SchedulerShared::task_terminated(self, id);
    }

    fn unhandled_panic(&self) {
        if self.shuts_down_on_panic() {
            self.shutdown_after_panic();
        }
    }
}

/// Where a task queued on its own worker goes.
#[derive(Clone, Copy)]
enum Placement {
    Lifo,
    Back,
    Deferred,
}

/// Queues `task` (whose cell holds `this`) by `placement` on this thread's core if it is
/// one of this scheduler's workers, else on the injector. (A free function: loom's `Arc`
/// cannot be a `self` type.)
#[inline]
fn route(this: &Arc<SchedulerShared>, task: Notified, placement: Placement) {
    let task = with_current_worker(move |worker| match worker {
        Some((shared, core)) if Arc::ptr_eq(shared, this) => {
            // The worker's own `Arc`, not `self`, is used from here on (rule 8).
            match placement {
                Placement::Lifo => core.push_lifo(shared, task),
                Placement::Back => core.push_yielded(task),
                Placement::Deferred => core.push_deferred(task),
            }
            None
        }
        _ => Some(task),
    });
    if let Some(task) = task {
        // A foreign thread: hold the scheduler alive by our own reference, since the
        // task (and the `Arc` in its cell that `self` is) may be run and freed as soon
        // as it is queued (rule 8).
        let shared = this.clone();
        shared.push_remote(task);
    }
}
