//! ctxrt: a small work-stealing async runtime in which every task owns a context.
//!
//! Context variables ([`ContextVar`], Python's `contextvars` for Rust, from the
//! [`context`] crate) flow into every task, blocking job and thread without being passed
//! by hand: [`spawn`] captures a snapshot of the caller's [`Context`], the task runs every
//! poll inside its own copy, and its sets never reach the parent or its siblings.
//!
//! The API is shaped like tokio's, so porting is mostly a rename: [`main`], [`test`],
//! [`spawn`], [`spawn_blocking`], [`task::JoinHandle`], [`runtime::Builder`], the channels
//! and locks of [`sync`] (tokio's own, re-exported), and [`join!`], [`try_join!`],
//! [`select!`] and [`pin!`] (tokio's too); blocking inside a task with
//! [`task::block_in_place`], and `!Send` futures on a [`task::LocalSet`] with
//! [`task::spawn_local`], whose tasks inherit the spawner's context like any other.
//!
//! # Examples
//!
//! ```
//! use ctxrt::ContextVar;
//!
//! static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");
//!
//! #[ctxrt::main]
//! async fn main() {
//!     REQUEST_ID.set("req-1".into());
//!     let child = ctxrt::spawn(async {
//!         let inherited = REQUEST_ID.get();
//!         REQUEST_ID.set("changed in child".into()); // stays in the child
//!         inherited
//!     });
//!     assert_eq!(child.await.unwrap().as_deref(), Some("req-1"));
//!     let blocking = ctxrt::spawn_blocking(|| REQUEST_ID.get());
//!     assert_eq!(blocking.await.unwrap().as_deref(), Some("req-1"));
//!     assert_eq!(REQUEST_ID.get().as_deref(), Some("req-1"));
//! }
//! ```
//!
//! # Context belongs to the task; isolate futures you run concurrently inside one task
//!
//! Every task has one context, and every future it polls runs in it. Futures combined
//! inside one task with [`join!`] or [`select!`] therefore share it: when two handlers
//! each set `USER`, the first reads the second's. Give each future its own context with
//! [`.isolated()`](ContextFutureExt::isolated) (a child of the task's, as `asyncio.gather`
//! gives each coroutine its own), or bind one value for one future with
//! [`ContextVar::scope_future`] (tokio's `LocalKey::scope`). A future spawned as its own
//! task with [`spawn`] needs neither.
//!
//! ```
//! use ctxrt::{ContextFutureExt, ContextVar};
//!
//! static USER: ContextVar<&'static str> = ContextVar::new("user");
//!
//! async fn handle(name: &'static str) -> Option<&'static str> {
//!     USER.set(name);
//!     ctxrt::task::yield_now().await; // the other handler runs here
//!     USER.get()
//! }
//!
//! #[ctxrt::main]
//! async fn main() {
//!     // One task, one context: alice reads "bob".
//!     let shared = ctxrt::join!(handle("alice"), handle("bob"));
//!     assert_eq!(shared, (Some("bob"), Some("bob")));
//!     // A context per future.
//!     let isolated = ctxrt::join!(handle("alice").isolated(), handle("bob").isolated());
//!     assert_eq!(isolated, (Some("alice"), Some("bob")));
//!     let scoped = ctxrt::join!(
//!         USER.scope_future("carol", async { USER.get() }),
//!         USER.scope_future("dave", async { USER.get() }),
//!     );
//!     assert_eq!(scoped, (Some("carol"), Some("dave")));
//! }
//! ```
#![warn(clippy::undocumented_unsafe_blocks)]

pub use ctxrt_context as context;
pub use ctxrt_context::{copy_context, Context, ContextFutureExt, ContextVar};
pub use ctxrt_macros::{main, test, traced};

mod blocking;
mod driver;
#[cfg(feature = "tower")]
pub mod http;
#[cfg(feature = "hyper")]
pub mod hyper;
pub mod io;
#[cfg(loom)]
#[doc(hidden)]
pub mod loom_internals;
pub mod net;
#[cfg_attr(feature = "opentelemetry", path = "otel/attach.rs")]
#[cfg_attr(not(feature = "opentelemetry"), path = "otel/none.rs")]
mod otel;
pub mod runtime;
mod scheduler;
#[cfg_attr(feature = "tracing", path = "span/inherit.rs")]
#[cfg_attr(not(feature = "tracing"), path = "span/none.rs")]
mod span;
pub mod sync;
pub mod task;
pub mod time;

pub use task::JoinHandle;

/// Waits on several futures at once, concurrently, inside the current task, and returns
/// all their outputs as a tuple (tokio's `join!`, re-exported; see below).
///
/// The futures share the task, and so its [`Context`]: a set by one is seen by the
/// others. Give each its own with [`ContextFutureExt::isolated`] or
/// [`ContextVar::scope_future`] when they set variables (see the crate docs).
///
/// # Examples
///
/// ```
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let (a, b) = ctxrt::join!(async { 1 }, ctxrt::spawn(async { 2 }));
///     assert_eq!((a, b.unwrap()), (1, 2));
/// }
/// ```
#[cfg(not(loom))]
pub use tokio_sync::join;

/// Like [`join!`] for futures that return `Result`: returns the first `Err` as soon as
/// one fails, else all the `Ok` values (tokio's `try_join!`, re-exported; see below).
///
/// # Examples
///
/// ```
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let ok: Result<(u8, u8), &str> = ctxrt::try_join!(async { Ok(1) }, async { Ok(2) });
///     assert_eq!(ok, Ok((1, 2)));
///     let failed: Result<(u8, u8), &str> =
///         ctxrt::try_join!(async { Ok(1) }, async { Err("no") });
///     assert_eq!(failed, Err("no"));
/// }
/// ```
#[cfg(not(loom))]
pub use tokio_sync::try_join;

