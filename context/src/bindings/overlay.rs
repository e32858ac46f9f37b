//! The copy-on-write layer of the binding maps: the current context's map while it is
//! *detached* ([`Detached`]: an owned overlay, over a shared base when a snapshot still
//! holds the map) and [`LiveMap`], the view of one current-context map, at rest or
//! detached, through which every change goes (detach, settle, insert, rebind, remove,
//! and the in-place rebinding and unbinding of the inline `set`/`reset` paths).
//!
//! Kept apart from the at-rest map in `bindings.rs` (entries, [`Bindings`], the position
//! hints), which reads on its own: everything here serves the thread whose current context
//! is changing. The invariants cited here (1 to 7) are the ones numbered in the header of
//! `bindings.rs`, which states the representation of both halves.

use std::cell::Cell;
use std::mem;

use super::{
    search, Bindings, Displaced, Entry, OldValue, PositionHints, SharedMap, KEPT_CAPACITY,
};
use crate::cell::{unique_mut, Spare};
use crate::sync::{Arc, ErasedValue};
use crate::view;

/// The current context's map while detached (invariant 3): an owned overlay over an
/// optional shared base.
pub(crate) struct Detached {
    /// Sorted entries: the whole map without a base, else the changes shadowing it.
    overlay: Vec<Entry>,
    /// The shared map the overlay shadows (a snapshot holds it too), if any.
    base: Option<SharedMap>,
    /// Sorted ids bound in `base` but unbound in the current context.
    removed: Vec<u64>,
}

impl Detached {
    /// Nothing detached; owns no memory.
    pub(crate) const EMPTY: Detached = Detached {
        overlay: Vec::new(),
        base: None,
        removed: Vec::new(),
    };

    /// Whether this has a base and shadows or removes some of it.
    #[inline]
    pub(crate) fn shadows(&self) -> bool {
        self.base.is_some() && !(self.overlay.is_empty() && self.removed.is_empty())
    }

    /// Whether this keeps a shared base.
    #[inline]
    pub(crate) fn has_base(&self) -> bool {
        self.base.is_some()
    }

