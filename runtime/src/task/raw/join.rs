//! [`JoinHandle`]: the owner's end of a task: await its output, abort it, or detach it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{self, Poll};

use super::cell::RawTask;
use super::{coop, AbortHandle, Id, JoinError};

/// An owned permission to await a task's output; dropping it detaches the task.
///
/// Awaiting gives `Ok(output)`, or `Err(JoinError)` if the task panicked or was cancelled.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let answer = rt.block_on(async {
///     let handle = ctxrt::spawn(async { 6 * 7 });
///     handle.await.unwrap()
/// });
/// assert_eq!(answer, 42);
/// ```
// Deliberately not `#[must_use]`, as tokio's: fire-and-forget `ctxrt::spawn(..);` is
// idiomatic and must build under `-D warnings` (dropping the handle detaches the task).
pub struct JoinHandle<T> {
    raw: RawTask,
    id: Id,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the task's output (`T: Send`) out of the task and touches
// shared task fields under the rules in task/raw/mod.rs.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `abort`, `is_finished` and `id`, which use the atomic
// state word; the output is reached only through `&mut` (poll).
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// Wraps the JoinHandle's reference to a freshly spawned task.
    pub(crate) fn new(raw: RawTask) -> JoinHandle<T> {
        let id = raw.header().id;
        JoinHandle {
            raw,
            id,
            _output: PhantomData,
        }
    }

    /// Asks the task to stop: it is cancelled at its next scheduling point, and awaiting
    /// the handle then gives a `JoinError` with `is_cancelled()`. A task that already
    /// finished keeps its output. A blocking job that already started runs to the end.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let handle = ctxrt::spawn(async { ctxrt::task::yield_now().await; 1 });
    ///     handle.abort();
    ///     let _ = handle.await; // Ok(1) if it finished first, else cancelled
    /// });
    /// ```
    pub fn abort(&self) {
        super::abort::abort_task(self.raw);
    }

    /// A clonable, `Send + Sync` handle that can abort this task (but not read its output),
    /// e.g. from another thread or a `Drop` guard.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// let abort = handle.abort_handle();
    /// assert_eq!(abort.id(), handle.id());
    /// abort.abort();
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        AbortHandle::new(self.raw)
    }

    /// The task's name, if it was spawned with one ([`Builder::name`](super::Builder::name)).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let handle = ctxrt::task::Builder::new().name("flusher").spawn(async {}).unwrap();
    /// assert_eq!(handle.name(), Some("flusher"));
    /// assert_eq!(ctxrt::spawn(async {}).name(), None);
    /// ```
    pub fn name(&self) -> Option<&str> {
        self.raw.header().name.as_deref().map(|name| &*name.0)
    }

    /// True once the task has finished (output stored, panicked or cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(async {});
    /// while !handle.is_finished() {
    ///     std::thread::yield_now();
    /// }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id, unique within its runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let a = rt.spawn(async {});
    /// let b = rt.spawn(async {});
    /// assert_ne!(a.id(), b.id());
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }

    /// Polls for the output without spending cooperative budget (for `JoinSet`).
    pub(crate) fn poll_output(&mut self, cx: &mut task::Context<'_>) -> Poll<Result<T, JoinError>> {
        let mut output: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `output` is a valid `Poll<Result<T, JoinError>>` and `T` is the task's
        // output type (JoinHandle<T> is only made by spawns of futures with output T).
        unsafe {
            self.raw.try_read_output(
                &mut output as *mut Poll<Result<T, JoinError>> as *mut (),
                cx.waker(),
            )
        };
        output
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<Self::Output> {
        std::task::ready!(coop::poll_proceed(cx));
        self.get_mut().poll_output(cx)
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.raw.drop_join_handle();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("JoinHandle");
        debug.field("id", &self.id);
        if let Some(name) = self.name() {
            debug.field("name", &name);
        }
        debug.field("finished", &self.is_finished()).finish()
    }
}
