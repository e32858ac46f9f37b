//! The typed half of a task: polling, completing, cancelling, handing the output to the
//! JoinHandle, and freeing. Each function is reached through the task's `Vtable` and obeys
//! the access rules numbered in `task/raw/mod.rs`. Everything is generic over the future
//! `F` and the task's scheduler `S`, so the calls into the scheduler ([`Schedule`]) are
//! static.

use std::any::Any;
use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{self, Poll, Waker};

use ctxrt_context::Context;

use super::cell::{Cell, Header, Notified, RawTask, Stage, Vtable};
use super::current;
use super::error::Failure;
use super::state::{TransitionToIdle, TransitionToRunning};
use super::waker::waker_ref;
use super::{JoinError, Schedule};

/// The vtable for futures of type `F` run by a scheduler of type `S`; `TRACED` for a task
/// whose context may carry an inherited span or OTel context (set at spawn,
/// `RawTask::cell`). An untraced task's functions are the same code as without the
/// `tracing`/`opentelemetry` features: they never look for either.
pub(crate) fn vtable<F, S, const TRACED: bool>() -> &'static Vtable
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    &Vtable {
        run: run::<F, S, TRACED>,
        schedule: schedule::<F, S>,
        shutdown: shutdown::<F, S, TRACED>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        dealloc: dealloc::<F, S>,
    }
}

