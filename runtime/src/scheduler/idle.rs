//! Parking idle workers without a thundering herd.
//!
//! One word counts the workers that are *searching* for work (low half) and *unparked*
//! (high half). A producer wakes a sleeper only if nobody is searching and somebody sleeps
//! (`worker_to_notify`); the woken worker counts as searching, and when a searcher finds
//! work and stops searching it wakes the next sleeper only if it was the last searcher.
//! So one new task wakes at most one worker, and a burst ramps workers up one at a time.
//!
//! No lost wake-up: a producer publishes its task, issues a `SeqCst` fence and reads the
//! word; a searcher about to park decrements the word, issues a `SeqCst` fence and then
//! re-checks every queue (`Worker::park`). With a fence between the store and the load on
//! both sides, one of the two sees the other. The producer's side is a fence and a plain
//! load, not an RMW on the shared word, so busy workers queueing work do not bounce its
//! cache line between them.

use crate::driver::DriverHandle;
use crate::sync::{fence, Arc, AtomicUsize, BlockingMutex, Condvar, Ordering};

const UNPARKED_SHIFT: usize = 16;
const SEARCHING_MASK: usize = (1 << UNPARKED_SHIFT) - 1;

/// The idle-worker bookkeeping of one scheduler.
pub(crate) struct Idle {
    /// searching | unparked << 16.
    state: AtomicUsize,
    /// Indices of parked workers.
    sleepers: BlockingMutex<Vec<usize>>,
    num_workers: usize,
}

impl Idle {
    /// All `num_workers` workers start unparked and not searching.
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCHING_MASK, "too many worker threads");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARKED_SHIFT),
            sleepers: BlockingMutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// The index of a parked worker to wake for new work, if one should be woken; it is
    /// counted as unparked and searching from now on.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_notify() {
            return None;
        }
        let index = sleepers.pop()?;
        // SeqCst: part of the searching count protocol (module docs).
        self.state
            .fetch_add(1 | (1 << UNPARKED_SHIFT), Ordering::SeqCst);
        Some(index)
    }

    fn should_notify(&self) -> bool {
        // Pairs with the fence in transition_to_parked (module docs): the task the caller
        // just queued is visible to a parking worker, or its decrement is visible here.
        fence(Ordering::SeqCst);
        let state = self.state.load(Ordering::Relaxed);
        let searching = state & SEARCHING_MASK;
        let unparked = state >> UNPARKED_SHIFT;
        searching == 0 && unparked < self.num_workers
    }

    /// A worker with nothing local starts searching others' queues; false if half the
    /// workers already search (then it should park instead of adding contention).
    pub(crate) fn transition_to_searching(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        if 2 * (state & SEARCHING_MASK) >= self.num_workers.max(2) {
            return false;
        }
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// A searching worker found work; true if it was the last searcher (it must then wake
    /// another sleeper, since more work may be waiting).
    pub(crate) fn transition_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, Ordering::SeqCst);
        prev & SEARCHING_MASK == 1
    }

    /// A worker is about to park; it re-checks the queues after this.
    pub(crate) fn transition_to_parked(&self, index: usize, is_searching: bool) {
        let mut sleepers = self.sleepers.lock();
        let dec = (1 << UNPARKED_SHIFT) | usize::from(is_searching);
        self.state.fetch_sub(dec, Ordering::SeqCst);
        sleepers.push(index);
        // Pairs with the fence in should_notify: the caller re-checks the queues after this.
        fence(Ordering::SeqCst);
    }

    /// A parked worker woke up. If it was not woken through `worker_to_notify` (shutdown,
    /// or the block_on waker), it is still on the sleeper list: take it off and count it
    /// unparked. Returns true if it was woken by `worker_to_notify` (it is searching).
    pub(crate) fn unpark_worker(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&i| i == index) {
            Some(at) => {
                sleepers.swap_remove(at);
                self.state.fetch_add(1 << UNPARKED_SHIFT, Ordering::SeqCst);
                false
            }
            None => true,
        }
    }
}

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
/// Parked inside the runtime's driver (`Poll::poll`): unparked through the mio waker.
const PARKED_DRIVER: usize = 3;

