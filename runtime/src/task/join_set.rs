//! [`JoinSet`]: a set of tasks awaited in completion order.

use std::fmt;
use std::future::Future;
use std::task::{self, Poll};

use super::{coop, JoinError, JoinHandle};

/// A collection of spawned tasks, awaited in the order they finish.
///
/// Dropping the set aborts every task still in it. `join_next` checks finished tasks
/// first (one atomic load each), so a set of `n` tasks costs O(n) per completion.
///
/// # Examples
///
/// ```
/// use ctxrt::task::JoinSet;
///
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let total = rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut total = 0;
///     while let Some(result) = set.join_next().await {
///         total += result.unwrap();
///     }
///     total
/// });
/// assert_eq!(total, 285);
/// ```
pub struct JoinSet<T> {
    handles: Vec<JoinHandle<T>>,
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = ctxrt::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            handles: Vec::new(),
        }
    }

    /// The number of tasks not yet joined.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let mut set = ctxrt::task::JoinSet::new();
    /// set.spawn(async {});
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.handles.len()
    }

    /// Whether no tasks are left to join.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::task::JoinSet::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.handles.is_empty()
    }

    /// Spawns `future` on the current runtime (like [`crate::spawn`], inheriting the
    /// caller's context) and adds it to the set.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`crate::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     set.spawn(async { "done" });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.handles.push(crate::spawn(future));
    }

    /// Adds an already spawned task to the set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     set.insert(ctxrt::spawn_blocking(|| 5));
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 5);
    /// });
    /// ```
    pub fn insert(&mut self, handle: JoinHandle<T>) {
        self.handles.push(handle);
    }

    /// Waits for the next task to finish; `None` when the set is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::<()>::new();
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    fn poll_join_next(&mut self, cx: &mut task::Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.handles.is_empty() {
            return Poll::Ready(None);
        }
        std::task::ready!(coop::poll_proceed(cx));
        // Finished tasks first: one atomic load each, no waker registration.
        let order = self
            .handles
            .iter()
            .position(JoinHandle::is_finished)
            .into_iter()
            .chain(0..self.handles.len());
        for at in order {
            if let Poll::Ready(result) = self.handles[at].poll_output(cx) {
                drop(self.handles.swap_remove(at));
                return Poll::Ready(Some(result));
            }
        }
        Poll::Pending
    }

    /// Aborts every task in the set; they stay in it until joined.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for handle in &self.handles {
            handle.abort();
        }
    }

    /// Removes every task from the set without aborting them (they run on, detached).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut set = ctxrt::task::JoinSet::<()>::new();
    /// set.detach_all();
    /// assert!(set.is_empty());
    /// ```
    pub fn detach_all(&mut self) {
        self.handles.clear();
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