/// The typed cell behind a header pointer.
///
/// # Safety
///
/// `ptr` must come from `RawTask::new::<F, S>` (or `new_local`) and the caller must hold a
/// reference (rule 2).
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the header is at offset 0 of a live `Cell<F, S>` (repr(C); caller's
    // contract).
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

unsafe fn schedule<F: Future, S: Schedule>(ptr: NonNull<Header>) {
    // SAFETY: called through this task's vtable with a reference the caller hands over.
    let cell = unsafe { cell::<F, S>(ptr) };
    // That reference becomes the entry's; `schedule` does not touch the scheduler field
    // after queueing it (rule 8).
    cell.scheduler
        .schedule(Notified::from_raw(RawTask::from_header(ptr)));
}

unsafe fn run<F: Future, S: Schedule, const TRACED: bool>(ptr: NonNull<Header>) {
    // SAFETY: called through this task's vtable with the Notified's reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    let raw = RawTask::from_header(ptr);
    match cell.header.state.transition_to_running() {
        TransitionToRunning::Success => {}
        TransitionToRunning::Cancelled => {
            cancel_future::<F, S, TRACED>(cell);
            return complete::<F, S, TRACED>(cell, raw);
        }
        TransitionToRunning::Failed => return,
        // SAFETY: the transition dropped the last reference.
        TransitionToRunning::Dealloc => return unsafe { raw.dealloc() },
    }
    // We hold RUNNING: the stage and context are ours (rule 1).
    let waker = waker_ref(raw);
    let mut cx = task::Context::from_waker(&waker);
    // The task is marked polled, its id current and its budget fresh in one bracket;
    // poll_future catches panics, so `polling` always restores them.
    let task = raw.header_ptr().as_ptr() as *const ();
    let (polled, self_woken) = current::polling(task, cell.header.id, || {
        poll_future::<F, S, TRACED>(cell, &mut cx)
    });
    if polled.is_ready() {
        return complete::<F, S, TRACED>(cell, raw);
    }
    match cell.header.state.transition_to_idle(self_woken) {
        TransitionToIdle::Ok => {}
        // The poller's reference becomes the entry's (rule 8 for the scheduler field).
        TransitionToIdle::OkNotified if self_woken => cell.scheduler.defer(Notified::from_raw(raw)),
        TransitionToIdle::OkNotified => cell.scheduler.yield_now(Notified::from_raw(raw)),
        // SAFETY: the transition dropped the last reference.
        TransitionToIdle::OkDealloc => unsafe { raw.dealloc() },
        TransitionToIdle::Cancelled => {
            cancel_future::<F, S, TRACED>(cell);
            complete::<F, S, TRACED>(cell, raw);
        }
    }
}

/// Polls the future once inside the task's context. On `Ready` (or a panic) the future is
/// dropped, still inside the context, and the output stored. Requires RUNNING (rule 1).
///
/// A `Ready` future is dropped in the same entry of the context as the poll (one
/// `in_context` per finishing poll, not two); its drop's panic is caught on its own and
/// becomes the result, and the output it replaces is dropped there too, its panics caught.
#[inline(always)]
fn poll_future<F: Future, S: Schedule, const TRACED: bool>(
    cell: &Cell<F, S>,
    cx: &mut task::Context<'_>,
) -> Poll<()> {
    let polled = panic::catch_unwind(AssertUnwindSafe(|| {
        // The id and the budget are already set (`current::polling`, in `run`).
        in_context_with_id_set::<F, S, _, TRACED>(cell, || {
            // A poll that panics drops its future during the unwind, inside the context,
            // as tokio does: its `Drop`s see `std::thread::panicking()`.
            let guard = DropFutureOnUnwind(cell);
            let polled = cell.stage.with_mut(|stage| {
                // SAFETY: RUNNING gives this thread exclusive access to the stage (rule 1).
                let stage = unsafe { &mut *stage };
                let Stage::Running(future) = stage else {
                    unreachable!("a task was polled after its future finished");
                };
                // SAFETY: the future lives in the heap cell and is never moved until it
                // is dropped in place, so it is pinned.
                unsafe { Pin::new_unchecked(future) }.poll(cx)
            });
            mem::forget(guard);
            match polled {
                Poll::Pending => Poll::Pending,
                Poll::Ready(output) => Poll::Ready(drop_finished(cell, output)),
            }
        })
    }));
    let output = match polled {
        Ok(Poll::Pending) => return Poll::Pending,
        Ok(Poll::Ready(output)) => output,
        Err(payload) => {
            // The guard already dropped the future.
            set_stage(cell, Stage::Finished(Err(Failure::panic(payload))));
            // `UnhandledPanic::ShutdownRuntime`; its drops' panics must not unwind here.
            caught(|| cell.scheduler.unhandled_panic());
            return Poll::Ready(());
        }
    };
    set_stage(cell, Stage::Finished(output));
    Poll::Ready(())
}

/// Drops the future that just returned `output`, in the task's context (the caller is
/// inside it). A panic in its drop becomes the result, and `output`, which it replaces, is
/// dropped there too, its panics caught. Requires RUNNING (rule 1).
#[inline(always)]
fn drop_finished<F: Future, S>(cell: &Cell<F, S>, output: F::Output) -> Result<F::Output, Failure> {
    match panic::catch_unwind(AssertUnwindSafe(|| set_stage(cell, Stage::Consumed))) {
        Ok(()) => Ok(output),
        Err(payload) => {
            discard(panic::catch_unwind(AssertUnwindSafe(move || drop(output))));
            Err(Failure::panic(payload))
        }
    }
}

/// Dropped only by an unwinding poll (a normal return forgets it): drops the future
/// there and then, still inside the task's context. A second panic, from the future's
/// own `Drop`, is caught here: unwinding out of a destructor during a panic would abort.
struct DropFutureOnUnwind<'a, F: Future, S>(&'a Cell<F, S>);

impl<F: Future, S> Drop for DropFutureOnUnwind<'_, F, S> {
    fn drop(&mut self) {
        let cell = self.0;
        caught(|| set_stage(cell, Stage::Consumed));
    }
}

/// Drops the future inside the task's context and stores the cancelled (or panicked)
/// result. Requires RUNNING (rule 1).
fn cancel_future<F: Future, S, const TRACED: bool>(cell: &Cell<F, S>) {
    let output = match drop_future::<F, S, TRACED>(cell) {
        Ok(()) => Err(Failure::cancelled()),
        Err(payload) => Err(Failure::panic(payload)),
    };
    set_stage(cell, Stage::Finished(output));
}

