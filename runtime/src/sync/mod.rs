//! The one door to concurrency for the runtime.
//!
//! Nothing else in `ctxrt` names `std::sync`, `parking_lot`, `crossbeam_deque`,
//! `std::thread` or `thread_local!`. Under `cfg(loom)` the file `std_impl.rs` is swapped for
//! `loom_impl.rs`, which has the same items over loom's primitives, so the models in
//! `ctxrt-loom-tests` check the scheduler that ships.
//!
//! What each backend provides:
//! - `Arc`, `AtomicUsize`, `AtomicBool`, `AtomicU64`, `Ordering`, `fence`: shared ownership and the
//!   task state word, idle counters and flags.
//! - `BlockingMutex` / `BlockingMutexGuard` / `Condvar`: parking_lot's (loom's under loom) behind one
//!   std-shaped API: `lock()` returns the guard, `wait(guard) -> guard`,
//!   `wait_timeout(guard, d) -> (guard, timed_out)`. Used for sleeping workers, the
//!   blocking pool and the owned-task list.
//! - `UnsafeCell` with `with(|*const T|)` / `with_mut(|*mut T|)`: the task's future,
//!   output, context and join waker, whose access rules are in `task/mod.rs`.
//! - `LocalQueue` / `Stealer` / `Injector`: crossbeam-deque's work-stealing queues; under
//!   loom a `BlockingMutex<VecDeque>` stand-in, because loom cannot see into crossbeam's atomics.
//! - `spawn_thread(name, stack_size, f)` and `JoinHandle`: OS threads (loom threads).
//! - `thread_local_const!`: a `const`-initialised thread local: std's, or loom's under loom
//!   (std's is shared by all loom threads).
//! - `Instant`: a clock for keep-alive and shutdown timeouts.
//! - `StaticAtomicUsize`: std's `AtomicUsize` under both backends, for the one `static`
//!   counter (how many runtime clocks are paused) that `ctxrt::time::Instant::now` reads.
//! - `BlockingMutex::try_lock`: the driver is taken by whichever idle worker gets it.

#[cfg(not(loom))]
mod std_impl;
#[cfg(not(loom))]
pub(crate) use std_impl::*;

#[cfg(loom)]
mod loom_impl;
#[cfg(loom)]
pub(crate) use loom_impl::*;

mod exclusive;
pub(crate) use exclusive::Exclusive;
