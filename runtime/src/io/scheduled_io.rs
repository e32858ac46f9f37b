//! Readiness of one registered I/O resource, and the slab the reactor finds it in.
//!
//! A [`ScheduledIo`] is one atomic word plus one waker slot per direction:
//!
//! ```text
//! | unused | tick (16 bits) | SHUTDOWN | .. | ERROR | WRITE_CLOSED | READ_CLOSED | WRITABLE | READABLE |
//! ```
//!
//! The reactor ORs readiness in and bumps the tick on every event (edge-triggered:
//! mio reports a change once). A task that saw readiness, tried its operation and got
//! `WouldBlock` clears exactly the readiness it saw, and only if the tick is unchanged
//! (`clear_readiness`): an event that arrived in between is kept, never lost.
//!
//! Invariants:
//! 1. The reactor sets readiness *before* it takes the waiter lock to take the wakers;
//!    a task stores its waker under that lock and re-reads readiness *after* storing it.
//!    So either the task's re-read sees the event, or the reactor finds its waker: a
//!    readiness event is never lost between a `WouldBlock` and the waker's registration
//!    (loom model `io_readiness_race`).
//! 2. A resource's mio token is its slab index plus the slot's generation. Releasing a
//!    slot bumps its generation under the slab lock, and the reactor looks tokens up under
//!    that lock: an event for a released registration, delivered late, finds a different
//!    generation and is dropped, so it never wakes whoever reuses the slot.

use std::task::{Context as TaskContext, Poll, Waker};

use crate::io::{Interest, Ready};
use crate::sync::{Arc, AtomicUsize, BlockingMutex, Ordering};

const READY_MASK: usize = 0x1F;
const SHUTDOWN: usize = 1 << 15;
const TICK_SHIFT: u32 = 16;
const TICK_MASK: usize = 0xFFFF << TICK_SHIFT;

const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Generations wrap below this, so no token is ever `usize::MAX` (the mio waker's).
const GENERATION_LIMIT: usize = 1 << (usize::BITS - INDEX_BITS - 1);

/// Which direction a task waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    fn mask(self) -> Ready {
        match self {
            Direction::Read => Interest::READABLE.mask(),
            Direction::Write => Interest::WRITABLE.mask(),
        }
    }
}

/// Readiness seen by a task, with the tick it was seen at.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    pub(crate) ready: Ready,
    tick: usize,
}

impl ReadyEvent {
    /// The same observation narrowed to `ready` (to clear only those kinds).
    pub(crate) fn narrowed(self, ready: Ready) -> ReadyEvent {
        ReadyEvent {
            ready: self.ready & ready,
            tick: self.tick,
        }
    }
}

#[derive(Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
}

/// One resource's readiness; see the module docs.
#[derive(Default)]
pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: BlockingMutex<Waiters>,
}

/// Whether the runtime shut down while a task waited.
pub(crate) struct ShutDown;

impl ScheduledIo {
    /// The reactor's side: readiness arrived (invariant 1: set first, then wake).
    pub(crate) fn set_readiness(&self, ready: Ready) {
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            let tick = ((current & TICK_MASK) >> TICK_SHIFT).wrapping_add(1) & 0xFFFF;
            let next =
                (current & (READY_MASK | SHUTDOWN)) | ready.as_usize() | (tick << TICK_SHIFT);
            // AcqRel: the Release half pairs with the Acquire loads in poll_ready; the
            // Acquire half orders this before the waiter lock below.
            match self.readiness.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.wake(ready);
    }

    /// Wakes the waiters for the directions `ready` concerns.
    pub(crate) fn wake(&self, ready: Ready) {
        let (reader, writer) = {
            let mut waiters = self.waiters.lock();
            let reader = if ready.intersects(Direction::Read.mask()) {
                waiters.reader.take()
            } else {
                None
            };
            let writer = if ready.intersects(Direction::Write.mask()) {
                waiters.writer.take()
            } else {
                None
            };
            (reader, writer)
        };
        if let Some(waker) = reader {
            waker.wake();
        }
        if let Some(waker) = writer {
            waker.wake();
        }
    }

    /// Shutdown: every waiter is woken and will see `ShutDown`.
    pub(crate) fn shutdown(&self) {
        // AcqRel: as in set_readiness.
        self.readiness.fetch_or(SHUTDOWN, Ordering::AcqRel);
        self.wake(Ready::ALL);
    }

    fn event(&self, interest: Ready) -> Result<Option<ReadyEvent>, ShutDown> {
        // Acquire: pairs with the Release in set_readiness.
        let current = self.readiness.load(Ordering::Acquire);
        if current & SHUTDOWN != 0 {
            return Err(ShutDown);
        }
        let ready = Ready::from_usize(current & READY_MASK) & interest;
        if ready.is_empty() {
            return Ok(None);
        }
        Ok(Some(ReadyEvent {
            ready,
            tick: (current & TICK_MASK) >> TICK_SHIFT,
        }))
    }

    /// Readiness in `interest`, if any, without registering a waker.
    pub(crate) fn ready_now(&self, interest: Interest) -> Result<Option<ReadyEvent>, ShutDown> {
        self.event(interest.mask())
    }

