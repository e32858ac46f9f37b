//! The current task's [`Id`]: [`id`] and [`try_id`].
//!
//! The harness marks the task's id on this thread (a field of `current.rs`'s
//! thread-local) around everything it runs for a task (each poll, in `current::polling`;
//! the drop of its future and of its output, in `harness::in_context`), so the id is there
//! exactly while the task's own code runs, blocking jobs included, as in tokio. A
//! `block_on` future is not a task and has none.

use super::current;
use super::Id;

/// Runs `f` with `id` as this thread's current task id, restoring the previous one after
/// (panics included: the restore is a drop guard).
#[inline(always)]
pub(crate) fn with_task_id<R>(id: Id, f: impl FnOnce() -> R) -> R {
    struct Restore(u64);
    impl Drop for Restore {
        #[inline(always)]
        fn drop(&mut self) {
            let _ = current::try_with(|current| current.id.set(self.0));
        }
    }
    let _restore = Restore(current::with(|current| current.id.replace(id.0)));
    f()
}

/// The id of the task this code runs in, or `None` outside a task (in `block_on`, on a
/// plain thread).
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// assert_eq!(ctxrt::task::try_id(), None);
/// let handle = rt.spawn(async { ctxrt::task::try_id() });
/// let id = handle.id();
/// assert_eq!(rt.block_on(handle).unwrap(), Some(id));
/// ```
pub fn try_id() -> Option<Id> {
    match current::try_with(|current| current.id.get()) {
        Some(0) | None => None,
        Some(id) => Some(Id(id)),
    }
}

/// The id of the task this code runs in (a spawned task or a `spawn_blocking` job).
///
/// # Panics
///
/// Outside a task (in `block_on`, on a plain thread); use [`try_id`] where there may be
/// none.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let handle = rt.spawn(async { ctxrt::task::id() });
/// let id = handle.id();
/// assert_eq!(rt.block_on(handle).unwrap(), id);
/// ```
#[track_caller]
pub fn id() -> Id {
    match try_id() {
        Some(id) => id,
        None => panic!(
            "ctxrt::task::id() was called outside a task (on a plain thread or in a \
             block_on future, which is not a task): call it from code that a spawned task \
             or a spawn_blocking job runs, or use ctxrt::task::try_id(), which returns None \
             there"
        ),
    }
}
