//! The binding maps: sorted maps from var id to value, shared between snapshots, or owned
//! by the thread whose current context is changing them.
//!
//! Owns the representation of one set of bindings, in two places:
//! - [`Bindings`], a map *at rest* (in a [`Context`](crate::Context), or in the current
//!   context while a snapshot may share it): `None` or one `Arc`, so cloning it — taking a
//!   snapshot — is one refcount.
//! - The current context's map *detached* into a [`Detached`] (the `owned` half of a
//!   [`LiveMap`]), so that `set`/`reset` touch no map atomics and allocate nothing:
//!   - if no snapshot shared the map, its entries are moved out of the `Arc` into the
//!     owned `overlay` (`Arc::try_unwrap`), and the overlay is the whole map;
//!   - if a snapshot still shares it, the shared map stays as it is, as the `base`, and
//!     changes go to a small owned `overlay` of entries that shadow the base's, plus a
//!     sorted list of ids `removed` from it. So the first `set` after a snapshot costs
//!     what a set of a new var costs, whatever the number of bindings: nothing is copied.
//!
//!   Taking a snapshot (or leaving the context) settles the map back to rest: a move
//!   into a new `Arc` (no base), a move of the base back (an overlay emptied by resets),
//!   or else one merge of the base and the overlay into a new map, which the next change
//!   takes back with `Arc::try_unwrap` since nothing else holds it.
//!
//! Invariants:
//! 1. Entries are sorted by var id, with no id twice; so are `overlay` and `removed`.
//! 2. A map behind an `Arc` is never mutated while another holder may see it: a mutation
//!    first detaches it — taken out of the `Arc` if that is unique (`Arc::try_unwrap`),
//!    else kept whole as the `base` of an overlay — so snapshots stay isolated.
//! 3. A [`LiveMap`] holds its entries in exactly one of its halves: the `Arc` at rest (then
//!    its [`Detached`] holds no entries, no base and no removed ids), or the [`Detached`],
//!    which then is reachable from nothing but the current context. The detached map is
//!    `overlay` ∪ (`base` minus the ids in `overlay` or `removed`). An id is never in both
//!    `overlay` and `removed`, every id in `removed` is bound in `base`, and without a
//!    base `removed` is empty. An emptied overlay keeps its buffer (up to
//!    [`KEPT_CAPACITY`] entries) for the next detach.
//! 4. A value whose `Arc` is unique (`cell::unique_mut`: one load, no CAS) is reachable
//!    from no snapshot or token, so a rebinding may overwrite it in place and move the old
//!    `T` out (into the caller's token) instead of allocating a new `Arc`. The thread's
//!    read view has forgotten it by then (rule 2 in `view.rs`), and no `with` callback
//!    holds it: while one holds a lent value, callers pass `in_place = false` and never
//!    call `rebind_in_place` (rule 7 in `view.rs`). A value in a `base` is never unique
//!    (the snapshot holds the base), so only overlay values are overwritten in place.
//! 5. [`Bindings`] is `None` exactly when there are no bindings at rest, so an empty
//!    context costs no allocation.
//! 6. A value that stops being current (rebound, unbound, shadowed by the overlay) is
//!    handed to the caller as an owned handle, even when it stays in a `base`: a base can
//!    be dropped at the next settle, and a value lent to a `with` callback must outlive it
//!    (rule 7 in `view.rs`: the caller defers what it is handed).
//! 7. **Prompt drops.** A base is held by the current context and by snapshots. When a
//!    [`Context`](crate::Context) drops while this thread's current context has a base
//!    (a per-thread hint in the read view's thread-local, `view::is_shadowing`, one bit
//!    per map of the current context: set when it keeps a base, cleared when it keeps
//!    none — a settle, a reset that re-attaches the base, a fold), its `Drop` asks the current context to fold
//!    its overlay into any base nothing else holds now ([`Detached::absorb`]), so a value
//!    the overlay shadowed drops when its last snapshot does, as it would if the set had
//!    copied the map. A snapshot dropped on another thread cannot reach this thread's
//!    context (nor should it: the context is this thread's, unsynchronised): then the
//!    shadowed values drop at the context's next settle — its next snapshot, entering
//!    another context or leaving this one, so for a runtime task at the latest when the
//!    current poll ends — or when a snapshot dropped later on this thread folds. This
//!    bounded delay is the documented behaviour (`tests/tests/context_shadowed_value_drops.rs`
//!    pins both cases); a value that must drop at a precise point should not be shadowed
//!    while a snapshot on another thread holds it.
//!
//! Costs: snapshot O(1) (at most one allocation, then one refcount) unless the current
//! context changed a shared map since its last snapshot, then one O(n) merge; lookup O(1)
//! when the thread's position hint is right, else O(log n); insert/remove O(log n) plus a
//! shift of the overlay; the first change after a snapshot: O(log n), no copy. Anything a
//! mutation or a settle displaces (an old value, a base merged away) is handed back to the
//! caller to drop after it has released the current-context slot, because dropping a
//! value runs user code that may read context variables.

use std::cell::Cell;
use std::mem;

use crate::cell::{unique_mut, Spare};
use crate::sync::{Arc, ErasedValue};
use crate::view;

/// One binding: a var's id, its name (for `Debug` and iteration) and its value.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    pub(crate) value: ErasedValue,
}

/// A shared, immutable map (invariant 2).
pub(crate) type SharedMap = Arc<Vec<Entry>>;

/// A set of bindings at rest; see the module docs for its invariants.
#[derive(Clone, Default)]
pub(crate) struct Bindings {
    map: Option<SharedMap>,
}

