//! Channels and locks for tasks: tokio's runtime-agnostic `sync` module, re-exported.
//!
//! A tokio user finds what they know here, under the same names: the channels [`mpsc`],
//! [`oneshot`], [`broadcast`] and [`watch`], and the async locks and signals [`Mutex`],
//! [`RwLock`], [`Semaphore`], [`Notify`], [`Barrier`], [`OnceCell`] and [`SetOnce`], with
//! their guards and errors. Porting is a rename: `tokio::sync::X` becomes `ctxrt::sync::X`.
//!
//! # Why tokio's, and why it works on ctxrt
//!
//! These are re-exports of `tokio::sync` built with only tokio's `sync` feature, not new
//! implementations: that module is well kept, widely used and tested (with loom), and it
//! is runtime-agnostic. Its futures need nothing from a runtime but a `Waker`: no timer, no
//! I/O driver, no tokio scheduler, so they run on ctxrt's scheduler (either flavour), in
//! `block_on`, and on plain threads (`blocking_recv`, `blocking_lock`, ...). Writing our
//! own would only add bugs. tokio's runtime is not built: ctxrt depends on tokio with
//! `default-features = false, features = ["sync", "macros"]`. (Timeouts on these, such as
//! `mpsc::Sender::send_timeout`, need tokio's timer and are not available.)
//!
//! Waiting on one of these never changes what a task sees: a task parked on `recv()` or
//! `lock()` is woken and polled again inside its own [`Context`](crate::Context), like
//! after any other `.await`.
//!
//! Not available under `cfg(loom)` (the model-checking build of ctxrt's scheduler).
//!
//! # Examples
//!
//! A channel between tasks; the receiver keeps its own context while it waits:
//!
//! ```
//! use ctxrt::sync::mpsc;
//! use ctxrt::ContextVar;
//!
//! static WORKER: ContextVar<&'static str> = ContextVar::new("worker");
//!
//! #[ctxrt::main]
//! async fn main() {
//!     let (tx, mut rx) = mpsc::channel::<u32>(8);
//!     WORKER.set("consumer");
//!     let consumer = ctxrt::spawn(async move {
//!         let mut sum = 0;
//!         while let Some(n) = rx.recv().await {
//!             assert_eq!(WORKER.get(), Some("consumer"));
//!             sum += n;
//!         }
//!         sum
//!     });
//!     WORKER.set("producer");
//!     for n in 1..=4 {
//!         let tx = tx.clone();
//!         ctxrt::spawn(async move { tx.send(n).await.unwrap() });
//!     }
//!     drop(tx);
//!     assert_eq!(consumer.await.unwrap(), 10);
//! }
//! ```
//!
//! An async `Mutex` held across `.await`, and a `oneshot` reply:
//!
//! ```
//! use std::sync::Arc;
//! use ctxrt::sync::{oneshot, Mutex};
//!
//! #[ctxrt::main(flavor = "current_thread")]
//! async fn main() {
//!     let total = Arc::new(Mutex::new(0u64));
//!     let mut tasks = Vec::new();
//!     for i in 0..10 {
//!         let total = total.clone();
//!         tasks.push(ctxrt::spawn(async move {
//!             let mut guard = total.lock().await;
//!             ctxrt::task::yield_now().await; // other tasks wait for the lock
//!             *guard += i;
//!         }));
//!     }
//!     for task in tasks {
//!         task.await.unwrap();
//!     }
//!     let (reply, answer) = oneshot::channel();
//!     let total = total.clone();
//!     ctxrt::spawn(async move { reply.send(*total.lock().await).unwrap() });
//!     assert_eq!(answer.await.unwrap(), 45);
//! }
//! ```
//!
//! # Inside ctxrt: the one door to concurrency
//!
//! The rest of this module is crate-private: the runtime's own primitives.
//! Nothing else in `ctxrt` names `std::sync`, `parking_lot`, `crossbeam_deque`,
//! `std::thread` or `thread_local!`. Under `cfg(loom)` the file `std_impl.rs` is swapped for
//! `loom_impl.rs`, which has the same items over loom's primitives, so the models in
//! `ctxrt-loom-tests` check the scheduler that ships. The public re-exports live in
//! `tokio_sync.rs`, built only without loom.
//!
//! What each backend provides:
//! - `Arc`, `AtomicUsize`, `AtomicBool`, `AtomicU64`, `Ordering`, `fence`: shared ownership and the
//!   task state word, idle counters and flags.
//! - `BlockingMutex` / `BlockingMutexGuard` / `Condvar`: parking_lot's (loom's under loom) behind one
//!   std-shaped API: `lock()` returns the guard, `wait(guard) -> guard`,
//!   `wait_timeout(guard, d) -> (guard, timed_out)`. Used for sleeping workers, the
//!   blocking pool and the owned-task list.
//! - `UnsafeCell` with `with(|*const T|)` / `with_mut(|*mut T|)`: the task's future,
//!   output, context and join waker, whose access rules are in `task/raw/mod.rs`.
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

#[cfg(not(loom))]
mod tokio_sync;
#[cfg(not(loom))]
pub use tokio_sync::*;
