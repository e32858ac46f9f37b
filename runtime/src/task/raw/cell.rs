//! One task, one allocation: the [`Header`], the task's scheduler (any [`Schedule`]), its
//! [`Context`], the join waker and the future/output stage, laid out as one `#[repr(C)]`
//! cell; and the type-erased handles to it ([`RawTask`], [`Notified`]). The access rules
//! every `// SAFETY:` here cites are in `task/raw/mod.rs`.
//!
//! Nothing is over-aligned: the cell is as large as its fields need (about 100 bytes plus
//! the future for a pending task), where a cache-line-aligned header would round every
//! task up to 128 or 256 bytes.

use std::future::Future;
use std::ptr::NonNull;
use std::task::Waker;

use ctxrt_context::Context;

use super::error::Failure;
use super::harness;
use super::list::Links;
use super::state::State;
use super::{Id, Schedule};
use crate::sync::UnsafeCell;

/// The type-independent part of a task, at offset 0 of its cell.
pub(crate) struct Header {
    /// Flags and reference count (`state.rs`).
    pub(crate) state: State,
    /// The functions that know the future's type.
    pub(crate) vtable: &'static Vtable,
    /// Runtime-unique id, for `JoinError` messages and `JoinHandle::id`.
    pub(crate) id: Id,
    /// The name given by `task::Builder::name`, if any: one thin pointer, so unnamed
    /// tasks pay 8 bytes. Immutable after spawn.
    pub(crate) name: Option<Box<TaskName>>,
    /// The owned-task list's links (rule 5 in `task/raw/mod.rs`).
    pub(crate) links: UnsafeCell<Links>,
}

/// A task's name (`task::Builder::name`), boxed behind one thin pointer in the header.
pub(crate) struct TaskName(pub(crate) Box<str>);

/// What a task's stage holds.
pub(crate) enum Stage<F: Future> {
    /// The future, not yet finished.
    Running(F),
    /// The output, waiting for the JoinHandle (a failure gets the task's id when read).
    Finished(Result<F::Output, Failure>),
    /// Nothing: the output was taken or dropped.
    Consumed,
}

/// The whole task allocation. `repr(C)` puts the header at offset 0, so a
/// `NonNull<Header>` and a `NonNull<Cell<F, S>>` are the same pointer.
#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    /// Where wakes re-queue the task and whose owned list holds it: the runtime's
    /// scheduler or a `LocalSet`. Immutable after spawn; lives as long as the cell
    /// (rule 8).
    pub(crate) scheduler: S,
    /// The task's own context: entered around each poll (rule 1).
    pub(crate) context: UnsafeCell<Context>,
    /// The JoinHandle's waker (rule 4).
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
    /// The future, then its output (rules 1 and 3).
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

/// The operations that need the future's or the scheduler's type.
pub(crate) struct Vtable {
    /// Runs the task for one queued `Notified` (consumes its reference).
    pub(crate) run: unsafe fn(NonNull<Header>),
    /// Hands one reference, as a `Notified`, to the task's [`Schedule::schedule`].
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Cancels a task claimed by `transition_to_shutdown` (consumes one reference).
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    /// Moves the output into `*dst` (a `Poll<Result<F::Output, JoinError>>`) if complete,
    /// else registers the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The JoinHandle is dropped (consumes its reference).
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Frees the cell.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
}

/// An untyped pointer to a task; owns nothing by itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

impl RawTask {
    /// Allocates a task run by `scheduler`, holding `refs` references, already `NOTIFIED`.
    /// Inlined into each spawn path: with the `tracing`/`opentelemetry` captures in it the
    /// compiler otherwise keeps it out of line (a call per spawn that costs more than them).
    #[inline]
    pub(crate) fn new<F, S>(
        future: F,
        context: Context,
        scheduler: S,
        id: Id,
        name: Option<Box<TaskName>>,
        refs: usize,
    ) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        S: Schedule,
    {
        Self::allocate(Self::cell(future, context, scheduler, id, name, refs))
    }

