//! The thread's current-context slot: [`ThreadSlot`], the [`LiveFrame`] it holds (the
//! current context, its maps possibly detached), and the machinery that enters and leaves
//! a context ([`Entered`], the guard of `Context::run`, and `switch`) and takes snapshots
//! of the current one (settling its detached maps first, or copying them while the slot
//! is borrowed).
//!
//! Kept apart from `context.rs`, which holds the [`Context`](super::Context) object and
//! its public API: everything here is per-thread state and the swaps that move frames in
//! and out of it. The invariants cited here (1 to 5) are the ones numbered in the header
//! of `context.rs`; "in `bindings.rs`" and "rule N in `view.rs`" name those files' lists.

use std::cell::{Cell, RefCell};

use super::Frame;
use crate::bindings::{Bindings, Detached, LiveMap, PositionHints, SharedMap};
use crate::cell::Spare;
use crate::sync::{self, ErasedValue};
use crate::view;

/// A thread's current-context slot, as the `sync` shim's thread-local holds it.
pub(crate) struct ThreadSlot {
    /// The thread's current context (invariants 3 and 4).
    pub(crate) frame: RefCell<LiveFrame>,
    /// `false` only while the current context has nothing detached (`frame.owned` holds
    /// no entries, no base, no removed ids and no buffer larger than `KEPT_CAPACITY`), so
    /// entering and leaving contexts and taking snapshots can skip settling without
    /// borrowing `frame` for it. Set by every detach; cleared by settling, and by a reset
    /// that leaves both maps idle (re-attaching a base: [`LiveFrame::note_idle`]).
    pub(crate) detached: Cell<bool>,
    /// Where this thread last found each var in a binding map: a guess, checked on use.
    pub(crate) hints: PositionHints,
    /// Values displaced from the current context while a `with` callback holds a lent
    /// value, kept alive until the outermost such callback returns (rule 7 in `view.rs`).
    pub(crate) deferred: RefCell<Vec<ErasedValue>>,
    /// A displaced value cell kept for the next binding of its var (`cell.rs`, invariant
    /// 5).
    pub(crate) spare: Spare,
}

impl ThreadSlot {
    /// A fresh thread's slot: an empty context, no hints.
    pub(crate) const fn new() -> ThreadSlot {
        ThreadSlot {
            frame: RefCell::new(LiveFrame {
                rest: Frame::EMPTY,
                owned: OwnedMaps::EMPTY,
            }),
            detached: Cell::new(false),
            hints: PositionHints::new(),
            deferred: RefCell::new(Vec::new()),
            spare: Spare::new(),
        }
    }
}

impl ThreadSlot {
    /// Empties the slot for thread exit (std's `sync` reaper): the frame, the deferred
    /// values and the spare cell, returned to be dropped by the caller after the slot is consistent again.
    /// A frame still borrowed (impossible at exit: borrows never outlive a call) is left.
    #[cfg(not(loom))]
    pub(crate) fn take_all(&self) -> (Option<LiveFrame>, Vec<ErasedValue>, Spare) {
        let frame = self.frame.try_borrow_mut().ok().map(|mut frame| {
            std::mem::replace(
                &mut *frame,
                LiveFrame {
                    rest: Frame::EMPTY,
                    owned: OwnedMaps::EMPTY,
                },
            )
        });
        self.detached.set(false);
        let spare = Spare::new();
        spare.swap(&self.spare);
        (frame, self.deferred.take(), spare)
    }
}

impl Drop for ThreadSlot {
    /// The thread is exiting: its read view must forget the values about to be dropped
    /// (rule 2 in `view.rs`), since a destructor may still read a var.
    fn drop(&mut self) {
        view::invalidate_at_exit();
    }
}

/// Drops the values kept alive for lent `with` callbacks (rule 7 in `view.rs`), once the
/// outermost has returned: taken out of the slot first, since dropping them runs user code.
#[cold]
#[inline(never)]
pub(crate) fn drop_deferred() {
    let deferred = sync::try_with_frame(|slot| slot.deferred.take());
    drop(deferred);
}

