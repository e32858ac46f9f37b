//! The binding maps: sorted maps from var id to value, shared between snapshots, or owned
//! by the thread whose current context is changing them.
//!
//! Owns the representation of one set of bindings, in two places:
//! - [`Bindings`], a map *at rest* (in a [`Context`](crate::Context), or in the current
//!   context while a snapshot may share it): `None` or one `Arc`, so cloning it — taking a
//!   snapshot — is one refcount.
//! - The current context's map *detached* into an owned `Vec` (the `owned` half of a
//!   [`LiveMap`]) while no snapshot shares it, so that `set`/`reset` touch no atomics and
//!   allocate nothing. Taking a snapshot settles the `Vec` back into an `Arc` (a move, no
//!   copy); the next change takes it out again if the snapshot is gone, or copies it.
//!
//! Invariants:
//! 1. Entries are sorted by var id, with no id twice.
//! 2. A map behind an `Arc` is never mutated while another holder may see it: a mutation
//!    first detaches it — taken out of the `Arc` if that is unique (`Arc::try_unwrap`),
//!    else copied — so snapshots stay isolated.
//! 3. A [`LiveMap`] holds its entries in exactly one of its halves: the `Arc` at rest, or
//!    the owned `Vec`, which then is reachable from nothing but the current context and
//!    keeps its capacity when emptied.
//! 4. A value whose `Arc` is unique (`cell::unique_mut`: one load, no CAS) is reachable
//!    from no snapshot or token, so a rebinding may overwrite it in place and move the old
//!    `T` out (into the caller's token) instead of allocating a new `Arc`. The thread's
//!    read view has forgotten it by then (rule 2 in `view.rs`), and no `with` callback
//!    holds it: while one holds a lent value, callers pass `in_place = false` and never
//!    call `rebind_in_place` (rule 7 in `view.rs`).
//! 5. [`Bindings`] is `None` exactly when there are no bindings at rest, so an empty
//!    context costs no allocation.
//!
//! Costs: snapshot O(1) (at most one allocation, then one refcount); lookup O(1) when the
//! thread's position hint is right, else O(log n); insert/remove O(log n) plus a shift;
//! O(n) refcount copies the first time a map is changed while a snapshot shares it.
//! Anything a mutation displaces (an old value, the shared map it copied from) is handed
//! back to the caller to drop after it has released the current-context slot, because
//! dropping a value runs user code that may read context variables.

use std::cell::Cell;
use std::mem;

use crate::cell::unique_mut;
use crate::sync::{self, Arc, ErasedValue};

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
// The fields are only held, to be dropped by the caller (tests read them).
#[allow(dead_code)]
pub(crate) struct Displaced {
    pub(crate) value: Option<ErasedValue>,
    pub(crate) map: Option<SharedMap>,
}

/// The binding a rebinding replaced.
pub(crate) enum OldValue<T> {
    /// Moved out of a value overwritten in place (invariant 4).
    Moved(T),
    /// A whole shared value, displaced by a new one.
    Shared(ErasedValue),
}

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
        let mut owned = Vec::new();
        let detached = Cell::new(false);
        let mut live = LiveMap {
            at_rest: self,
            owned: &mut owned,
            detached: &detached,
        };
        let displaced = live.insert(id, name, value, &PositionHints::new());
        live.settle();
        displaced
    }
}

/// One map of the current context: at rest or detached (invariant 3).
pub(crate) struct LiveMap<'a> {
    /// The map at rest; `None` while detached.
    pub(crate) at_rest: &'a mut Bindings,
    /// The detached map; empty while at rest.
    pub(crate) owned: &'a mut Vec<Entry>,
    /// Set whenever `owned` may gain entries or capacity, so that the thread can tell
    /// whether its current context has anything detached without borrowing it.
    pub(crate) detached: &'a Cell<bool>,
}

