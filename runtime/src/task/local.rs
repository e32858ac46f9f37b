//! `LocalSet` and `spawn_local`: tasks that need not be `Send`, run on the one thread that
//! drives their set.
//!
//! A local task is an ordinary task cell (`task/raw/`: same state word, same JoinHandle,
//! same context snapshot taken at spawn and entered around every poll) whose scheduler is
//! an `Arc<`[`LocalShared`]`>` instead of the runtime's: its `Schedule` impl (below) is
//! what wakes, from any thread, reach: it pushes the task on the set's queue and wakes
//! whoever drives the set; the set's owned list holds every unfinished one, so dropping
//! the set cancels them, each future dropped inside its own context. Rule 7 in
//! `task/raw/mod.rs` is what makes `!Send` futures sound here: they are
//! spawned, polled and dropped only on the set's thread, because
//! - a `LocalSet` is neither `Send` nor `Sync`, and every path that spawns onto it
//!   ([`LocalSet::spawn_local`], or [`spawn_local`] through the thread's current set),
//!   pops its queue (`tick`, from [`LocalSet::run_until`] or polling the set) or shuts
//!   its tasks down (its `Drop`) goes through `&LocalSet` or this thread's `CURRENT`;
//! - a task leaves the owned list only by completing (its future dropped, and its output
//!   dropped or kept for the JoinHandle, which is `!Send` when the output is), so a
//!   reference dropped on another thread never frees a live future.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{self, Poll, Waker};

use ctxrt_context::Context;

use super::raw::{Notified, OwnedTasks, RawTask, Schedule, TaskName};
use super::{Id, JoinHandle};
use crate::runtime::{enter, Runtime};
use crate::sync::{thread_local_const, Arc, BlockingMutex, Ordering, StaticAtomicUsize};

/// Local tasks a set runs per poll before it yields to its caller's scheduler.
const TICK_BUDGET: usize = 61;

thread_local_const! {
    /// The set that `spawn_local` spawns onto on this thread.
    static CURRENT: RefCell<Option<Arc<LocalShared>>> = const { RefCell::new(None) };
}

/// Ids for local tasks spawned with no runtime entered: from the top half of the id
/// space, so they never equal an id a runtime hands out (from 1 upwards).
static NEXT_DETACHED_ID: StaticAtomicUsize = StaticAtomicUsize::new(1);

/// What wakers and JoinHandles of a set's tasks reach, from any thread.
pub(crate) struct LocalShared {
    queue: BlockingMutex<LocalQueue>,
    /// The waker of whoever drives the set now (`run_until`, or the set polled itself).
    driver: BlockingMutex<Option<Waker>>,
    /// Every unfinished task of the set (one reference each).
    owned: OwnedTasks,
}

struct LocalQueue {
    tasks: VecDeque<Notified>,
    /// The set was dropped: entries queued later are dropped at once.
    closed: bool,
}

/// The task core's door to a set (rule 8 in `task/raw/mod.rs`): every wake, yield and
/// self-wake of a local task queues it on the set, from any thread.
impl Schedule for Arc<LocalShared> {
    fn schedule(&self, task: Notified) {
        // Our own reference: the task (and the `Arc` in its cell that `self` is) may be
        // run and freed as soon as it is queued (rule 8).
        let local = self.clone();
        local.push(task);
    }

    fn yield_now(&self, task: Notified) {
        self.schedule(task);
    }

    fn defer(&self, task: Notified) {
        self.schedule(task);
    }

    fn release(&self, task: RawTask) -> bool {
        self.owned.remove(task)
    }
}

impl LocalShared {
    /// Queues a woken task and wakes the set's driver; from any thread.
    fn push(&self, task: Notified) {
        let mut queue = self.queue.lock();
        if queue.closed {
            drop(queue);
            // Its future is gone already (rule 7): this only drops a reference.
            drop(task);
            return;
        }
        queue.tasks.push_back(task);
        drop(queue);
        let driver = self.driver.lock().clone();
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    fn pop(&self) -> Option<Notified> {
        self.queue.lock().tasks.pop_front()
    }

    fn register(&self, waker: &Waker) {
        let mut driver = self.driver.lock();
        if !driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *driver = Some(waker.clone());
        }
    }
}

