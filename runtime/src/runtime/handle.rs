//! [`Handle`]: a cheap, cloneable reference to a runtime, usable from any thread.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use ctxrt_context::Context;

use super::enter;
use crate::blocking::BlockingJob;
use crate::scheduler::{worker, Flavor, SchedulerShared};
use crate::sync::Arc;
use crate::task::raw::{Notified, RawTask, TaskName};
use crate::task::JoinHandle;

/// A reference to a runtime: spawn onto it, or block on it, from any thread.
///
/// # Examples
///
/// ```
/// use ctxrt::runtime::{Handle, Runtime};
///
/// let rt = Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let answer = std::thread::spawn(move || handle.block_on(async { 40 + 2 }))
///     .join()
///     .unwrap();
/// assert_eq!(answer, 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<SchedulerShared>,
}

/// `Handle::try_current` was called outside a runtime.
///
/// # Examples
///
/// ```
/// let err = ctxrt::runtime::Handle::try_current().unwrap_err();
/// println!("{err}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryCurrentError {
    _private: (),
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "no ctxrt runtime is running on this thread (call from a task, from inside \
             block_on, or under Runtime::enter())",
        )
    }
}

impl std::error::Error for TryCurrentError {}

/// Keeps a runtime current on this thread; made by [`Handle::enter`] and
/// [`Runtime::enter`](crate::runtime::Runtime::enter).
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let guard = rt.handle().enter();
/// assert!(ctxrt::runtime::Handle::try_current().is_ok());
/// drop(guard);
/// assert!(ctxrt::runtime::Handle::try_current().is_err());
/// ```
#[must_use = "the runtime stays current only while the guard lives"]
pub struct EnterGuard<'a> {
    _guard: enter::HandleGuard,
    _handle: PhantomData<&'a Handle>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// A runtime's id: unique among the runtimes alive at the same time (one may be reused
/// after its runtime is dropped), as tokio's `runtime::Id`.
///
/// # Examples
///
/// ```
/// let a = ctxrt::runtime::Runtime::new().unwrap();
/// let b = ctxrt::runtime::Runtime::new().unwrap();
/// assert_ne!(a.handle().id(), b.handle().id());
/// assert_eq!(a.handle().id(), a.handle().clone().id());
/// println!("runtime {}", a.handle().id());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

impl Handle {
    /// This runtime's id.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let inside = rt.block_on(async { ctxrt::runtime::Handle::current().id() });
    /// assert_eq!(inside, rt.handle().id());
    /// ```
    pub fn id(&self) -> Id {
        // The scheduler's address: unique while it lives, which is while this runtime
        // (or any handle to it) does.
        Id(Arc::as_ptr(&self.shared) as usize as u64)
    }

    /// The runtime this thread is in.
    ///
    /// # Panics
    ///
    /// Outside a runtime (not in a task, `block_on`, blocking job or `Runtime::enter`);
    /// use [`Handle::try_current`] to check instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = ctxrt::runtime::Handle::current();
    ///     handle.spawn(async {}).await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(err) => panic!("Handle::current(): {err}"),
        }
    }

    /// The runtime this thread is in, or an error outside one.
    ///
    /// # Errors
    ///
    /// [`TryCurrentError`] outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::runtime::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        enter::current_handle().ok_or(TryCurrentError { _private: () })
    }

    /// Spawns `future` onto the runtime in a snapshot of the caller's context
    /// (`task_private` vars excepted).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.handle().spawn(async { 9 });
    /// assert_eq!(rt.block_on(handle).unwrap(), 9);
    /// ```
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SchedulerShared::spawn(&self.shared, future, Context::inherited())
    }

    /// Runs `f` on the blocking pool in a snapshot of the caller's context, taken now.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let sum = rt.block_on(rt.handle().spawn_blocking(|| (1..=10).sum::<u32>()));
    /// assert_eq!(sum.unwrap(), 55);
    /// ```
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.spawn_blocking_named(f, None)
    }

    /// `spawn_blocking` with a name (`task::Builder`).
    pub(crate) fn spawn_blocking_named<F, R>(
        &self,
        f: F,
        name: Option<Box<TaskName>>,
    ) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let context = Context::inherited();
        let id = self.shared.next_id();
        self.shared.task_spawned(id);
        // Two references: the JoinHandle and the pool's queue entry.
        let raw = RawTask::new(
            BlockingJob::new(f, &self.shared),
            context,
            self.shared.clone(),
            id,
            name,
            2,
        );
        let join = JoinHandle::new(raw);
        self.shared.blocking.submit(self, Notified::from_raw(raw));
        join
    }

    /// Runs `future` to completion on this thread; see
    /// [`Runtime::block_on`](crate::runtime::Runtime::block_on).
    ///
    /// # Panics
    ///
    /// Inside a runtime worker thread or another `block_on`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.handle().block_on(async { 2 }), 2);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _driving = enter::enter_driving();
        let _current = enter::set_current_handle(self.clone());
        let mut context = Context::current();
        // The future gets a task's cooperative budget on each poll, so a loop over ready
        // JoinHandles in it yields to the tasks (issue 12, behaviour 4).
        let mut future = std::pin::pin!(future);
        let shared = &self.shared;
        let watch_panics = shared.shuts_down_on_panic();
        let mut registered: Option<std::task::Waker> = None;
        let future = std::future::poll_fn(move |cx| {
            if watch_panics {
                // `UnhandledPanic::ShutdownRuntime` (scheduler/panic_shutdown.rs).
                if shared.panicked() {
                    if let Some(waker) = registered.take() {
                        shared.deregister_block_on(&waker);
                    }
                    panic_after_task_panic();
                }
                if !registered.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    shared.register_block_on(cx.waker());
                    registered = Some(cx.waker().clone());
                }
            }
            let polled = crate::task::coop::budgeted(|| future.as_mut().poll(cx));
            if polled.is_ready() {
                if let Some(waker) = registered.take() {
                    shared.deregister_block_on(&waker);
                }
            }
            polled
        });
        let future = std::pin::pin!(future);
        let output = match self.shared.flavor {
            Flavor::CurrentThread => {
                worker::block_on_current_thread(&self.shared, future, &mut context)
            }
            Flavor::MultiThread => worker::block_on_parked(future, &mut context),
        };
        // An `EnterGuard` made inside and returned in `output` would outlive this call:
        // panic now, while `output` is a local that the unwind drops, guard included.
        _current.assert_innermost();
        output
    }

    /// Makes this runtime the current one on this thread until the guard drops.
    ///
    /// # Panics
    ///
    /// The guard panics when dropped out of order: guards must be dropped in the reverse
    /// order they were made, and one made inside a `block_on` must be dropped before
    /// that `block_on` returns.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.handle().enter();
    /// let _task = ctxrt::spawn(async {});
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: enter::set_current_handle(self.clone()),
            _handle: PhantomData,
        }
    }

    /// The number of unfinished async tasks (queued, running or idle).
    ///
    /// A task leaves the count when its worker has finished releasing it, which is just
    /// after its `JoinHandle` can return the output (as in tokio): right after an `.await`
    /// on the handle, the count may still include that task for a moment.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {});
    /// assert_eq!(rt.handle().num_alive_tasks(), 0);
    /// ```
    pub fn num_alive_tasks(&self) -> usize {
        self.shared.owned.len()
    }

    /// The number of live blocking-pool threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(rt.spawn_blocking(|| ())).unwrap();
    /// assert!(rt.handle().num_blocking_threads() >= 1);
    /// ```
    pub fn num_blocking_threads(&self) -> usize {
        self.shared.blocking.num_threads()
    }
}