impl LiveMap<'_> {
    /// The sorted entries, wherever they are.
    #[inline(always)]
    pub(crate) fn entries<'e>(at_rest: &'e Bindings, owned: &'e [Entry]) -> &'e [Entry] {
        match &at_rest.map {
            Some(map) => map,
            None => owned,
        }
    }

    /// Moves a detached map back to rest, so that a snapshot can share it: a move into a
    /// new `Arc`, no copy. Leaves `owned` empty, without capacity.
    pub(crate) fn settle(&mut self) {
        if !self.owned.is_empty() {
            *self.at_rest = Bindings::from_entries(mem::take(self.owned));
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
        let (entries, map) = self.detach();
        let value = match hints.find(entries, id) {
            Ok(at) => Some(mem::replace(&mut entries[at].value, value)),
            Err(at) => {
                entries.insert(at, Entry { id, name, value });
                None
            }
        };
        Displaced { value, map }
    }

    /// Binds `value` to var `id` by overwriting the old value in place, if the map is
    /// detached, the var is where `hints` says and its value's `Arc` is unique (invariant
    /// 4): returns the old value, or `value` back if any of that does not hold (then
    /// [`rebind`](Self::rebind) does it in general). Nothing here allocates or touches an
    /// atomic but the uniqueness check, and it is small enough to inline.
    #[inline(always)]
    pub(crate) fn rebind_in_place<T: Send + Sync + 'static>(
        &mut self,
        id: u64,
        value: T,
        hints: &PositionHints,
    ) -> Result<T, T> {
        if self.at_rest.map.is_none() {
            if let Some(entry) = self.owned.get_mut(hints.get(id)) {
                if entry.id == id {
                    if let Some(old) = unique_mut::<T>(&mut entry.value) {
                        return Ok(mem::replace(old, value));
                    }
                }
            }
        }
        Err(value)
    }

    /// Binds `value` to var `id`, overwriting the old value in place when `in_place` and
    /// its `Arc` is unique (invariant 4), else displacing it whole. Returns the old binding (`None`:
    /// unbound) and the shared map copied from, if any.
    #[inline(never)]
    pub(crate) fn rebind<T: Send + Sync + 'static>(
        &mut self,
        id: u64,
        name: &'static str,
        value: T,
        hints: &PositionHints,
        in_place: bool,
    ) -> (Option<OldValue<T>>, Option<SharedMap>) {
        let (entries, map) = self.detach();
        let old = match hints.find(entries, id) {
            Ok(at) => {
                let slot = &mut entries[at].value;
                let unique = if in_place {
                    unique_mut::<T>(slot)
                } else {
                    None
                };
                Some(match unique {
                    Some(old) => OldValue::Moved(mem::replace(old, value)),
                    None => OldValue::Shared(mem::replace(slot, sync::erase(value))),
                })
            }
            Err(at) => {
                let value = sync::erase(value);
                entries.insert(at, Entry { id, name, value });
                None
            }
        };
        (old, map)
    }

    /// Unbinds var `id`; returns the value it had (if any) in `displaced.value`.
    #[inline(never)]
    pub(crate) fn remove(&mut self, id: u64, hints: &PositionHints) -> Displaced {
        let entries = LiveMap::entries(self.at_rest, self.owned);
        if hints.find(entries, id).is_err() {
            return Displaced::default();
        }
        let (entries, map) = self.detach();
        let at = hints
            .find(entries, id)
            .expect("checked above: the id is bound");
        // Invariant 3: the emptied `Vec` keeps its capacity for the next binding.
        let value = Some(entries.remove(at).value);
        Displaced { value, map }
    }

    /// The entries, detached (invariant 2), and the shared map copied from, if any.
    #[inline]
    fn detach(&mut self) -> (&mut Vec<Entry>, Option<SharedMap>) {
        self.detached.set(true);
        let mut copied_from = None;
        if let Some(map) = self.at_rest.map.take() {
            match Arc::try_unwrap(map) {
                Ok(entries) => *self.owned = entries,
                Err(map) => {
                    // `owned` is empty here (invariant 3); reuse its capacity if it can.
                    if self.owned.capacity() < map.len() {
                        *self.owned = Vec::with_capacity(map.len());
                    }
                    self.owned.extend_from_slice(&map);
                    copied_from = Some(map);
                }
            }
        }
        (self.owned, copied_from)
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
    #[derive(Default)]
    struct Live {
        at_rest: Bindings,
        owned: Vec<Entry>,
        detached: Cell<bool>,
    }

    impl Live {
        fn map(&mut self) -> LiveMap<'_> {
            LiveMap {
                at_rest: &mut self.at_rest,
                owned: &mut self.owned,
                detached: &self.detached,
            }
        }

        fn entries(&self) -> &[Entry] {
            LiveMap::entries(&self.at_rest, &self.owned)
        }

        fn get(&self, id: u64) -> Option<&ErasedValue> {
            PositionHints::new().value(self.entries(), id)
        }

        fn share(&mut self) -> Bindings {
            self.map().settle();
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
        assert_eq!(ids(b.entries()), vec![1, 2, 3, 4, 5, 7, 9, 10, 11, 12]);
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
        assert_eq!(
            h.value(b.entries(), 30).unwrap().downcast_ref(),
            Some(&30u64)
        );
        // The hint for 30 now says position 2; after a removal it points past the end,
        // and after an insertion in front it points at another var.
        let _ = b.map().remove(10, &h);
        assert_eq!(
            h.value(b.entries(), 30).unwrap().downcast_ref(),
            Some(&30u64)
        );
        let _ = b.map().insert(5, "v", erase(5u64), &h);
        let _ = b.map().insert(6, "v", erase(6u64), &h);
        assert_eq!(
            h.value(b.entries(), 30).unwrap().downcast_ref(),
            Some(&30u64)
        );
        assert!(h.value(b.entries(), 10).is_none());
        // Ids 30 and 14 share a hint (30 % 16 == 14).
        assert!(h.value(b.entries(), 14).is_none());
        assert_eq!(
            h.value(b.entries(), 30).unwrap().downcast_ref(),
            Some(&30u64)
        );
    }

    #[test]
    fn mutating_a_shared_map_leaves_the_other_copy_alone() {
        let h = PositionHints::new();
        let mut a = Live::default();
        let _ = a.map().insert(1, "one", erase(1u32), &h);
        let snapshot = a.share();
        assert!(a.at_rest.map.is_some() && a.owned.is_empty(), "settled");
        let displaced = a.map().insert(1, "one", erase(2u32), &h);
        assert!(
            displaced.map.is_some(),
            "the shared map was copied, not mutated"
        );
        assert!(a.at_rest.map.is_none(), "detached again");
        assert_eq!(snapshot.get(1).unwrap().downcast_ref::<u32>(), Some(&1));
        assert_eq!(a.get(1).unwrap().downcast_ref::<u32>(), Some(&2));
    }

    #[test]
    fn a_map_no_snapshot_shares_any_more_is_taken_back_not_copied() {
        let h = PositionHints::new();
        let mut a = Live::default();
        let _ = a.map().insert(1, "one", erase(1u32), &h);
        drop(a.share());
        let displaced = a.map().insert(2, "two", erase(2u32), &h);
        assert!(displaced.map.is_none(), "a unique map is not copied");
        assert!(a.at_rest.map.is_none());
        assert_eq!(ids(a.entries()), vec![1, 2]);
    }

    #[test]
    fn rebinding_a_unique_value_overwrites_it_in_place() {
        let h = PositionHints::new();
        let mut a = Live::default();
        assert!(a.map().rebind(7, "v", 1u64, &h, true).0.is_none());
        let before = Arc::as_ptr(a.get(7).unwrap());
        let (old, map) = a.map().rebind(7, "v", 2u64, &h, true);
        assert!(matches!(old, Some(OldValue::Moved(1))));
        assert!(map.is_none());
        assert!(std::ptr::addr_eq(Arc::as_ptr(a.get(7).unwrap()), before));
        assert_eq!(a.map().rebind_in_place(7, 4u64, &h), Ok(2));
        assert!(std::ptr::addr_eq(Arc::as_ptr(a.get(7).unwrap()), before));
        assert_eq!(a.map().rebind_in_place(8, 5u64, &h), Err(5), "unbound");
        let _ = a.map().rebind(9, "w", 9u64, &h, true);
        // A snapshot shares the value: the next rebinding allocates a new one.
        let snapshot = a.share();
        assert_eq!(a.map().rebind_in_place(7, 3u64, &h), Err(3), "at rest");
        let (old, map) = a.map().rebind(7, "v", 3u64, &h, true);
        assert!(matches!(old, Some(OldValue::Shared(_))));
        assert!(map.is_some(), "the shared map was copied");
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
        assert!(b.owned.capacity() > 0);
        assert!(b.map().remove(3, &h).value.is_none());
        assert!(b.share().map.is_none(), "at rest, empty means no map");
    }
}