/// Folds the current context's overlays into bases nothing else holds any more
/// (invariant 7 in `bindings.rs`), after a map handle was dropped. Skipped while the slot
/// is borrowed or gone; the values that stop being bound drop after it is released.
#[cold]
#[inline(never)]
pub(crate) fn absorb_unique_bases() {
    let displaced = sync::try_with_frame(|slot| {
        if !slot.detached.get() {
            // Nothing detached, so no base: a stale hint.
            view::clear_shadowing(view::SHADOW_SHARED | view::SHADOW_PRIVATE);
            return None;
        }
        let mut frame = slot.frame.try_borrow_mut().ok()?;
        let shared = frame.owned.shared.absorb();
        let private = frame.owned.private.absorb();
        // The hint's bits of the maps that keep no base any more.
        let mut gone = 0;
        if !frame.owned.shared.has_base() {
            gone |= view::SHADOW_SHARED;
        }
        if !frame.owned.private.has_base() {
            gone |= view::SHADOW_PRIVATE;
        }
        view::clear_shadowing(gone);
        drop(frame);
        Some((shared, private))
    });
    drop(displaced);
}

/// The context a thread is running in (invariant 4): its frame, with either map possibly
/// detached into `owned` (see `bindings.rs`).
pub(crate) struct LiveFrame {
    /// The context object; a detached map's half here is `None`.
    pub(crate) rest: Frame,
    /// Detached maps; empty while their map is at rest in `rest`.
    pub(crate) owned: OwnedMaps,
}

/// The detached halves of a [`LiveFrame`]'s two maps.
pub(crate) struct OwnedMaps {
    shared: Detached,
    private: Detached,
}

impl OwnedMaps {
    /// Nothing detached; owns no memory.
    const EMPTY: OwnedMaps = OwnedMaps {
        shared: Detached::EMPTY,
        private: Detached::EMPTY,
    };
}

/// The bases a settle merged away: dropped by the caller after releasing the slot, since
/// the values only they held drop with them (user code).
#[must_use = "drop merged-away bases only after releasing the context slot"]
#[allow(dead_code)] // only held, to be dropped
pub(crate) struct MergedAway(Option<SharedMap>, Option<SharedMap>);

impl LiveFrame {
    /// The value bound to var `id`, of this privacy.
    #[inline(always)]
    pub(crate) fn value(
        &self,
        private: bool,
        id: u64,
        hints: &PositionHints,
    ) -> Option<&ErasedValue> {
        let (at_rest, owned) = self.halves(private);
        LiveMap::value(at_rest, owned, id, hints)
    }

    /// The value bound to var `id`, of this privacy, if the position hint finds it; `None`
    /// says nothing.
    #[inline(always)]
    pub(crate) fn hit(
        &self,
        private: bool,
        id: u64,
        hints: &PositionHints,
    ) -> Option<&ErasedValue> {
        let (at_rest, owned) = self.halves(private);
        LiveMap::hit(at_rest, owned, id, hints)
    }

    /// The two halves of the map of this privacy: at rest in the frame, and detached.
    #[inline(always)]
    fn halves(&self, private: bool) -> (&Bindings, &Detached) {
        if private {
            (&self.rest.private, &self.owned.private)
        } else {
            (&self.rest.shared, &self.owned.shared)
        }
    }

