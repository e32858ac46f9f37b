//! The binding map: an immutable-when-shared, sorted map from var id to value.
//!
//! Owns the representation of one set of bindings. Invariants:
//! 1. `map` is `None` exactly when there are no bindings (so an empty snapshot costs no
//!    allocation and `len` is one branch).
//! 2. Entries are sorted by var id, with no id twice.
//! 3. A map reachable from two places (two snapshots) is never mutated: a mutation first
//!    makes it unique (`Arc::get_mut`, else copy), so snapshots stay isolated.
//!
//! Costs: clone O(1) (one refcount); lookup O(log n); insert/remove O(log n) plus a shift
//! when the map is unique, O(n) refcount copies the first time after it was shared.
//! Anything a mutation displaces (an old value, the shared map it copied from) is handed
//! back to the caller to drop after it has released the current-context slot, because
//! dropping a value runs user code that may read context variables.

use crate::sync::{Arc, ErasedValue};

/// One binding: a var's id, its name (for `Debug` and iteration) and its value.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) id: u64,
    pub(crate) name: &'static str,
    pub(crate) value: ErasedValue,
}

/// A set of bindings; see the module docs for its invariants.
#[derive(Clone, Default)]
pub(crate) struct Bindings {
    map: Option<Arc<Vec<Entry>>>,
}

/// What a mutation displaced: dropped by the caller outside the context slot's borrow.
#[must_use = "drop displaced values only after releasing the context slot"]
#[derive(Default)]
pub(crate) struct Displaced {
    pub(crate) value: Option<ErasedValue>,
    pub(crate) map: Option<Arc<Vec<Entry>>>,
}

impl Bindings {
    /// No bindings.
    pub(crate) const EMPTY: Bindings = Bindings { map: None };

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
        find(entries, id).ok().map(|at| &entries[at].value)
    }

    /// The number of bindings.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }

    /// Binds `value` to var `id`; returns the previous value (if any) in `displaced.value`.
    pub(crate) fn insert(&mut self, id: u64, name: &'static str, value: ErasedValue) -> Displaced {
        let (entries, map) = self.make_mut();
        let value = match find(entries, id) {
            Ok(at) => Some(std::mem::replace(&mut entries[at].value, value)),
            Err(at) => {
                entries.insert(at, Entry { id, name, value });
                None
            }
        };
        Displaced { value, map }
    }

    /// Unbinds var `id`; returns the value it had (if any) in `displaced.value`.
    pub(crate) fn remove(&mut self, id: u64) -> Displaced {
        if find(self.entries(), id).is_err() {
            return Displaced::default();
        }
        let (entries, mut map) = self.make_mut();
        let at = find(entries, id).expect("checked above: the id is bound");
        let value = Some(entries.remove(at).value);
        if entries.is_empty() {
            // Invariant 1: no bindings, no map. Its allocation is dropped by the caller.
            let emptied = self.map.take();
            map = map.or(emptied);
        }
        Displaced { value, map }
    }

    /// The entries, made unique (invariant 3), and the shared map copied from, if any.
    fn make_mut(&mut self) -> (&mut Vec<Entry>, Option<Arc<Vec<Entry>>>) {
        let mut copied_from = None;
        match &mut self.map {
            None => self.map = Some(Arc::new(Vec::with_capacity(4))),
            Some(map) => {
                if Arc::get_mut(map).is_none() {
                    let copy = Arc::new(Vec::clone(map));
                    copied_from = Some(std::mem::replace(map, copy));
                }
            }
        }
        let map = self.map.as_mut().expect("made above");
        let entries = Arc::get_mut(map).expect("a fresh or just-copied map is unique");
        (entries, copied_from)
    }
}

/// Where var `id` is (`Ok`) or would be inserted (`Err`) in sorted `entries`.
#[inline]
fn find(entries: &[Entry], id: u64) -> Result<usize, usize> {
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

    fn ids(b: &Bindings) -> Vec<u64> {
        b.entries().iter().map(|e| e.id).collect()
    }

    #[test]
    fn insert_keeps_entries_sorted_and_unique() {
        let mut b = Bindings::EMPTY;
        for id in [5, 1, 9, 3, 5, 12, 7, 2, 11, 10, 4] {
            let _ = b.insert(id, "v", erase(id));
        }
        assert_eq!(ids(&b), vec![1, 2, 3, 4, 5, 7, 9, 10, 11, 12]);
        assert_eq!(b.get(5).unwrap().downcast_ref::<u64>(), Some(&5));
        assert!(b.get(6).is_none());
    }

    #[test]
    fn mutating_a_shared_map_leaves_the_other_copy_alone() {
        let mut a = Bindings::EMPTY;
        let _ = a.insert(1, "one", erase(1u32));
        let snapshot = a.clone();
        let displaced = a.insert(1, "one", erase(2u32));
        assert!(
            displaced.map.is_some(),
            "the shared map was copied, not mutated"
        );
        assert_eq!(snapshot.get(1).unwrap().downcast_ref::<u32>(), Some(&1));
        assert_eq!(a.get(1).unwrap().downcast_ref::<u32>(), Some(&2));
    }

    #[test]
    fn removing_the_last_binding_frees_the_map() {
        let mut b = Bindings::EMPTY;
        let _ = b.insert(3, "x", erase(()));
        let displaced = b.remove(3);
        assert!(displaced.value.is_some());
        assert!(b.map.is_none());
        assert_eq!(b.len(), 0);
        assert!(b.remove(3).value.is_none());
    }
}
