//! How `set`, `reset` and `scoped` change the current context: [`ContextVar::bind`] and
//! [`ContextVar::restore`], their inline fast paths (`bind_fast`, `restore_fast`,
//! `bind_unbound_fast`, `unbind_fast`) and the out-of-line general path they fall back to
//! (`bind_general` → `bind_in` → `bind_slow`, `restore_general` → `restore_in` →
//! `restore_slow`), with the deferral of displaced values while a `with` callback holds a
//! lent value (rule 7 in `view.rs`).
//!
//! Kept apart from `var.rs`, which holds the [`ContextVar`] API, its reads and its tokens
//! and guards: this is the write side, whose inline paths are tuned for the compiler
//! (closure sizes, what inlines where; `benches/README.md` has the measurements), so it
//! reads best on its own. "Invariant N in `context.rs`" / "in `bindings.rs`" and "rule N
//! in `view.rs`" name the numbered lists in those files' headers.

use std::cell::RefMut;

use super::{ContextVar, ResetError, Undo};
use crate::bindings::OldValue;
use crate::context::{LiveFrame, ThreadSlot};
use crate::sync::{self, ErasedValue};
use crate::view;

impl<T: Send + Sync + 'static> ContextVar<T> {
    /// Binds `value` in the current context; what it returns undoes that.
    ///
    /// The common case ([`bind_fast`]: rebinding an inheritable var's value that only this
    /// context holds, while no read or `with` callback holds a lent value) is inline;
    /// everything else is the out-of-line [`bind_general`]. The view and the slot are
    /// reached through two thread-local accesses with a small closure each (a plain TLS
    /// address computation when inlined), because one closure holding both does not
    /// inline, and an out-of-line `LocalKey::with` costs more than the second access.
    #[inline(always)]
    pub(super) fn bind(&self, value: T) -> Undo<T> {
        let var_id = self.id.get();
        // Rule 2 in `view.rs`: forget every remembered read before changing anything.
        let plain = !self.task_private && view::begin_plain_change();
        if !plain {
            return bind_general(self, var_id, value);
        }
        let value = match sync::with_registered_frame(move |slot| bind_fast(slot, var_id, value)) {
            Ok(undo) => return undo,
            Err((value, false)) => return bind_general(self, var_id, value),
            Err((value, true)) => value,
        };
        // Maybe an unbound var: one insertion into the detached map (this may put the
        // slot's first values in, so through the registering access).
        let name = self.name;
        match sync::with_frame(move |slot| bind_unbound_fast(slot, var_id, name, value)) {
            Ok(undo) => undo,
            Err(value) => bind_general(self, var_id, value),
        }
    }

    /// Restores the binding `old` recorded by a set in context object `context_id`, if
    /// that is the current one. `old` is taken, or (by the inline [`restore_fast`]) swapped
    /// with the value that was bound, for the caller to drop.
    #[inline(always)]
    pub(super) fn restore(
        &self,
        context_id: u64,
        old: &mut Option<OldValue<T>>,
    ) -> Result<(), ResetError> {
        match old {
            Some(OldValue::Moved(moved)) => {
                if !self.task_private && view::begin_plain_change() {
                    let var_id = self.id.peek();
                    let restored = sync::with_registered_frame(move |slot| {
                        restore_fast(slot, var_id, context_id, moved)
                    });
                    if restored {
                        return Ok(());
                    }
                }
            }
            None => {
                if !self.task_private && view::begin_plain_change() {
                    let var_id = self.id.peek();
                    let unbound = sync::with_registered_frame(move |slot| {
                        unbind_fast(slot, var_id, context_id)
                    });
                    if let Some(cell) = unbound {
                        // Kept for the next binding of this var if that is allowed
                        // (`cell.rs`, invariant 5), else dropped; the slot is released.
                        sync::with_registered_frame(|slot| slot.spare.park::<T>(var_id, cell));
                        return Ok(());
                    }
                }
            }
            Some(OldValue::Shared(_)) => {}
        }
        restore_general(self, context_id, old)
    }
}