    /// Allocates a `LocalSet` task (`task/local.rs`), which need not be `Send`.
    ///
    /// # Safety
    ///
    /// The caller upholds rule 7 in `task/raw/mod.rs`: the task is spawned on the
    /// `LocalSet`'s thread, and only that thread polls it and drops its future and its
    /// context.
    pub(crate) unsafe fn new_local<F, S>(
        future: F,
        context: Context,
        scheduler: S,
        id: Id,
        name: Option<Box<TaskName>>,
        refs: usize,
    ) -> RawTask
    where
        F: Future + 'static,
        F::Output: 'static,
        S: Schedule,
    {
        Self::allocate(Self::cell(future, context, scheduler, id, name, refs))
    }

    fn allocate<F: Future, S>(cell: Cell<F, S>) -> RawTask {
        let ptr = NonNull::from(Box::leak(Box::new(cell))).cast::<Header>();
        RawTask { ptr }
    }

    /// Always inlined: with the `tracing`/`opentelemetry` captures in it the compiler
    /// otherwise keeps it out of line, and the call (its frame, and the cell built in a
    /// return slot then copied) cost ~30 instructions per spawn, more than the captures.
    #[inline(always)]
    fn cell<F, S>(
        future: F,
        context: Context,
        scheduler: S,
        id: Id,
        name: Option<Box<TaskName>>,
        refs: usize,
    ) -> Cell<F, S>
    where
        F: Future + 'static,
        F::Output: 'static,
        S: Schedule,
    {
        // With `tracing`, the spawner's current span (span/inherit.rs); with
        // `opentelemetry`, its current OTel context (otel/attach.rs). A context that may
        // carry either gets the traced vtable, whose polls look for them; the other
        // tasks' polls are the same code as without the features.
        let context = crate::otel::capture(crate::span::capture(context));
        // Without either feature `INHERITS` is false and the traced vtable is never
        // instantiated (the branch is on constants).
        let vtable = if (crate::span::INHERITS || crate::otel::INHERITS)
            && (crate::span::carried(&context) || crate::otel::carried(&context))
        {
            harness::vtable::<F, S, true>()
        } else {
            harness::vtable::<F, S, false>()
        };
        Cell {
            header: Header {
                state: State::new(refs),
                vtable,
                id,
                name,
                links: UnsafeCell::new(Links::default()),
            },
            scheduler,
            context: UnsafeCell::new(context),
            join_waker: UnsafeCell::new(None),
            stage: UnsafeCell::new(Stage::Running(future)),
        }
    }

