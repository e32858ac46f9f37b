//! The real primitives (every build but `cfg(loom)`); see the contract in `sync/mod.rs`.

use std::any::Any;
use std::cell::Cell;
use std::mem::ManuallyDrop;

use crate::context::ThreadSlot;
use crate::view::ReadView;

pub(crate) use std::sync::Arc;
pub(crate) use std::thread::JoinHandle;

/// A bound value: type-erased, shared between every snapshot that holds the binding.
pub(crate) type ErasedValue = Arc<dyn Any + Send + Sync>;

/// Erases `value` into a shareable binding value.
#[inline]
pub(crate) fn erase<T: Any + Send + Sync>(value: T) -> ErasedValue {
    Arc::new(value)
}

/// This thread's context state: the read view and the current-context slot together, in
/// one `const` thread-local without destructor, so that reaching either is a plain TLS
/// access with no lazy-init or destroyed-state check, and entering a context (two per task
/// poll) computes the thread-local's address once.
///
/// The slot's values still drop at thread exit: the first change that may put values in the
/// slot ([`with_frame`]) registers [`Reaper`], a second thread-local whose destructor empties
/// the slot. Until then the slot holds only what a `Context::run` moved in and takes back
/// before it returns, so there is nothing to drop.
struct Local {
    view: ReadView,
    slot: ManuallyDrop<ThreadSlot>,
    /// [`UNREGISTERED`], [`REGISTERED`] or [`REAPED`].
    reaper: Cell<u8>,
}

/// No change made yet on this thread: [`Reaper`] is not registered.
const UNREGISTERED: u8 = 0;
/// [`Reaper`] is registered: the slot will be emptied at thread exit.
const REGISTERED: u8 = 1;
/// The thread is exiting and the slot was emptied: no more changes (they would never drop).
const REAPED: u8 = 2;

std::thread_local! {
    static LOCAL: Local = const {
        Local {
            view: ReadView::new(),
            slot: ManuallyDrop::new(ThreadSlot::new()),
            reaper: Cell::new(UNREGISTERED),
        }
    };
}

/// Empties this thread's context slot when the thread exits (see [`Local`]).
struct Reaper;

std::thread_local! {
    static REAPER: Reaper = const { Reaper };
}

impl Drop for Reaper {
    fn drop(&mut self) {
        LOCAL.with(|local| {
            local.reaper.set(REAPED);
            // The values about to drop may run destructors that read vars: the view must
            // forget them first (rule 2 in `view.rs`), and they see an empty context.
            crate::view::invalidate_at_exit();
            let taken = local.slot.take_all();
            drop(taken);
        });
    }
}

/// Runs `f` with this thread's read view (never fails: the view has no destructor).
#[inline(always)]
pub(crate) fn with_view<R>(f: impl FnOnce(&ReadView) -> R) -> R {
    LOCAL.with(|local| f(&local.view))
}

/// Like [`with_view`]; `None` never happens with std (kept for the loom twin's shape).
#[inline]
pub(crate) fn try_with_view<R>(f: impl FnOnce(&ReadView) -> R) -> Option<R> {
    Some(with_view(f))
}

/// Runs `f` with this thread's current-context slot, to change what it holds.
///
/// Panics once the thread's locals are being destroyed (a var set from a TLS destructor
/// after the slot was emptied: the value could never be dropped).
#[inline(always)]
pub(crate) fn with_frame<R>(f: impl FnOnce(&ThreadSlot) -> R) -> R {
    LOCAL.with(|local| {
        if local.reaper.get() != REGISTERED {
            register_reaper(local);
        }
        f(&local.slot)
    })
}

/// [`with_frame`] without the reaper check, for the inline fast paths of a set and its
/// reset (`var/change.rs`), which change only values already in the slot's detached
/// overlay: only a change made through [`with_frame`] (which registered the reaper) can
/// have put them there, and the reaper's emptying takes them out. Anything else must go
/// through [`with_frame`].
#[inline(always)]
pub(crate) fn with_registered_frame<R>(f: impl FnOnce(&ThreadSlot) -> R) -> R {
    LOCAL.with(|local| f(&local.slot))
}

#[cold]
#[inline(never)]
fn register_reaper(local: &Local) {
    if local.reaper.get() == REAPED {
        panic!(
            "a ContextVar was set from a thread-local destructor after this thread's \
             context was dropped; set vars before the thread starts exiting"
        );
    }
    REAPER.with(|_| ());
    local.reaper.set(REGISTERED);
}

/// Runs `f` with this thread's current-context slot to swap a context in or out: no
/// registration check, since a swap leaves the slot holding what it held.
#[inline(always)]
pub(crate) fn with_frame_for_switch<R>(f: impl FnOnce(&ThreadSlot) -> R) -> R {
    LOCAL.with(|local| f(&local.slot))
}

/// Like [`with_frame`] without registering, for reads; `None` once the thread's context
/// was dropped at exit.
#[inline(always)]
pub(crate) fn try_with_frame<R>(f: impl FnOnce(&ThreadSlot) -> R) -> Option<R> {
    LOCAL.with(|local| (local.reaper.get() != REAPED).then(|| f(&local.slot)))
}

/// Starts an OS thread running `f`.
pub(crate) fn spawn_thread<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    std::thread::spawn(f)
}