/// Puts one thread to sleep until another unparks it. An unpark before the park is kept,
/// so the next park returns at once. A worker's parker knows the runtime's driver: if the
/// driver is free when it parks, it parks in the driver (`driver.rs`) instead of on its
/// condvar, and an unpark then goes through the driver's mio waker.
pub(crate) struct Parker {
    state: AtomicUsize,
    lock: BlockingMutex<()>,
    condvar: Condvar,
    driver: Option<Arc<DriverHandle>>,
}

impl Parker {
    pub(crate) fn new(driver: Option<Arc<DriverHandle>>) -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: BlockingMutex::new(()),
            condvar: Condvar::new(),
            driver,
        }
    }

    /// Sleeps until `unpark` (or returns at once if one is pending), in the driver if it
    /// is free. A park in the driver may also return after I/O or timer events, having
    /// woken their tasks: callers loop anyway.
    pub(crate) fn park(&self) {
        self.park_then(|| ());
    }

    /// [`Parker::park`], calling `awake` once the thread is awake again and, after a park
    /// in the driver, *before* the tasks the driver found ready are woken. A worker
    /// counts itself unparked in `awake`, so the wakes that queue those tasks on it see
    /// it awake: if they are more than it should run alone, they wake another sleeper
    /// instead of picking this thread (still on the sleeper list) to notify.
    pub(crate) fn park_then(&self, awake: impl FnOnce()) {
        // Acquire: pairs with the SeqCst swap in unpark, so the unparker's writes are seen.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
        {
            return awake();
        }
        if let Some(driver) = &self.driver {
            if let Some(mut polling) = driver.try_lock() {
                // SeqCst: pairs with the swap in unpark, as for PARKED below.
                match self.state.compare_exchange(
                    EMPTY,
                    PARKED_DRIVER,
                    Ordering::SeqCst,
                    Ordering::SeqCst,
                ) {
                    Ok(_) => {
                        driver.park(&mut polling);
                        // SeqCst: an RMW reads the latest unpark (see the NOTIFIED case
                        // below). From here unparks only set NOTIFIED: the wakes that
                        // dispatch makes on this thread cost no mio wake.
                        let _ = self.state.swap(EMPTY, Ordering::SeqCst);
                        awake();
                        DriverHandle::dispatch(polling);
                    }
                    Err(NOTIFIED) => {
                        let _ = self.state.swap(EMPTY, Ordering::SeqCst);
                        awake();
                    }
                    Err(actual) => unreachable!("parker in state {actual} while parking"),
                }
                return;
            }
        }
        let mut guard = self.lock.lock();
        match self
            .state
            .compare_exchange(EMPTY, PARKED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // A swap, not a store: another unpark may have come in since the CAS read
                // NOTIFIED, and only reading from its write (an RMW reads the latest)
                // makes what it published before unparking visible here. A store let a
                // worker woken for shutdown miss the flag and park for good (the loom
                // model `scheduler_parker`).
                let _ = self.state.swap(EMPTY, Ordering::SeqCst);
                drop(guard);
                return awake();
            }
            Err(actual) => unreachable!("parker in state {actual} while parking"),
        }
        loop {
            guard = self.condvar.wait(guard);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                drop(guard);
                return awake();
            }
        }
    }

    /// Wakes the parked thread, or makes its next park return at once.
    pub(crate) fn unpark(&self) {
        // SeqCst: pairs with the CAS in park.
        match self.state.swap(NOTIFIED, Ordering::SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_DRIVER => match &self.driver {
                Some(driver) => driver.unpark(),
                None => unreachable!("parked in a driver the parker does not have"),
            },
            PARKED => {
                // Taking the lock orders this notify after the parker's wait began.
                drop(self.lock.lock());
                self.condvar.notify_one();
            }
            actual => unreachable!("parker in state {actual} while unparking"),
        }
    }
}
