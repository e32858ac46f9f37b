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
//! 5. **Spare cells.** A [`Spare`] (one per thread, in the context slot) keeps at most one
//!    value cell that a reset or unbinding displaced, so that the next binding of the
//!    same var reuses its allocation instead of a `malloc`/`free` pair per cycle (the
//!    "set after a snapshot" and "scoped set of an unbound var" paths). A cell is parked
//!    only if its var's `T` has no drop glue (so the stale `T` it keeps, and dropping the
//!    cell it replaces, run no user code) and it is the only handle (nothing else can
//!    reach it: no map, token or snapshot; the read view was invalidated by the change
//!    that displaced it, rule 2 in `view.rs`; and the caller parks nothing while a `with`
//!    callback is lent a value, rule 7 there). It is keyed by the var id it was bound
//!    under, so by invariant 4 it holds that var's `T`; reuse goes through
//!    [`unique_mut`], which checks uniqueness again. This file has no `unsafe` beyond
//!    `unique_mut`.

use std::any::Any;
use std::cell::Cell;
use std::mem;
use std::sync::atomic::{fence, Ordering};

use crate::sync::{self, Arc, ErasedValue};

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

/// A thread's spare value cell (invariant 5): the var id it was bound under, and the cell.
pub(crate) struct Spare(Cell<Option<(u64, ErasedValue)>>);

impl Spare {
    /// No spare cell.
    pub(crate) const fn new() -> Spare {
        Spare(Cell::new(None))
    }

    /// Exchanges the cells of `self` and `other` (emptying a thread's slot at exit).
    #[cfg(not(loom))]
    pub(crate) fn swap(&self, other: &Spare) {
        self.0.swap(&other.0);
    }

    /// `value` as var `id`'s new cell: the spare one if it was var `id`'s (no allocation),
    /// else a new one. `T` must be var `id`'s type (invariant 4).
    #[inline]
    pub(crate) fn erase<T: Send + Sync + 'static>(&self, id: u64, value: T) -> ErasedValue {
        if !mem::needs_drop::<T>() {
            if let Some((parked_id, mut cell)) = self.0.take() {
                if parked_id == id {
                    if let Some(slot) = unique_mut::<T>(&mut cell) {
                        // The stale `T` has no drop glue (invariant 5).
                        *slot = value;
                        return cell;
                    }
                }
                self.0.set(Some((parked_id, cell)));
            }
        }
        sync::erase(value)
    }

    /// Drops `cell`, var `id`'s displaced value, or parks it for the next binding of var
    /// `id` if that is allowed (invariant 5). Call after releasing the context slot, and
    /// never while a `with` callback is lent a value. `T` must be var `id`'s type.
    #[inline]
    pub(crate) fn park<T: 'static>(&self, id: u64, cell: ErasedValue) {
        if mem::needs_drop::<T>() || Arc::strong_count(&cell) != 1 {
            drop(cell);
            return;
        }
        // The cell this replaces (if any) holds a `T` without drop glue too.
        drop(self.0.replace(Some((id, cell))));
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::erase;

    #[test]
    fn a_parked_cell_is_reused_by_the_same_var_only() {
        let spare = Spare::new();
        let cell = spare.erase(7, 1u64);
        let at = Arc::as_ptr(&cell);
        spare.park::<u64>(7, cell);
        let other = spare.erase(8, 2u64);
        assert!(!std::ptr::addr_eq(Arc::as_ptr(&other), at), "another var's");
        let reused = spare.erase(7, 3u64);
        assert!(std::ptr::addr_eq(Arc::as_ptr(&reused), at), "reused");
        assert_eq!(reused.downcast_ref::<u64>(), Some(&3));
        // Shared cells and values with drop glue are never parked.
        let shared = reused.clone();
        spare.park::<u64>(7, reused);
        assert!(!std::ptr::addr_eq(Arc::as_ptr(&spare.erase(7, 4u64)), at));
        drop(shared);
        assert!(
            spare.0.take().is_none(),
            "the shared cell was dropped, not parked"
        );
        let string = spare.erase(9, String::from("s"));
        spare.park::<String>(9, string);
        assert!(
            spare.0.take().is_none(),
            "a String has drop glue: not parked"
        );
    }

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