/// Waits on several branches at once and runs the handler of the first to complete,
/// dropping the others (tokio's `select!`, re-exported with its full syntax; see below).
///
/// # Examples
///
/// ```
/// use ctxrt::sync::oneshot;
///
/// #[ctxrt::main]
/// async fn main() {
///     let (tx, rx) = oneshot::channel::<&str>();
///     ctxrt::spawn(async move { tx.send("first").unwrap() });
///     let winner = ctxrt::select! {
///         msg = rx => msg.unwrap(),
///         _ = std::future::pending::<()>() => unreachable!(),
///     };
///     assert_eq!(winner, "first");
/// }
/// ```
#[cfg(not(loom))]
pub use tokio_sync::select;

/// Pins a value on the stack, so a future can be polled by `&mut` in a loop or a
/// [`select!`] (tokio's `pin!`, re-exported; see below).
///
/// # Examples
///
/// ```
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let work = async { 5 };
///     ctxrt::pin!(work);
///     assert_eq!((&mut work).await, 5);
/// }
/// ```
#[cfg(not(loom))]
pub use tokio_sync::pin;

use std::future::Future;

use scheduler::SchedulerShared;

/// Threads that start in a copy of the spawner's context, inside the spawner's runtime.
pub mod thread {
    use crate::sync::JoinHandle;

    /// Spawns an OS thread that runs `f` in a copy of the caller's context
    /// (`task_private` vars excepted, as [`ctxrt_context::thread::spawn`]) and, if the
    /// caller is in a ctxrt runtime, with that runtime entered, so [`crate::spawn`] and
    /// [`crate::spawn_blocking`] work there.
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::ContextVar;
    ///
    /// static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
    ///
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let task = rt.block_on(async {
    ///     REQUEST_ID.set(7);
    ///     // The thread sees the context, and can spawn onto the runtime.
    ///     ctxrt::thread::spawn(|| ctxrt::spawn(async { REQUEST_ID.get() }))
    ///         .join()
    ///         .unwrap()
    /// });
    /// assert_eq!(rt.block_on(task).unwrap(), Some(7));
    /// ```
    pub fn spawn<F, T>(f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let runtime = crate::runtime::Handle::try_current().ok();
        let span = crate::span::ThreadSpan::capture();
        let otel = crate::otel::ThreadOtel::capture();
        ctxrt_context::thread::spawn(move || {
            let _entered = runtime.as_ref().map(crate::runtime::Handle::enter);
            otel.run(|| span.run(f))
        })
    }
}

/// Spawns `future` as a new task on the current runtime, in a snapshot of the caller's
/// context (`task_private` vars excepted), and returns its [`JoinHandle`].
///
/// # Panics
///
/// Outside a runtime (no task, `block_on`, blocking job or `Runtime::enter` here).
///
/// # Examples
///
/// ```
/// use ctxrt::ContextVar;
/// static USER: ContextVar<&'static str> = ContextVar::new("user");
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     USER.set("ada");
///     let task = ctxrt::spawn(async { USER.get() });
///     USER.set("grace"); // after the spawn: the task does not see it
///     assert_eq!(task.await.unwrap(), Some("ada"));
/// }
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let context = Context::inherited();
    // On a worker, its scheduler is at hand without touching the handle's refcount,
    // unless another runtime was entered inside the task: the entered handle wins. The
    // future moves into the closure and comes back only if there is no such worker.
    let spawned = scheduler::with_current_worker(move |worker| match worker {
        Some((shared, _)) if runtime::enter::current_is(shared) => {
            Ok(SchedulerShared::spawn(shared, future, context))
        }
        _ => Err((future, context)),
    });
    match spawned {
        Ok(join) => join,
        Err((future, context)) => runtime::with_current_scheduler(|shared| {
            SchedulerShared::spawn(shared, future, context)
        }),
    }
}

/// [`spawn`] with a name (`task::Builder`).
#[track_caller]
pub(crate) fn spawn_named<F>(
    future: F,
    name: Option<Box<task::raw::TaskName>>,
) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let context = Context::inherited();
    let spawned = scheduler::with_current_worker(move |worker| match worker {
        Some((shared, _)) if runtime::enter::current_is(shared) => {
            Ok(SchedulerShared::spawn_named(shared, future, context, name))
        }
        _ => Err((future, context, name)),
    });
    match spawned {
        Ok(join) => join,
        Err((future, context, name)) => runtime::with_current_scheduler(|shared| {
            SchedulerShared::spawn_named(shared, future, context, name)
        }),
    }
}

/// Runs `f` on the current runtime's blocking pool, in a snapshot of the caller's context
/// taken now, and returns its [`JoinHandle`].
///
/// # Panics
///
/// Outside a runtime.
///
/// # Examples
///
/// ```
/// use ctxrt::ContextVar;
/// static TRACE: ContextVar<u64> = ContextVar::new("trace");
///
/// #[ctxrt::main]
/// async fn main() {
///     TRACE.set(99);
///     let seen = ctxrt::spawn_blocking(|| TRACE.get()).await.unwrap();
///     assert_eq!(seen, Some(99));
/// }
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match runtime::Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(f),
        Err(_) => panic!(
            "ctxrt::spawn_blocking was called outside a ctxrt runtime: call it from a task, \
             from inside block_on, from a blocking job, or under Runtime::enter() (or use \
             Handle::spawn_blocking on a runtime's handle)"
        ),
    }
}

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
