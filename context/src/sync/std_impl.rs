//! The real primitives (every build but `cfg(loom)`); see the contract in `sync/mod.rs`.

use std::any::Any;

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

std::thread_local! {
    /// The current context of this thread. A thread starts in an empty context.
    static CURRENT: ThreadSlot = const { ThreadSlot::new() };
}

std::thread_local! {
    /// This thread's read cache over its current context. `const` and without a
    /// destructor, so reaching it is a plain TLS access with no state check.
    static VIEW: ReadView = const { ReadView::new() };
}

/// Runs `f` with this thread's read view (never fails: the view has no destructor).
#[inline(always)]
pub(crate) fn with_view<R>(f: impl FnOnce(&ReadView) -> R) -> R {
    VIEW.with(f)
}

/// Like [`with_view`]; `None` never happens with std (kept for the loom twin's shape).
#[inline]
pub(crate) fn try_with_view<R>(f: impl FnOnce(&ReadView) -> R) -> Option<R> {
    VIEW.try_with(f).ok()
}

/// Runs `f` with this thread's current-context slot.
///
/// Panics if the thread's locals are already destroyed (a var set from a TLS destructor).
#[inline]
pub(crate) fn with_frame<R>(f: impl FnOnce(&ThreadSlot) -> R) -> R {
    CURRENT.with(f)
}

/// Like [`with_frame`], but `None` once the thread's locals are destroyed.
#[inline]
pub(crate) fn try_with_frame<R>(f: impl FnOnce(&ThreadSlot) -> R) -> Option<R> {
    CURRENT.try_with(f).ok()
}

/// Starts an OS thread running `f`.
pub(crate) fn spawn_thread<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    std::thread::spawn(f)
}
