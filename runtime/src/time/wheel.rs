//! A hierarchical timing wheel: 6 levels × 64 slots, 1 ms per level-0 slot.
//!
//! Level `n` has 64 slots of `64^n` ms each, so level 0 covers 64 ms, level 1 about 4 s,
//! level 2 about 4.4 min, level 3 about 4.7 h, level 4 about 12 days and level 5 about
//! 2 years; later deadlines wrap within level 5 and are re-filed as it turns.
//!
//! An entry whose deadline tick is `when` is filed, relative to the wheel's `elapsed`
//! tick, at the level of the highest 6-bit group in which `elapsed` and `when` differ
//! (`level_for`), in slot `(when >> 6·level) % 64` (`slot_for`). So every entry in level
//! 0 fires before any slot of level 1 begins, and so on up: the next deadline is the first
//! occupied slot of the lowest non-empty level (`next_expiration`), found with one
//! rotate + `trailing_zeros` on that level's 64-bit occupancy mask. When that slot's time
//! comes its entries either fire (their `when` has passed) or are re-filed one level down
//! (cascading), as tokio's `runtime/time/wheel/mod.rs` does.
//!
//! Entries live in a slab (`Vec<Entry>` plus a free list) and each slot is a doubly
//! linked list threaded through the slab by index, so arming, cancelling and re-arming are
//! O(1). A key is a slab index plus the entry's generation: a key whose entry was freed
//! (its `Sleep` dropped) and reused by another timer no longer matches and is ignored.
//!
//! Invariants (the whole wheel sits behind the runtime's one time lock, `TimeShared`):
//! 1. An entry is linked into exactly one slot list iff its state is `Armed`, and that
//!    slot's occupancy bit is set iff its list is non-empty.
//! 2. An entry's waker is taken exactly once when it fires, under the lock; a cancelled
//!    (freed) entry is unlinked first, so it is never fired afterwards.

use std::task::Waker;

const LEVELS: usize = 6;
const SLOTS: usize = 64;
const SLOT_BITS: u32 = 6;
/// The largest tick distance the wheel represents exactly (level 5's range minus one).
const MAX_DURATION: u64 = (1 << (SLOT_BITS as u64 * LEVELS as u64)) - 1;
const NIL: u32 = u32::MAX;

/// Names one entry: its slab index and the generation it had when made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryKey {
    index: u32,
    generation: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Armed,
    Fired,
}

struct Entry {
    when: u64,
    waker: Option<Waker>,
    prev: u32,
    next: u32,
    level: u8,
    slot: u8,
    state: State,
    generation: u32,
}

#[derive(Clone, Copy)]
struct Level {
    occupied: u64,
    heads: [u32; SLOTS],
}

/// The next slot to come due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Expiration {
    level: usize,
    slot: usize,
    /// The tick at which the slot begins.
    pub(crate) deadline: u64,
}

/// What polling an entry found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EntryPoll {
    /// Fired: its deadline has passed.
    Fired,
    /// Still armed; the waker is stored.
    Pending,
}

/// The wheel; see the module docs.
pub(crate) struct Wheel {
    elapsed: u64,
    levels: [Level; LEVELS],
    entries: Vec<Entry>,
    free: Vec<u32>,
    armed: usize,
}