/// Replaces the stage with `Consumed` inside the task's context, catching a panicking drop.
fn drop_future<F: Future, S, const TRACED: bool>(
    cell: &Cell<F, S>,
) -> Result<(), Box<dyn Any + Send>> {
    in_context_caught::<F, S, TRACED>(cell, || set_stage(cell, Stage::Consumed))
}

/// Runs `f` inside the task's context, catching its panic. Requires RUNNING (rule 1).
fn in_context_caught<F: Future, S, const TRACED: bool>(
    cell: &Cell<F, S>,
    f: impl FnOnce(),
) -> Result<(), Box<dyn Any + Send>> {
    panic::catch_unwind(AssertUnwindSafe(|| in_context::<F, S, _, TRACED>(cell, f)))
}

/// Runs `f`, which drops user values, so that no panic of theirs unwinds into the
/// runtime: a worker must survive any user panic (issue 8, defect 5).
fn caught(f: impl FnOnce()) {
    discard(panic::catch_unwind(AssertUnwindSafe(f)));
}

/// Drops a caught panic's payload; a payload whose own drop panics is leaked instead of
/// unwinding into the runtime.
fn discard(result: Result<(), Box<dyn Any + Send>>) {
    if let Err(payload) = result {
        if let Err(again) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            mem::forget(again);
        }
    }
}

/// Runs `f` with the task's context entered and its id marked. Requires RUNNING (rule 1).
fn in_context<F: Future, S, R, const TRACED: bool>(cell: &Cell<F, S>, f: impl FnOnce() -> R) -> R {
    super::id::with_task_id(cell.header.id, || {
        in_context_with_id_set::<F, S, R, TRACED>(cell, f)
    })
}

/// Runs `f` with the task's context entered; the caller has marked the task's id
/// (`current::polling` or `id::with_task_id`). Requires RUNNING (rule 1).
#[inline(always)]
fn in_context_with_id_set<F: Future, S, R, const TRACED: bool>(
    cell: &Cell<F, S>,
    f: impl FnOnce() -> R,
) -> R {
    cell.context.with_mut(|context| {
        // SAFETY: RUNNING gives this thread exclusive access to the context (rule 1).
        run_in::<R, TRACED>(unsafe { &mut *context }, f)
    })
}

/// `Context::run`; for a traced task (its vtable's `TRACED`: it may carry an inherited
/// span, `tracing`, span/, or OTel context, `opentelemetry`, otel/), inside the span and
/// with the OTel context attached. Without either feature no task is traced and this is
/// `Context::run`.
#[inline(always)]
fn run_in<R, const TRACED: bool>(context: &mut Context, f: impl FnOnce() -> R) -> R {
    if TRACED {
        crate::otel::run_in(context, |context| crate::span::run_in(context, f))
    } else {
        context.run(f)
    }
}

/// Whether dropping the stage runs no code: it holds a successful output of a type
/// without drop glue, or nothing. Requires RUNNING, or the completing poller's exclusive
/// access (rules 1 and 3).
#[inline]
fn output_drop_is_trivial<F: Future, S>(cell: &Cell<F, S>) -> bool {
    cell.stage.with(|stage| {
        // SAFETY: the caller has exclusive access to the stage (rules 1 and 3); this only
        // reads it.
        match unsafe { &*stage } {
            Stage::Finished(Ok(_)) => !mem::needs_drop::<F::Output>(),
            Stage::Consumed => true,
            Stage::Running(_) | Stage::Finished(Err(_)) => false,
        }
    })
}

fn set_stage<F: Future, S>(cell: &Cell<F, S>, stage: Stage<F>) {
    cell.stage.with_mut(|slot| {
        // SAFETY: the callers hold RUNNING, or are the JoinHandle of a complete task
        // (rules 1 and 3): exclusive access to the stage.
        unsafe { *slot = stage }
    });
}

