//! Cooperative budget: a task may make at most [`BUDGET`] steps of progress on ctxrt's own
//! resources (JoinHandles, JoinSets) per poll; after that they report `Pending` and wake
//! the task, so it goes to the back of the queue and one busy task cannot starve the rest.
//!
//! The budget is per thread, set around each task poll; outside a task it is unlimited.

use std::cell::Cell;
use std::task::{self, Poll};

use crate::sync::thread_local_const;

/// Steps of progress a task may make per poll.
pub(crate) const BUDGET: u8 = 128;

thread_local_const! {
    /// `None`: unlimited (not inside a task poll).
    static REMAINING: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs one task poll with a fresh budget, restoring the previous one afterwards (panics
/// included: the restore is a drop guard).
pub(crate) fn budgeted<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = REMAINING.try_with(|cell| cell.set(self.0));
        }
    }
    let _restore = Restore(REMAINING.with(|cell| cell.replace(Some(BUDGET))));
    f()
}

/// Takes one unit of budget; if none is left, wakes the task and returns `Pending`.
pub(crate) fn poll_proceed(cx: &mut task::Context<'_>) -> Poll<()> {
    REMAINING.with(|cell| match cell.get() {
        None => Poll::Ready(()),
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            cell.set(Some(n - 1));
            Poll::Ready(())
        }
    })
}