impl Wheel {
    pub(crate) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: [Level {
                occupied: 0,
                heads: [NIL; SLOTS],
            }; LEVELS],
            entries: Vec::new(),
            free: Vec::new(),
            armed: 0,
        }
    }

    /// How many entries are armed.
    #[cfg(test)]
    pub(crate) fn armed(&self) -> usize {
        self.armed
    }

    /// How many entries are in use (tests: a dropped `Sleep` leaves nothing).
    #[cfg(any(test, loom))]
    pub(crate) fn live_entries(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    /// Arms a new entry for tick `when` with `waker`; `Err(waker)` if `when` has already
    /// passed (the caller is ready at once and nothing is stored).
    pub(crate) fn insert(&mut self, when: u64, waker: Waker) -> Result<EntryKey, Waker> {
        if when <= self.elapsed {
            return Err(waker);
        }
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.entries.len()).expect("too many timers");
                self.entries.push(Entry {
                    when: 0,
                    waker: None,
                    prev: NIL,
                    next: NIL,
                    level: 0,
                    slot: 0,
                    state: State::Free,
                    generation: 0,
                });
                index
            }
        };
        let entry = &mut self.entries[index as usize];
        entry.when = when;
        entry.waker = Some(waker);
        let key = EntryKey {
            index,
            generation: entry.generation,
        };
        self.link(index);
        Ok(key)
    }

    fn entry(&self, key: EntryKey) -> Option<&Entry> {
        self.entries
            .get(key.index as usize)
            .filter(|e| e.generation == key.generation && e.state != State::Free)
    }

    /// Whether `key` fired; if not, stores `waker` (unless it would wake the same task).
    pub(crate) fn poll(&mut self, key: EntryKey, waker: &Waker) -> EntryPoll {
        let Some(entry) = self.entry(key) else {
            return EntryPoll::Fired;
        };
        if entry.state == State::Fired {
            return EntryPoll::Fired;
        }
        let entry = &mut self.entries[key.index as usize];
        match &mut entry.waker {
            Some(stored) if stored.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        EntryPoll::Pending
    }

    /// Moves `key` to tick `when`, keeping its waker (re-arming it if it had fired).
    /// Returns the waker if `when` has already passed (the entry is then fired).
    pub(crate) fn reset(&mut self, key: EntryKey, when: u64) -> Option<Waker> {
        self.entry(key)?;
        let index = key.index;
        if self.entries[index as usize].state == State::Armed {
            self.unlink(index);
        }
        let entry = &mut self.entries[index as usize];
        entry.when = when;
        if when <= self.elapsed {
            entry.state = State::Fired;
            return entry.waker.take();
        }
        self.link(index);
        None
    }

    /// Frees `key`: unlinked if armed, its waker dropped, its slot reusable.
    pub(crate) fn remove(&mut self, key: EntryKey) -> Option<Waker> {
        self.entry(key)?;
        let index = key.index;
        if self.entries[index as usize].state == State::Armed {
            self.unlink(index);
        }
        let entry = &mut self.entries[index as usize];
        entry.state = State::Free;
        entry.generation = entry.generation.wrapping_add(1);
        self.free.push(index);
        entry.waker.take()
    }

    /// Takes every stored waker, leaving the entries in place (shutdown).
    pub(crate) fn take_wakers(&mut self, wakers: &mut Vec<Waker>) {
        wakers.extend(self.entries.iter_mut().filter_map(|e| e.waker.take()));
    }

    fn link(&mut self, index: u32) {
        let when = self.entries[index as usize].when;
        let level = level_for(self.elapsed, when);
        let slot = slot_for(when, level);
        let head = self.levels[level].heads[slot];
        {
            let entry = &mut self.entries[index as usize];
            entry.level = level as u8;
            entry.slot = slot as u8;
            entry.prev = NIL;
            entry.next = head;
            entry.state = State::Armed;
        }
        if head != NIL {
            self.entries[head as usize].prev = index;
        }
        self.levels[level].heads[slot] = index;
        self.levels[level].occupied |= 1 << slot;
        self.armed += 1;
    }

    fn unlink(&mut self, index: u32) {
        let (prev, next, level, slot) = {
            let e = &self.entries[index as usize];
            (e.prev, e.next, e.level as usize, e.slot as usize)
        };
        if prev == NIL {
            self.levels[level].heads[slot] = next;
            if next == NIL {
                self.levels[level].occupied &= !(1 << slot);
            }
        } else {
            self.entries[prev as usize].next = next;
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
        let entry = &mut self.entries[index as usize];
        entry.prev = NIL;
        entry.next = NIL;
        entry.state = State::Fired;
        self.armed -= 1;
    }

    /// The next slot to come due, if any entry is armed.
    pub(crate) fn next_expiration(&self) -> Option<Expiration> {
        if self.armed == 0 {
            return None;
        }
        (0..LEVELS).find_map(|level| self.level_expiration(level))
    }

    fn level_expiration(&self, level: usize) -> Option<Expiration> {
        let occupied = self.levels[level].occupied;
        if occupied == 0 {
            return None;
        }
        let now = self.elapsed;
        let shift = SLOT_BITS * level as u32;
        let now_slot = ((now >> shift) % SLOTS as u64) as u32;
        let zeros = occupied.rotate_right(now_slot).trailing_zeros();
        let slot = ((zeros + now_slot) % SLOTS as u32) as usize;
        let slot_range = 1u64 << shift;
        let level_range = slot_range * SLOTS as u64;
        let level_start = now & !(level_range - 1);
        let mut deadline = level_start + slot as u64 * slot_range;
        if deadline <= now {
            // Only the top level wraps: a far deadline sits in a slot "behind" now.
            deadline += level_range;
        }
        Some(Expiration {
            level,
            slot,
            deadline,
        })
    }

    /// Fires every entry due at or before tick `now`, pushing their wakers to `wakers`.
    pub(crate) fn advance(&mut self, now: u64, wakers: &mut Vec<Waker>) {
        while let Some(expiration) = self.next_expiration() {
            if expiration.deadline > now {
                break;
            }
            self.process(expiration, wakers);
        }
        self.elapsed = self.elapsed.max(now);
    }

    fn process(&mut self, expiration: Expiration, wakers: &mut Vec<Waker>) {
        let level = &mut self.levels[expiration.level];
        let mut index = std::mem::replace(&mut level.heads[expiration.slot], NIL);
        level.occupied &= !(1 << expiration.slot);
        self.elapsed = self.elapsed.max(expiration.deadline);
        while index != NIL {
            let next = self.entries[index as usize].next;
            self.armed -= 1;
            let entry = &mut self.entries[index as usize];
            entry.prev = NIL;
            entry.next = NIL;
            if entry.when <= self.elapsed {
                entry.state = State::Fired;
                if let Some(waker) = entry.waker.take() {
                    wakers.push(waker);
                }
            } else {
                // Cascade: re-filed at a lower level relative to the new elapsed.
                self.link(index);
            }
            index = next;
        }
    }
}

fn level_for(elapsed: u64, when: u64) -> usize {
    const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
    let mut masked = (elapsed ^ when) | SLOT_MASK;
    if masked >= MAX_DURATION {
        masked = MAX_DURATION - 1;
    }
    let significant = 63 - masked.leading_zeros() as usize;
    significant / SLOT_BITS as usize
}

fn slot_for(when: u64, level: usize) -> usize {
    ((when >> (level as u32 * SLOT_BITS)) % SLOTS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn levels_cover_their_ranges() {
        assert_eq!(level_for(0, 1), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, u64::MAX), 5);
    }

    #[test]
    fn fires_each_entry_at_its_tick_never_before() {
        let mut wheel = Wheel::new();
        let deadlines = [
            1u64, 5, 63, 64, 65, 100, 4095, 4096, 5000, 300_000, 20_000_000,
        ];
        let mut keys = Vec::new();
        for &when in &deadlines {
            let (count, w) = waker();
            keys.push((when, count, wheel.insert(when, w).unwrap()));
        }
        let mut now = 0;
        let mut wakers = Vec::new();
        while wheel.armed() > 0 {
            let next = wheel.next_expiration().unwrap().deadline;
            assert!(next > now);
            now = next;
            wheel.advance(now, &mut wakers);
            for w in wakers.drain(..) {
                w.wake();
            }
            for (when, count, key) in &keys {
                let fired = count.0.load(Ordering::SeqCst);
                if *when <= now {
                    assert_eq!(fired, 1, "entry {when} at {now}");
                    assert_eq!(wheel.poll(*key, &Waker::noop().clone()), EntryPoll::Fired);
                } else {
                    assert_eq!(fired, 0, "entry {when} fired early at {now}");
                }
            }
        }
    }

    #[test]
    fn removed_entries_never_fire_and_their_slots_are_reused() {
        let mut wheel = Wheel::new();
        let (count, w) = waker();
        let key = wheel.insert(10, w).unwrap();
        assert!(wheel.remove(key).is_some());
        assert_eq!(wheel.live_entries(), 0);
        let (other, w2) = waker();
        let key2 = wheel.insert(20, w2).unwrap();
        // The stale key does not reach the reused entry.
        assert!(wheel.remove(key).is_none());
        let mut wakers = Vec::new();
        wheel.advance(30, &mut wakers);
        assert_eq!(wakers.len(), 1);
        wakers.pop().unwrap().wake();
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert_eq!(other.0.load(Ordering::SeqCst), 1);
        wheel.remove(key2);
        assert_eq!(wheel.live_entries(), 0);
    }

    #[test]
    fn reset_moves_an_entry_both_ways() {
        let mut wheel = Wheel::new();
        let (count, w) = waker();
        let key = wheel.insert(1000, w).unwrap();
        assert!(wheel.reset(key, 10).is_none());
        let mut wakers = Vec::new();
        wheel.advance(10, &mut wakers);
        assert_eq!(wakers.len(), 1);
        drop(wakers);
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        // Re-armed later after firing: the waker was taken, so poll stores a new one.
        assert!(wheel.reset(key, 50).is_none());
        assert_eq!(wheel.poll(key, &Waker::noop().clone()), EntryPoll::Pending);
        let mut wakers = Vec::new();
        wheel.advance(49, &mut wakers);
        assert!(wakers.is_empty());
        wheel.advance(50, &mut wakers);
        assert_eq!(wakers.len(), 1);
    }
}
