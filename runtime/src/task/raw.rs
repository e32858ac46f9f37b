//! One task, one allocation: the [`Header`], the task's [`Context`], the join waker and
//! the future/output stage, laid out as one `#[repr(C)]` cell; and the type-erased
//! handles to it ([`RawTask`], [`Notified`]).
//!
//! Nothing is over-aligned: the cell is as large as its fields need (about 100 bytes plus
//! the future for a pending task), where a cache-line-aligned header would round every
//! task up to 128 or 256 bytes.

use std::future::Future;
use std::ptr::NonNull;
use std::task::Waker;

use ctxrt_context::Context;

use super::harness;
use super::state::State;
use super::{Id, JoinError};
use crate::scheduler::owned::Links;
use crate::scheduler::SchedulerShared;
use crate::sync::{Arc, UnsafeCell};
use crate::task::local::LocalShared;

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
    /// Where wakes re-queue the task and whose owned list holds it; `None` for a
    /// `LocalSet` task, whose set is found through the vtable ([`RawTask::owner`]).
    /// Immutable after spawn.
    pub(crate) scheduler: Option<Arc<SchedulerShared>>,
    /// The owned-task list's links (rule 5 in `task/mod.rs`).
    pub(crate) links: UnsafeCell<Links>,
}

/// Who runs a task: a runtime's scheduler, or a `LocalSet` (`task/local.rs`) whose
/// thread alone polls and drops it (rule 7 in `task/mod.rs`).
pub(crate) enum Owner<'a> {
    Runtime(&'a Arc<SchedulerShared>),
    Local(&'a Arc<LocalShared>),
}

/// A `LocalSet` task's allocation: the common cell (header at offset 0), then its set.
/// Kept out of `Header` so a runtime's tasks do not pay for it.
#[repr(C)]
pub(crate) struct LocalCell<F: Future> {
    pub(crate) cell: Cell<F>,
    pub(crate) local: Arc<LocalShared>,
}

/// A task's name (`task::Builder::name`), boxed behind one thin pointer in the header.
pub(crate) struct TaskName(pub(crate) Box<str>);

/// What a task's stage holds.
pub(crate) enum Stage<F: Future> {
    /// The future, not yet finished.
    Running(F),
    /// The output, waiting for the JoinHandle.
    Finished(Result<F::Output, JoinError>),
    /// Nothing: the output was taken or dropped.
    Consumed,
}

/// The whole task allocation. `repr(C)` puts the header at offset 0, so a
/// `NonNull<Header>` and a `NonNull<Cell<F>>` are the same pointer.
#[repr(C)]
pub(crate) struct Cell<F: Future> {
    pub(crate) header: Header,
    /// The task's own context: entered around each poll (rule 1).
    pub(crate) context: UnsafeCell<Context>,
    /// The JoinHandle's waker (rule 4).
    pub(crate) join_waker: UnsafeCell<Option<Waker>>,
    /// The future, then its output (rules 1 and 3).
    pub(crate) stage: UnsafeCell<Stage<F>>,
}

/// The operations that need the future's type.
pub(crate) struct Vtable {
    /// Runs the task for one queued `Notified` (consumes its reference).
    pub(crate) run: unsafe fn(NonNull<Header>),
    /// Cancels a task claimed by `transition_to_shutdown` (consumes one reference).
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
    /// Moves the output into `*dst` (a `Poll<Result<F::Output, JoinError>>`) if complete,
    /// else registers the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// The JoinHandle is dropped (consumes its reference).
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Frees the cell.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// A `LocalSet` task's set (a `LocalCell`'s `local`); `None` for a runtime's task.
    pub(crate) local_set: Option<LocalSetFn>,
}

/// Finds a `LocalSet` task's set from its header pointer (`Vtable::local_set`).
pub(crate) type LocalSetFn = unsafe fn(NonNull<Header>) -> NonNull<Arc<LocalShared>>;

/// An untyped pointer to a task; owns nothing by itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

impl RawTask {
    /// Allocates a task holding `refs` references, already `NOTIFIED`.
    pub(crate) fn new<F>(
        future: F,
        context: Context,
        scheduler: Arc<SchedulerShared>,
        id: Id,
        name: Option<Box<TaskName>>,
        refs: usize,
    ) -> RawTask
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let cell = Box::new(Self::cell(future, context, Some(scheduler), id, name, refs));
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    /// Allocates a `LocalSet` task (`task/local.rs`), which need not be `Send`.
    ///
    /// # Safety
    ///
    /// The caller upholds rule 7 in `task/mod.rs`: the task is spawned on the `LocalSet`'s
    /// thread, and only that thread polls it and drops its future and its context.
    pub(crate) unsafe fn new_local<F>(
        future: F,
        context: Context,
        local: Arc<LocalShared>,
        id: Id,
        name: Option<Box<TaskName>>,
        refs: usize,
    ) -> RawTask
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let mut cell = Self::cell(future, context, None, id, name, refs);
        cell.header.vtable = harness::local_vtable::<F>();
        let cell = Box::new(LocalCell { cell, local });
        let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
        RawTask { ptr }
    }

    fn cell<F>(
        future: F,
        context: Context,
        scheduler: Option<Arc<SchedulerShared>>,
        id: Id,
        name: Option<Box<TaskName>>,
        refs: usize,
    ) -> Cell<F>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // With `tracing`, the spawner's current span (span/inherit.rs); with
        // `opentelemetry`, its current OTel context (otel/attach.rs). `TRACE` records
        // whether the context carries either, so polls of a task without skip both.
        let context = crate::otel::capture(crate::span::capture(context));
        let trace = crate::span::carried(&context) || crate::otel::carried(&context);
        Cell {
            header: Header {
                state: State::new_traced(refs, trace),
                vtable: harness::vtable::<F>(),
                id,
                name,
                scheduler,
                links: UnsafeCell::new(Links::default()),
            },
            context: UnsafeCell::new(context),
            join_waker: UnsafeCell::new(None),
            stage: UnsafeCell::new(Stage::Running(future)),
        }
    }

    /// Who runs this task. Valid while the caller holds a reference (rule 2).
    pub(crate) fn owner(&self) -> Owner<'_> {
        let header = self.header();
        match (&header.scheduler, header.vtable.local_set) {
            (Some(scheduler), _) => Owner::Runtime(scheduler),
            (None, Some(local_set)) => {
                // SAFETY: a task without a scheduler was made by `new_local` as a
                // `LocalCell`, whose vtable's `local_set` reads it through this pointer
                // (which has the whole allocation's provenance); the caller's reference
                // keeps it alive (rule 2) and the field is immutable.
                Owner::Local(unsafe { local_set(self.ptr).as_ref() })
            }
            (None, None) => unreachable!("a task with neither a scheduler nor a LocalSet"),
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
        // task/mod.rs), so the cell is allocated; the header is only read through `&`.
        unsafe { self.ptr.as_ref() }
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
// and all shared fields are accessed under the rules in task/mod.rs, so a queued task may
// be run or dropped on any thread. A `LocalSet` task's entry may be queued or dropped on
// any thread, but run only on its set's thread, and its future and context are dropped
// there before its last reference can go elsewhere (rule 7).
unsafe impl Send for Notified {}

impl Notified {
    /// Wraps a reference the caller owns and hands over.
    pub(crate) fn from_raw(raw: RawTask) -> Notified {
        Notified { raw }
    }

    /// The task this entry is for.
    pub(crate) fn raw(&self) -> RawTask {
        self.raw
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
        // Header, context, join waker and the stage of a zero-sized future: no padding to
        // a cache line. This is what 1,000,000 pending tasks cost each, before malloc's own
        // per-chunk overhead.
        let size = std::mem::size_of::<Cell<std::future::Pending<()>>>();
        assert!(size <= 128, "a pending task's cell grew to {size} bytes");
        assert_eq!(std::mem::align_of::<Cell<std::future::Pending<()>>>(), 8);
    }
}
