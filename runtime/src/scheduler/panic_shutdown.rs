//! `UnhandledPanic::ShutdownRuntime`: a task's panic shuts the runtime down at once.
//!
//! The panicking task's poller calls [`SchedulerShared::shutdown_after_panic`] (from
//! `task/raw/harness.rs`): it does the part of `shutdown` that does not wait (flag, wake the
//! workers, cancel every task, drop what is queued) and wakes every `block_on` on the
//! runtime, whose futures then panic instead of being polled (`Handle::block_on`). The
//! owner's later drop of the `Runtime` does the waiting part as usual.
//!
//! Only runtimes built with that option pay for any of this: `block_on` registers its
//! waker in `block_on_wakers` only when it is set.

use std::task::Waker;

use super::SchedulerShared;
use crate::runtime::UnhandledPanic;
use crate::sync::Ordering;

impl SchedulerShared {
    /// Whether a task panic should shut this runtime down.
    pub(crate) fn shuts_down_on_panic(&self) -> bool {
        self.config.tuning.unhandled_panic == UnhandledPanic::ShutdownRuntime
    }

    /// Whether a task's panic has shut this runtime down.
    pub(crate) fn panicked(&self) -> bool {
        // Acquire: pairs with the Release store in shutdown_after_panic.
        self.panicked.load(Ordering::Acquire)
    }

    /// A task panicked and `UnhandledPanic::ShutdownRuntime` is set: stop everything,
    /// without waiting, and wake the `block_on` callers so they panic.
    pub(crate) fn shutdown_after_panic(&self) {
        // Release: pairs with the Acquire load in panicked.
        if self.panicked.swap(true, Ordering::AcqRel) {
            return;
        }
        // SeqCst: see is_shutdown.
        self.shutdown.store(true, Ordering::SeqCst);
        for remote in self.remotes.iter() {
            remote.parker.unpark();
        }
        let core = self.parked_core.lock().take();
        if let Some(core) = core {
            core.drain();
        }
        self.owned.close_and_shutdown_all();
        self.drain_injector();
        // Refuses later jobs and waits for none (a zero timeout).
        self.blocking.shutdown(Some(std::time::Duration::ZERO));
        let wakers: Vec<Waker> = std::mem::take(&mut *self.block_on_wakers.lock());
        for waker in wakers {
            waker.wake();
        }
        for waiter in self.core_waiters.lock().iter() {
            waiter.wake();
        }
    }

    /// Registers a `block_on` future's waker, to be woken by `shutdown_after_panic`.
    pub(crate) fn register_block_on(&self, waker: &Waker) {
        let mut wakers = self.block_on_wakers.lock();
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }

    /// Forgets a `block_on` future's waker once its `block_on` returns.
    pub(crate) fn deregister_block_on(&self, waker: &Waker) {
        self.block_on_wakers.lock().retain(|w| !w.will_wake(waker));
    }
}
