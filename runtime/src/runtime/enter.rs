//! Which runtime this thread is in: the current [`Handle`] (for `ctxrt::spawn` and
//! `Handle::current`) and whether blocking on a runtime here would deadlock.
//!
//! Worker threads and blocking-pool threads set the handle for their whole life;
//! `block_on` and `Runtime::enter` set it for a scope. Every setter is a guard that
//! restores the previous value on drop, panics included.

use std::cell::{Cell, RefCell};

use super::Handle;
use crate::sync::thread_local_const;

thread_local_const! {
    static CURRENT: RefCell<Option<Handle>> = const { RefCell::new(None) };
}

thread_local_const! {
    /// True on worker threads and inside block_on: a nested block_on would stop this
    /// thread from driving the tasks it is responsible for.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// Restores the previous current handle on drop.
pub(crate) struct HandleGuard {
    previous: Option<Handle>,
}

/// Makes `handle` this thread's current handle until the guard drops.
pub(crate) fn set_current_handle(handle: Handle) -> HandleGuard {
    let previous = CURRENT.with(|current| current.replace(Some(handle)));
    HandleGuard { previous }
}

impl Drop for HandleGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
    }
}

/// This thread's current handle, if any.
pub(crate) fn current_handle() -> Option<Handle> {
    CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten()
}

/// Marks this thread as driving a runtime until the guard drops.
pub(crate) struct DrivingGuard {
    previous: bool,
}

/// Marks this thread as driving a runtime; panics (with what to do instead) if it already
/// is, since blocking here would stall the tasks this thread is responsible for.
#[track_caller]
pub(crate) fn enter_driving() -> DrivingGuard {
    let previous = DRIVING.with(|driving| driving.replace(true));
    if previous {
        panic!(
            "cannot block_on inside a ctxrt runtime thread: this thread is driving \
             asynchronous tasks, and blocking it would stall them. Use `.await` here, \
             or move the blocking call into `ctxrt::spawn_blocking`."
        );
    }
    DrivingGuard { previous }
}

impl Drop for DrivingGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = DRIVING.try_with(|driving| driving.set(previous));
    }
}
