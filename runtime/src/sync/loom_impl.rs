//! Loom's primitives (`cfg(loom)`); see the contract in `sync/mod.rs`.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

pub(crate) use loom::cell::UnsafeCell;
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
pub(crate) use loom::sync::Arc;
pub(crate) use loom::thread::JoinHandle;
pub(crate) use std::time::Instant;

/// A process-wide counter in a `static`: std's, since loom's atomics are not `const`.
/// Only `Instant::now`'s "is any clock paused" gate uses it; loom models never pause.
pub(crate) use std::sync::atomic::AtomicUsize as StaticAtomicUsize;

/// A lock in a `static`: std's, since loom's are not `const`. Only the registry of live
/// timer drivers uses it (`time/driver_ref.rs`); loom models build no timer driver.
pub(crate) use std::sync::Mutex as StaticMutex;

/// A mutex with the std-shaped API the runtime uses.
#[derive(Debug)]
pub(crate) struct BlockingMutex<T>(loom::sync::Mutex<T>);

/// The guard of a [`BlockingMutex`].
pub(crate) type BlockingMutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

impl<T> BlockingMutex<T> {
    pub(crate) fn new(value: T) -> Self {
        BlockingMutex(loom::sync::Mutex::new(value))
    }

    pub(crate) fn lock(&self) -> BlockingMutexGuard<'_, T> {
        self.0.lock().expect("loom mutex poisoned")
    }

    /// The guard if the lock is free right now.
    pub(crate) fn try_lock(&self) -> Option<BlockingMutexGuard<'_, T>> {
        self.0.try_lock().ok()
    }
}

impl<T: Default> Default for BlockingMutex<T> {
    fn default() -> Self {
        BlockingMutex::new(T::default())
    }
}

/// A condition variable with the std-shaped API the runtime uses.
#[derive(Debug, Default)]
pub(crate) struct Condvar(loom::sync::Condvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Condvar(loom::sync::Condvar::new())
    }

    pub(crate) fn wait<'a, T>(
        &self,
        guard: BlockingMutexGuard<'a, T>,
    ) -> BlockingMutexGuard<'a, T> {
        self.0.wait(guard).expect("loom mutex poisoned")
    }

    /// Loom has no clock: a timed wait is an untimed one that never times out.
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: BlockingMutexGuard<'a, T>,
        _timeout: Duration,
    ) -> (BlockingMutexGuard<'a, T>, bool) {
        (self.wait(guard), false)
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one();
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify_all();
    }
}

/// What a steal attempt found (crossbeam-deque's shape).
pub(crate) enum Steal<T> {
    Empty,
    Success(T),
    #[allow(dead_code)]
    Retry,
}

/// A worker's local run queue: a `BlockingMutex<VecDeque>` stand-in for crossbeam's deque.
pub(crate) struct LocalQueue<T> {
    queue: Arc<BlockingMutex<VecDeque<T>>>,
}

/// The stealing end of a [`LocalQueue`].
pub(crate) struct Stealer<T> {
    queue: Arc<BlockingMutex<VecDeque<T>>>,
}

impl<T> LocalQueue<T> {
    pub(crate) fn new_fifo() -> Self {
        LocalQueue {
            queue: Arc::new(BlockingMutex::new(VecDeque::new())),
        }
    }

    pub(crate) fn stealer(&self) -> Stealer<T> {
        Stealer {
            queue: self.queue.clone(),
        }
    }

    pub(crate) fn push(&self, value: T) {
        self.queue.lock().push_back(value);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        self.queue.lock().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.lock().len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.lock().is_empty()
    }
}

impl<T> Stealer<T> {
    /// Steals half of the victim's queue into `dest`, returning one of the stolen.
    pub(crate) fn steal_batch_and_pop(&self, dest: &LocalQueue<T>) -> Steal<T> {
        let mut victim = self.queue.lock();
        let Some(first) = victim.pop_front() else {
            return Steal::Empty;
        };
        let half = victim.len() / 2;
        let batch: Vec<T> = victim.drain(..half).collect();
        drop(victim);
        let mut dest = dest.queue.lock();
        dest.extend(batch);
        Steal::Success(first)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.lock().is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.lock().len()
    }
}

/// The global queue: a `BlockingMutex<VecDeque>` stand-in for crossbeam's injector.
pub(crate) struct Injector<T> {
    queue: BlockingMutex<VecDeque<T>>,
}

impl<T> Injector<T> {
    pub(crate) fn new() -> Self {
        Injector {
            queue: BlockingMutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, value: T) {
        self.queue.lock().push_back(value);
    }

    pub(crate) fn steal(&self) -> Steal<T> {
        match self.queue.lock().pop_front() {
            Some(value) => Steal::Success(value),
            None => Steal::Empty,
        }
    }

    pub(crate) fn steal_batch_and_pop(&self, dest: &LocalQueue<T>) -> Steal<T> {
        let mut global = self.queue.lock();
        let Some(first) = global.pop_front() else {
            return Steal::Empty;
        };
        let take = global.len().min(8);
        let batch: Vec<T> = global.drain(..take).collect();
        drop(global);
        dest.queue.lock().extend(batch);
        Steal::Success(first)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.lock().is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.lock().len()
    }
}

/// Starts a named loom thread (loom ignores the stack size).
pub(crate) fn spawn_thread<F, T>(
    name: String,
    _stack_size: Option<usize>,
    f: F,
) -> io::Result<JoinHandle<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    loom::thread::Builder::new().name(name).spawn(f)
}

/// Loom models use two workers unless they ask otherwise.
pub(crate) fn available_parallelism() -> usize {
    2
}

/// `thread_local!` with a `const` initializer: loom's per-loom-thread locals (its macro
/// does not take `const`, so the block is passed as a plain initializer).
macro_rules! thread_local_const {
    ($(#[$attr:meta])* static $name:ident: $ty:ty = const $init:block;) => {
        loom::thread_local! { $(#[$attr])* static $name: $ty = $init; }
    };
}
pub(crate) use thread_local_const;