    /// The map a var of this privacy lives in, for changing it; `detached` is the slot's
    /// flag.
    #[inline(always)]
    pub(crate) fn map_mut<'a>(
        &'a mut self,
        private: bool,
        detached: &'a Cell<bool>,
    ) -> LiveMap<'a> {
        if private {
            LiveMap {
                at_rest: &mut self.rest.private,
                owned: &mut self.owned.private,
                detached,
                shadow_bit: view::SHADOW_PRIVATE,
            }
        } else {
            LiveMap {
                at_rest: &mut self.rest.shared,
                owned: &mut self.owned.shared,
                detached,
                shadow_bit: view::SHADOW_SHARED,
            }
        }
    }

    /// Clears the slot's `detached` flag if neither map holds anything detached (a reset
    /// put a shared base back at rest), so that the next snapshot or switch skips
    /// settling.
    #[inline]
    pub(crate) fn note_idle(&self, detached: &Cell<bool>) {
        if self.owned.shared.is_idle() && self.owned.private.is_idle() {
            detached.set(false);
        }
    }

    /// This context object's id, giving it one if it has none (invariant 1).
    #[inline(always)]
    pub(crate) fn ensure_id(&mut self) -> u64 {
        if self.rest.id == 0 {
            self.rest.id = sync::next_context_id();
        }
        self.rest.id
    }

    /// Puts detached maps back to rest (invariant 4): a move into an `Arc`, or of the
    /// shared base back, or one merge of base and overlay (`bindings.rs`); drops buffers
    /// too big to keep (no entries, so no user code runs). Afterwards the frame alone is
    /// the whole context. `detached` is the slot's flag. Returns the merged-away bases, to
    /// drop after the slot is released.
    #[cold]
    #[inline(never)]
    fn settle(&mut self, detached: &Cell<bool>) -> MergedAway {
        let shared = self.map_mut(false, detached).settle();
        let private = self.map_mut(true, detached).settle();
        self.owned.shared.trim();
        self.owned.private.trim();
        detached.set(false);
        view::clear_shadowing(view::SHADOW_SHARED | view::SHADOW_PRIVATE);
        MergedAway(shared, private)
    }

    /// A snapshot (see `current_snapshot`) without changing `self`: O(n) for a detached
    /// map. Only for a snapshot taken while the slot is borrowed (inside a value's
    /// `Clone`).
    fn copy_snapshot(&self, with_private: bool) -> Frame {
        let copy = |at_rest: &Bindings, owned: &Detached| {
            if owned.is_empty() {
                at_rest.clone()
            } else {
                Bindings::from_entries(owned.copy())
            }
        };
        Frame {
            id: 0,
            shared: copy(&self.rest.shared, &self.owned.shared),
            private: if with_private {
                copy(&self.rest.private, &self.owned.private)
            } else {
                Bindings::EMPTY
            },
        }
    }
}

/// Takes a snapshot of the current frame (invariant 3: brief borrow). Its bindings stay the
/// same, though a detached map is settled (invariant 4).
#[inline(always)]
pub(super) fn current_snapshot(with_private: bool) -> Frame {
    sync::try_with_frame(|slot| {
        // Nothing detached: the frame at rest is the whole context, two refcounts. (The
        // flag only changes under the mutable borrow, and nothing runs in between.)
        if !slot.detached.get() {
            if let Ok(current) = slot.frame.try_borrow() {
                return current.rest.snapshot(with_private);
            }
        }
        settle_snapshot(slot, with_private)
    })
    .unwrap_or_default()
}

/// [`current_snapshot`] when a map is detached (settled first, invariant 4) or the slot is
/// borrowed (inside a value's `Clone`, invariant 3: copies instead). Out of line so that
/// the common case above stays small enough to inline into its caller.
#[cold]
#[inline(never)]
fn settle_snapshot(slot: &ThreadSlot, with_private: bool) -> Frame {
    let Ok(mut current) = slot.frame.try_borrow_mut() else {
        return copy_current(slot, with_private);
    };
    let merged_away = slot.detached.get().then(|| current.settle(&slot.detached));
    let snapshot = current.rest.snapshot(with_private);
    drop(current);
    // Merged-away bases drop only after the slot is released (invariant 3).
    drop(merged_away);
    snapshot
}

/// [`current_snapshot`] inside a value's `Clone` (invariant 3): copies instead of settling
/// in place.
#[cold]
#[inline(never)]
fn copy_current(slot: &ThreadSlot, with_private: bool) -> Frame {
    slot.frame.borrow().copy_snapshot(with_private)
}

