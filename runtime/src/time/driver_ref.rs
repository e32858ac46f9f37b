//! [`DriverRef`]: the driver a [`Sleep`](super::Sleep) belongs to, taken only when it arms.
//!
//! A `Sleep` (and so a `Timeout`) belongs to the runtime that was current when it was
//! made, as tokio's does, wherever it is polled later. Most never touch that driver: a
//! `timeout` around a future that is ready at once is made, polled and dropped without
//! arming a timer (issue 9's `timer_churn` row). Holding the driver's `Arc` from creation
//! costs an atomic increment and an atomic decrement per timeout for nothing, so a
//! `Sleep` records only its driver's id when made (after checking, as before, that the
//! runtime has timers), and takes the `Arc` when it first arms: from the current thread's
//! runtime when that is its own (the usual case, polled in the task that made it), else
//! from `LIVE`, the registry of the process's timer drivers.
//!
//! Invariants:
//! 1. A driver id names one driver forever: ids come from a process-wide counter and are
//!    never reused (`driver.rs`), so a runtime dropped and another made at the same
//!    address are never confused.
//! 2. A driver with timers is in `LIVE` from when its scheduler is made until that
//!    scheduler is dropped (`SchedulerShared::new` / its `Drop`): while anything can still
//!    reach the runtime (a `Handle`, a task, a worker), an unarmed `Sleep` finds its
//!    driver. After that nothing drives it any more, and arming would wait forever, so
//!    [`DriverRef::bind`] panics instead, saying so.

use crate::driver::{self, DriverHandle, Part};
use crate::sync::{Arc, StaticMutex};

/// Every live timer driver (invariant 2). A handful of entries (one per runtime), read
/// only by a first arm away from the `Sleep`'s runtime.
static LIVE: StaticMutex<Vec<Arc<DriverHandle>>> = StaticMutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<Arc<DriverHandle>>> {
    // A panic under this lock cannot leave the list half-changed (push / swap_remove).
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Adds a runtime's driver to the registry (invariant 2); a driver without timers is
/// never looked up and not added.
pub(crate) fn register(driver: &Arc<DriverHandle>) {
    if driver.time.is_some() {
        live().push(driver.clone());
    }
}

/// Removes a runtime's driver from the registry once its scheduler is gone (invariant 2).
pub(crate) fn unregister(driver: &DriverHandle) {
    let mut live = live();
    if let Some(index) = live.iter().position(|d| d.id == driver.id) {
        // Dropped after the lock is released: it may be the driver's last reference.
        let removed = live.swap_remove(index);
        drop(live);
        drop(removed);
    }
}

/// Which driver a `Sleep` belongs to; see the module docs.
pub(crate) enum DriverRef {
    /// Made on the driver with this id (invariant 1); no timer armed yet.
    Unbound(usize),
    /// The driver itself, held from the first arm on.
    Bound(Arc<DriverHandle>),
}

impl DriverRef {
    /// The current runtime's timer driver, by id.
    ///
    /// # Panics
    ///
    /// Outside a runtime, or on one built without `enable_time` (the message names it).
    #[track_caller]
    #[inline]
    pub(crate) fn current(what: &str) -> DriverRef {
        DriverRef::Unbound(driver::current_id(Part::Time, what))
    }

    /// The driver, if the `Sleep` has armed.
    pub(crate) fn bound(&self) -> Option<&Arc<DriverHandle>> {
        match self {
            DriverRef::Bound(driver) => Some(driver),
            DriverRef::Unbound(_) => None,
        }
    }

    /// The driver, taken now if this is the first arm.
    ///
    /// # Panics
    ///
    /// If the runtime the `Sleep` was made on has been dropped (invariant 2).
    #[track_caller]
    pub(crate) fn bind(&mut self) -> &Arc<DriverHandle> {
        if let DriverRef::Unbound(id) = *self {
            *self = DriverRef::Bound(find(id));
        }
        match self {
            DriverRef::Bound(driver) => driver,
            DriverRef::Unbound(_) => unreachable!("bound just above"),
        }
    }
}

/// The driver with `id`: the current runtime's if it is that one, else from `LIVE`.
#[track_caller]
fn find(id: usize) -> Arc<DriverHandle> {
    let local = crate::scheduler::with_current_worker(|worker| {
        let (shared, _) = worker?;
        shared.driver.as_ref().filter(|d| d.id == id).cloned()
    });
    if let Some(driver) = local {
        return driver;
    }
    // A multi-thread runtime's block_on thread, or an `enter` guard: no global lock.
    if let Ok(handle) = crate::runtime::Handle::try_current() {
        if let Some(driver) = handle.shared.driver.as_ref().filter(|d| d.id == id) {
            return driver.clone();
        }
    }
    let found = live().iter().find(|d| d.id == id).cloned();
    found.unwrap_or_else(|| {
        panic!(
            "a ctxrt Sleep or Timeout was polled after the runtime it was made on had been \
             dropped: nothing drives its timer any more; keep that runtime alive, or make \
             the timer on the runtime that polls it"
        )
    })
}