    /// Rebuilds a handle from a header pointer (a waker's data pointer).
    pub(crate) fn from_header(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    /// The header pointer.
    pub(crate) fn header_ptr(self) -> NonNull<Header> {
        self.ptr
    }

    /// The header. Valid while the caller holds a reference (rule 2).
    pub(crate) fn header(&self) -> &Header {
        // SAFETY: every RawTask in use is backed by a reference the caller holds (rule 2 in
        // task/raw/mod.rs), so the cell is allocated; the header is only read through `&`.
        unsafe { self.ptr.as_ref() }
    }

    /// Queues the task on its scheduler ([`Schedule::schedule`]), handing over one
    /// reference the caller owns (it becomes the queue entry's).
    pub(crate) fn schedule(self) {
        // SAFETY: the caller hands over one reference (rule 2), which becomes the
        // `Notified` that `schedule` passes on.
        unsafe { (self.header().vtable.schedule)(self.ptr) }
    }

    /// See [`Vtable::shutdown`].
    pub(crate) fn shutdown(self) {
        // SAFETY: the caller claimed the task with transition_to_shutdown and gives up one
        // reference (rule 2), which `shutdown` consumes.
        unsafe { (self.header().vtable.shutdown)(self.ptr) }
    }

    /// See [`Vtable::try_read_output`].
    ///
    /// # Safety
    ///
    /// `dst` must point to a valid `Poll<Result<T, JoinError>>` where `T` is the task's
    /// output type, and the caller must be the task's JoinHandle.
    pub(crate) unsafe fn try_read_output(self, dst: *mut (), waker: &Waker) {
        // SAFETY: forwarded from the caller's contract; the JoinHandle holds a reference.
        unsafe { (self.header().vtable.try_read_output)(self.ptr, dst, waker) }
    }

    /// See [`Vtable::drop_join_handle`]. Called once, by the JoinHandle's drop.
    pub(crate) fn drop_join_handle(self) {
        // SAFETY: the JoinHandle's reference is handed over and never used again.
        unsafe { (self.header().vtable.drop_join_handle)(self.ptr) }
    }

    /// Frees the cell.
    ///
    /// # Safety
    ///
    /// The caller dropped the last reference (a transition returned `Dealloc` or true).
    pub(crate) unsafe fn dealloc(self) {
        // SAFETY: no references remain (caller's contract), so nobody else can reach it.
        unsafe { (self.header().vtable.dealloc)(self.ptr) }
    }

    /// Drops one reference, freeing the task if it was the last.
    pub(crate) fn drop_reference(self) {
        if self.header().state.ref_dec() {
            // SAFETY: ref_dec returned true: that was the last reference.
            unsafe { self.dealloc() }
        }
    }
}

/// A task in a run queue; owns one reference.
pub(crate) struct Notified {
    raw: RawTask,
}

// SAFETY: a runtime task's future and output are `Send` (bounds on every spawn function),
// its scheduler is `Send + Sync` (bounds of `Schedule`), and all shared fields are
// accessed under the rules in task/raw/mod.rs, so a queued task may be run or dropped on
// any thread. A `LocalSet` task's entry may be queued or dropped on
// any thread, but run only on its set's thread, and its future and context are dropped
// there before its last reference can go elsewhere (rule 7).
unsafe impl Send for Notified {}

impl Notified {
    /// Wraps a reference the caller owns and hands over.
    pub(crate) fn from_raw(raw: RawTask) -> Notified {
        Notified { raw }
    }

    /// Runs the task; the reference goes with it.
    pub(crate) fn run(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: this Notified's reference is handed to `run`, which consumes it.
        unsafe { (raw.header().vtable.run)(raw.ptr) }
    }

    /// Cancels a queued task that will never run (runtime shutting down): its JoinHandle
    /// resolves with a cancelled `JoinError`.
    pub(crate) fn cancel(self) {
        let raw = self.raw;
        std::mem::forget(self);
        if raw.header().state.transition_to_shutdown() {
            raw.shutdown();
        } else {
            raw.drop_reference();
        }
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_pending_task_is_one_small_allocation() {
        // Header, context, join waker and the stage of a small future: no padding to a
        // cache line. This is what 1,000,000 pending tasks cost each: at most 120 bytes,
        // so that with glibc malloc's 8-byte chunk header a cell is one 128-byte chunk
        // (at 121 bytes it becomes a 144-byte one: +12.5 % per task, and neighbouring
        // cells then share cache lines, which costs the multi-thread rows time).
        // The scheduler field is one `Arc` for a runtime's or a `LocalSet`'s tasks.
        type PendingCell = Cell<std::future::Pending<()>, crate::sync::Arc<()>>;
        let size = std::mem::size_of::<PendingCell>();
        assert!(size <= 120, "a pending task's cell grew to {size} bytes");
        // An async fn awaiting `pending()` (the `memory: pending task` bench row's task)
        // keeps a state byte: still within the class.
        async fn parked() {
            std::future::pending::<()>().await
        }
        fn cell_size<F: Future>(_: &F) -> usize {
            std::mem::size_of::<Cell<F, crate::sync::Arc<()>>>()
        }
        let size = cell_size(&parked());
        assert!(
            size <= 120,
            "an async fn's pending cell grew to {size} bytes"
        );
        assert_eq!(std::mem::align_of::<PendingCell>(), 8);
    }
}
