//! The runtime: [`Builder`] configures it, [`Runtime`] owns its threads, [`Handle`] reaches
//! it from anywhere.
//!
//! A multi-thread runtime starts `worker_threads` workers at `build()`, and blocking-pool
//! threads on demand. Dropping the `Runtime` (or `shutdown_timeout`) stops the workers,
//! cancels every unfinished task (dropping its future and context), runs and waits for
//! the blocking jobs already submitted (queued ones too; later ones are refused), then
//! joins the workers, so their `on_thread_stop` hooks have run when it returns.

use std::fmt;
use std::future::Future;
use std::sync::Arc as StdArc;
use std::time::Duration;

use crate::scheduler::SchedulerShared;
use crate::sync::JoinHandle as ThreadHandle;
use crate::task::JoinHandle;

mod builder;
pub(crate) mod enter;
mod handle;
mod metrics;

pub(crate) use builder::Tuning;
pub use builder::{Builder, TaskMeta, UnhandledPanic};
pub use handle::{EnterGuard, Handle, Id, TryCurrentError};
pub use metrics::RuntimeMetrics;

/// A thread start/stop hook.
pub(crate) type Hook = StdArc<dyn Fn() + Send + Sync + 'static>;

/// What `Builder::build` fixed; read by the scheduler and the blocking pool.
#[derive(Clone)]
pub(crate) struct Config {
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) max_blocking_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) on_thread_start: Option<Hook>,
    pub(crate) on_thread_stop: Option<Hook>,
    /// Scheduler knobs and hooks.
    pub(crate) tuning: builder::Tuning,
}

/// The ctxrt runtime: a work-stealing executor whose tasks each own a context snapshot.
///
/// # Examples
///
/// ```
/// use ctxrt::runtime::Runtime;
/// use ctxrt::ContextVar;
///
/// static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
///
/// let rt = Runtime::new().unwrap();
/// let seen = rt.block_on(async {
///     REQUEST_ID.set(7);
///     ctxrt::spawn(async { REQUEST_ID.get() }).await.unwrap()
/// });
/// assert_eq!(seen, Some(7));
/// ```
pub struct Runtime {
    handle: Handle,
    workers: Vec<ThreadHandle<()>>,
}

