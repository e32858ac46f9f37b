//! The per-thread read view: a small cache in front of the current context, so that a
//! `get` that hits costs what a thread-local read costs.
//!
//! [`ReadView`] lives in the `sync` shim's thread-local, beside the context slot
//! ([`sync::with_view`]). That thread-local is `const`-initialised and has no destructor, so with std the compiler reaches it with a
//! plain TLS load: no lazy-init or destroyed-state check on the read path. It holds 16
//! [`CacheSlot`]s keyed by var id (`id % 16`), each remembering where the current context
//! keeps that var's value (or that the var is unbound there), stamped with the view's
//! `version` when it was filled. A slot is used only while its stamp equals the current
//! `version`; bumping `version` forgets every slot at once.
//!
//! Invariants (the `SAFETY` comments below cite them):
//! 1. **Stamps.** `version` starts at 1 and only grows; a slot whose `version` is not the
//!    view's is ignored. A never-filled slot has stamp 0, so it never hits.
//! 2. **Invalidation.** Every change of the current context's bindings (`set`, `reset`, a
//!    guard's restore), every switch of the current context (`Context::run` entering or
//!    leaving, hence every `Context::scope` poll and every runtime task poll) and the
//!    destruction of the thread's context slot calls [`invalidate`] *before* anything is
//!    changed. So a slot with the current stamp was filled from the context that is
//!    current now, with the bindings it has now.
//! 3. **Liveness.** A filled pointer points at the value inside the `Arc` that the current
//!    context's binding map holds for that var. That `Arc` is only dropped, replaced or
//!    written through a change covered by rule 2, so while the stamp is current the value
//!    is alive and unchanged. A value is never moved: maps move `Arc`s, not values. (A
//!    settle or an absorb in `bindings/overlay.rs` that merges a base away drops only
//!    values the overlay had shadowed or removed, which stopped being current through a
//!    change covered by rule 2; the current values keep their `Arc`s.)
//! 4. **Type.** A slot is filled only by `ContextVar<T>` code for its own id, with a `&T`
//!    obtained through a checked downcast. Var ids are unique in the process, never
//!    reused and belong to exactly one `ContextVar<T>`, so a slot keyed by a var's id
//!    holds a `*const T` of that var's `T`, and casting it back is exact.
//! 5. **No change while reading.** While a hit's `&T` is lent out (to `T::clone`, which
//!    is user code), `readers` is non-zero, and every change covered by rule 2 first
//!    checks [`is_reading`] and refuses (panics with guidance) instead of changing, as the
//!    `RefCell` borrow of the slow path does. So no lent `&T` is ever invalidated.
//! 6. **Filling.** Slots are filled only while the slot's frame is borrowed shared (so no
//!    change is in progress), from the entries of the current context.
//! 7. **Lending.** `ContextVar::with` lends a hit's `&T` to a callback that may itself set
//!    and reset vars and enter contexts, so rule 5 cannot hold it; [`lend`] counts it in
//!    `lending` instead. While `lending` is non-zero, every change of the current
//!    context's bindings (they all start with [`begin_change`], which reports it, or with
//!    [`begin_plain_change`], which leaves them to the general path then) keeps
//!    every value alive and in place: it never overwrites a value in place (no
//!    `cell::unique_mut`), and a value's `Arc` it displaces from the map is first cloned
//!    (or moved) into the thread slot's deferred list ([`defer`] sets `deferred`), so
//!    whatever holds the displaced `Arc` afterwards (a token, a guard, nothing) cannot
//!    free the value. The list is dropped only when `lending` is back to 0. Entering or
//!    leaving a context moves frames and settles maps, never drops a value, and the
//!    frame a lent value came from cannot be dropped while its thread runs the callback
//!    (it is the thread's own root frame, or held by a `Context::run` or a polled
//!    future below it on the stack). So a lent `&T` stays valid and unchanged until the
//!    callback returns, and [`lend`]'s guard ends the count even if it panics.
//!
//! Under `cfg(loom)` the view is one of loom's thread-locals, so the loom models run
//! through the same cache.

use std::cell::Cell;
use std::ptr;

use crate::sync;

/// The number of cache slots per thread (vars share them by id modulo this).
const SLOTS: usize = 16;

/// One remembered lookup: var `id` in the context current at stamp `version`.
struct CacheSlot {
    id: Cell<u64>,
    version: Cell<u64>,
    /// The var's `*const T` (rule 4), or null: unbound in that context.
    value: Cell<*const ()>,
}

/// A thread's read cache over its current context; see the module docs.
pub(crate) struct ReadView {
    /// The current stamp (rule 1).
    version: Cell<u64>,
    /// How many hits have a `&T` lent out right now (rule 5).
    readers: Cell<u32>,
    /// How many `with` callbacks hold a lent `&T` right now (rule 7).
    lending: Cell<u32>,
    /// Whether values wait in the thread slot's deferred list (rule 7).
    deferred: Cell<bool>,
    /// A hint for `bindings.rs` (its invariant 7), kept here because this thread-local is
    /// the cheapest to reach: one bit per map of the current context (`SHADOW_SHARED`,
    /// `SHADOW_PRIVATE`), set from when that map keeps a shared map as the base of an
    /// overlay until it keeps none. Not used by the view itself.
    shadowing: Cell<u8>,
    slots: [CacheSlot; SLOTS],
}