/// Swaps the entered frame back on drop, so a panic inside `run` leaves nothing behind.
pub(super) struct Entered<'a> {
    /// The entered context's storage; holds the thread's previous frame meanwhile.
    frame: &'a mut Frame,
}

impl<'a> Entered<'a> {
    #[inline]
    pub(super) fn enter(frame: &'a mut Frame) -> Entered<'a> {
        // Rule 5 in `view.rs`: never switch away from a value lent out by a read.
        if view::is_reading() {
            run_while_borrowed()
        }
        switch(frame);
        Entered { frame }
    }
}

impl Drop for Entered<'_> {
    #[inline]
    fn drop(&mut self) {
        switch(self.frame);
    }
}

/// Swaps `frame` with the thread's current one: entering it, or leaving it. The current
/// context's detached maps are settled first (invariant 4), so only the 24-byte frames
/// move.
#[inline]
fn switch(frame: &mut Frame) {
    // Rule 2 in `view.rs`: the view remembers the context being left.
    view::invalidate();
    sync::with_frame_for_switch(|slot| {
        if !slot.detached.get() {
            if let Ok(mut current) = slot.frame.try_borrow_mut() {
                // The usual case: nothing detached, the frames are the whole contexts.
                std::mem::swap(&mut current.rest, frame);
                return;
            }
        }
        switch_slow(slot, frame);
    })
}

/// [`switch`] when the current context has detached maps, or the slot is borrowed.
#[cold]
#[inline(never)]
fn switch_slow(slot: &ThreadSlot, frame: &mut Frame) {
    // Borrowed before touching the frame, so a refused entry changes nothing.
    let Ok(mut current) = slot.frame.try_borrow_mut() else {
        run_while_borrowed()
    };
    let merged_away = current.settle(&slot.detached);
    std::mem::swap(&mut current.rest, frame);
    drop(current);
    drop(merged_away);
}

#[cold]
#[inline(never)]
fn run_while_borrowed() -> ! {
    panic!(
        "Context::run was called while the current context is borrowed \
         (from a ContextVar value's Clone impl); enter contexts outside such callbacks"
    )
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::{Context, ContextVar};

    #[test]
    fn leaving_a_changed_context_settles_its_maps() {
        static V: ContextVar<u8> = ContextVar::new("v");
        static P: ContextVar<u8> = ContextVar::new("p").task_private();
        let mut ctx = Context::new();
        ctx.run(|| {
            drop(V.set(1));
            drop(P.set(2));
            sync::with_frame(|slot| assert!(slot.detached.get(), "changed in place"));
        });
        assert!(ctx.frame.shared.len() == 1 && ctx.frame.private.len() == 1);
        sync::with_frame(|slot| assert!(!slot.detached.get()));
        // Entering again and changing the binding takes the (unshared) maps back.
        ctx.run(|| drop(V.set(3)));
        assert_eq!(ctx.get(&V), Some(3));
        assert_eq!(ctx.clone().get(&P), Some(2));
    }

    #[test]
    fn a_snapshot_inside_a_values_clone_copies_the_detached_map() {
        static INNER: ContextVar<u8> = ContextVar::new("inner");
        static SEEN: ContextVar<usize> = ContextVar::new("seen");
        /// A value whose `Clone` takes a snapshot and reads a var, under `get`'s borrow.
        struct Peeks;
        impl Clone for Peeks {
            fn clone(&self) -> Self {
                let snapshot = Context::current();
                assert_eq!(snapshot.get(&INNER), Some(7));
                assert_eq!(snapshot.len(), 3);
                assert_eq!(INNER.get(), Some(7));
                Peeks
            }
        }
        static PEEKS: ContextVar<Peeks> = ContextVar::new("peeks");
        Context::new().run(|| {
            drop(INNER.set(7));
            drop(SEEN.set(0));
            drop(PEEKS.set(Peeks));
            assert!(PEEKS.get().is_some());
            // The copy did not settle the current context's maps in place.
            sync::with_frame(|slot| assert!(slot.detached.get()));
        });
    }
}