impl Runtime {
    /// A multi-thread runtime with the default configuration and the I/O and time
    /// drivers (`Builder::new_multi_thread().enable_all().build()`).
    ///
    /// # Errors
    ///
    /// If a worker thread cannot be started, or `CTXRT_WORKER_THREADS` is invalid.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// ```
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new_multi_thread().enable_all().build()
    }

    pub(crate) fn from_parts(handle: Handle, workers: Vec<ThreadHandle<()>>) -> Runtime {
        Runtime { handle, workers }
    }

    /// Runs `future` to completion on this thread, in a snapshot of the caller's context
    /// (its sets do not leak out), and returns its output. On a `current_thread` runtime
    /// this thread also runs the spawned tasks meanwhile.
    ///
    /// # Panics
    ///
    /// Inside a runtime thread or another `block_on` (that would stall the tasks this
    /// thread drives; use `.await`), or if `future` panics.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.block_on(async { "done" }), "done");
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns `future` onto this runtime in a snapshot of the caller's context.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(async { 5 });
    /// assert_eq!(rt.block_on(handle).unwrap(), 5);
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// Runs `f` on the blocking pool in a snapshot of the caller's context.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn_blocking(|| std::thread::current().name().map(String::from));
    /// let name = rt.block_on(handle).unwrap().unwrap();
    /// assert!(name.starts_with("ctxrt-blocking-"));
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A handle to this runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// std::thread::spawn(move || handle.block_on(async { 3 })).join().unwrap();
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime the current one on this thread until the guard drops, so
    /// `ctxrt::spawn` works outside `block_on`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let handle = ctxrt::spawn(async { 1 });
    /// drop(_guard);
    /// assert_eq!(rt.block_on(handle).unwrap(), 1);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts down, waiting at most `timeout` for the blocking jobs submitted before it,
    /// running or still queued (they run on, detached, after it). Jobs submitted after
    /// shutdown began are refused. Unfinished async tasks are cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.spawn_blocking(|| std::thread::sleep(Duration::from_secs(2)));
    /// rt.shutdown_timeout(Duration::from_millis(10)); // returns after ~10 ms
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts down without waiting for anything: unfinished tasks are cancelled (their
    /// futures dropped here), the workers are told to stop and left to exit on their own,
    /// and blocking jobs run on, detached. Unlike dropping a runtime, this may be called
    /// anywhere, inside async code and on the runtime's own threads included.
    ///
    /// # Examples
    ///
    /// ```
    /// let outer = ctxrt::runtime::Runtime::new().unwrap();
    /// outer.block_on(async {
    ///     let inner = ctxrt::runtime::Runtime::new().unwrap();
    ///     inner.spawn(std::future::pending::<()>());
    ///     // Dropping `inner` here would block async code; this does not.
    ///     inner.shutdown_background();
    /// });
    /// ```
    pub fn shutdown_background(mut self) {
        {
            // Cancelled futures are dropped here; spawns in their drops go to this runtime.
            let _enter = self.handle.enter();
            self.handle.shared.shutdown(Some(Duration::ZERO));
        }
        // Detached: they exit once they see the shutdown flag.
        self.workers.clear();
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        let shared = &self.handle.shared;
        // Also inside `block_in_place` on one of its workers (the core handed away).
        let on_own_worker = crate::scheduler::worker::worker_scheduler()
            .is_some_and(|current| crate::sync::Arc::ptr_eq(&current, shared));
        let refusal = if on_own_worker {
            Some(
                "a ctxrt Runtime was dropped or shut down from one of its own worker threads, \
                 which it would have to join; drop it outside the runtime (e.g. from main, \
                 or move it into std::thread::spawn)",
            )
        } else if crate::blocking::is_pool_thread_of(shared) {
            Some(
                "a ctxrt Runtime was dropped or shut down from one of its own blocking-pool \
                 threads (inside its spawn_blocking), which shutdown would have to wait for: \
                 it would wait forever. Drop it outside the runtime (e.g. from main, or move \
                 it into std::thread::spawn)",
            )
        } else if enter::is_driving() {
            Some(
                "a ctxrt Runtime cannot be dropped or shut down inside an asynchronous context \
                 (a task, or a block_on future): waiting for its threads there would block \
                 async code. Drop it from a blocking job (spawn_blocking of another runtime), \
                 from a std::thread::spawn thread, or outside async code",
            )
        } else {
            None
        };
        if let Some(message) = refusal {
            // Waiting here would stall async code or wait for this very thread: stop the
            // runtime without waiting (tasks cancelled, workers told to exit on their
            // own, blocking jobs left to finish), so it does not keep running, then say
            // what to do. Never a second panic while already unwinding.
            {
                let _enter = self.handle.enter();
                shared.shutdown(Some(Duration::ZERO));
            }
            self.workers.clear();
            if !std::thread::panicking() {
                panic!("{message}");
            }
            return;
        }
        {
            // Cancelled futures are dropped on this thread; code in their drops may spawn
            // (the spawn is cancelled at once), so this runtime must be the current one,
            // as it is on a worker, and not whatever runtime this thread is in.
            let _enter = self.handle.enter();
            shared.shutdown(timeout);
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if !self.workers.is_empty() || !self.handle.shared.is_shutdown() {
            self.shutdown(None);
        }
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("flavor", &self.handle.shared.flavor)
            .field("workers", &self.workers.len())
            .finish()
    }
}

/// Runs `f` with the scheduler of the runtime this thread is in.
///
/// Panics (at the caller's location) outside a runtime.
#[track_caller]
pub(crate) fn with_current_scheduler<R>(
    f: impl FnOnce(&crate::sync::Arc<SchedulerShared>) -> R,
) -> R {
    match enter::current_handle() {
        Some(handle) => f(&handle.shared),
        None => panic!(
            "there is no ctxrt runtime here: spawn, spawn_blocking and Handle::current must \
             be called from a task, from inside block_on, or under Runtime::enter()"
        ),
    }
}
