//! [`JoinSet`]: a set of tasks awaited in completion order.
//!
//! `join_next` is O(1) amortised, whatever the set's size, as tokio's `IdleNotifiedSet`:
//! each entry awaits its task through a waker of its own ([`EntryNotify`]), and a task's
//! completion pushes that entry's slot onto the set's ready list. `join_next` polls only
//! entries on the list. Invariants:
//! 1. An entry's `queued` flag is set exactly while its slot is on the ready list (or
//!    about to be pushed by the wake that set it); `join_next` clears it before polling
//!    the entry, so a completion during or after that poll queues it again.
//! 2. A new entry starts queued, so its first poll registers its waker with the task.
//! 3. A slot on the list whose entry has gone (joined, or the set detached it) and was
//!    perhaps reused is polled at most once more: a spurious poll returns `Pending` and
//!    re-registers, so stale notifications cost one poll each and lose nothing.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::task::{self, Poll, Waker};

use super::waker::{arc_waker, ArcWake};
use super::{coop, JoinError, JoinHandle};
use crate::sync::{Arc, AtomicBool, BlockingMutex, Ordering};

/// A collection of spawned tasks, awaited in the order they finish.
///
/// Dropping the set aborts every task still in it. `join_next` is O(1) amortised: only
/// tasks that have finished since the last call are looked at.
///
/// # Examples
///
/// ```
/// use ctxrt::task::JoinSet;
///
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let total = rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut total = 0;
///     while let Some(result) = set.join_next().await {
///         total += result.unwrap();
///     }
///     total
/// });
/// assert_eq!(total, 285);
/// ```
pub struct JoinSet<T> {
    /// Slots; `None` is free (listed in `free`).
    entries: Vec<Option<Entry<T>>>,
    free: Vec<usize>,
    len: usize,
    ready: Arc<ReadyList>,
}

/// One task in the set.
struct Entry<T> {
    handle: JoinHandle<T>,
    notify: Arc<EntryNotify>,
    /// The waker the task wakes on completion: `notify`'s.
    waker: Waker,
}

/// The slots whose tasks woke them, and the task awaiting `join_next`.
struct ReadyList {
    inner: BlockingMutex<Ready>,
}

#[derive(Default)]
struct Ready {
    slots: VecDeque<usize>,
    waker: Option<Waker>,
}

/// What an entry's waker reaches: pushes the entry's slot onto the ready list once.
struct EntryNotify {
    list: Arc<ReadyList>,
    slot: usize,
    /// Invariant 1.
    queued: AtomicBool,
}

impl ArcWake for EntryNotify {
    fn wake_by_ref(this: &Arc<Self>) {
        // AcqRel: pairs with the Release store in poll_join_next that clears it, so the
        // join_next that pops the slot sees the completion that woke it.
        if this.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let waker = {
            let mut ready = this.list.inner.lock();
            ready.slots.push_back(this.slot);
            ready.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = ctxrt::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: Arc::new(ReadyList {
                inner: BlockingMutex::new(Ready::default()),
            }),
        }
    }

    /// The number of tasks not yet joined.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let mut set = ctxrt::task::JoinSet::new();
    /// set.spawn(async {});
    /// assert_eq!(set.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no tasks are left to join.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(ctxrt::task::JoinSet::<u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Spawns `future` on the current runtime (like [`crate::spawn`], inheriting the
    /// caller's context) and adds it to the set.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`crate::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     set.spawn(async { "done" });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn(future));
    }

    /// Adds an already spawned task to the set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     set.insert(ctxrt::spawn_blocking(|| 5));
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 5);
    /// });
    /// ```
    pub fn insert(&mut self, handle: JoinHandle<T>) {
        let slot = self.free.pop().unwrap_or(self.entries.len());
        // Queued from the start (invariant 2).
        let notify = Arc::new(EntryNotify {
            list: self.ready.clone(),
            slot,
            queued: AtomicBool::new(true),
        });
        self.ready.inner.lock().slots.push_back(slot);
        let entry = Entry {
            handle,
            waker: arc_waker(notify.clone()),
            notify,
        };
        if slot == self.entries.len() {
            self.entries.push(Some(entry));
        } else {
            self.entries[slot] = Some(entry);
        }
        self.len += 1;
    }

    /// Waits for the next task to finish; `None` when the set is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::<()>::new();
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    fn poll_join_next(&mut self, cx: &mut task::Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        std::task::ready!(coop::poll_proceed(cx));
        loop {
            let slot = {
                let mut ready = self.ready.inner.lock();
                match ready.slots.pop_front() {
                    Some(slot) => slot,
                    None => {
                        // Under the lock: a wake after the pop above finds this waker.
                        if !ready
                            .waker
                            .as_ref()
                            .is_some_and(|w| w.will_wake(cx.waker()))
                        {
                            ready.waker = Some(cx.waker().clone());
                        }
                        return Poll::Pending;
                    }
                }
            };
            // A stale slot (invariant 3) may be free now.
            let Some(entry) = self.entries.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            // Release: pairs with the AcqRel swap in wake_by_ref (invariant 1).
            entry.notify.queued.store(false, Ordering::Release);
            let mut entry_cx = task::Context::from_waker(&entry.waker);
            if let Poll::Ready(result) = entry.handle.poll_output(&mut entry_cx) {
                self.remove(slot);
                return Poll::Ready(Some(result));
            }
        }
    }

    /// Takes the entry out of `slot` (its JoinHandle dropped, detaching a running task).
    fn remove(&mut self, slot: usize) {
        if self.entries[slot].take().is_some() {
            self.free.push(slot);
            self.len -= 1;
        }
    }

    /// Aborts every task in the set; they stay in it until joined.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&mut self) {
        for entry in self.entries.iter().flatten() {
            entry.handle.abort();
        }
    }

    /// Removes every task from the set without aborting them (they run on, detached).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut set = ctxrt::task::JoinSet::<()>::new();
    /// set.detach_all();
    /// assert!(set.is_empty());
    /// ```
    pub fn detach_all(&mut self) {
        self.entries.clear();
        self.free.clear();
        self.len = 0;
        self.ready.inner.lock().slots.clear();
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
