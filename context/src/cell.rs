//! Value cells: a bound value is an [`ErasedValue`] (`Arc<dyn Any + Send + Sync>`), shared
//! by refcount between the current context, snapshots, tokens and `with` callbacks. This
//! file holds the one operation on a cell that safe `Arc` makes slow: mutating a value
//! only the current context holds.
//!
//! `Arc::get_mut` proves uniqueness with a locked compare-and-swap (it must lock out
//! `Weak` upgrades), and a scoped set needs two of them (overwrite, then restore): ~5 ns
//! each here, more than tokio's whole `sync_scope`. [`unique_mut`] proves it with one
//! load instead, which is sound because of these invariants:
//!
//! 1. **No `Weak`.** No `Weak` is ever made from an `ErasedValue` (nothing in this crate
//!    calls `Arc::downgrade`, and the type is crate-private), so the strong count is the
//!    number of handles to the value.
//! 2. **Exclusive handle.** [`unique_mut`] takes `&mut ErasedValue`: the caller holds this
//!    handle exclusively. If the strong count is 1 it is the only handle in the process,
//!    and no other can appear while the `&mut` lives (a new one needs a `clone` of this
//!    one).
//! 3. **Happens-before.** A count of 1 read with `Relaxed` may have been written by
//!    another thread's `Release` decrement when it dropped its handle; the `Acquire` fence
//!    after the load synchronises with it, so that thread's last reads of the value
//!    happen before our writes (the same pairing `Arc`'s own drop uses).
//! 4. **Type.** [`unique_mut`] is called only by the binding maps, for the entry of one var
//!    id, with that var's `T` (the `ContextVar<T>` code that asks for it passes its own
//!    id and type). Every value bound under an id was erased from a `T` by that same
//!    `ContextVar<T>` (`set`, `scope`, `Context::with_value` all take the var and a `T`),
//!    and var ids are unique in the process, never reused and belong to exactly one
//!    `ContextVar<T>` — the same rule the read view's casts rely on (rule 4 in
//!    `view.rs`). So the value is a `T` and the cast needs no `TypeId` check, which is an
//!    indirect call through the `dyn Any` vtable (~13 Ir, twice per scoped set). Debug
//!    builds (the test suites, AddressSanitizer included) still check it.

use std::any::Any;
use std::sync::atomic::{fence, Ordering};

use crate::sync::{Arc, ErasedValue};

/// The value in `cell` as `&mut T` if this handle is its only one (then writing to it is
/// invisible to every snapshot, token and callback), else `None`.
///
/// `T` must be the type of the var whose entry `cell` is (invariant 4); debug builds
/// check it and panic otherwise.
#[inline(always)]
pub(crate) fn unique_mut<T: 'static>(cell: &mut ErasedValue) -> Option<&mut T> {
    if Arc::strong_count(cell) != 1 {
        return None;
    }
    fence(Ordering::Acquire);
    debug_assert!(
        (**cell).is::<T>(),
        "a binding holds a value of another type than its var's"
    );
    let value: *mut (dyn Any + Send + Sync) = Arc::as_ptr(cell).cast_mut();
    // SAFETY: this is the only handle to the value (invariants 1 and 2) and it is borrowed
    // mutably for the returned lifetime, so no other reference to the value exists or can
    // be made meanwhile; the fence orders earlier accesses from other threads before ours
    // (invariant 3). `Arc::as_ptr` points at the live value inside the allocation, and
    // that value is a `T` (invariant 4), so the thin cast is exact.
    Some(unsafe { &mut *value.cast::<T>() })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::erase;

    #[test]
    fn only_a_unique_handle_is_mutable() {
        let mut cell = erase(5u64);
        *unique_mut::<u64>(&mut cell).unwrap() = 6;
        let other = cell.clone();
        assert!(unique_mut::<u64>(&mut cell).is_none(), "shared");
        drop(other);
        assert_eq!(unique_mut::<u64>(&mut cell).copied(), Some(6));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "another type")]
    fn debug_builds_check_the_type() {
        let mut cell = erase(5u64);
        let _ = unique_mut::<u32>(&mut cell);
    }
}
