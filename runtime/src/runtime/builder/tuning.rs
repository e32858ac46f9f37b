//! The scheduler knobs and hooks of [`Builder`]: what tokio's builder offers beyond thread
//! counts and names. Kept in one [`Tuning`] value, copied into the runtime's `Config` at
//! `build()` and read by the scheduler (`scheduler/worker.rs`, `scheduler/mod.rs`) and the
//! task harness (`task/raw/harness.rs`).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc as StdArc;

use super::super::Hook;
use super::Builder;
use crate::task::Id;

/// A task spawn/terminate hook.
pub(crate) type TaskHook = StdArc<dyn Fn(&TaskMeta<'_>) + Send + Sync + 'static>;

/// Scheduler knobs and hooks; see the `Builder` methods that set them.
#[derive(Clone)]
pub(crate) struct Tuning {
    pub(crate) global_queue_interval: u32,
    pub(crate) event_interval: u32,
    pub(crate) disable_lifo_slot: bool,
    pub(crate) on_thread_park: Option<Hook>,
    pub(crate) on_thread_unpark: Option<Hook>,
    pub(crate) on_task_spawn: Option<TaskHook>,
    pub(crate) on_task_terminate: Option<TaskHook>,
    pub(crate) unhandled_panic: UnhandledPanic,
}

/// Ticks between a worker's checks of the global queue ahead of its own (tokio's 61).
const DEFAULT_GLOBAL_QUEUE_INTERVAL: u32 = 61;
/// Ticks between I/O polls (tokio's 61).
const DEFAULT_EVENT_INTERVAL: u32 = 61;

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            global_queue_interval: DEFAULT_GLOBAL_QUEUE_INTERVAL,
            event_interval: DEFAULT_EVENT_INTERVAL,
            disable_lifo_slot: false,
            on_thread_park: None,
            on_thread_unpark: None,
            on_task_spawn: None,
            on_task_terminate: None,
            unhandled_panic: UnhandledPanic::Ignore,
        }
    }
}

impl fmt::Debug for Tuning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tuning")
            .field("global_queue_interval", &self.global_queue_interval)
            .field("event_interval", &self.event_interval)
            .field("disable_lifo_slot", &self.disable_lifo_slot)
            .field("unhandled_panic", &self.unhandled_panic)
            .finish_non_exhaustive()
    }
}

/// What the runtime does when a spawned task panics ([`Builder::unhandled_panic`]).
///
/// # Examples
///
/// ```
/// use ctxrt::runtime::{Builder, UnhandledPanic};
///
/// let rt = Builder::new_current_thread()
///     .unhandled_panic(UnhandledPanic::Ignore)
///     .build()
///     .unwrap();
/// let err = rt.block_on(rt.spawn(async { panic!("caught by the JoinHandle") }));
/// assert!(err.unwrap_err().is_panic());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// The panic is caught and handed to the task's `JoinHandle` as a `JoinError`; the
    /// runtime carries on (the default).
    Ignore,
    /// The runtime shuts down at once: every other task is cancelled, and the `block_on`
    /// running on it (and every later one) panics. Useful in tests, where a panicking
    /// background task should fail the test.
    ShutdownRuntime,
}

/// What a task hook is told about the task ([`Builder::on_task_spawn`],
/// [`Builder::on_task_terminate`]).
///
/// # Examples
///
/// ```
/// let rt = ctxrt::runtime::Builder::new_current_thread()
///     .on_task_spawn(|meta| println!("spawned {}", meta.id()))
///     .build()
///     .unwrap();
/// rt.block_on(rt.spawn(async {})).unwrap();
/// ```
pub struct TaskMeta<'a> {
    pub(crate) id: Id,
    pub(crate) _life: PhantomData<&'a ()>,
}

impl TaskMeta<'_> {
    /// The task's id.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let record = seen.clone();
    /// let rt = ctxrt::runtime::Builder::new_current_thread()
    ///     .on_task_terminate(move |meta| record.lock().unwrap().push(meta.id()))
    ///     .build()
    ///     .unwrap();
    /// let handle = rt.spawn(async {});
    /// let id = handle.id();
    /// rt.block_on(handle).unwrap();
    /// assert_eq!(*seen.lock().unwrap(), [id]);
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Debug for TaskMeta<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskMeta").field("id", &self.id).finish()
    }
}

impl Builder {
    /// Ticks (task polls) between a worker's checks of the global queue ahead of its
    /// own; lower is fairer to tasks spawned from outside, higher favours locality.
    /// Default: 61, as tokio.
    ///
    /// # Panics
    ///
    /// If `interval` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread()
    ///     .global_queue_interval(31)
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    /// ```
    #[track_caller]
    pub fn global_queue_interval(&mut self, interval: u32) -> &mut Builder {
        assert!(
            interval > 0,
            "Builder::global_queue_interval must be at least 1 (a worker checks the global \
             queue every `interval` ticks)"
        );
        self.tuning.global_queue_interval = interval;
        self
    }