/// [`ContextVar::bind`]'s inline common case, in one borrow of `slot`, for an inheritable
/// var after `view::begin_plain_change` (no read or `with` callback holds a lent value:
/// rules 5 and 7 in `view.rs`): if the context has its id, rebinds var `var_id`'s value
/// in place when only this context holds it (invariant 4 in `bindings.rs`). Else hands
/// `value` back, having changed nothing, with whether [`bind_unbound_fast`] may apply
/// (the context has its id and the map is not at rest), for it or [`bind_general`].
///
/// `slot` comes from a thread-local access that does not register the slot's reaper
/// (`sync::with_registered_frame`): that is sound because this path changes only a value
/// already in the slot's detached overlay, which only a change through the registering
/// access can have put there (and the reaper's emptying removes).
#[inline(always)]
fn bind_fast<T: Send + Sync + 'static>(
    slot: &ThreadSlot,
    var_id: u64,
    value: T,
) -> Result<Undo<T>, (T, bool)> {
    let Ok(mut frame) = slot.frame.try_borrow_mut() else {
        return Err((value, false));
    };
    let context_id = frame.rest.id;
    if context_id == 0 {
        return Err((value, false));
    }
    let mut map = frame.map_mut(false, &slot.detached);
    let at_rest = map.is_at_rest();
    match map.rebind_in_place(var_id, value, &slot.hints) {
        Ok(old) => Ok(Undo {
            context_id,
            old: Some(OldValue::Moved(old)),
        }),
        Err(value) => Err((value, !at_rest)),
    }
}

/// [`ContextVar::restore`]'s inline common case, in one borrow of `slot`, mirroring
/// [`bind_fast`]: swapping `old`, a value moved out of var `var_id` by an in-place
/// rebinding, back in place (then `old` holds the value that was bound, for the caller
/// to drop after the slot is released). Only in the context the binding was made in.
/// Returns `false`, having changed nothing, otherwise.
#[inline(always)]
fn restore_fast<T: Send + Sync + 'static>(
    slot: &ThreadSlot,
    var_id: u64,
    context_id: u64,
    old: &mut T,
) -> bool {
    let Ok(mut frame) = slot.frame.try_borrow_mut() else {
        return false;
    };
    frame.rest.id == context_id
        && frame
            .map_mut(false, &slot.detached)
            .restore_in_place(var_id, old, &slot.hints)
}

/// [`ContextVar::bind`]'s second inline case, after [`bind_fast`] found no value to
/// rebind (same conditions on the caller): binds the unbound inheritable var `var_id` into
/// a detached map without a base, one insertion (`LiveMap::bind_unbound_owned`). Else hands
/// `value` back, having changed nothing, for [`bind_general`].
#[inline(always)]
fn bind_unbound_fast<T: Send + Sync + 'static>(
    slot: &ThreadSlot,
    var_id: u64,
    name: &'static str,
    value: T,
) -> Result<Undo<T>, T> {
    let Ok(mut frame) = slot.frame.try_borrow_mut() else {
        return Err(value);
    };
    let context_id = frame.rest.id;
    if context_id == 0 {
        return Err(value);
    }
    frame.map_mut(false, &slot.detached).bind_unbound_owned(
        var_id,
        name,
        value,
        &slot.hints,
        &slot.spare,
    )?;
    Ok(Undo {
        context_id,
        old: None,
    })
}

/// [`ContextVar::restore`]'s inline unbinding, mirroring [`bind_unbound_fast`]: in the
/// context the binding was made in, removes var `var_id` from a detached map without a
/// base and returns its cell (for the caller to park or drop after the slot is
/// released); `None`, having changed nothing, otherwise. The slot may come from the
/// non-registering access: the var's value is already in the slot.
#[inline(always)]
fn unbind_fast(slot: &ThreadSlot, var_id: u64, context_id: u64) -> Option<ErasedValue> {
    let mut frame = slot.frame.try_borrow_mut().ok()?;
    if frame.rest.id != context_id {
        return None;
    }
    frame
        .map_mut(false, &slot.detached)
        .unbind_owned(var_id, &slot.hints)
}