/// The future is gone and its result stored: publish COMPLETE, hand the result to the
/// JoinHandle (or drop it), leave the owned list, drop the poller's reference.
fn complete<F: Future, S: Schedule, const TRACED: bool>(cell: &Cell<F, S>, raw: RawTask) {
    let state = &cell.header.state;
    // `Builder::on_task_terminate`, before anyone can see the task finished.
    cell.scheduler.task_terminated(cell.header.id);
    let detached = !state.load().is_join_interested();
    if detached {
        // Detached (JOIN_INTEREST never comes back): nobody will read the output, so it is
        // dropped here (rule 3), inside the task's context like the future, so its drop
        // sees the task's bindings and its sets land in the task's context, not on this
        // thread. An output whose drop runs no code (`()`, any `Copy` value: most
        // detached tasks) is dropped without entering the context: nothing could see it.
        if output_drop_is_trivial(cell) {
            set_stage(cell, Stage::Consumed);
        } else {
            discard(in_context_caught::<F, S, TRACED>(cell, || {
                set_stage(cell, Stage::Consumed)
            }));
        }
    }
    // The context is taken out while still RUNNING (rule 1) but released only after
    // COMPLETE is published: a JoinHandle dropped between the check above and that
    // publication leaves the output to us (rule 3), and it must be dropped inside the
    // task's context too (issue 8, defect 9), so the context must still exist then. It is
    // released before the JoinHandle is woken, so whoever that wakes finds the task's
    // bindings released (step 5 in task/raw/mod.rs).
    let mut context = cell.context.with_mut(|context| {
        // SAFETY: still RUNNING: exclusive access to the context (rule 1).
        mem::take(unsafe { &mut *context })
    });
    let prev = state.transition_to_complete();
    if !prev.is_join_interested() && !detached {
        // The JoinHandle was dropped after the check above: the output is ours to drop
        // (rule 3), inside the task's context (and span, and OTel context), its panics
        // caught.
        discard(panic::catch_unwind(AssertUnwindSafe(|| {
            super::id::with_task_id(cell.header.id, || {
                run_in::<_, TRACED>(&mut context, || set_stage(cell, Stage::Consumed))
            })
        })));
    }
    drop_context(context);
    if prev.is_join_interested() && prev.is_join_waker_set() {
        cell.join_waker.with(|waker| {
            // SAFETY: JOIN_WAKER was set when COMPLETE was published, so the JoinHandle
            // can no longer write the field; we only read it (rule 4).
            let waker = unsafe { &*waker };
            if let Some(waker) = waker {
                // A user's waker may panic; it must not unwind into the worker.
                caught(|| waker.wake_by_ref());
            }
        });
        // Hand the field back; if the JoinHandle went meanwhile, its waker is ours to drop
        // now (it may hold the task that owned the JoinHandle: a reference cycle).
        if !state.unset_waker_after_complete().is_join_interested() {
            caught(|| drop_join_waker(cell));
        }
    }
    // We still hold the poller's reference: the scheduler field is alive (rule 8).
    let released_from_list = cell.scheduler.release(raw);
    let refs = 1 + usize::from(released_from_list);
    if cell.header.state.transition_to_terminal(refs) {
        // SAFETY: those were the last references.
        unsafe { raw.dealloc() };
    }
}

/// Drops a finished task's context; a panicking value drop must not unwind into the worker.
fn drop_context(context: Context) {
    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(context)));
}

unsafe fn shutdown<F: Future, S: Schedule, const TRACED: bool>(ptr: NonNull<Header>) {
    // SAFETY: the caller claimed the task via transition_to_shutdown (RUNNING is set) and
    // hands over one reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    cancel_future::<F, S, TRACED>(cell);
    complete::<F, S, TRACED>(cell, RawTask::from_header(ptr));
}

