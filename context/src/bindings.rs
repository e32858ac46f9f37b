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
//! This file holds the map at rest ([`Entry`], [`Bindings`]) and the thread's
//! [`PositionHints`]; the detached half and [`LiveMap`], through which every change of the
//! current context's maps goes, are in `bindings/overlay.rs`. The invariants below cover
//! both files.
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

use crate::sync::{Arc, ErasedValue};

mod overlay;
pub(crate) use overlay::{Detached, LiveMap};

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