    /// Scheduler ticks between non-blocking polls of the I/O and timer driver by a busy
    /// worker (an idle worker parks in the driver itself). Default: 61, as tokio.
    ///
    /// # Panics
    ///
    /// If `interval` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().event_interval(31).build().unwrap();
    /// # drop(rt);
    /// ```
    #[track_caller]
    pub fn event_interval(&mut self, interval: u32) -> &mut Builder {
        assert!(interval > 0, "Builder::event_interval must be at least 1");
        self.tuning.event_interval = interval;
        self
    }

    /// Turns off the LIFO slot: a task woken by the running task goes to the back of the
    /// worker's queue instead of running next. Fairer for ping-pong patterns, slower for
    /// message passing.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread().disable_lifo_slot().build().unwrap();
    /// assert_eq!(rt.block_on(rt.spawn(async { 2 })).unwrap(), 2);
    /// ```
    pub fn disable_lifo_slot(&mut self) -> &mut Builder {
        self.tuning.disable_lifo_slot = true;
        self
    }

    /// Runs `f` on a worker thread (or a `current_thread` `block_on` thread) just before
    /// it parks for lack of work.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let parks = Arc::new(AtomicUsize::new(0));
    /// let count = parks.clone();
    /// let rt = ctxrt::runtime::Builder::new_current_thread()
    ///     .on_thread_park(move || { count.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// let job = rt.spawn_blocking(|| std::thread::sleep(std::time::Duration::from_millis(20)));
    /// rt.block_on(job).unwrap(); // the block_on thread parks while the job runs
    /// assert!(parks.load(Ordering::SeqCst) >= 1);
    /// ```
    pub fn on_thread_park(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.tuning.on_thread_park = Some(StdArc::new(f));
        self
    }

    /// Runs `f` on a worker thread (or a `current_thread` `block_on` thread) just after
    /// it wakes from parking.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread()
    ///     .on_thread_unpark(|| println!("unparked"))
    ///     .build()
    ///     .unwrap();
    /// # drop(rt);
    /// ```
    pub fn on_thread_unpark(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut Builder {
        self.tuning.on_thread_unpark = Some(StdArc::new(f));
        self
    }

    /// Runs `f` for every task (and blocking job) spawned on the runtime, on the spawning
    /// thread, before the task can first run. A panic in `f` propagates to the spawner.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let spawned = Arc::new(AtomicUsize::new(0));
    /// let count = spawned.clone();
    /// let rt = ctxrt::runtime::Builder::new_multi_thread()
    ///     .on_task_spawn(move |_meta| { count.fetch_add(1, Ordering::SeqCst); })
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// assert_eq!(spawned.load(Ordering::SeqCst), 1);
    /// ```
    pub fn on_task_spawn(
        &mut self,
        f: impl Fn(&TaskMeta<'_>) + Send + Sync + 'static,
    ) -> &mut Builder {
        self.tuning.on_task_spawn = Some(StdArc::new(f));
        self
    }

    /// Runs `f` when a task (or blocking job) finishes (output stored, panicked or
    /// cancelled), on the thread that completes it, before its `JoinHandle` is woken. A
    /// panic in `f` is caught and discarded.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = ctxrt::runtime::Builder::new_multi_thread()
    ///     .on_task_terminate(|meta| println!("task {} done", meta.id()))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn(async {})).unwrap();
    /// ```
    pub fn on_task_terminate(
        &mut self,
        f: impl Fn(&TaskMeta<'_>) + Send + Sync + 'static,
    ) -> &mut Builder {
        self.tuning.on_task_terminate = Some(StdArc::new(f));
        self
    }

    /// What to do when a spawned task panics. Default: [`UnhandledPanic::Ignore`] (the
    /// panic goes to the task's `JoinHandle`).
    ///
    /// # Examples
    ///
    /// ```
    /// use ctxrt::runtime::{Builder, UnhandledPanic};
    ///
    /// let rt = Builder::new_current_thread()
    ///     .unhandled_panic(UnhandledPanic::ShutdownRuntime)
    ///     .build()
    ///     .unwrap();
    /// rt.spawn(async { panic!("a background task failed") });
    /// let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     rt.block_on(std::future::pending::<()>())
    /// }));
    /// assert!(outcome.is_err(), "block_on panics once a task panicked");
    /// ```
    pub fn unhandled_panic(&mut self, behavior: UnhandledPanic) -> &mut Builder {
        self.tuning.unhandled_panic = behavior;
        self
    }
}