/// [`ContextVar::bind`] when [`bind_fast`] did not apply: [`bind_in`], through the
/// thread-local access that registers the slot's reaper. Out of line, so that the fast
/// path's thread-local closure stays small enough to inline.
#[inline(never)]
fn bind_general<T: Send + Sync + 'static>(var: &ContextVar<T>, var_id: u64, value: T) -> Undo<T> {
    sync::with_frame(move |slot| bind_in(slot, var, var_id, value))
}

/// [`ContextVar::restore`] when [`restore_fast`] did not apply: [`restore_in`], through
/// the thread-local access that registers the slot's reaper.
#[inline(never)]
fn restore_general<T: Send + Sync + 'static>(
    var: &ContextVar<T>,
    context_id: u64,
    old: &mut Option<OldValue<T>>,
) -> Result<(), ResetError> {
    sync::with_frame(move |slot| restore_in(slot, var, context_id, old))
}

/// [`ContextVar::bind`] in `slot`, one borrow of it. The common case — rebinding a value
/// only this context holds — is inline; everything else is [`bind_slow`].
#[inline(never)]
fn bind_in<T: Send + Sync + 'static>(
    slot: &ThreadSlot,
    var: &ContextVar<T>,
    var_id: u64,
    value: T,
) -> Undo<T> {
    let (mut frame, lending) = borrow_slot_mut(slot, "ContextVar::set");
    let context_id = frame.ensure_id();
    if lending {
        return bind_slow(frame, slot, var, var_id, value, lending);
    }
    let mut map = frame.map_mut(var.task_private, &slot.detached);
    let value = match map.rebind_in_place(var_id, value, &slot.hints) {
        Ok(old) => {
            return Undo {
                context_id,
                old: Some(OldValue::Moved(old)),
            }
        }
        Err(value) => value,
    };
    // Binding an unbound var into a detached map without a base: one insertion.
    match map.bind_unbound_owned(var_id, var.name, value, &slot.hints, &slot.spare) {
        Ok(()) => Undo {
            context_id,
            old: None,
        },
        Err(value) => bind_slow(frame, slot, var, var_id, value, lending),
    }
}

/// [`bind_in`] in general.
#[inline(never)]
fn bind_slow<T: Send + Sync + 'static>(
    mut frame: RefMut<'_, LiveFrame>,
    slot: &ThreadSlot,
    var: &ContextVar<T>,
    var_id: u64,
    value: T,
    lending: bool,
) -> Undo<T> {
    let context_id = frame.rest.id;
    let old = frame.map_mut(var.task_private, &slot.detached).rebind(
        var_id,
        var.name,
        value,
        &slot.hints,
        !lending,
        &slot.spare,
    );
    drop(frame);
    if lending {
        // Rule 7 in `view.rs`: the token may drop the displaced value before the lent
        // value's callback returns.
        if let Some(OldValue::Shared(old)) = &old {
            defer(slot, ErasedValue::clone(old));
        }
    }
    Undo { context_id, old }
}

/// [`ContextVar::restore`] in `slot`, one borrow of it. The common case — putting back a
/// value moved out by an in-place rebinding — is inline; everything else is
/// [`restore_slow`]. Displaced values drop after the slot is released (invariant 3 in
/// `context.rs`).
#[inline(never)]
fn restore_in<T: Send + Sync + 'static>(
    slot: &ThreadSlot,
    var: &ContextVar<T>,
    context_id: u64,
    old: &mut Option<OldValue<T>>,
) -> Result<(), ResetError> {
    let var_id = var.id.get();
    let old = old.take();
    let (mut frame, lending) = borrow_slot_mut(slot, "ContextVar::reset");
    if frame.rest.id != context_id {
        drop(frame);
        drop(old);
        return Err(ResetError::DifferentContext);
    }
    if lending {
        restore_slow(frame, slot, var, var_id, old, lending);
        return Ok(());
    }
    match old {
        Some(OldValue::Moved(old)) => {
            let mut map = frame.map_mut(var.task_private, &slot.detached);
            match map.rebind_in_place(var_id, old, &slot.hints) {
                Ok(ours) => {
                    drop(frame);
                    drop(ours);
                }
                Err(old) => restore_slow(
                    frame,
                    slot,
                    var,
                    var_id,
                    Some(OldValue::Moved(old)),
                    lending,
                ),
            }
        }
        None => {
            // Unbinding a var bound in a detached map without a base: one removal.
            let unbound = frame
                .map_mut(var.task_private, &slot.detached)
                .unbind_owned(var_id, &slot.hints);
            match unbound {
                Some(cell) => {
                    drop(frame);
                    // Kept for the next binding of this var if that is allowed (`cell.rs`,
                    // invariant 5), else dropped.
                    slot.spare.park::<T>(var_id, cell);
                }
                None => restore_slow(frame, slot, var, var_id, None, lending),
            }
        }
        old => restore_slow(frame, slot, var, var_id, old, lending),
    }
    Ok(())
}