/// What a mutation displaced: dropped by the caller outside the context slot's borrow.
#[must_use = "drop displaced values only after releasing the context slot"]
#[derive(Default)]
pub(crate) struct Displaced {
    pub(crate) value: Option<ErasedValue>,
}

/// The binding a rebinding replaced.
pub(crate) enum OldValue<T> {
    /// Moved out of a value overwritten in place (invariant 4).
    Moved(T),
    /// A whole shared value, displaced by a new one.
    Shared(ErasedValue),
}

/// The most overlay entries whose buffer a settled map keeps for the next detach.
pub(crate) const KEPT_CAPACITY: usize = 16;

impl Bindings {
    /// No bindings.
    pub(crate) const EMPTY: Bindings = Bindings { map: None };

    /// Sorted `entries` at rest: moved into an `Arc` (invariant 5: none if empty).
    pub(crate) fn from_entries(entries: Vec<Entry>) -> Bindings {
        Bindings {
            map: (!entries.is_empty()).then(|| Arc::new(entries)),
        }
    }

    /// The sorted entries (empty when there are none).
    #[inline]
    pub(crate) fn entries(&self) -> &[Entry] {
        match &self.map {
            Some(map) => map,
            None => &[],
        }
    }

    /// The value bound to var `id`, if any.
    #[inline]
    pub(crate) fn get(&self, id: u64) -> Option<&ErasedValue> {
        let entries = self.entries();
        search(entries, id).ok().map(|at| &entries[at].value)
    }

    /// The number of bindings.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }

    /// Binds `value` to var `id`; returns the previous value (if any) in `displaced.value`.
    pub(crate) fn insert(&mut self, id: u64, name: &'static str, value: ErasedValue) -> Displaced {
        let mut owned = Detached::EMPTY;
        let detached = Cell::new(false);
        let mut live = LiveMap {
            at_rest: self,
            owned: &mut owned,
            detached: &detached,
            // Not the current context's map: no hint.
            shadow_bit: 0,
        };
        let displaced = live.insert(id, name, value, &PositionHints::new());
        // No slot is borrowed here: a merged-away base may drop in place.
        drop(live.settle());
        displaced
    }
}

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

/// Per-thread guesses of where a var sits in its binding map, so that a lookup that hits
/// costs one comparison whatever the number of bindings.
///
/// A hint is only ever a guess: it is checked against the entry it points at before use,
/// so a stale one (the map changed, another context was entered, two vars share a
/// hint) costs a search and nothing else.
pub(crate) struct PositionHints([Cell<u32>; HINTS]);

/// The number of hints per thread (vars share them by id modulo this).
const HINTS: usize = 16;

impl PositionHints {
    /// No hints yet.
    pub(crate) const fn new() -> PositionHints {
        PositionHints([const { Cell::new(0) }; HINTS])
    }

    /// The guessed position of var `id`.
    #[inline(always)]
    fn get(&self, id: u64) -> usize {
        self.0[id as usize % HINTS].get() as usize
    }

    /// Remembers that var `id` sits at `at`.
    #[inline(always)]
    fn remember(&self, id: u64, at: usize) {
        // A position past `u32::MAX` would be stored wrong, which costs only a search.
        self.0[id as usize % HINTS].set(at as u32);
    }

    /// The value bound to var `id` in sorted `entries`, if any.
    #[inline(always)]
    pub(crate) fn value<'e>(&self, entries: &'e [Entry], id: u64) -> Option<&'e ErasedValue> {
        match entries.get(self.get(id)) {
            Some(entry) if entry.id == id => Some(&entry.value),
            _ => self.search_value(entries, id),
        }
    }

    /// The value bound to var `id` in `entries` if the hint is right; `None` says nothing.
    #[inline(always)]
    pub(crate) fn hit<'e>(&self, entries: &'e [Entry], id: u64) -> Option<&'e ErasedValue> {
        match entries.get(self.get(id)) {
            Some(entry) if entry.id == id => Some(&entry.value),
            _ => None,
        }
    }

    /// Where var `id` is (`Ok`) or would be inserted (`Err`) in sorted `entries`.
    #[inline(always)]
    fn find(&self, entries: &[Entry], id: u64) -> Result<usize, usize> {
        let hint = self.get(id);
        match entries.get(hint) {
            Some(entry) if entry.id == id => Ok(hint),
            _ => self.search(entries, id),
        }
    }

    /// [`value`](Self::value) when the hint missed.
    #[inline(never)]
    fn search_value<'e>(&self, entries: &'e [Entry], id: u64) -> Option<&'e ErasedValue> {
        let at = self.search(entries, id).ok()?;
        entries.get(at).map(|entry| &entry.value)
    }

    /// [`find`](Self::find) when the hint missed: a search, remembered if it hits.
    #[inline(never)]
    fn search(&self, entries: &[Entry], id: u64) -> Result<usize, usize> {
        let found = search(entries, id);
        if let Ok(at) = found {
            // A position past `u32::MAX` would be stored wrong, which costs only a search.
            self.0[id as usize % HINTS].set(at as u32);
        }
        found
    }
}

/// Where var `id` is (`Ok`) or would be inserted (`Err`) in sorted `entries`.
#[inline]
fn search(entries: &[Entry], id: u64) -> Result<usize, usize> {
    // Small maps (the common case) are faster to scan than to bisect.
    if entries.len() <= 8 {
        for (at, entry) in entries.iter().enumerate() {
            if entry.id >= id {
                return if entry.id == id { Ok(at) } else { Err(at) };
            }
        }
        return Err(entries.len());
    }
    entries.binary_search_by_key(&id, |entry| entry.id)
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