    /// Whether this holds no entries, no base and no removed ids (capacity aside).
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.overlay.is_empty() && self.base.is_none() && self.removed.is_empty()
    }

    /// Whether this holds nothing (no entries, base or removed ids) and no buffer that a
    /// settle would trim: then the slot's `detached` flag may be cleared without settling.
    #[inline]
    pub(crate) fn is_idle(&self) -> bool {
        self.is_empty()
            && self.overlay.capacity() <= KEPT_CAPACITY
            && self.removed.capacity() <= KEPT_CAPACITY
    }

    /// Folds the overlay into the base if nothing else holds the base any more and the
    /// overlay shadows or removes some of it (invariant 7): the base's entries are taken
    /// out of its `Arc` and become the whole map. Returns the values that stopped being
    /// bound, for the caller to drop after releasing the slot.
    pub(crate) fn absorb(&mut self) -> Option<Vec<ErasedValue>> {
        if !self.shadows() || Arc::strong_count(self.base.as_ref()?) != 1 {
            return None;
        }
        let base = self.base.take()?;
        let mut entries = match Arc::try_unwrap(base) {
            Ok(entries) => entries,
            Err(base) => {
                // Another thread cloned it meanwhile (a snapshot of a context being
                // dropped elsewhere cannot, but stay correct): keep the overlay.
                self.base = Some(base);
                return None;
            }
        };
        let mut displaced = Vec::with_capacity(self.overlay.len() + self.removed.len());
        for id in self.removed.drain(..) {
            if let Ok(at) = search(&entries, id) {
                displaced.push(entries.remove(at).value);
            }
        }
        for entry in self.overlay.drain(..) {
            match search(&entries, entry.id) {
                Ok(at) => displaced.push(mem::replace(&mut entries[at], entry).value),
                Err(at) => entries.insert(at, entry),
            }
        }
        self.overlay = entries;
        Some(displaced)
    }

    /// Drops buffers larger than [`KEPT_CAPACITY`] (no entries: no user code runs).
    #[inline]
    pub(crate) fn trim(&mut self) {
        if self.overlay.capacity() > KEPT_CAPACITY {
            self.overlay = Vec::new();
        }
        if self.removed.capacity() > KEPT_CAPACITY {
            self.removed = Vec::new();
        }
    }

    /// The value bound to var `id` here (invariant 3).
    #[inline]
    fn value<'e>(&'e self, id: u64, hints: &PositionHints) -> Option<&'e ErasedValue> {
        if let Some(value) = hints.value(&self.overlay, id) {
            return Some(value);
        }
        self.base_value(id)
    }

    /// The value the base binds to var `id`, unless the overlay removed it (the caller
    /// knows the overlay has no entry for it).
    #[inline]
    fn base_value(&self, id: u64) -> Option<&ErasedValue> {
        let base = self.base.as_ref()?;
        if !self.removed.is_empty() && self.removed.binary_search(&id).is_ok() {
            return None;
        }
        search(base, id).ok().map(|at| &base[at].value)
    }

    /// Whether `value` is the very value the base binds to var `id` (removed or not).
    ///
    /// The base is found through `hints` (the position the var had in the map before it
    /// became the base), and the overlay's own lookups in a change on a base never
    /// overwrite that hint, so the set/reset cycle after a snapshot searches neither.
    #[inline]
    fn is_base_value(&self, id: u64, value: &ErasedValue, hints: &PositionHints) -> bool {
        let Some(base) = &self.base else {
            return false;
        };
        hints
            .find(base, id)
            .is_ok_and(|at| Arc::ptr_eq(&base[at].value, value))
    }

    /// The binding var `id` has in the base, as the overlay is about to shadow it (it has
    /// no entry there yet): taken off `removed` if the overlay had unbound it (then
    /// `None`), else a handle of the base's value (invariant 6).
    fn shadow(&mut self, id: u64, hints: &PositionHints) -> Option<ErasedValue> {
        let base = self.base.as_ref()?;
        if !self.removed.is_empty() {
            if let Ok(at) = self.removed.binary_search(&id) {
                self.removed.remove(at);
                return None;
            }
        }
        hints.find(base, id).ok().map(|at| base[at].value.clone())
    }

    /// The whole map, merged into one sorted `Vec`: `overlay` entries taken from `overlay`
    /// (moved or cloned), base entries cloned.
    fn merge(base: &[Entry], overlay: impl Iterator<Item = Entry>, removed: &[u64]) -> Vec<Entry> {
        let mut merged = Vec::with_capacity(base.len() + overlay.size_hint().0);
        let mut overlay = overlay.peekable();
        let mut removed = removed.iter().peekable();
        for entry in base {
            while let Some(over) = overlay.next_if(|over| over.id < entry.id) {
                merged.push(over);
            }
            if let Some(over) = overlay.next_if(|over| over.id == entry.id) {
                merged.push(over);
                continue;
            }
            while removed.next_if(|&&id| id < entry.id).is_some() {}
            if removed.next_if(|&&id| id == entry.id).is_some() {
                continue;
            }
            merged.push(entry.clone());
        }
        merged.extend(overlay);
        merged
    }

    /// A copy of the whole map, leaving `self` as it is (O(n) refcounts).
    pub(crate) fn copy(&self) -> Vec<Entry> {
        match &self.base {
            None => self.overlay.clone(),
            Some(base) => Detached::merge(base, self.overlay.iter().cloned(), &self.removed),
        }
    }
}

