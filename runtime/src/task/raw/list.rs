//! The owned-task list: every unfinished async task of a runtime (or of a `LocalSet`), so
//! shutdown can cancel the ones that are idle (awaiting a wake nobody will send) as well
//! as the queued ones. Part of the task core: the scheduler and `LocalSet` each own one
//! and unlink finished tasks from it in their `Schedule::release`.
//!
//! An intrusive doubly linked list through each task's `Header::links`, split into shards
//! by task id so spawns on different workers rarely share a lock. Invariants:
//! 1. A task's links are read and written only under its shard's lock (rule 5 in
//!    `task/raw/mod.rs`).
//! 2. A task in the list holds one reference for the list; whoever unlinks it (`remove` at
//!    completion, or `close_and_shutdown_all`) takes that reference over.
//! 3. Once `closed` is set (under no lock, `SeqCst`), no insert succeeds: an insert checks
//!    it under the shard lock, and the closer takes every shard lock after setting it.

use std::ptr::NonNull;

use super::cell::{Header, RawTask};
use crate::sync::{AtomicBool, BlockingMutex, Ordering};

/// A task's place in its shard's list.
#[derive(Default)]
pub(crate) struct Links {
    prev: Option<NonNull<Header>>,
    next: Option<NonNull<Header>>,
    in_list: bool,
}

struct Shard {
    head: Option<NonNull<Header>>,
    len: usize,
}

// SAFETY: the shard only holds pointers to tasks, which are Send (their futures are), and
// every access to the pointed-to links happens under the shard's mutex (invariant 1). A
// `LocalSet`'s list holds `!Send` tasks, but only its set's thread inserts, shuts down
// and completes them (rule 7 in task/raw/mod.rs); other threads never reach its shards.
unsafe impl Send for Shard {}

/// The list of a runtime's unfinished async tasks.
pub(crate) struct OwnedTasks {
    shards: Box<[BlockingMutex<Shard>]>,
    closed: AtomicBool,
}

impl OwnedTasks {
    /// An open list with `shards` shards (a power of two).
    pub(crate) fn new(shards: usize) -> OwnedTasks {
        debug_assert!(shards.is_power_of_two());
        OwnedTasks {
            shards: (0..shards)
                .map(|_| BlockingMutex::new(Shard { head: None, len: 0 }))
                .collect(),
            closed: AtomicBool::new(false),
        }
    }

    fn shard(&self, raw: RawTask) -> &BlockingMutex<Shard> {
        let id = raw.header().id.0 as usize;
        &self.shards[id & (self.shards.len() - 1)]
    }

    /// Links a new task; false if the list is closed (the runtime is shutting down).
    pub(crate) fn insert(&self, raw: RawTask) -> bool {
        let mut shard = self.shard(raw).lock();
        // SeqCst: pairs with the store in close_and_shutdown_all (invariant 3).
        if self.closed.load(Ordering::SeqCst) {
            return false;
        }
        let ptr = raw.header_ptr();
        let old_head = shard.head;
        raw.header().links.with_mut(|links| {
            // SAFETY: we hold the shard lock (invariant 1), and the task is new: nobody
            // else can reach its links.
            let links = unsafe { &mut *links };
            links.prev = None;
            links.next = old_head;
            links.in_list = true;
        });
        if let Some(old) = old_head {
            RawTask::from_header(old).header().links.with_mut(|links| {
                // SAFETY: `old` is in this shard (we hold its lock, invariant 1) and alive:
                // the list holds a reference to it (invariant 2).
                unsafe { (*links).prev = Some(ptr) }
            });
        }
        shard.head = Some(ptr);
        shard.len += 1;
        true
    }

    /// Unlinks a finished task; true if it was still linked (the caller then owns the
    /// list's reference), false if shutdown had already taken it.
    pub(crate) fn remove(&self, raw: RawTask) -> bool {
        let mut shard = self.shard(raw).lock();
        let (prev, next) = raw.header().links.with_mut(|links| {
            // SAFETY: shard lock held (invariant 1); the caller holds a reference.
            let links = unsafe { &mut *links };
            if !links.in_list {
                return (None, None);
            }
            links.in_list = false;
            (Some(links.prev.take()), Some(links.next.take()))
        });
        let (Some(prev), Some(next)) = (prev, next) else {
            return false;
        };
        unlink(&mut shard, prev, next);
        true
    }

    /// Closes the list and cancels every task in it: idle ones are claimed and their
    /// futures dropped here; running ones are marked cancelled and finish on their own.
    pub(crate) fn close_and_shutdown_all(&self) {
        // SeqCst: pairs with the load in insert (invariant 3).
        self.closed.store(true, Ordering::SeqCst);
        for shard in self.shards.iter() {
            loop {
                // A statement of its own, so the guard drops here: cancelling the task
                // below takes this shard's lock again (`remove`), and its drops may spawn.
                let popped = pop_front(&mut shard.lock());
                let Some(raw) = popped else {
                    break;
                };
                // The list's reference is ours now (invariant 2).
                if raw.header().state.transition_to_shutdown() {
                    raw.shutdown();
                } else {
                    raw.drop_reference();
                }
            }
        }
    }

    /// The number of linked tasks.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().len).sum()
    }
}

fn pop_front(shard: &mut Shard) -> Option<RawTask> {
    let head = shard.head?;
    let raw = RawTask::from_header(head);
    let next = raw.header().links.with_mut(|links| {
        // SAFETY: shard lock held by the caller (invariant 1); the list's reference keeps
        // the task alive.
        let links = unsafe { &mut *links };
        links.in_list = false;
        links.prev = None;
        links.next.take()
    });
    unlink(shard, None, next);
    Some(raw)
}

/// Joins `prev` and `next` around a removed task. Shard lock held (invariant 1).
fn unlink(shard: &mut Shard, prev: Option<NonNull<Header>>, next: Option<NonNull<Header>>) {
    match prev {
        Some(prev) => RawTask::from_header(prev).header().links.with_mut(|links| {
            // SAFETY: `prev` is linked in this locked shard and alive (invariants 1, 2).
            unsafe { (*links).next = next }
        }),
        None => shard.head = next,
    }
    if let Some(next) = next {
        RawTask::from_header(next).header().links.with_mut(|links| {
            // SAFETY: `next` is linked in this locked shard and alive (invariants 1, 2).
            unsafe { (*links).prev = prev }
        });
    }
    shard.len -= 1;
}