/// What a cached lookup found.
pub(crate) enum Cached<R> {
    /// The slot was current: the var was bound (`f` saw `Some`) or not (`f` saw `None`).
    Hit(R),
    /// Nothing current is remembered: look it up in the context.
    Miss,
}

impl ReadView {
    /// An empty view: nothing remembered, stamp 1.
    pub(crate) const fn new() -> ReadView {
        ReadView {
            version: Cell::new(1),
            readers: Cell::new(0),
            lending: Cell::new(0),
            deferred: Cell::new(false),
            shadowing: Cell::new(0),
            slots: [const {
                CacheSlot {
                    id: Cell::new(0),
                    version: Cell::new(0),
                    value: Cell::new(ptr::null()),
                }
            }; SLOTS],
        }
    }

    #[inline(always)]
    fn slot(&self, id: u64) -> &CacheSlot {
        &self.slots[id as usize % SLOTS]
    }
}

/// Calls `f` with var `id`'s value in the current context (`None`: unbound) if the view
/// remembers it, without touching the context itself.
///
/// `T` must be the type of the `ContextVar<T>` whose id is `id` (rule 4).
#[inline(always)]
pub(crate) fn read<T: 'static, R>(id: u64, f: impl FnOnce(Option<&T>) -> R) -> Cached<R> {
    sync::with_view(move |view| {
        let slot = view.slot(id);
        if slot.id.get() != id || slot.version.get() != view.version.get() {
            return Cached::Miss;
        }
        let value = slot.value.get();
        if value.is_null() {
            return Cached::Hit(f(None));
        }
        let _reading = Reading::begin(view);
        // SAFETY: the slot is current (rule 1) and keyed by `id`, so `value` is the
        // `*const T` (rule 4) of a value alive and unchanged while the stamp is current
        // (rules 2 and 3); `_reading` keeps every change out while `f` holds the `&T`
        // (rule 5), and the `&T` cannot outlive `f`.
        Cached::Hit(f(Some(unsafe { &*value.cast::<T>() })))
    })
}

/// What [`lend`] did with the callback.
pub(crate) enum Lent<R, F> {
    /// The var is bound and remembered: the callback ran with its value.
    Ran(R),
    /// The var is remembered unbound: the callback is handed back, not run.
    Unbound(F),
    /// Nothing current is remembered: the callback is handed back, not run.
    Miss(F),
}

/// Runs `f` with var `id`'s value in the current context if the view remembers it bound,
/// lending the `&T` under rule 7 (so `f` may change the context meanwhile); else hands
/// `f` back. When the outermost lend ends, `drop_deferred` drops whatever changes made
/// meanwhile kept alive.
///
/// `T` must be the type of the `ContextVar<T>` whose id is `id` (rule 4).
#[inline(always)]
pub(crate) fn lend<T: 'static, R, F: FnOnce(Option<&T>) -> R>(
    id: u64,
    f: F,
    drop_deferred: fn(),
) -> Lent<R, F> {
    let value = sync::with_view(|view| {
        let slot = view.slot(id);
        if slot.id.get() != id || slot.version.get() != view.version.get() {
            return None;
        }
        let value = slot.value.get();
        if !value.is_null() {
            view.lending.set(view.lending.get() + 1);
        }
        Some(value)
    });
    match value {
        None => Lent::Miss(f),
        Some(value) if value.is_null() => Lent::Unbound(f),
        Some(value) => {
            let _lending = Lending { drop_deferred };
            // SAFETY: the slot was current (rule 1) and keyed by `id`, so `value` is the
            // `*const T` (rule 4) of a value that was alive then (rules 2 and 3); the
            // count taken above keeps it alive and unchanged until `_lending` drops, after
            // `f` and its `&T` are gone (rule 7).
            Lent::Ran(f(Some(unsafe { &*value.cast::<T>() })))
        }
    }
}

/// Ends one lend (rule 7) on drop, panics included.
struct Lending {
    drop_deferred: fn(),
}

impl Drop for Lending {
    #[inline(always)]
    fn drop(&mut self) {
        let drain = sync::with_view(|view| {
            let lending = view.lending.get() - 1;
            view.lending.set(lending);
            lending == 0 && view.deferred.replace(false)
        });
        if drain {
            (self.drop_deferred)();
        }
    }
}

/// The shadowing hint's bit for the current context's inheritable map.
pub(crate) const SHADOW_SHARED: u8 = 1;
/// The shadowing hint's bit for the current context's `task_private` map.
pub(crate) const SHADOW_PRIVATE: u8 = 2;

