//! Tasks: one allocation holding a future, its output slot and its [`Context`], driven by
//! a state word, and the user-facing handles to them.
//!
//! # Lifecycle
//!
//! ```text
//!   spawn ──(1)──► QUEUED ──(2)──► RUNNING ──(3)──► IDLE
//!                    ▲               │  │             │
//!                    └──────(4)──────┼──┼─────────────┘
//!                                    │  (5)
//!                   abort/shutdown   │   ▼
//!                  ─────(6)────────► COMPLETE ──(7)──► freed
//! ```
//!
//! 1. `scheduler::SchedulerShared::spawn` allocates the cell (`RawTask::new`) with
//!    `NOTIFIED`, three references (JoinHandle, queue entry, owned list) and the spawner's
//!    inherited context, links it in the owned list and queues it.
//! 2. A worker pops the entry and claims the task: `State::transition_to_running`
//!    (`harness::run`). It enters the task's context and polls the future.
//! 3. `Pending`: `State::transition_to_idle`. The context stays in the cell with the sets
//!    the poll made; nothing of it stays on the worker.
//! 4. A wake: `State::transition_to_notified_by_val/by_ref` (`waker.rs`) queues a new entry,
//!    unless the task is running (then the poller re-queues it once, after step 3:
//!    `TransitionToIdle::OkNotified`, so it is never queued before its context is stored).
//! 5. `Ready` or a panic: the future is dropped inside the context, the output (or
//!    `JoinError`) stored (a detached task's output dropped, inside the context too),
//!    `State::transition_to_complete` publishes it, the context is dropped (after the
//!    output, inside it, if the JoinHandle went during the completion) and the JoinHandle
//!    woken (`harness::complete`); the task leaves the owned list.
//! 6. `JoinHandle::abort` sets `CANCELLED` (re-queueing an idle task); runtime shutdown
//!    claims idle tasks with `State::transition_to_shutdown`. Either way the future is
//!    dropped in its context and the JoinHandle gets a cancelled `JoinError`.
//! 7. The last reference dropped frees the cell (`harness::dealloc`).
//!
//! # Access rules (each `// SAFETY:` in `raw.rs`, `harness.rs`, `waker.rs` cites one)
//!
//! 1. Only the thread that set `RUNNING` (via `transition_to_running` or
//!    `transition_to_shutdown`) touches the future stage and the context, until it clears
//!    `RUNNING` or sets `COMPLETE`.
//! 2. Every use of a task pointer is backed by a reference the user holds: the JoinHandle,
//!    an `AbortHandle`, a queued `Notified`, a `Waker`, or the owned list. The cell is freed by whoever drops
//!    the last one, and by nobody else.
//! 3. After `COMPLETE`, the output belongs to the JoinHandle if `JOIN_INTEREST` was set at
//!    completion (it reads or drops it); otherwise the completer drops it.
//! 4. The join-waker field belongs to the JoinHandle while `JOIN_WAKER` is clear; while it
//!    is set the field is read-only, and the completer reads it to wake the JoinHandle,
//!    then clears `JOIN_WAKER`. The stored waker is dropped as soon as nobody needs it: by
//!    the JoinHandle's drop if `JOIN_WAKER` is clear then (it clears both bits together
//!    on an incomplete task), else by the completer once it finds `JOIN_INTEREST` gone.
//!    A waker kept until the cell is freed could hold the very task that holds the
//!    JoinHandle (a task awaiting itself or a peer awaiting it): a reference cycle.
//! 5. A task's owned-list links are touched only under the lock of its list shard.
//! 6. The future adapters of this module (`Unconstrained`, `LocalSet`'s `RunUntil`) pin
//!    their inner future structurally: it is reached only through `Pin::map_unchecked_mut`
//!    in their `poll`, never moved out and never exposed by `&mut`, and they have no
//!    `Drop` impl that could move it.
//! 7. A `LocalSet` task (`Owner::Local`, `local.rs`), whose future and output need not be
//!    `Send`, is spawned, polled and cancelled only on its set's thread, and its future
//!    and context are dropped there: only `&LocalSet` or that thread's current set reach
//!    its queue's consumer end and its owned list, and a task leaves the list only once
//!    its future is gone. Its other references (queue entries, wakers, a `Send`
//!    JoinHandle or AbortHandle) may be dropped anywhere: by then they free nothing
//!    `!Send`.

use std::fmt;
use std::future::Future;

use ctxrt_context::Context;

mod abort;
mod block_in_place;
mod builder;
pub(crate) mod coop;
mod error;
mod harness;
mod id;
mod join;
mod join_set;
pub(crate) mod local;
pub(crate) mod raw;
pub(crate) mod state;
pub(crate) mod waker;
pub(crate) use waker::signal_waker;
mod yield_now;

pub use abort::AbortHandle;
pub use block_in_place::block_in_place;
pub use builder::Builder;
pub use coop::{consume_budget, unconstrained, Unconstrained};
pub use error::JoinError;
pub use id::{id, try_id};
pub use join::JoinHandle;
pub use join_set::JoinSet;
pub use local::{spawn_local, LocalEnterGuard, LocalSet, RunUntil};
pub use yield_now::yield_now;

pub use crate::otel::without_otel_inheritance;
pub use crate::span::without_span_inheritance;

/// A task's id: unique among the tasks of one runtime.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let handle = rt.spawn(async {});
/// println!("spawned task {}", handle.id());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(pub(crate) u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

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
