//! [`AbortHandle`]: a clonable, shareable permission to abort a task, without its output.

use std::fmt;

use super::cell::RawTask;
use super::Id;

/// Aborts a task without owning its output: made by [`JoinHandle::abort_handle`]
/// (and returned by `JoinSet::spawn`). Clone it freely and send it to other threads;
/// dropping it does nothing to the task.
///
/// [`JoinHandle::abort_handle`]: super::JoinHandle::abort_handle
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let handle = ctxrt::spawn(std::future::pending::<()>());
///     let abort = handle.abort_handle();
///     std::thread::spawn(move || abort.abort()).join().unwrap();
///     assert!(handle.await.unwrap_err().is_cancelled());
/// });
/// ```
pub struct AbortHandle {
    /// Holds one reference to the task (rule 2 in task/raw/mod.rs).
    raw: RawTask,
}

// SAFETY: an AbortHandle only reads the header (immutable after spawn) and changes the
// atomic state word; it never touches the future, output, context or join waker (rules
// 1, 3 and 4 in task/raw/mod.rs), so it may be used and dropped from any thread.
unsafe impl Send for AbortHandle {}
// SAFETY: as for Send: every method takes `&self` and only uses the atomic state word.
unsafe impl Sync for AbortHandle {}

impl AbortHandle {
    /// Takes a new reference to `raw`'s task; the caller holds one (rule 2).
    pub(crate) fn new(raw: RawTask) -> AbortHandle {
        raw.header().state.ref_inc();
        AbortHandle { raw }
    }

    /// Asks the task to stop, exactly as [`JoinHandle::abort`](super::JoinHandle::abort):
    /// it is cancelled at its next scheduling point; a finished task keeps its output.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// handle.abort_handle().abort();
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// ```
    pub fn abort(&self) {
        abort_task(self.raw);
    }

    /// True once the task has finished (output stored, panicked or cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(async {});
    /// let abort = handle.abort_handle();
    /// rt.block_on(handle).unwrap();
    /// assert!(abort.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's id, the same as its [`JoinHandle::id`](super::JoinHandle::id).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let handle = rt.spawn(async {});
    /// assert_eq!(handle.abort_handle().id(), handle.id());
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

/// Sets `CANCELLED` and, for an idle task, queues it so a worker cancels it.
pub(crate) fn abort_task(raw: RawTask) {
    if raw.header().state.transition_to_notified_and_cancel() {
        // The transition took a new reference for the queue entry.
        raw.schedule();
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        AbortHandle::new(self.raw)
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("AbortHandle");
        debug.field("id", &self.id());
        if let Some(name) = &self.raw.header().name {
            debug.field("name", &&*name.0);
        }
        debug.field("finished", &self.is_finished()).finish()
    }
}