/// A set of tasks that run on the thread that drives the set, so their futures need not
/// be `Send` (tokio's `LocalSet`).
///
/// Drive it with [`run_until`](LocalSet::run_until) or [`block_on`](LocalSet::block_on),
/// or `.await` the set itself to run until all its tasks are done. Inside, spawn with
/// [`spawn_local`] (or [`LocalSet::spawn_local`] from anywhere on its thread). Each task
/// starts from a snapshot of its spawner's context, as every ctxrt task does, and its sets
/// stay inside it. Dropping the set cancels its unfinished tasks: each future is dropped
/// inside its own context.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use ctxrt::task::LocalSet;
/// use ctxrt::ContextVar;
///
/// static USER: ContextVar<&'static str> = ContextVar::new("user");
///
/// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
/// let local = LocalSet::new();
/// let shared = Rc::new(5); // not Send
/// let answer = local.block_on(&rt, async move {
///     USER.set("alice");
///     let shared2 = shared.clone();
///     let task = ctxrt::task::spawn_local(async move { (*shared2 * 2, USER.get()) });
///     task.await.unwrap()
/// });
/// assert_eq!(answer, (10, Some("alice")));
/// ```
///
/// A set stays on the thread that made it:
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// assert_send(ctxrt::task::LocalSet::new());
/// ```
///
/// Unlike tokio's, a panicking local task never shuts a runtime down
/// (`UnhandledPanic::ShutdownRuntime` applies to the runtime's own tasks); it is reported
/// to its JoinHandle.
pub struct LocalSet {
    shared: Arc<LocalShared>,
    /// Neither `Send` nor `Sync` (rule 7 in `task/raw/mod.rs`).
    _not_send: PhantomData<*const ()>,
}

impl LocalSet {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let local = ctxrt::task::LocalSet::new();
    /// # drop(local);
    /// ```
    pub fn new() -> LocalSet {
        LocalSet {
            shared: Arc::new(LocalShared {
                queue: BlockingMutex::new(LocalQueue {
                    tasks: VecDeque::new(),
                    closed: false,
                }),
                driver: BlockingMutex::new(None),
                owned: OwnedTasks::new(1),
            }),
            _not_send: PhantomData,
        }
    }

    /// Spawns a `!Send` task onto this set; it runs when the set is driven. The task
    /// starts from a snapshot of the caller's context.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = ctxrt::task::LocalSet::new();
    /// let task = local.spawn_local(async { Rc::new(7) }); // spawned before running
    /// let out = local.block_on(&rt, task).unwrap();
    /// assert_eq!(*out, 7);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn_onto(&self.shared, future, None)
    }

    /// Runs `future` on `rt` (its `block_on`), driving this set's tasks meanwhile.
    ///
    /// # Panics
    ///
    /// Where `rt.block_on` panics (inside an async context).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Runtime::new().unwrap();
    /// let local = ctxrt::task::LocalSet::new();
    /// let out = local.block_on(&rt, async {
    ///     ctxrt::task::spawn_local(async { std::rc::Rc::new(1) }).await.unwrap()
    /// });
    /// assert_eq!(*out, 1);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, rt: &Runtime, future: F) -> F::Output {
        rt.block_on(self.run_until(future))
    }

    /// A future that runs `future`, driving this set's tasks between its polls, and
    /// resolves to its output. Tasks still unfinished then stay in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// #[ctxrt::main]
    /// async fn main() {
    ///     let local = ctxrt::task::LocalSet::new();
    ///     let out = local
    ///         .run_until(async {
    ///             let cell = std::rc::Rc::new(std::cell::Cell::new(1));
    ///             let cell2 = cell.clone();
    ///             ctxrt::task::spawn_local(async move { cell2.set(2) }).await.unwrap();
    ///             cell.get()
    ///         })
    ///         .await;
    ///     assert_eq!(out, 2);
    /// }
    /// ```
    pub fn run_until<F: Future>(&self, future: F) -> RunUntil<'_, F> {
        RunUntil {
            local: self,
            future,
        }
    }

    /// Makes this set the one [`spawn_local`] spawns onto on this thread until the guard
    /// drops (the tasks run when the set is driven).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
    /// let local = ctxrt::task::LocalSet::new();
    /// let task = {
    ///     let _guard = local.enter();
    ///     ctxrt::task::spawn_local(async { 3 })
    /// };
    /// assert_eq!(local.block_on(&rt, task).unwrap(), 3);
    /// ```
    pub fn enter(&self) -> LocalEnterGuard {
        LocalEnterGuard {
            previous: CURRENT.with(|current| current.replace(Some(self.shared.clone()))),
            _not_send: PhantomData,
        }
    }

    /// Runs up to a tick's worth of queued tasks inside this set; true if more are queued.
    fn tick(&self) -> bool {
        let _current = self.enter();
        for _ in 0..TICK_BUDGET {
            match self.shared.pop() {
                // Polled here, on the set's thread (rule 7), inside its own context.
                Some(task) => task.run(),
                None => return false,
            }
        }
        !self.shared.queue.lock().tasks.is_empty()
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.shared.owned.len())
            .finish()
    }
}

