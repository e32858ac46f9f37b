//! Tasks: the public API for spawning and handling them (`ctxrt::task`).
//!
//! Two layers live here, kept apart as tokio keeps `src/task/` apart from
//! `src/runtime/task/`:
//! - **the task core**, `raw` (`task/raw/`): the task cell, its state word, the harness
//!   that polls and completes it, the waker, `JoinHandle`, `AbortHandle`, `JoinError`,
//!   the task id, the cooperative budget and the owned-task list. It sits *below* the
//!   scheduler and reaches it only through the `raw::Schedule` trait; its module header
//!   holds the task lifecycle and the numbered access rules every task `// SAFETY:` cites
//!   ("rule N in task/raw/mod.rs"), and the layering diagram.
//! - **the API above the runtime**, the files of this directory: [`spawn_with_context`]
//!   (and `ctxrt::spawn` in `lib.rs`), [`Builder`], [`JoinSet`], [`LocalSet`] (which
//!   implements `Schedule` for its own tasks), [`block_in_place`] and [`yield_now`].
//!   These may use the runtime, the scheduler and the blocking pool; the core may not.

use std::future::Future;

use ctxrt_context::Context;

mod block_in_place;
mod builder;
mod join_set;
pub(crate) mod local;
pub(crate) mod raw;
mod yield_now;

pub(crate) use raw::coop;
pub use raw::coop::{consume_budget, unconstrained, Unconstrained};
pub use raw::id::{id, try_id};
pub use raw::{AbortHandle, Id, JoinError, JoinHandle};

pub use block_in_place::block_in_place;
pub use builder::Builder;
pub use join_set::JoinSet;
pub use local::{spawn_local, LocalEnterGuard, LocalSet, RunUntil};
pub use yield_now::yield_now;

pub use crate::otel::without_otel_inheritance;
pub use crate::span::without_span_inheritance;

/// Spawns `future` on the current runtime in the given `context` instead of a snapshot of
/// the caller's (asyncio's `create_task(context=...)`).
///
/// The task's sets land in its own copy of `context`; the caller never sees them.
///
/// # Panics
///
/// Outside a ctxrt runtime (no task, `block_on` or `Runtime::enter` on this thread).
///
/// # Examples
///
/// ```
/// use ctxrt::{Context, ContextVar};
///
/// static TENANT: ContextVar<&'static str> = ContextVar::new("tenant");
///
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let ctx = Context::new().with_value(&TENANT, "acme");
///     let seen = ctxrt::task::spawn_with_context(ctx, async { TENANT.get() }).await.unwrap();
///     assert_eq!(seen, Some("acme"));
///     assert_eq!(TENANT.get(), None);
/// }
/// ```
#[track_caller]
pub fn spawn_with_context<F>(context: Context, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    crate::runtime::with_current_scheduler(|scheduler| {
        crate::scheduler::SchedulerShared::spawn(scheduler, future, context)
    })
}
