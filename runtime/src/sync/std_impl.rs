//! The real primitives (every build but `cfg(loom)`); see the contract in `sync/mod.rs`.

use std::io;
use std::time::Duration;

pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
pub(crate) use std::sync::Arc;
pub(crate) use std::thread::JoinHandle;
pub(crate) use std::time::Instant;

/// A process-wide counter that can live in a `static` (loom's atomics cannot).
pub(crate) use std::sync::atomic::AtomicUsize as StaticAtomicUsize;

/// A lock that can live in a `static`: the registry of live timer drivers
/// (`time/driver_ref.rs`), taken only when a runtime is made or dropped and when a timer
/// first arms away from its runtime's threads.
pub(crate) use std::sync::Mutex as StaticMutex;

pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker as LocalQueue};

/// A mutex with a std-shaped API over parking_lot's.
#[derive(Debug, Default)]
pub(crate) struct BlockingMutex<T>(parking_lot::Mutex<T>);

/// The guard of a [`BlockingMutex`].
pub(crate) type BlockingMutexGuard<'a, T> = parking_lot::MutexGuard<'a, T>;

impl<T> BlockingMutex<T> {
    pub(crate) const fn new(value: T) -> Self {
        BlockingMutex(parking_lot::const_mutex(value))
    }

    #[inline]
    pub(crate) fn lock(&self) -> BlockingMutexGuard<'_, T> {
        self.0.lock()
    }

    /// The guard if the lock is free right now (the driver's "whoever idles first").
    #[inline]
    pub(crate) fn try_lock(&self) -> Option<BlockingMutexGuard<'_, T>> {
        self.0.try_lock()
    }
}

/// A condition variable with a std-shaped API over parking_lot's.
#[derive(Debug, Default)]
pub(crate) struct Condvar(parking_lot::Condvar);

impl Condvar {
    pub(crate) const fn new() -> Self {
        Condvar(parking_lot::Condvar::new())
    }

    pub(crate) fn wait<'a, T>(
        &self,
        mut guard: BlockingMutexGuard<'a, T>,
    ) -> BlockingMutexGuard<'a, T> {
        self.0.wait(&mut guard);
        guard
    }

    /// Waits up to `timeout`; the flag is true if it timed out.
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        mut guard: BlockingMutexGuard<'a, T>,
        timeout: Duration,
    ) -> (BlockingMutexGuard<'a, T>, bool) {
        let result = self.0.wait_for(&mut guard, timeout);
        (guard, result.timed_out())
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one();
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// An `UnsafeCell` with loom's closure API, so both backends are used the same way.
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Starts a named OS thread.
pub(crate) fn spawn_thread<F, T>(
    name: String,
    stack_size: Option<usize>,
    f: F,
) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let mut builder = std::thread::Builder::new().name(name);
    if let Some(size) = stack_size {
        builder = builder.stack_size(size);
    }
    builder.spawn(f)
}

/// The number of CPUs this process may use.
pub(crate) fn available_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `thread_local!` with a `const` initializer: std's, as is.
macro_rules! thread_local_const {
    ($(#[$attr:meta])* static $name:ident: $ty:ty = const $init:block;) => {
        std::thread_local! { $(#[$attr])* static $name: $ty = const $init; }
    };
}
pub(crate) use thread_local_const;