/// Notes that the current context's map `bit` keeps a shared base (invariant 7 in
/// `bindings.rs`).
#[inline]
pub(crate) fn note_shadowing(bit: u8) {
    sync::with_view(|view| view.shadowing.set(view.shadowing.get() | bit));
}

/// Notes that the current context's maps in `bits` keep no shared base any more.
#[inline]
pub(crate) fn clear_shadowing(bits: u8) {
    sync::try_with_view(|view| view.shadowing.set(view.shadowing.get() & !bits));
}

/// Whether the current context may keep a shared base (a hint: see `note_shadowing`).
#[inline(always)]
pub(crate) fn is_shadowing() -> bool {
    sync::try_with_view(|view| view.shadowing.get() != 0).unwrap_or(false)
}

/// Notes that a value was put in the thread slot's deferred list (rule 7).
pub(crate) fn defer() {
    sync::with_view(|view| view.deferred.set(true));
}

/// Starts a change of the current context's bindings: [`invalidate`]s and says whether a
/// `with` callback holds a lent value (rule 7: then the change must keep every value
/// alive and in place), or refuses with `Err` while a hit is lent to `Clone` (rule 5).
#[inline(always)]
pub(crate) fn begin_change() -> Result<bool, ()> {
    sync::with_view(|view| {
        if view.readers.get() != 0 {
            return Err(());
        }
        view.version.set(view.version.get() + 1);
        Ok(view.lending.get() != 0)
    })
}

/// [`begin_change`] for an inline fast path: if no hit is lent out (rule 5) and no `with`
/// callback holds a lent value (rule 7), [`invalidate`]s and returns `true`; else changes
/// nothing and returns `false` (then the caller takes the general path, which starts with
/// [`begin_change`]).
#[inline(always)]
pub(crate) fn begin_plain_change() -> bool {
    sync::with_view(|view| {
        if view.readers.get() != 0 || view.lending.get() != 0 {
            return false;
        }
        view.version.set(view.version.get() + 1);
        true
    })
}

/// Remembers that var `id` has `value` (`None`: unbound) in the current context.
///
/// Call only while the current context's frame is borrowed shared, with `value` found in
/// its entries for `id` by `ContextVar<T>` code (rules 4 and 6).
#[inline]
pub(crate) fn fill<T: 'static>(id: u64, value: Option<&T>) {
    if id == 0 {
        return;
    }
    sync::with_view(|view| {
        let slot = view.slot(id);
        slot.id.set(id);
        slot.version.set(view.version.get());
        slot.value
            .set(value.map_or(ptr::null(), |value| ptr::from_ref(value).cast()));
    });
}

/// Forgets everything the view remembers (rule 2): call before changing the current
/// context or its bindings.
#[inline(always)]
pub(crate) fn invalidate() {
    sync::with_view(|view| view.version.set(view.version.get() + 1));
}

/// [`invalidate`] from the context slot's destructor, when the view may already be gone
/// (under loom, whose thread-locals all have destructors).
pub(crate) fn invalidate_at_exit() {
    sync::try_with_view(|view| view.version.set(view.version.get() + 1));
}

/// Whether a hit's `&T` is lent out right now (rule 5): then the context must not change.
#[inline(always)]
pub(crate) fn is_reading() -> bool {
    sync::with_view(|view| view.readers.get() != 0)
}

/// Counts one lent-out `&T` for its lifetime, panics included (rule 5).
struct Reading<'a> {
    view: &'a ReadView,
}

impl<'a> Reading<'a> {
    #[inline(always)]
    fn begin(view: &'a ReadView) -> Reading<'a> {
        view.readers.set(view.readers.get() + 1);
        Reading { view }
    }
}

impl Drop for Reading<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        self.view.readers.set(self.view.readers.get() - 1);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_filled_slot_hits_until_invalidated() {
        let value = 5u64;
        assert!(matches!(read::<u64, _>(1001, |v| v.copied()), Cached::Miss));
        fill(1001, Some(&value));
        assert!(matches!(
            read::<u64, _>(1001, |v| v.copied()),
            Cached::Hit(Some(5))
        ));
        // Another id in the same slot misses.
        assert!(matches!(read::<u64, _>(1017, |v| v.copied()), Cached::Miss));
        invalidate();
        assert!(matches!(read::<u64, _>(1001, |v| v.copied()), Cached::Miss));
        fill::<u64>(1001, None);
        assert!(matches!(
            read::<u64, _>(1001, |v| v.copied()),
            Cached::Hit(None)
        ));
        invalidate();
    }

    #[test]
    fn a_lent_value_blocks_invalidation() {
        let value = 5u64;
        fill(2001, Some(&value));
        let refused = read::<u64, _>(2001, |_| (is_reading(), begin_change()));
        assert!(matches!(refused, Cached::Hit((true, Err(())))));
        assert!(!is_reading());
        assert_eq!(begin_change(), Ok(false));
    }
}