/// [`restore_in`] in general, in the right context. While `lending`, the displaced value
/// is kept alive until the lent value's callback returns (rule 7 in `view.rs`).
#[inline(never)]
fn restore_slow<T: Send + Sync + 'static>(
    mut frame: RefMut<'_, LiveFrame>,
    slot: &ThreadSlot,
    var: &ContextVar<T>,
    var_id: u64,
    old: Option<OldValue<T>>,
    lending: bool,
) {
    let mut map = frame.map_mut(var.task_private, &slot.detached);
    let hints = &slot.hints;
    let displaced = match old {
        Some(OldValue::Moved(old)) => {
            let displaced = map.rebind(var_id, var.name, old, hints, !lending, &slot.spare);
            drop(frame);
            match displaced {
                Some(OldValue::Shared(displaced)) => Some(displaced),
                displaced => {
                    drop(displaced);
                    None
                }
            }
        }
        Some(OldValue::Shared(old)) => {
            let displaced = map.insert(var_id, var.name, old, hints);
            // Putting a base's own value back may leave nothing detached.
            frame.note_idle(&slot.detached);
            drop(frame);
            displaced.value
        }
        None => {
            let displaced = map.remove(var_id, hints);
            drop(frame);
            displaced.value
        }
    };
    if let Some(displaced) = displaced {
        if lending {
            defer(slot, displaced);
        } else {
            // Kept for the next binding of this var if that is allowed (`cell.rs`,
            // invariant 5), else dropped.
            slot.spare.park::<T>(var_id, displaced);
        }
    }
}

/// Keeps `value` alive until the outermost lent `with` callback returns (rule 7 in
/// `view.rs`).
#[cold]
fn defer(slot: &ThreadSlot, value: ErasedValue) {
    slot.deferred.borrow_mut().push(value);
    view::defer();
}

/// Borrows the current context for a change, and says whether a `with` callback holds a
/// lent value (then the change must keep every value alive and in place: rule 7 in
/// `view.rs`).
#[inline(always)]
fn borrow_slot_mut<'a>(
    slot: &'a ThreadSlot,
    operation: &'static str,
) -> (RefMut<'a, LiveFrame>, bool) {
    // Rule 2 in `view.rs`: forget every remembered read before changing anything; rule 5:
    // never while a read is lent out.
    let Ok(lending) = view::begin_change() else {
        change_while_borrowed(operation)
    };
    match slot.frame.try_borrow_mut() {
        Ok(frame) => (frame, lending),
        Err(_) => change_while_borrowed(operation),
    }
}

