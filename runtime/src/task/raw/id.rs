//! The current task's [`Id`]: [`id`] and [`try_id`].
//!
//! `harness::in_context` marks the task's id on this thread around everything it runs
//! for a task (each poll, the drop of its future and of its output), so the id is there
//! exactly while the task's own code runs, blocking jobs included, as in tokio. A
//! `block_on` future is not a task and has none.

use std::cell::Cell;

use super::Id;
use crate::sync::thread_local_const;

thread_local_const! {
    /// The id of the task whose code this thread is running (0: none; ids start at 1).
    static CURRENT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Runs `f` with `id` as this thread's current task id, restoring the previous one after
/// (panics included: the restore is a drop guard).
#[inline(always)]
pub(crate) fn with_task_id<R>(id: Id, f: impl FnOnce() -> R) -> R {
    struct Restore(u64);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = CURRENT_ID.try_with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(CURRENT_ID.with(|cell| cell.replace(id.0)));
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
    match CURRENT_ID.try_with(Cell::get) {
        Ok(0) | Err(_) => None,
        Ok(id) => Some(Id(id)),
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
