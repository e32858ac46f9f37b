//! Loom's primitives (`cfg(loom)`); see the contract in `sync/mod.rs`.

use std::any::Any;

use crate::context::ThreadSlot;
use crate::view::ReadView;

pub(crate) use loom::sync::Arc;
pub(crate) use loom::thread::JoinHandle;

/// A bound value: type-erased, shared between every snapshot that holds the binding.
pub(crate) type ErasedValue = Arc<dyn Any + Send + Sync>;

/// Erases `value` into a shareable binding value (loom's `Arc` cannot coerce to `dyn`,
/// so the std `Arc` is made first and handed to loom to track).
pub(crate) fn erase<T: Any + Send + Sync>(value: T) -> ErasedValue {
    let std_arc: std::sync::Arc<dyn Any + Send + Sync> = std::sync::Arc::new(value);
    Arc::from_std(std_arc)
}

loom::thread_local! {
    /// The current context of this loom thread.
    static CURRENT: ThreadSlot = ThreadSlot::new();
}

loom::thread_local! {
    /// This loom thread's read cache over its current context.
    static VIEW: ReadView = ReadView::new();
}

/// Runs `f` with this loom thread's read view.
pub(crate) fn with_view<R>(f: impl FnOnce(&ReadView) -> R) -> R {
    VIEW.with(f)
}

/// Like [`with_view`], but `None` once the loom thread's locals are destroyed.
pub(crate) fn try_with_view<R>(f: impl FnOnce(&ReadView) -> R) -> Option<R> {
    VIEW.try_with(f).ok()
}

/// Runs `f` with this loom thread's current-context slot.
pub(crate) fn with_frame<R>(f: impl FnOnce(&ThreadSlot) -> R) -> R {
    CURRENT.with(f)
}

/// [`with_frame`] for a change of values already in the slot (the std twin skips a check
/// here).
pub(crate) fn with_registered_frame<R>(f: impl FnOnce(&ThreadSlot) -> R) -> R {
    CURRENT.with(f)
}

/// [`with_frame`] for swapping a context in or out (the std twin skips a check here).
pub(crate) fn with_frame_for_switch<R>(f: impl FnOnce(&ThreadSlot) -> R) -> R {
    CURRENT.with(f)
}

/// Like [`with_frame`], but `None` once the thread's locals are destroyed.
pub(crate) fn try_with_frame<R>(f: impl FnOnce(&ThreadSlot) -> R) -> Option<R> {
    CURRENT.try_with(f).ok()
}

/// Starts a loom thread running `f`.
pub(crate) fn spawn_thread<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    loom::thread::spawn(f)
}