#[cold]
#[inline(never)]
fn change_while_borrowed(operation: &str) -> ! {
    panic!(
        "{operation} was called while the current context is borrowed \
         (from a value's Clone impl); set and reset vars outside such callbacks"
    )
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::Context;

    #[test]
    fn a_lent_value_survives_changes_made_by_its_callback() {
        static LENT: ContextVar<String> = ContextVar::new("lent");
        Context::new().run(|| {
            LENT.set("a".to_string());
            LENT.with(|lent| {
                let lent = lent.unwrap();
                // An in-place overwrite would change `lent`; dropping the token would free it.
                drop(LENT.set("b".to_string()));
                LENT.scope("c".to_string(), || {
                    assert_eq!(LENT.get().as_deref(), Some("c"));
                });
                let token = LENT.set("d".to_string());
                LENT.reset(token).unwrap();
                assert_eq!(LENT.get().as_deref(), Some("b"));
                assert_eq!(lent, "a");
            });
            assert_eq!(LENT.get().as_deref(), Some("b"));
        });
    }

    #[test]
    fn displaced_values_drop_when_the_outermost_callback_returns() {
        static DROPS: AtomicUsize = AtomicUsize::new(0);
        struct Counted(u32);
        impl Drop for Counted {
            fn drop(&mut self) {
                DROPS.fetch_add(1, Ordering::Relaxed);
            }
        }
        static OUTER: ContextVar<Counted> = ContextVar::new("outer");
        static INNER: ContextVar<Counted> = ContextVar::new("inner");
        Context::new().run(|| {
            OUTER.set(Counted(1));
            INNER.set(Counted(10));
            OUTER.with(|outer| {
                INNER.with(|inner| {
                    drop(OUTER.set(Counted(2)));
                    INNER.scope(Counted(11), || ());
                    // Every value a change displaces while lending waits, the scoped 11 too.
                    assert_eq!(DROPS.load(Ordering::Relaxed), 0);
                    assert_eq!(inner.unwrap().0, 10);
                });
                assert_eq!(DROPS.load(Ordering::Relaxed), 0, "kept while OUTER is lent");
                assert_eq!(outer.unwrap().0, 1);
            });
            assert_eq!(
                DROPS.load(Ordering::Relaxed),
                2,
                "the displaced 1 and 11 dropped"
            );
            assert_eq!(OUTER.with(|outer| outer.unwrap().0), 2);
            // Without a lend, a scoped set rebinds in place again: nothing is deferred.
            OUTER.scope(Counted(3), || ());
            assert_eq!(DROPS.load(Ordering::Relaxed), 3);
        });
    }

    #[test]
    fn the_fast_paths_and_the_general_path_agree() {
        static FAST: ContextVar<u64> = ContextVar::new("fast");
        static PRIVATE: ContextVar<u64> = ContextVar::new("fast.private").task_private();
        Context::new().run(|| {
            // Unbound: bound into the detached map, unbound again.
            FAST.scope(1, || assert_eq!(FAST.get(), Some(1)));
            assert!(!FAST.is_set());
            FAST.set(2);
            PRIVATE.set(20);
            // Bound and unique: rebound in place, nested, then restored in order.
            FAST.scope(3, || {
                FAST.scope(4, || assert_eq!(FAST.get(), Some(4)));
                assert_eq!(FAST.get(), Some(3));
                PRIVATE.scope(21, || assert_eq!(PRIVATE.get(), Some(21)));
            });
            assert_eq!((FAST.get(), PRIVATE.get()), (Some(2), Some(20)));
            // A snapshot shares the map: the general path, and the snapshot keeps 2.
            let snapshot = Context::current();
            FAST.scope(5, || assert_eq!(FAST.get(), Some(5)));
            let token = FAST.set(6);
            assert_eq!(snapshot.get(&FAST), Some(2));
            FAST.reset(token).unwrap();
            drop(snapshot);
            // A value with drop glue: bound unbound, rebound, unbound again (its cell is
            // dropped, never parked).
            static NAMED: ContextVar<String> = ContextVar::new("fast.named");
            NAMED.scope("a".to_string(), || {
                NAMED.scope("b".to_string(), || {
                    assert_eq!(NAMED.get().as_deref(), Some("b"))
                });
                assert_eq!(NAMED.get().as_deref(), Some("a"));
            });
            assert!(!NAMED.is_set());
            // Guards dropped out of order restore what each replaced, as tokens do.
            let outer = FAST.scoped(7);
            let inner = FAST.scoped(8);
            drop(outer);
            assert_eq!(FAST.get(), Some(2));
            drop(inner);
            assert_eq!(FAST.get(), Some(7));
        });
    }
}