unsafe fn try_read_output<F: Future, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker) {
    // SAFETY: called by the task's JoinHandle, which holds a reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    if !can_read_output(cell, waker) {
        return;
    }
    let stage = cell.stage.with_mut(|stage| {
        // SAFETY: COMPLETE with join interest: the JoinHandle owns the stage (rule 3).
        mem::replace(unsafe { &mut *stage }, Stage::Consumed)
    });
    let Stage::Finished(output) = stage else {
        panic!("a JoinHandle was polled again after it returned Ready");
    };
    let dst = dst as *mut Poll<Result<F::Output, JoinError>>;
    // SAFETY: the caller passes a valid `Poll<Result<F::Output, JoinError>>` (contract of
    // RawTask::try_read_output); the old value is `Pending`, which owns nothing.
    unsafe { *dst = Poll::Ready(output.map_err(|failure| failure.with_id(cell.header.id))) };
}

/// True if the output is ready; otherwise stores `waker` to be woken on completion
/// (rule 4: the JoinHandle writes the waker field only while JOIN_WAKER is clear).
fn can_read_output<F: Future, S>(cell: &Cell<F, S>, waker: &Waker) -> bool {
    let state = &cell.header.state;
    let snapshot = state.load();
    if snapshot.is_complete() {
        return true;
    }
    if snapshot.is_join_waker_set() {
        let same = cell.join_waker.with(|current| {
            // SAFETY: JOIN_WAKER is set: the field is shared read-only (rule 4).
            let current = unsafe { &*current };
            current.as_ref().is_some_and(|w| w.will_wake(waker))
        });
        if same {
            return false;
        }
        if state.unset_join_waker().is_err() {
            return true;
        }
    }
    // JOIN_WAKER is clear: the JoinHandle owns the field (rule 4).
    cell.join_waker.with_mut(|slot| {
        // SAFETY: JOIN_WAKER is clear, so only the JoinHandle touches the field.
        unsafe { *slot = Some(waker.clone()) }
    });
    if state.set_join_waker().is_ok() {
        return false;
    }
    // Completed meanwhile: take the waker back and read the output.
    cell.join_waker.with_mut(|slot| {
        // SAFETY: the publish failed, so JOIN_WAKER is still clear and the field ours.
        unsafe { *slot = None }
    });
    true
}

unsafe fn drop_join_handle<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: called by the JoinHandle's drop, which hands over its reference.
    let cell = unsafe { cell::<F, S>(ptr) };
    let dropped = cell.header.state.transition_to_join_handle_dropped();
    if dropped.drop_output {
        // Complete before we lost interest: the output is ours to drop (rule 3).
        caught(|| set_stage(cell, Stage::Consumed));
    }
    if dropped.drop_waker {
        // JOIN_WAKER is clear: the field is ours (rule 4). Dropping the waker now breaks
        // the cycle of a task that awaited its own (or a peer's) JoinHandle.
        caught(|| drop_join_waker(cell));
    }
    RawTask::from_header(ptr).drop_reference();
}

/// Drops the stored join waker. The caller owns the field (rule 4).
fn drop_join_waker<F: Future, S>(cell: &Cell<F, S>) {
    let waker = cell.join_waker.with_mut(|slot| {
        // SAFETY: the caller owns the field: JOIN_WAKER is clear and either the task is
        // incomplete and JOIN_INTEREST gone (the JoinHandle's drop), or the task is
        // complete and JOIN_INTEREST gone (the completer) (rule 4).
        unsafe { (*slot).take() }
    });
    drop(waker);
}

unsafe fn dealloc<F: Future, S>(ptr: NonNull<Header>) {
    // SAFETY: no references remain, so this is the only access; the pointer came from
    // `Box::leak` of a `Box<Cell<F, S>>` in RawTask::allocate (its vtable is this one).
    drop(unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) });
}
