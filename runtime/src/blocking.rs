//! The blocking pool: threads for `spawn_blocking` jobs, spawned on demand up to
//! `max_blocking_threads`, reused while idle, retired after `thread_keep_alive`.
//!
//! A job is an ordinary task (same cell, same JoinHandle, same context handling) whose
//! future runs the closure in one poll; it is queued here instead of on a worker, and
//! never re-queued by a waker. It is not in the owned-task list: at shutdown, jobs already
//! submitted (queued or running) are run and waited for, up to the shutdown timeout, as
//! tokio does; only jobs submitted after shutdown began are refused (cancelled).
//!
//! Invariants (all under `inner`'s lock):
//! 1. `idle` counts threads waiting for work; `notified` counts wake-ups sent to them and
//!    not yet taken, so a spurious condvar wake-up never takes another thread's job.
//! 2. `threads` counts live pool threads; it reaches 0 only after every one has run its
//!    `on_thread_stop` hook (or died unwinding), and shutdown waits on `exited` for it.
//!    Every thread leaves the count through a drop guard, so a panicking hook cannot
//!    leave shutdown waiting forever.
//! 3. `retiring` counts live threads that will take no more jobs (their keep-alive ran
//!    out, or shutdown began). A thread leaves `idle` and enters `retiring` in one
//!    critical section, and `submit` starts a new thread unless `threads - retiring`
//!    threads (those that will still look at the queue) are at the cap, so a job
//!    submitted while the last thread runs its `on_thread_stop` hook is never stranded.
//! 4. If the last thread that would look at the queue dies without retiring (its
//!    `on_thread_start` hook panicked), the queued jobs are cancelled rather than left
//!    for nobody.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{self, Poll};
use std::time::Duration;

use crate::driver::AutoAdvanceInhibit;
use crate::runtime::{Config, Handle};
use crate::scheduler::SchedulerShared;
use crate::sync::{self, thread_local_const, BlockingMutex, Condvar, Instant};
use crate::task::raw::Notified;

thread_local_const! {
    /// The address of the scheduler whose pool this thread belongs to (0: none). Only
    /// compared, never dereferenced; the thread's `Handle` keeps that scheduler alive
    /// while it is set.
    static POOL_OF: Cell<usize> = const { Cell::new(0) };
}

/// Whether this thread is one of `shared`'s blocking-pool threads.
pub(crate) fn is_pool_thread_of(shared: &SchedulerShared) -> bool {
    let address = shared as *const SchedulerShared as usize;
    POOL_OF
        .try_with(Cell::get)
        .is_ok_and(|pool| pool == address)
}

/// One pool per runtime.
pub(crate) struct BlockingPool {
    inner: BlockingMutex<PoolState>,
    work: Condvar,
    exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
}

#[derive(Default)]
struct PoolState {
    queue: VecDeque<PoolJob>,
    threads: usize,
    /// Live threads that take no more jobs (invariant 3).
    retiring: usize,
    idle: usize,
    notified: usize,
    next_thread: usize,
    shutdown: bool,
}

impl BlockingPool {
    pub(crate) fn new(config: &Config) -> BlockingPool {
        BlockingPool {
            inner: BlockingMutex::new(PoolState::default()),
            work: Condvar::new(),
            exited: Condvar::new(),
            max_threads: config.max_blocking_threads,
            keep_alive: config.keep_alive,
        }
    }

    /// Queues a job, waking an idle thread or starting one.
    pub(crate) fn submit(&self, handle: &Handle, job: Notified) {
        self.submit_job(handle, PoolJob::Task(job));
    }

    /// Queues a worker loop taking over a core that `block_in_place` handed away
    /// (`scheduler/worker.rs`); dropped unrun if the pool is shut down.
    pub(crate) fn submit_worker(&self, handle: &Handle, worker: Box<dyn FnOnce() + Send>) {
        self.submit_job(handle, PoolJob::Worker(worker));
    }

    fn submit_job(&self, handle: &Handle, job: PoolJob) {
        let mut state = self.inner.lock();
        if state.shutdown {
            drop(state);
            job.cancel();
            return;
        }
        state.queue.push_back(job);
        if state.idle > 0 {
            state.idle -= 1;
            state.notified += 1;
            self.work.notify_one();
            return;
        }
        if state.threads - state.retiring >= self.max_threads {
            return; // A busy thread takes it when it finishes its job.
        }
        let index = state.next_thread;
        state.next_thread += 1;
        state.threads += 1;
        drop(state);
        let config = &handle.shared.config;
        let name = format!("{}-blocking-{index}", config.thread_name);
        let thread_handle = handle.clone();
        let spawned = sync::spawn_thread(name, config.stack_size, move || {
            blocking_thread(thread_handle)
        });
        // The thread is detached: shutdown waits on the `threads` count (invariant 2).
        if let Err(err) = spawned {
            let mut state = self.inner.lock();
            state.threads -= 1;
            let orphaned = if state.threads == state.retiring {
                // No thread will ever run what is queued: fail it now rather than hang.
                state.queue.drain(..).collect()
            } else {
                Vec::new()
            };
            drop(state);
            eprintln!("ctxrt: could not start a blocking-pool thread: {err}");
            for job in orphaned {
                job.cancel();
            }
        }
    }

