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

use super::raw::waker::{arc_waker, ArcWake};
use super::{coop, AbortHandle, JoinError, JoinHandle};
use crate::runtime::Handle;
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
    /// caller's context) and adds it to the set; returns a handle that can abort it.
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
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// Spawns `future` on the runtime of `handle` (like [`Handle::spawn`]) and adds it to
    /// the set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let mut set = ctxrt::task::JoinSet::new();
    /// set.spawn_on(async { 4 }, rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 4);
    /// ```
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Spawns a `!Send` task on the [`LocalSet`](super::LocalSet) this thread runs (like
    /// [`spawn_local`](super::spawn_local)) and adds it to the set.
    ///
    /// # Panics
    ///
    /// Outside a `LocalSet`, like [`spawn_local`](super::spawn_local).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// ctxrt::task::LocalSet::new().block_on(&rt, async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     set.spawn_local(async { Rc::new(3) });
    ///     assert_eq!(*set.join_next().await.unwrap().unwrap(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(super::spawn_local(future))
    }

    /// Spawns a `!Send` task onto `local_set` (like
    /// [`LocalSet::spawn_local`](super::LocalSet::spawn_local)) and adds it to the set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = ctxrt::task::LocalSet::new();
    /// let mut set = ctxrt::task::JoinSet::new();
    /// set.spawn_local_on(async { std::rc::Rc::new(5) }, &local);
    /// let out = local.block_on(&rt, set.join_next()).unwrap().unwrap();
    /// assert_eq!(*out, 5);
    /// ```
    pub fn spawn_local_on<F>(&mut self, future: F, local_set: &super::LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(super::local::spawn_on_set(local_set, future, None))
    }

    /// Runs `f` on the current runtime's blocking pool (like [`crate::spawn_blocking`])
    /// and adds the job to the set.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`crate::spawn_blocking`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     set.spawn_blocking(|| 6);
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 6);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(crate::spawn_blocking(f))
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime and adds the job to the set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let mut set = ctxrt::task::JoinSet::new();
    /// set.spawn_blocking_on(|| 8, rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 8);
    /// ```
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }

    /// Adds an already spawned task to the set; returns a handle that can abort it.
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
    pub fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
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
        abort
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

    /// Takes the output of a task that has finished, if one has, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let mut set = ctxrt::task::JoinSet::new();
    /// set.spawn_on(async { 1 }, rt.handle());
    /// let output = loop {
    ///     if let Some(result) = set.try_join_next() {
    ///         break result.unwrap();
    ///     }
    ///     std::thread::yield_now();
    /// };
    /// assert_eq!(output, 1);
    /// assert!(set.try_join_next().is_none());
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        if self.len == 0 {
            return None;
        }
        self.next_finished(None)
    }

    /// Waits for every task and returns their outputs, in the order they finished.
    ///
    /// # Panics
    ///
    /// If a task panicked (its panic is resumed here) or was cancelled; the tasks still
    /// in the set are then aborted, as the set is dropped. Use [`join_next`] to handle
    /// those cases yourself.
    ///
    /// [`join_next`]: JoinSet::join_next
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let mut outputs = rt.block_on(async {
    ///     let set: ctxrt::task::JoinSet<u32> = (1..=3).map(|i| async move { i * 10 }).collect();
    ///     set.join_all().await
    /// });
    /// outputs.sort();
    /// assert_eq!(outputs, [10, 20, 30]);
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len());
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
                Err(err) => panic!("JoinSet::join_all: a task did not finish: {err}"),
            }
        }
        outputs
    }

    /// Aborts every task and waits for them all to finish (their outputs are dropped).
    /// The set is empty afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut set = ctxrt::task::JoinSet::new();
    ///     let abort = set.spawn(std::future::pending::<()>());
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    ///     assert!(abort.is_finished());
    /// });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    fn poll_join_next(&mut self, cx: &mut task::Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        if self.len == 0 {
            return Poll::Ready(None);
        }
        std::task::ready!(coop::poll_proceed(cx));
        match self.next_finished(Some(cx.waker())) {
            Some(result) => Poll::Ready(Some(result)),
            None => Poll::Pending,
        }
    }

    /// Polls the entries on the ready list until one gives its output. If the list runs
    /// dry, registers `waker` (if any) to be woken by the next completion: under the
    /// list's lock, so a wake after the last pop finds it.
    fn next_finished(&mut self, waker: Option<&Waker>) -> Option<Result<T, JoinError>> {
        loop {
            let slot = {
                let mut ready = self.ready.inner.lock();
                match ready.slots.pop_front() {
                    Some(slot) => slot,
                    None => {
                        if let Some(waker) = waker {
                            if !ready.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                                ready.waker = Some(waker.clone());
                            }
                        }
                        return None;
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
                return Some(result);
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

/// Spawns each future (as [`JoinSet::spawn`]) into the set.
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut set = ctxrt::task::JoinSet::new();
///     set.extend((0..4).map(|i| async move { i }));
///     assert_eq!(set.len(), 4);
///     set.shutdown().await;
/// });
/// ```
impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for future in iter {
            self.spawn(future);
        }
    }
}

/// Spawns each future (as [`JoinSet::spawn`]) into a new set.
///
/// # Panics
///
/// Outside a runtime, like [`crate::spawn`].
///
/// # Examples
///
/// ```
/// use ctxrt::task::JoinSet;
///
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// let total: u32 = rt.block_on(async {
///     let set: JoinSet<u32> = (1..=4).map(|i| async move { i }).collect();
///     set.join_all().await.into_iter().sum()
/// });
/// assert_eq!(total, 10);
/// ```
impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
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