/// `block_on` on a runtime that a task's panic shut down.
#[cold]
#[track_caller]
fn panic_after_task_panic() -> ! {
    panic!(
        "a spawned task panicked and the runtime is configured to shut down on unhandled \
         panic (Builder::unhandled_panic(UnhandledPanic::ShutdownRuntime)); the task's panic \
         message was printed above"
    )
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.shared.flavor)
            .finish_non_exhaustive()
    }
}

/// Libraries generic over `futures`' [`Spawn`](futures_task::Spawn) /
/// `SpawnExt` run their tasks on ctxrt through a [`Handle`]: each `spawn_obj` becomes a
/// ctxrt task in a snapshot of the caller's context, exactly as [`Handle::spawn`].
///
/// # Errors
///
/// `spawn_obj` returns [`SpawnError::shutdown()`](futures_task::SpawnError::shutdown)
/// once the runtime has begun shutting down (the runtime was dropped or
/// `shutdown_timeout`/`shutdown_background` was called); the future is dropped unpolled.
/// [`Spawn::status`](futures_task::Spawn::status) reports the same.
///
/// # Examples
///
/// ```
/// use futures::task::SpawnExt;
/// use ctxrt::{Context, ContextVar};
///
/// static USER: ContextVar<&'static str> = ContextVar::new("user");
///
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let seen = Context::new().run(|| {
///     let _ = USER.set("ada");
///     let joined = handle.spawn_with_handle(async { USER.get() }).unwrap();
///     rt.block_on(joined)
/// });
/// assert_eq!(seen, Some("ada"));
/// ```
impl futures_task::Spawn for Handle {
    fn spawn_obj(
        &self,
        future: futures_task::FutureObj<'static, ()>,
    ) -> Result<(), futures_task::SpawnError> {
        self.status()?;
        // The JoinHandle is dropped: the task is detached, as futures' `Spawn` expects.
        drop(self.spawn(future));
        Ok(())
    }

    fn status(&self) -> Result<(), futures_task::SpawnError> {
        if self.shared.is_shutdown() {
            Err(futures_task::SpawnError::shutdown())
        } else {
            Ok(())
        }
    }
}