/// Awaiting a set runs its tasks until every one has finished.
///
/// # Examples
///
/// ```
/// #[ctxrt::main(flavor = "current_thread")]
/// async fn main() {
///     let local = ctxrt::task::LocalSet::new();
///     let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
///     for i in 0..3 {
///         let log = log.clone();
///         local.spawn_local(async move { log.borrow_mut().push(i) });
///     }
///     local.await;
///     assert_eq!(*log.borrow(), [0, 1, 2]);
/// }
/// ```
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<()> {
        self.shared.register(cx.waker());
        if self.tick() {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if self.shared.owned.len() == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        // Inside the set, so code in the cancelled futures' drops may spawn_local (the
        // spawn is cancelled at once: the list is closed). Not at thread exit, once the
        // thread-local is gone (a set kept in a `thread_local!`).
        let _current = CURRENT
            .try_with(|current| current.replace(Some(self.shared.clone())))
            .ok()
            .map(|previous| LocalEnterGuard {
                previous,
                _not_send: PhantomData,
            });
        self.shared.queue.lock().closed = true;
        // On the set's thread (rule 7): each future dropped inside its own context.
        self.shared.owned.close_and_shutdown_all();
        let queued = std::mem::take(&mut self.shared.queue.lock().tasks);
        drop(queued);
        *self.shared.driver.lock() = None;
    }
}

/// Makes a [`LocalSet`] current on this thread; see [`LocalSet::enter`].
///
/// # Examples
///
/// ```
/// let local = ctxrt::task::LocalSet::new();
/// let guard: ctxrt::task::LocalEnterGuard = local.enter();
/// drop(guard);
/// ```
pub struct LocalEnterGuard {
    previous: Option<Arc<LocalShared>>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for LocalEnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
    }
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}

/// The future of [`LocalSet::run_until`].
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Builder::new_current_thread().build().unwrap();
/// let local = ctxrt::task::LocalSet::new();
/// let run: ctxrt::task::RunUntil<'_, _> = local.run_until(async { 1 });
/// assert_eq!(rt.block_on(run), 1);
/// ```
pub struct RunUntil<'a, F> {
    local: &'a LocalSet,
    future: F,
}