    /// Ready if `direction` is ready; else stores the waker (invariant 1) and re-checks.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut TaskContext<'_>,
        direction: Direction,
    ) -> Poll<Result<ReadyEvent, ShutDown>> {
        let interest = match direction {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        };
        self.poll_ready_interest(cx, interest)
    }

    /// Ready with everything in `interest` that is ready (one tick, so one
    /// `clear_readiness` covers it); else stores the waker in the slot of each direction
    /// `interest` names (invariant 1) and re-checks.
    pub(crate) fn poll_ready_interest(
        &self,
        cx: &mut TaskContext<'_>,
        interest: Interest,
    ) -> Poll<Result<ReadyEvent, ShutDown>> {
        let mask = interest.mask();
        if let Some(event) = self.event(mask).transpose() {
            return Poll::Ready(event);
        }
        let mut waiters = self.waiters.lock();
        let store = |slot: &mut Option<Waker>| match slot {
            Some(stored) if stored.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        };
        if interest.is_readable() {
            store(&mut waiters.reader);
        }
        if interest.is_writable() {
            store(&mut waiters.writer);
        }
        // Re-read after storing (invariant 1).
        match self.event(mask).transpose() {
            Some(event) => Poll::Ready(event),
            None => Poll::Pending,
        }
    }

    /// Clears what `event` saw, unless a newer event arrived since (module docs).
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        // Closed and error readiness are final: never cleared.
        let clear =
            (event.ready - (Ready::READ_CLOSED | Ready::WRITE_CLOSED | Ready::ERROR)).as_usize();
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            if (current & TICK_MASK) >> TICK_SHIFT != event.tick {
                return;
            }
            let next = current & !clear;
            // AcqRel: a failed compare reads the reactor's newer event.
            match self.readiness.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }
}

struct Slot {
    generation: usize,
    io: Option<Arc<ScheduledIo>>,
}

/// Every live registration of one reactor, by token (invariant 2).
#[derive(Default)]
pub(crate) struct IoSlab {
    slots: Vec<Slot>,
    free: Vec<usize>,
    shut_down: bool,
}

impl IoSlab {
    /// A fresh `ScheduledIo` and its token; `None` once the reactor shut down.
    pub(crate) fn insert(&mut self) -> Option<(Arc<ScheduledIo>, usize)> {
        if self.shut_down {
            return None;
        }
        let io = Arc::new(ScheduledIo::default());
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                assert!(self.slots.len() < INDEX_MASK, "too many I/O registrations");
                self.slots.push(Slot {
                    generation: 0,
                    io: None,
                });
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[index];
        slot.io = Some(io.clone());
        Some((io, index | (slot.generation << INDEX_BITS)))
    }

    /// The live resource `token` names, if it is still the one registered (invariant 2).
    pub(crate) fn get(&self, token: usize) -> Option<&Arc<ScheduledIo>> {
        let slot = self.slots.get(token & INDEX_MASK)?;
        if slot.generation != token >> INDEX_BITS {
            return None;
        }
        slot.io.as_ref()
    }

    /// Frees `token`'s slot, bumping its generation (invariant 2). Returns whether `token`
    /// named a live resource (a stale or already-freed token frees nothing).
    pub(crate) fn release(&mut self, token: usize) -> bool {
        let index = token & INDEX_MASK;
        let Some(slot) = self.slots.get_mut(index) else {
            return false;
        };
        if slot.generation != token >> INDEX_BITS || slot.io.is_none() {
            return false;
        }
        slot.io = None;
        slot.generation = (slot.generation + 1) % GENERATION_LIMIT;
        self.free.push(index);
        true
    }

    /// Shutdown: every live resource is told, and later registrations are refused.
    pub(crate) fn shutdown(&mut self) -> Vec<Arc<ScheduledIo>> {
        self.shut_down = true;
        self.slots.iter().filter_map(|s| s.io.clone()).collect()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_stale_token_never_reaches_a_reused_slot() {
        let mut slab = IoSlab::default();
        let (_first, token) = slab.insert().unwrap();
        slab.release(token);
        let (second, token2) = slab.insert().unwrap();
        assert_eq!(token & INDEX_MASK, token2 & INDEX_MASK);
        assert!(slab.get(token).is_none());
        assert!(Arc::ptr_eq(slab.get(token2).unwrap(), &second));
    }

    #[test]
    fn clear_keeps_an_event_that_arrived_after_the_observation() {
        let io = ScheduledIo::default();
        io.set_readiness(Ready::READABLE);
        let seen = io.ready_now(Interest::READABLE).ok().flatten().unwrap();
        io.set_readiness(Ready::READABLE); // a new edge before the WouldBlock
        io.clear_readiness(seen);
        assert!(io.ready_now(Interest::READABLE).ok().flatten().is_some());
        let seen = io.ready_now(Interest::READABLE).ok().flatten().unwrap();
        io.clear_readiness(seen);
        assert!(io.ready_now(Interest::READABLE).ok().flatten().is_none());
    }
}
