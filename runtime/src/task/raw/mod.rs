//! The task core: one allocation holding a future, its output slot and its [`Context`],
//! driven by a state word; the waker, the JoinHandle and AbortHandle over it, the task
//! id, the cooperative budget and the owned-task list. This layer sits *below* the
//! scheduler: nothing here names `crate::scheduler`, `crate::runtime` or
//! `crate::blocking`. It reaches whoever runs a task through one trait, [`Schedule`]
//! (tokio's `runtime/task` + `Schedule` is the model), whose implementation is a type
//! parameter of the task cell (`Cell<F, S>`): the calls the harness makes are static, and
//! a waker, which knows only the header, reaches it through the task's `Vtable`, which it
//! loads anyway.
//!
//! # Layering
//!
//! ```text
//!   ctxrt::spawn, task::{spawn_with_context, Builder, JoinSet, LocalSet,   public API
//!   block_in_place, yield_now}  (lib.rs, task/*.rs)                        (above the runtime)
//!        │                                       │
//!        ▼                                       ▼
//!   runtime/ (Runtime, Handle, Builder) ◄──► scheduler/ ◄──► blocking.rs   the runtime
//!        │        implements Schedule for Arc<SchedulerShared>
//!        │        (LocalSet implements it for Arc<LocalShared>)
//!        ▼
//!   task/raw/: cell, state, harness, waker, abort, join, id, error, coop,  the task core
//!   list (owned tasks)  ── Schedule ──► (up, through the trait only)
//!        │
//!        ▼
//!   sync/ (the loom shim), span/, otel/, ctxrt-context
//! ```
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
//! 1. A spawner (`scheduler::SchedulerShared::spawn`, `LocalSet`, the blocking pool)
//!    allocates the cell (`RawTask::new`) with `NOTIFIED`, its references (JoinHandle,
//!    queue entry, owned list) and the spawner's inherited context, links it in its
//!    owned list ([`OwnedTasks`]) and queues it.
//! 2. A worker pops the entry and claims the task: `State::transition_to_running`
//!    (`harness::run`). It enters the task's context and polls the future.
//! 3. `Pending`: `State::transition_to_idle`. The context stays in the cell with the sets
//!    the poll made; nothing of it stays on the worker.
//! 4. A wake: `State::transition_to_notified_by_val/by_ref` (`waker.rs`) hands a new entry
//!    to [`Schedule::schedule`], unless the task is running (then the poller re-queues it
//!    once, after step 3: `TransitionToIdle::OkNotified`, through [`Schedule::yield_now`]
//!    or [`Schedule::defer`], so it is never queued before its context is stored).
//! 5. `Ready` or a panic: the future is dropped inside the context, the output (or
//!    `JoinError`) stored (a detached task's output dropped, inside the context too),
//!    `State::transition_to_complete` publishes it, the context is dropped (after the
//!    output, inside it, if the JoinHandle went during the completion) and the JoinHandle
//!    woken (`harness::complete`); the task leaves the owned list ([`Schedule::release`]).
//! 6. `JoinHandle::abort` sets `CANCELLED` (re-queueing an idle task); runtime shutdown
//!    claims idle tasks with `State::transition_to_shutdown`. Either way the future is
//!    dropped in its context and the JoinHandle gets a cancelled `JoinError`.
//! 7. The last reference dropped frees the cell (`harness::dealloc`).
//!
//! # Access rules (each `// SAFETY:` about a task cites one as "rule N in task/raw/mod.rs")
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
//! 6. The future adapters of the task module (`Unconstrained`, `LocalSet`'s `RunUntil`) pin
//!    their inner future structurally: it is reached only through `Pin::map_unchecked_mut`
//!    in their `poll`, never moved out and never exposed by `&mut`, and they have no
//!    `Drop` impl that could move it.
//! 7. A `LocalSet` task (scheduler `Arc<LocalShared>`, `task/local.rs`), whose future and
//!    output need not be `Send`, is spawned, polled and cancelled only on its set's
//!    thread, and its future and context are dropped there: only `&LocalSet` or that
//!    thread's current set reach its queue's consumer end and its owned list, and a task
//!    leaves the list only once its future is gone. Its other references (queue entries,
//!    wakers, a `Send` JoinHandle or AbortHandle) may be dropped anywhere: by then they
//!    free nothing `!Send`.
//! 8. A task's scheduler (the `S` in its cell) lives as long as the cell. A [`Schedule`]
//!    method handed a `Notified` may see the task run and freed, its scheduler field
//!    with it, as soon as it queues the entry: it must not touch `self` after that (it
//!    clones what it still needs first). The other methods are called by a holder of a
//!    reference, so `self` outlives them.
//!
//! [`Context`]: ctxrt_context::Context

use std::fmt;

mod abort;
mod cell;
pub(crate) mod coop;
mod error;
mod harness;
pub(crate) mod id;
mod join;
mod list;
pub(crate) mod state;
pub(crate) mod waker;

pub use abort::AbortHandle;
pub(crate) use cell::{Notified, RawTask, TaskName};
pub use error::JoinError;
pub use join::JoinHandle;
pub(crate) use list::OwnedTasks;

/// Whoever runs a task: the one door from the task core up to a scheduler (rule 8).
///
/// Implemented by the runtime's scheduler (`Arc<SchedulerShared>`, `scheduler/mod.rs`)
/// and by `LocalSet` (`Arc<LocalShared>`, `task/local.rs`). A task's cell stores its
/// scheduler as a type parameter, so the harness calls these methods statically; a
/// waker reaches [`schedule`](Schedule::schedule) through the task's `Vtable`.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Queues a task woken from outside its own poll (a waker, an abort). On the
    /// scheduler's own worker it runs next (the LIFO slot).
    fn schedule(&self, task: Notified);

    /// Re-queues a task that was woken by someone else while it ran, once its poll stored
    /// its context: behind the work already queued, so others get a turn.
    fn yield_now(&self, task: Notified);

    /// Re-queues a task that woke itself during its poll (a `yield_now`, an exhausted
    /// budget): run when the worker has nothing else to do.
    fn defer(&self, task: Notified);

    /// Unlinks a finished task from the owned list; true if it was still linked (the
    /// caller then owns the list's reference).
    fn release(&self, task: RawTask) -> bool;

    /// A task is about to be published complete (`Builder::on_task_terminate`).
    fn task_terminated(&self, _id: Id) {}

    /// A task's poll panicked (`UnhandledPanic::ShutdownRuntime`). Called with the panic
    /// caught around it: it may drop user values.
    fn unhandled_panic(&self) {}
}

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