impl<F: Future> Future for RunUntil<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut task::Context<'_>) -> Poll<F::Output> {
        let local = self.local;
        local.shared.register(cx.waker());
        {
            let _current = local.enter();
            // SAFETY: `future` is pinned structurally: reached only here, never moved out
            // or exposed by `&mut`, and `RunUntil` has no Drop impl (rule 6 in task/raw/mod.rs).
            let future = unsafe { self.map_unchecked_mut(|run| &mut run.future) };
            if let Poll::Ready(output) = future.poll(cx) {
                return Poll::Ready(output);
            }
        }
        if local.tick() {
            // More tasks are queued: come back after the caller's scheduler had a turn.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl<F> fmt::Debug for RunUntil<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunUntil").finish_non_exhaustive()
    }
}

/// Spawns a `!Send` task onto the [`LocalSet`] this thread is running (tokio's
/// `task::spawn_local`). It starts from a snapshot of the caller's context, and its sets
/// stay inside it.
///
/// # Panics
///
/// Outside a `LocalSet` (no [`LocalSet::run_until`], [`LocalSet::block_on`], awaited
/// set, local task or [`LocalSet::enter`] on this thread), with a message saying to use
/// one.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
/// use ctxrt::ContextVar;
///
/// static REQUEST: ContextVar<u32> = ContextVar::new("request");
///
/// let rt = ctxrt::runtime::Runtime::new().unwrap();
/// ctxrt::task::LocalSet::new().block_on(&rt, async {
///     REQUEST.set(7);
///     let rc = Rc::new("not Send");
///     let task = ctxrt::task::spawn_local(async move {
///         REQUEST.set(8); // stays in the task
///         (*rc, REQUEST.get())
///     });
///     assert_eq!(task.await.unwrap(), ("not Send", Some(8)));
///     assert_eq!(REQUEST.get(), Some(7));
/// });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_local_named(future, None)
}

/// [`spawn_local`] with a name (`task::Builder`).
#[track_caller]
pub(crate) fn spawn_local_named<F>(future: F, name: Option<Box<TaskName>>) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let current = CURRENT
        .try_with(|current| current.borrow().clone())
        .ok()
        .flatten();
    let Some(shared) = current else {
        panic!(
            "`spawn_local` called outside a LocalSet: a !Send task needs a LocalSet to run \
             on. Spawn it inside `LocalSet::run_until`, `LocalSet::block_on` or a task of \
             the set (or after `LocalSet::enter`), use `LocalSet::spawn_local`, or use \
             `ctxrt::spawn` for a Send future"
        );
    };
    spawn_onto(&shared, future, name)
}

/// Spawns onto `shared` from its set's thread (the callers reach it through `&LocalSet`
/// or this thread's `CURRENT`).
pub(crate) fn spawn_onto<F>(
    shared: &Arc<LocalShared>,
    future: F,
    name: Option<Box<TaskName>>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let id = local_task_id();
    // Three references: the JoinHandle, the queue entry, the owned list.
    // SAFETY: we are on the set's thread (see above), and the task is reachable for
    // polling and dropping only through the set's queue and owned list, which only its
    // thread pops and shuts down (rule 7 in task/raw/mod.rs).
    let raw =
        unsafe { RawTask::new_local(future, Context::inherited(), shared.clone(), id, name, 3) };
    let join = JoinHandle::new(raw);
    let notified = Notified::from_raw(raw);
    if !shared.owned.insert(raw) {
        // The set is being dropped: cancel the task here, on its thread.
        raw.drop_reference();
        notified.cancel();
        return join;
    }
    shared.push(notified);
    join
}

/// The id of a new local task: from the runtime entered on this thread, if any.
fn local_task_id() -> Id {
    match enter::current_handle() {
        Some(handle) => handle.shared.next_id(),
        None => {
            // Relaxed: an id is a number and publishes nothing.
            let n = NEXT_DETACHED_ID.fetch_add(1, Ordering::Relaxed) as u64;
            Id((1 << 62) | n)
        }
    }
}

/// `JoinSet::spawn_local_on` and `task::Builder`: spawn onto a given set.
pub(crate) fn spawn_on_set<F>(
    local: &LocalSet,
    future: F,
    name: Option<Box<TaskName>>,
) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_onto(&local.shared, future, name)
}
