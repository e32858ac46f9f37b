//! The task waker: a `RawWakerVTable` over the task's own reference count.
//!
//! The data pointer is the task's header; a waker owns one reference (rule 2 in
//! `task/raw/mod.rs`). Waking runs the `state.rs` transition and, when it says so, hands a
//! `Notified` to the task's scheduler through its vtable (`RawTask::schedule`, then
//! [`Schedule::schedule`](super::Schedule::schedule)). No allocation, and every refcount
//! change is an atomic from the `sync` shim, so loom follows it.
//!
//! Also here: [`arc_waker`], a waker over any `Arc` of an [`ArcWake`] type (`JoinSet`
//! entries, the scheduler's `block_on` signal).
//!
//! Self-wakes are cheaper: while a thread polls a task, `POLLING` names it, and a
//! `wake_by_ref` of that very task on that thread (a yield, an exhausted budget) only
//! raises a flag there. The poller reads the flag when the poll returns and folds it into
//! the transition it makes anyway (`State::transition_to_idle(true)`), saving a CAS on the
//! state word per self-wake.

use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::cell::{Header, RawTask};
use super::state::TransitionToNotified;
use crate::sync::{thread_local_const, Arc};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// The task this thread is polling (null if none), and whether it woke itself.
#[derive(Clone, Copy)]
struct Polling {
    task: *const (),
    self_woken: bool,
}

thread_local_const! {
    static POLLING: Cell<Polling> = const {
        Cell::new(Polling { task: std::ptr::null(), self_woken: false })
    };
}

/// Runs `poll` (the poll of task `raw`, which must not unwind) with `raw` marked as this
/// thread's polling task; returns its result and whether the task woke itself meanwhile.
#[inline(always)]
pub(crate) fn polling<R>(raw: RawTask, poll: impl FnOnce() -> R) -> (R, bool) {
    let task = raw.header_ptr().as_ptr() as *const ();
    let previous = POLLING.with(|cell| {
        cell.replace(Polling {
            task,
            self_woken: false,
        })
    });
    let result = poll();
    let self_woken = POLLING.with(|cell| cell.replace(previous).self_woken);
    (result, self_woken)
}

/// If this thread is polling the task `data`, records a self-wake; true if it did.
fn record_self_wake(data: *const ()) -> bool {
    POLLING
        .try_with(|cell| {
            let mut polling = cell.get();
            if polling.task != data {
                return false;
            }
            polling.self_woken = true;
            cell.set(polling);
            true
        })
        .unwrap_or(false)
}

/// A waker for the task being polled, borrowing the poller's reference (never dropped).
pub(crate) fn waker_ref(raw: RawTask) -> ManuallyDrop<Waker> {
    let data = raw.header_ptr().as_ptr() as *const ();
    // SAFETY: the vtable's functions uphold the RawWaker contract for a header pointer;
    // the ManuallyDrop keeps this borrowed waker from dropping a reference it doesn't own.
    ManuallyDrop::new(unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) })
}

fn raw_of(data: *const ()) -> RawTask {
    // SAFETY: wakers are only made by `waker_ref` and `clone`, from header pointers, which
    // are never null.
    RawTask::from_header(unsafe { NonNull::new_unchecked(data as *mut Header) })
}

unsafe fn clone(data: *const ()) -> RawWaker {
    raw_of(data).header().state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    let raw = raw_of(data);
    match raw.header().state.transition_to_notified_by_val() {
        // The waker's reference becomes the queue entry's.
        TransitionToNotified::Submit => raw.schedule(),
        // SAFETY: the transition dropped this waker's reference and it was the last.
        TransitionToNotified::Dealloc => unsafe { raw.dealloc() },
        TransitionToNotified::DoNothing => {}
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    if record_self_wake(data) {
        return;
    }
    let raw = raw_of(data);
    match raw.header().state.transition_to_notified_by_ref() {
        // The transition took a new reference for the queue entry.
        TransitionToNotified::Submit => raw.schedule(),
        TransitionToNotified::DoNothing | TransitionToNotified::Dealloc => {}
    }
}

unsafe fn drop_waker(data: *const ()) {
    raw_of(data).drop_reference();
}

/// Something woken through an `Arc` (a `JoinSet` entry): what [`arc_waker`] calls.
pub(crate) trait ArcWake: Send + Sync + 'static {
    /// Handles one wake; the waker keeps its reference.
    fn wake_by_ref(this: &Arc<Self>);
}

/// A waker that owns one reference to `target` and calls [`ArcWake::wake_by_ref`] on wakes.
pub(crate) fn arc_waker<W: ArcWake>(target: Arc<W>) -> Waker {
    let data = Arc::into_raw(target) as *const ();
    // SAFETY: the vtable's functions treat `data` as a pointer from `Arc::into_raw` of an
    // `Arc<W>` and keep its count balanced: this waker owns the reference leaked into it.
    unsafe { Waker::from_raw(RawWaker::new(data, ArcWakeVtable::<W>::get())) }
}

struct ArcWakeVtable<W>(std::marker::PhantomData<W>);

impl<W: ArcWake> ArcWakeVtable<W> {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        arc_clone::<W>,
        arc_wake::<W>,
        arc_wake_by_ref::<W>,
        arc_drop::<W>,
    );

    fn get() -> &'static RawWakerVTable {
        &Self::VTABLE
    }
}

unsafe fn arc_clone<W: ArcWake>(data: *const ()) -> RawWaker {
    // SAFETY: `data` came from Arc::into_raw and this waker still owns its reference, so
    // the Arc is alive; ManuallyDrop keeps that reference, the clone makes a new one.
    let target = ManuallyDrop::new(unsafe { Arc::from_raw(data as *const W) });
    let clone: Arc<W> = Arc::clone(&target);
    RawWaker::new(Arc::into_raw(clone) as *const (), ArcWakeVtable::<W>::get())
}

unsafe fn arc_wake<W: ArcWake>(data: *const ()) {
    // SAFETY: consumes the reference this waker owns (wake takes the waker by value).
    let target = unsafe { Arc::from_raw(data as *const W) };
    W::wake_by_ref(&target);
}

unsafe fn arc_wake_by_ref<W: ArcWake>(data: *const ()) {
    // SAFETY: borrows the waker's reference without consuming it (ManuallyDrop).
    let target = ManuallyDrop::new(unsafe { Arc::from_raw(data as *const W) });
    W::wake_by_ref(&target);
}

unsafe fn arc_drop<W: ArcWake>(data: *const ()) {
    // SAFETY: releases the reference this waker owns.
    drop(unsafe { Arc::from_raw(data as *const W) });
}
