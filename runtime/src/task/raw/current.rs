//! What this thread is running for a task, in one thread-local ([`Current`]): the task it
//! is polling and whether that task woke itself (`waker.rs`), the id of the task whose
//! code runs (`id.rs`), and the cooperative budget (`coop.rs`).
//!
//! They live together so a task poll sets and restores all of them in one bracket
//! ([`polling`]) on one thread-local address, with no drop guard: a poll never unwinds
//! out of `harness::poll_future` (it catches panics), so the restore after it always
//! runs. Code that may unwind (`id::with_task_id`, `coop`'s `with_budget`) keeps its own
//! drop-guarded bracket over one field.
//!
//! Invariants:
//! 1. Each field is restored to its previous value when the bracket that set it ends, so
//!    nested brackets (a task polled inside a `block_on` inside `block_in_place` inside
//!    another task's poll) see their own values and leave the outer ones intact.
//! 2. `task` is non-null exactly inside [`polling`]; `self_woken` is meaningful only
//!    there.

use std::cell::Cell;

use super::coop::BUDGET;
use super::Id;
use crate::sync::thread_local_const;

/// This thread's task state; see the module docs.
pub(super) struct Current {
    /// The header of the task this thread is polling (null if none).
    pub(super) task: Cell<*const ()>,
    /// The polled task woke itself during this poll (`waker::wake_by_ref`).
    pub(super) self_woken: Cell<bool>,
    /// The id of the task whose code this thread runs (0: none; ids start at 1).
    pub(super) id: Cell<u64>,
    /// The cooperative budget left (`None`: unlimited, not inside a task poll).
    pub(super) budget: Cell<Option<u8>>,
}

thread_local_const! {
    static CURRENT: Current = const {
        Current {
            task: Cell::new(std::ptr::null()),
            self_woken: Cell::new(false),
            id: Cell::new(0),
            budget: Cell::new(None),
        }
    };
}

/// Calls `f` with this thread's [`Current`].
#[inline(always)]
pub(super) fn with<R>(f: impl FnOnce(&Current) -> R) -> R {
    CURRENT.with(f)
}

/// Calls `f` with this thread's [`Current`], unless thread-local teardown destroyed it:
/// a `Current` owns nothing that needs dropping, so std never destroys it, but loom's may.
#[inline(always)]
pub(super) fn try_with<R>(f: impl FnOnce(&Current) -> R) -> Option<R> {
    CURRENT.try_with(f).ok()
}

/// Runs `poll`, the poll of the task whose header is `task` and whose id is `id`, with
/// that task marked as this thread's polled task, its id current and a fresh budget;
/// restores all three afterwards (invariant 1) and returns the poll's result and whether
/// the task woke itself meanwhile.
///
/// `poll` must not unwind (`harness::poll_future` catches panics): the restore is not a
/// drop guard.
#[inline(always)]
pub(super) fn polling<R>(task: *const (), id: Id, poll: impl FnOnce() -> R) -> (R, bool) {
    // Two short accesses rather than one around the poll: a closure holding the whole
    // poll is not inlined into `LocalKey::with`, and the call costs more than the second
    // address computation.
    let previous = CURRENT.with(|current| Saved {
        task: current.task.replace(task),
        self_woken: current.self_woken.replace(false),
        id: current.id.replace(id.0),
        budget: current.budget.replace(Some(BUDGET)),
    });
    let result = poll();
    let self_woken = CURRENT.with(|current| {
        current.task.set(previous.task);
        current.id.set(previous.id);
        current.budget.set(previous.budget);
        current.self_woken.replace(previous.self_woken)
    });
    (result, self_woken)
}

/// The values a [`polling`] bracket restores.
struct Saved {
    task: *const (),
    self_woken: bool,
    id: u64,
    budget: Option<u8>,
}