/// One map of the current context: at rest or detached (invariant 3).
pub(crate) struct LiveMap<'a> {
    /// The map at rest; `None` while detached.
    pub(crate) at_rest: &'a mut Bindings,
    /// The detached map; empty while at rest.
    pub(crate) owned: &'a mut Detached,
    /// Set whenever `owned` may gain entries or capacity, so that the thread can tell
    /// whether its current context has anything detached without borrowing it.
    pub(crate) detached: &'a Cell<bool>,
    /// This map's bit of the thread's shadowing hint (invariant 7): `view::SHADOW_SHARED`
    /// or `view::SHADOW_PRIVATE` for the current context's maps, 0 for any other map.
    pub(crate) shadow_bit: u8,
}

impl LiveMap<'_> {
    /// The value bound to var `id`, wherever the map is.
    #[inline(always)]
    pub(crate) fn value<'e>(
        at_rest: &'e Bindings,
        owned: &'e Detached,
        id: u64,
        hints: &PositionHints,
    ) -> Option<&'e ErasedValue> {
        match &at_rest.map {
            Some(map) => hints.value(map, id),
            None => owned.value(id, hints),
        }
    }

    /// The value bound to var `id` if the thread's position hint finds it; `None` says
    /// nothing (an overlay hit shadows the base, so it is the binding).
    #[inline(always)]
    pub(crate) fn hit<'e>(
        at_rest: &'e Bindings,
        owned: &'e Detached,
        id: u64,
        hints: &PositionHints,
    ) -> Option<&'e ErasedValue> {
        match &at_rest.map {
            Some(map) => hints.hit(map, id),
            None => hints.hit(&owned.overlay, id),
        }
    }

    /// Moves a detached map back to rest, so that a snapshot can share it (invariant 3):
    /// a move into a new `Arc` if it has no base, the base itself if the overlay is empty
    /// (every change undone), else a merge into a new map. Returns a merged-away base, for
    /// the caller to drop after releasing the slot.
    #[inline]
    pub(crate) fn settle(&mut self) -> Option<SharedMap> {
        let owned = &mut *self.owned;
        if owned.is_empty() {
            return None;
        }
        match owned.base.take() {
            None => {
                if !owned.overlay.is_empty() {
                    *self.at_rest = Bindings::from_entries(mem::take(&mut owned.overlay));
                }
                None
            }
            Some(base) if owned.overlay.is_empty() && owned.removed.is_empty() => {
                self.at_rest.map = Some(base);
                None
            }
            Some(base) => {
                let merged = Detached::merge(&base, owned.overlay.drain(..), &owned.removed);
                owned.removed.clear();
                *self.at_rest = Bindings::from_entries(merged);
                Some(base)
            }
        }
    }

    /// Binds `value` to var `id`; returns the previous value (if any) in `displaced.value`.
    #[inline(never)]
    pub(crate) fn insert(
        &mut self,
        id: u64,
        name: &'static str,
        value: ErasedValue,
        hints: &PositionHints,
    ) -> Displaced {
        let owned = self.detach();
        if owned.is_base_value(id, &value, hints) {
            // Restoring the base's own binding (a reset after a set or an unbinding on a
            // shared map): drop the overlay's entry or the removal rather than shadow the
            // base with its own value, so an undone change leaves nothing to merge.
            // `value` is not the last handle (the base holds one), so dropping it here
            // runs no user code.
            drop(value);
            if let Ok(at) = owned.removed.binary_search(&id) {
                owned.removed.remove(at);
            }
            // A plain search: the hint keeps the var's position in the base.
            let value = search(&owned.overlay, id)
                .ok()
                .map(|at| owned.overlay.remove(at).value);
            if owned.overlay.is_empty() && owned.removed.is_empty() {
                // Every change undone: the base is the whole map again, at rest (a move),
                // and dropped snapshots need not look for it (invariant 7).
                self.at_rest.map = owned.base.take();
                if self.shadow_bit != 0 {
                    view::clear_shadowing(self.shadow_bit);
                }
            }
            return Displaced { value };
        }
        let value = match hints.find(&owned.overlay, id) {
            Ok(at) => Some(mem::replace(&mut owned.overlay[at].value, value)),
            Err(at) => {
                let shadowed = owned.shadow(id, hints);
                owned.overlay.insert(at, Entry { id, name, value });
                shadowed
            }
        };
        Displaced { value }
    }

    /// Binds `value` to var `id` by overwriting the old value in place, if the map is
    /// detached, the var is where `hints` says in the overlay and its value's `Arc` is
    /// unique (invariant 4): returns the old value, or `value` back if any of that does not
    /// hold (then [`rebind`](Self::rebind) does it in general). Nothing here allocates or
    /// touches an atomic but the uniqueness check, and it is small enough to inline.
    #[inline(always)]
    pub(crate) fn rebind_in_place<T: Send + Sync + 'static>(
        &mut self,
        id: u64,
        value: T,
        hints: &PositionHints,
    ) -> Result<T, T> {
        if self.at_rest.map.is_none() {
            if let Some(entry) = self.owned.overlay.get_mut(hints.get(id)) {
                if entry.id == id {
                    if let Some(old) = unique_mut::<T>(&mut entry.value) {
                        return Ok(mem::replace(old, value));
                    }
                }
            }
        }
        Err(value)
    }

    /// Whether the map is at rest (in its `Arc`; then nothing is detached: invariant 3).
    #[inline(always)]
    pub(crate) fn is_at_rest(&self) -> bool {
        self.at_rest.map.is_some()
    }

    /// Puts `old` back as var `id`'s value by swapping it with the current one in place,
    /// under the same conditions as [`rebind_in_place`](Self::rebind_in_place): afterwards
    /// `old` holds the value that was bound (for the caller to drop after releasing the
    /// slot). Returns `false`, changing nothing, if they do not hold.
    #[inline(always)]
    pub(crate) fn restore_in_place<T: Send + Sync + 'static>(
        &mut self,
        id: u64,
        old: &mut T,
        hints: &PositionHints,
    ) -> bool {
        if self.at_rest.map.is_none() {
            if let Some(entry) = self.owned.overlay.get_mut(hints.get(id)) {
                if entry.id == id {
                    if let Some(current) = unique_mut::<T>(&mut entry.value) {
                        mem::swap(current, old);
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Binds `value` to var `id`, which must be unbound, if the map is detached without a
    /// base (invariant 3: then the overlay is the whole map): one insertion into the
    /// overlay, in `spare`'s cell if it kept one of var `id` (`cell.rs`, invariant 5).
    /// Returns `value` back, changing nothing, if the map keeps a base or the var is bound
    /// after all (then [`rebind`](Self::rebind) does it in general).
    #[inline]
    pub(crate) fn bind_unbound_owned<T: Send + Sync + 'static>(
        &mut self,
        id: u64,
        name: &'static str,
        value: T,
        hints: &PositionHints,
        spare: &Spare,
    ) -> Result<(), T> {
        if self.at_rest.map.is_some() || self.owned.base.is_some() {
            return Err(value);
        }
        let at = match search(&self.owned.overlay, id) {
            Ok(_) => return Err(value),
            Err(at) => at,
        };
        self.detached.set(true);
        let value = spare.erase(id, value);
        let entry = Entry { id, name, value };
        // The var sorts last in the common case (a var bound and unbound around a call).
        if at == self.owned.overlay.len() {
            self.owned.overlay.push(entry);
        } else {
            self.owned.overlay.insert(at, entry);
        }
        hints.remember(id, at);
        Ok(())
    }

    /// Unbinds var `id` if the map is detached without a base and the var is where `hints`
    /// says in the overlay: returns its value cell, for the caller to drop or park after
    /// releasing the slot; `None` (nothing changed) otherwise.
    #[inline(always)]
    pub(crate) fn unbind_owned(&mut self, id: u64, hints: &PositionHints) -> Option<ErasedValue> {
        if self.at_rest.map.is_some() || self.owned.base.is_some() {
            return None;
        }
        let overlay = &mut self.owned.overlay;
        let at = hints.get(id);
        if overlay.get(at)?.id != id {
            return None;
        }
        // Invariant 3: an emptied overlay keeps its capacity for the next binding. The
        // last entry (the common case, see `bind_unbound_owned`) is popped, not shifted.
        let entry = if at + 1 == overlay.len() {
            overlay.pop()?
        } else {
            overlay.remove(at)
        };
        Some(entry.value)
    }

    /// Binds `value` to var `id`, overwriting the old value in place when `in_place` and
    /// its `Arc` is unique (invariant 4), else displacing it whole; a new value cell is
    /// `spare`'s if it kept one of var `id` (`cell.rs`, invariant 5). Returns the old
    /// binding (`None`: unbound).
    #[inline(never)]
    pub(crate) fn rebind<T: Send + Sync + 'static>(
        &mut self,
        id: u64,
        name: &'static str,
        value: T,
        hints: &PositionHints,
        in_place: bool,
        spare: &Spare,
    ) -> Option<OldValue<T>> {
        let owned = self.detach();
        match hints.find(&owned.overlay, id) {
            Ok(at) => {
                let slot = &mut owned.overlay[at].value;
                let unique = if in_place {
                    unique_mut::<T>(slot)
                } else {
                    None
                };
                Some(match unique {
                    Some(old) => OldValue::Moved(mem::replace(old, value)),
                    None => OldValue::Shared(mem::replace(slot, spare.erase(id, value))),
                })
            }
            Err(at) => {
                let shadowed = owned.shadow(id, hints);
                let value = spare.erase(id, value);
                owned.overlay.insert(at, Entry { id, name, value });
                shadowed.map(OldValue::Shared)
            }
        }
    }

    /// Unbinds var `id`; returns the value it had (if any) in `displaced.value`.
    #[inline(never)]
    pub(crate) fn remove(&mut self, id: u64, hints: &PositionHints) -> Displaced {
        if LiveMap::value(self.at_rest, self.owned, id, hints).is_none() {
            return Displaced::default();
        }
        let owned = self.detach();
        // Invariant 3: an emptied overlay keeps its capacity for the next binding.
        let from_overlay = hints
            .find(&owned.overlay, id)
            .ok()
            .map(|at| owned.overlay.remove(at).value);
        let in_base = owned
            .base
            .as_ref()
            .and_then(|base| search(base, id).ok().map(|at| &base[at].value));
        let value = match in_base {
            Some(base_value) => {
                // Bound (checked above) and in the overlay or not removed: now removed.
                let from_base = from_overlay.is_none().then(|| base_value.clone());
                if let Err(at) = owned.removed.binary_search(&id) {
                    owned.removed.insert(at, id);
                }
                from_overlay.or(from_base)
            }
            None => from_overlay,
        };
        Displaced { value }
    }

    /// The map, detached (invariant 2): taken out of its `Arc` if that is unique, else kept
    /// as the base of an empty overlay.
    #[inline]
    fn detach(&mut self) -> &mut Detached {
        self.detached.set(true);
        if let Some(map) = self.at_rest.map.take() {
            // A visibly shared map skips `try_unwrap`'s compare-and-swap.
            let map = if Arc::strong_count(&map) != 1 {
                Err(map)
            } else {
                Arc::try_unwrap(map)
            };
            match map {
                // The overlay was empty (invariant 3); its kept buffer is freed.
                Ok(entries) => self.owned.overlay = entries,
                Err(map) => {
                    self.owned.base = Some(map);
                    // Invariant 7: dropped snapshots look for this base.
                    if self.shadow_bit != 0 {
                        view::note_shadowing(self.shadow_bit);
                    }
                }
            }
        }
        self.owned
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::erase;

    fn ids(entries: &[Entry]) -> Vec<u64> {
        entries.iter().map(|e| e.id).collect()
    }

    /// A map of the current context, for tests: its two halves.
    struct Live {
        at_rest: Bindings,
        owned: Detached,
        detached: Cell<bool>,
    }

    impl Default for Live {
        fn default() -> Live {
            Live {
                at_rest: Bindings::EMPTY,
                owned: Detached::EMPTY,
                detached: Cell::new(false),
            }
        }
    }

    impl Live {
        fn map(&mut self) -> LiveMap<'_> {
            LiveMap {
                at_rest: &mut self.at_rest,
                owned: &mut self.owned,
                detached: &self.detached,
                shadow_bit: 0,
            }
        }

        /// The whole map, as a copy.
        fn entries(&self) -> Vec<Entry> {
            match &self.at_rest.map {
                Some(map) => map.to_vec(),
                None => self.owned.copy(),
            }
        }

        fn get(&self, id: u64) -> Option<&ErasedValue> {
            LiveMap::value(&self.at_rest, &self.owned, id, &PositionHints::new())
        }

        fn share(&mut self) -> Bindings {
            drop(self.map().settle());
            self.at_rest.clone()
        }
    }

    #[test]
    fn insert_keeps_entries_sorted_and_unique() {
        let h = PositionHints::new();
        let mut b = Live::default();
        for id in [5, 1, 9, 3, 5, 12, 7, 2, 11, 10, 4] {
            let _ = b.map().insert(id, "v", erase(id), &h);
        }
        assert_eq!(ids(&b.entries()), vec![1, 2, 3, 4, 5, 7, 9, 10, 11, 12]);
        assert_eq!(b.get(5).unwrap().downcast_ref::<u64>(), Some(&5));
        assert!(b.get(6).is_none());
        let at_rest = b.share();
        assert_eq!(
            ids(at_rest.entries()),
            vec![1, 2, 3, 4, 5, 7, 9, 10, 11, 12]
        );
        assert!(at_rest.get(8).is_none());
        assert_eq!(at_rest.get(12).unwrap().downcast_ref::<u64>(), Some(&12));
    }

    #[test]
    fn hints_are_checked_before_use() {
        let h = PositionHints::new();
        let mut b = Live::default();
        for id in [10, 20, 30] {
            let _ = b.map().insert(id, "v", erase(id), &h);
        }
        let value = |b: &Live, id| LiveMap::value(&b.at_rest, &b.owned, id, &h).cloned();
        assert_eq!(value(&b, 30).unwrap().downcast_ref(), Some(&30u64));
        // The hint for 30 now says position 2; after a removal it points past the end,
        // and after an insertion in front it points at another var.
        let _ = b.map().remove(10, &h);
        assert_eq!(value(&b, 30).unwrap().downcast_ref(), Some(&30u64));
        let _ = b.map().insert(5, "v", erase(5u64), &h);
        let _ = b.map().insert(6, "v", erase(6u64), &h);
        assert_eq!(value(&b, 30).unwrap().downcast_ref(), Some(&30u64));
        assert!(value(&b, 10).is_none());
        // Ids 30 and 14 share a hint (30 % 16 == 14).
        assert!(value(&b, 14).is_none());
        assert_eq!(value(&b, 30).unwrap().downcast_ref(), Some(&30u64));
    }

    #[test]
    fn mutating_a_shared_map_leaves_the_other_copy_alone() {
        let h = PositionHints::new();
        let mut a = Live::default();
        let _ = a.map().insert(1, "one", erase(1u32), &h);
        let _ = a.map().insert(2, "two", erase(2u32), &h);
        let snapshot = a.share();
        assert!(a.at_rest.map.is_some() && a.owned.is_empty(), "settled");
        let displaced = a.map().insert(1, "one", erase(3u32), &h);
        assert_eq!(
            displaced.value.unwrap().downcast_ref::<u32>(),
            Some(&1),
            "the shadowed value is handed back (invariant 6)"
        );
        assert!(a.at_rest.map.is_none(), "detached again");
        let base = a.owned.base.as_ref().expect("the shared map is the base");
        assert!(
            Arc::ptr_eq(base, snapshot.map.as_ref().unwrap()),
            "not copied"
        );
        assert_eq!(ids(&a.owned.overlay), vec![1]);
        assert_eq!(snapshot.get(1).unwrap().downcast_ref::<u32>(), Some(&1));
        assert_eq!(a.get(1).unwrap().downcast_ref::<u32>(), Some(&3));
        assert_eq!(a.get(2).unwrap().downcast_ref::<u32>(), Some(&2));
        // Unbinding a var only the base binds: removed, the base untouched.
        let displaced = a.map().remove(2, &h);
        assert_eq!(displaced.value.unwrap().downcast_ref::<u32>(), Some(&2));
        assert!(a.get(2).is_none());
        assert_eq!(snapshot.get(2).unwrap().downcast_ref::<u32>(), Some(&2));
        // Settling merges: the base is handed back for the caller to drop.
        let merged_away = a.map().settle();
        assert!(merged_away.is_some());
        assert_eq!(ids(a.at_rest.entries()), vec![1]);
        assert_eq!(a.get(1).unwrap().downcast_ref::<u32>(), Some(&3));
        assert_eq!(ids(snapshot.entries()), vec![1, 2]);
    }

    #[test]
    fn an_undone_change_on_a_shared_map_settles_to_the_map_itself() {
        let h = PositionHints::new();
        let mut a = Live::default();
        for id in 1..=20 {
            let _ = a.map().insert(id, "v", erase(id), &h);
        }
        let snapshot = a.share();
        let old = a.map().rebind(7, "v", 70u64, &h, true, &Spare::new());
        let Some(OldValue::Shared(old)) = old else {
            panic!("a base value is shared, never moved");
        };
        assert_eq!(a.get(7).unwrap().downcast_ref::<u64>(), Some(&70));
        // Reset: putting the base's own value back drops the overlay entry.
        let displaced = a.map().insert(7, "v", old, &h);
        assert_eq!(displaced.value.unwrap().downcast_ref::<u64>(), Some(&70));
        assert!(a.owned.overlay.is_empty());
        // Unbind and rebind a base var: the removal is undone too.
        let _ = a.map().remove(3, &h);
        assert!(a.get(3).is_none());
        assert!(
            a.map()
                .rebind(3, "v", 30u64, &h, true, &Spare::new())
                .is_none(),
            "was unbound"
        );
        assert!(a.owned.removed.is_empty());
        assert_eq!(a.get(3).unwrap().downcast_ref::<u64>(), Some(&30));
        let _ = a.map().remove(3, &h);
        let _ = a.map().insert(3, "v", snapshot.get(3).unwrap().clone(), &h);
        assert!(a.owned.overlay.is_empty() && a.owned.removed.is_empty());
        assert!(a.map().settle().is_none(), "nothing to merge");
        assert!(Arc::ptr_eq(
            a.at_rest.map.as_ref().unwrap(),
            snapshot.map.as_ref().unwrap()
        ));
    }

    #[test]
    fn a_map_no_snapshot_shares_any_more_is_taken_back_not_copied() {
        let h = PositionHints::new();
        let mut a = Live::default();
        let _ = a.map().insert(1, "one", erase(1u32), &h);
        drop(a.share());
        let _ = a.map().insert(2, "two", erase(2u32), &h);
        assert!(
            a.owned.base.is_none(),
            "a unique map is taken, not shadowed"
        );
        assert!(a.at_rest.map.is_none());
        assert_eq!(ids(&a.entries()), vec![1, 2]);
    }

    #[test]
    fn rebinding_a_unique_value_overwrites_it_in_place() {
        let h = PositionHints::new();
        let mut a = Live::default();
        assert!(a
            .map()
            .rebind(7, "v", 1u64, &h, true, &Spare::new())
            .is_none());
        let before = Arc::as_ptr(a.get(7).unwrap());
        let old = a.map().rebind(7, "v", 2u64, &h, true, &Spare::new());
        assert!(matches!(old, Some(OldValue::Moved(1))));
        assert!(std::ptr::addr_eq(Arc::as_ptr(a.get(7).unwrap()), before));
        assert_eq!(a.map().rebind_in_place(7, 4u64, &h), Ok(2));
        assert!(std::ptr::addr_eq(Arc::as_ptr(a.get(7).unwrap()), before));
        assert_eq!(a.map().rebind_in_place(8, 5u64, &h), Err(5), "unbound");
        let _ = a.map().rebind(9, "w", 9u64, &h, true, &Spare::new());
        // A snapshot shares the value: the next rebinding allocates a new one.
        let snapshot = a.share();
        assert_eq!(a.map().rebind_in_place(7, 3u64, &h), Err(3), "at rest");
        let old = a.map().rebind(7, "v", 3u64, &h, true, &Spare::new());
        assert!(matches!(old, Some(OldValue::Shared(_))));
        assert!(a.owned.base.is_some(), "the shared map is the base");
        assert_eq!(a.map().rebind_in_place(7, 6u64, &h), Ok(3), "a new value");
        assert_eq!(
            a.map().rebind_in_place(9, 10u64, &h),
            Err(10),
            "a value the snapshot shares"
        );
        assert_eq!(snapshot.get(7).unwrap().downcast_ref::<u64>(), Some(&4));
        assert_eq!(a.get(7).unwrap().downcast_ref::<u64>(), Some(&6));
        assert_eq!(snapshot.get(9).unwrap().downcast_ref::<u64>(), Some(&9));
    }

    #[test]
    fn removing_the_last_binding_keeps_the_owned_capacity() {
        let h = PositionHints::new();
        let mut b = Live::default();
        let _ = b.map().insert(3, "x", erase(()), &h);
        assert!(b.detached.get());
        let displaced = b.map().remove(3, &h);
        assert!(displaced.value.is_some());
        assert!(b.entries().is_empty());
        assert!(b.owned.overlay.capacity() > 0);
        assert!(b.map().remove(3, &h).value.is_none());
        assert!(b.share().map.is_none(), "at rest, empty means no map");
    }

    #[test]
    fn merge_matches_a_model() {
        // Random-ish changes over a shared base, checked against a BTreeMap model.
        let h = PositionHints::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..50 {
            let mut a = Live::default();
            let mut model = std::collections::BTreeMap::new();
            for _ in 0..(next() % 30) {
                let id = 1 + next() % 40;
                let _ = a.map().insert(id, "v", erase(id), &h);
                model.insert(id, id);
            }
            let snapshot = a.share();
            let frozen = model.clone();
            for step in 0..(next() % 40) {
                let id = 1 + next() % 40;
                if next() % 3 == 0 {
                    let _ = a.map().remove(id, &h);
                    model.remove(&id);
                } else {
                    let _ = a.map().insert(id, "v", erase(id * 100 + step), &h);
                    model.insert(id, id * 100 + step);
                }
                for probe in 1..=40 {
                    let got = a.get(probe).map(|v| *v.downcast_ref::<u64>().unwrap());
                    assert_eq!(got, model.get(&probe).copied(), "id {probe}");
                }
            }
            let copied = ids(&a.entries());
            drop(a.map().settle());
            assert_eq!(ids(a.at_rest.entries()), copied);
            let got: Vec<(u64, u64)> = a
                .at_rest
                .entries()
                .iter()
                .map(|e| (e.id, *e.value.downcast_ref::<u64>().unwrap()))
                .collect();
            assert_eq!(got, model.into_iter().collect::<Vec<_>>());
            let kept: Vec<(u64, u64)> = snapshot
                .entries()
                .iter()
                .map(|e| (e.id, *e.value.downcast_ref::<u64>().unwrap()))
                .collect();
            assert_eq!(kept, frozen.into_iter().collect::<Vec<_>>());
        }
    }
}