    /// Stops the pool: refuses later submissions, wakes idle threads so they exit, and
    /// waits up to `timeout` (None: forever) for the threads to run every job submitted
    /// before (queued ones included) and exit. A thread exits once it finds the queue
    /// empty; whatever is queued has a thread that will look at it (invariants 3 and 4).
    pub(crate) fn shutdown(&self, timeout: Option<Duration>) {
        let mut state = self.inner.lock();
        state.shutdown = true;
        self.work.notify_all();
        drop(state);
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut state = self.inner.lock();
        while state.threads > 0 {
            match deadline {
                None => state = self.exited.wait(state),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    state = self.exited.wait_timeout(state, deadline - now).0;
                }
            }
        }
    }

    /// The number of live pool threads.
    pub(crate) fn num_threads(&self) -> usize {
        self.inner.lock().threads
    }

    /// Jobs waiting for a thread (`RuntimeMetrics::blocking_queue_depth`).
    pub(crate) fn queue_depth(&self) -> usize {
        self.inner.lock().queue.len()
    }
}

fn blocking_thread(handle: Handle) {
    let shared = handle.shared.clone();
    let _enter = crate::runtime::enter::set_current_handle(handle);
    let pool = &shared.blocking;
    // Leaves the thread count on every exit, unwinding included (invariants 2 and 4).
    let mut exit = ThreadExit {
        pool,
        retiring: false,
    };
    let address = &*shared as *const SchedulerShared as usize;
    POOL_OF.with(|pool| pool.set(address));
    if let Some(hook) = &shared.config.on_thread_start {
        hook();
    }
    let mut state = pool.inner.lock();
    'work: loop {
        while let Some(job) = state.queue.pop_front() {
            drop(state);
            job.run();
            state = pool.inner.lock();
        }
        if state.shutdown {
            break;
        }
        state.idle += 1;
        loop {
            let (next, timed_out) = pool.work.wait_timeout(state, pool.keep_alive);
            state = next;
            if state.notified > 0 {
                state.notified -= 1;
                continue 'work;
            }
            if state.shutdown || timed_out {
                state.idle -= 1;
                break 'work;
            }
        }
    }
    // In the same critical section that found no work (invariant 3).
    state.retiring += 1;
    exit.retiring = true;
    drop(state);
    if let Some(hook) = &shared.config.on_thread_stop {
        hook();
    }
    drop(exit);
}

/// Marks the thread as one of `shared`'s pool threads for its life, and takes it out of
/// the pool's counts when it exits, however it exits.
struct ThreadExit<'a> {
    pool: &'a BlockingPool,
    /// Counted in `retiring` (it left the work loop normally).
    retiring: bool,
}

impl Drop for ThreadExit<'_> {
    fn drop(&mut self) {
        let _ = POOL_OF.try_with(|pool| pool.set(0));
        let mut state = self.pool.inner.lock();
        state.threads -= 1;
        if self.retiring {
            state.retiring -= 1;
        }
        // Died without retiring (a panicking `on_thread_start`): if no other thread will
        // look at the queue, nobody would ever run what is in it (invariant 4).
        let orphaned: Vec<PoolJob> = if !self.retiring && state.threads == state.retiring {
            state.queue.drain(..).collect()
        } else {
            Vec::new()
        };
        if state.threads == 0 {
            self.pool.exited.notify_all();
        }
        drop(state);
        for job in orphaned {
            job.cancel();
        }
    }
}

/// What the pool's threads run: a `spawn_blocking` job, or a worker loop that took over a
/// core handed away by `block_in_place`.
enum PoolJob {
    Task(Notified),
    Worker(Box<dyn FnOnce() + Send>),
}

impl PoolJob {
    fn run(self) {
        match self {
            PoolJob::Task(job) => job.run(),
            PoolJob::Worker(worker) => worker(),
        }
    }

    /// Refused (shutdown) or orphaned: a task's JoinHandle resolves as cancelled; a
    /// worker loop is dropped unrun, its core staying with the `block_in_place` that
    /// handed it away, which takes it back.
    fn cancel(self) {
        match self {
            PoolJob::Task(job) => job.cancel(),
            PoolJob::Worker(worker) => drop(worker),
        }
    }
}

/// The future of a blocking job: runs the closure in its one poll. While it has not run
/// (queued or running), it holds off its runtime's paused-clock auto-advance.
pub(crate) struct BlockingJob<F> {
    job: Option<F>,
    inhibit: Option<AutoAdvanceInhibit>,
}

impl<F> BlockingJob<F> {
    pub(crate) fn new(job: F, shared: &SchedulerShared) -> Self {
        let inhibit = shared
            .driver
            .as_ref()
            .and_then(crate::driver::DriverHandle::inhibit_auto_advance);
        BlockingJob {
            job: Some(job),
            inhibit,
        }
    }
}

impl<F> Unpin for BlockingJob<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingJob<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut task::Context<'_>) -> Poll<R> {
        let job = self
            .job
            .take()
            .expect("a blocking job is polled once: it runs to completion in that poll");
        let output = job();
        // Before the output wakes the job's awaiter: auto-advance may resume first.
        drop(self.inhibit.take());
        Poll::Ready(output)
    }
}
