//! Which runtime this thread is in: the current [`Handle`] (for `ctxrt::spawn` and
//! `Handle::current`) and whether blocking on a runtime here would deadlock.
//!
//! Worker threads and blocking-pool threads set the handle for their whole life;
//! `block_on` and `Runtime::enter` set it for a scope. Every setter is a guard that
//! restores the previous value on drop, panics included.
//!
//! Invariant: handle guards are dropped in the reverse order of their making. Each one
//! records the nesting depth it made; a guard dropped at another depth (an `EnterGuard`
//! that escaped the `block_on` that made it, or two guards swapped) panics with what to do
//! instead and restores nothing, as tokio does. Only `Handle`s (reference counts) are
//! kept here, so even a misordered guard can leave a stale handle, never a dangling one.
//!
//! `CURRENT_SCHEDULER` mirrors the address of the current handle's scheduler (null: no
//! handle, or `CURRENT` already destroyed at thread exit), so the check every spawn from a
//! task makes ([`current_is`]) is one load and a compare. The address is only compared,
//! never dereferenced.

use std::cell::{Cell, RefCell};

use super::Handle;
use crate::scheduler::SchedulerShared;
use crate::sync::{thread_local_const, Arc};

thread_local_const! {
    static CURRENT: CurrentSlot = const { CurrentSlot(RefCell::new(None)) };
}

thread_local_const! {
    /// `Arc::as_ptr` of `CURRENT`'s scheduler, or null (module docs).
    static CURRENT_SCHEDULER: Cell<*const SchedulerShared> = const { Cell::new(std::ptr::null()) };
}

/// The current handle. Clears the `CURRENT_SCHEDULER` mirror when the thread-local is
/// destroyed, so a destroyed slot reads as "no handle" there too.
struct CurrentSlot(RefCell<Option<Handle>>);

impl Drop for CurrentSlot {
    fn drop(&mut self) {
        let _ = CURRENT_SCHEDULER.try_with(|mirror| mirror.set(std::ptr::null()));
    }
}

/// The mirror's value for `handle`.
fn scheduler_of(handle: Option<&Handle>) -> *const SchedulerShared {
    handle.map_or(std::ptr::null(), |handle| Arc::as_ptr(&handle.shared))
}

thread_local_const! {
    /// How many handle guards are alive on this thread (the module's invariant).
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

thread_local_const! {
    /// True on worker threads and inside block_on: a nested block_on would stop this
    /// thread from driving the tasks it is responsible for.
    static DRIVING: Cell<bool> = const { Cell::new(false) };
}

/// Restores the previous current handle on drop.
pub(crate) struct HandleGuard {
    previous: Option<Handle>,
    /// The depth this guard made (module invariant).
    depth: usize,
}

/// Makes `handle` this thread's current handle until the guard drops.
///
/// At thread exit, once this module's thread-locals are destroyed (a `Runtime` kept in
/// a `thread_local!` is dropped then), it does nothing and its guard restores nothing.
pub(crate) fn set_current_handle(handle: Handle) -> HandleGuard {
    let Ok(previous) = CURRENT.try_with(|current| {
        CURRENT_SCHEDULER.with(|mirror| mirror.set(scheduler_of(Some(&handle))));
        current.0.replace(Some(handle))
    }) else {
        return HandleGuard {
            previous: None,
            depth: INERT,
        };
    };
    let depth = DEPTH
        .try_with(|depth| {
            let next = depth.get() + 1;
            depth.set(next);
            next
        })
        .unwrap_or(INERT);
    HandleGuard { previous, depth }
}

/// The depth of a guard made while this thread's thread-locals were being destroyed.
const INERT: usize = 0;

impl HandleGuard {
    /// Panics (with what to do) if a guard made after this one is still alive on this
    /// thread: call it before returning a value that might hold that guard, so the panic
    /// drops the value (and its guard) as an ordinary local. A destructor that panics
    /// while a return value is in flight would leak that value (rust-lang/rust#47949).
    pub(crate) fn assert_innermost(&self) {
        if self.depth == INERT {
            return;
        }
        let innermost = DEPTH.try_with(|depth| depth.get() == self.depth);
        if matches!(innermost, Ok(false)) {
            out_of_order();
        }
    }
}

#[cold]
#[track_caller]
fn out_of_order() -> ! {
    panic!(
        "ctxrt `EnterGuard`s were dropped out of order: a guard from \
         `Runtime::enter()` or `Handle::enter()` must be dropped before any guard \
         made earlier on the same thread, and must not outlive the `block_on` \
         call it was made in. Drop guards in the reverse order they were made."
    );
}

impl Drop for HandleGuard {
    fn drop(&mut self) {
        if self.depth == INERT {
            return;
        }
        let in_order = DEPTH
            .try_with(|depth| {
                if depth.get() != self.depth {
                    return false;
                }
                depth.set(self.depth - 1);
                true
            })
            .unwrap_or(true);
        if !in_order {
            if std::thread::panicking() {
                // Already unwinding: a second panic would abort. Restore nothing.
                return;
            }
            out_of_order();
        }
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|current| {
            CURRENT_SCHEDULER.with(|mirror| mirror.set(scheduler_of(previous.as_ref())));
            *current.0.borrow_mut() = previous;
        });
    }
}

/// This thread's current handle, if any.
pub(crate) fn current_handle() -> Option<Handle> {
    CURRENT
        .try_with(|current| current.0.borrow().clone())
        .ok()
        .flatten()
}

/// Whether a worker of `scheduler` may spawn onto it directly: true unless another
/// runtime is entered on this thread (`Runtime::enter` inside a task), which wins over the
/// worker this thread is, as in tokio. With no handle entered at all (the loom models drive
/// worker turns without one) the worker is the runtime at hand.
#[inline]
pub(crate) fn current_is(scheduler: &Arc<SchedulerShared>) -> bool {
    let entered = CURRENT_SCHEDULER
        .try_with(Cell::get)
        .unwrap_or(std::ptr::null());
    entered.is_null() || std::ptr::eq(entered, Arc::as_ptr(scheduler))
}

/// Whether this thread is driving a runtime now (a worker, or inside `block_on`): async
/// code runs here, so it must not block.
pub(crate) fn is_driving() -> bool {
    DRIVING.try_with(Cell::get).unwrap_or(false)
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

/// Marks this thread as not driving a runtime until the guard drops: `block_in_place`
/// has handed its core away (or it drives none), so blocking here stalls no task.
pub(crate) fn exit_driving() -> DrivingGuard {
    let previous = DRIVING
        .try_with(|driving| driving.replace(false))
        .unwrap_or(false);
    DrivingGuard { previous }
}

impl Drop for DrivingGuard {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = DRIVING.try_with(|driving| driving.set(previous));
    }
}
