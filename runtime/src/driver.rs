//! The driver: one per runtime, owning its `mio::Poll` (the reactor), a `mio::Waker`,
//! and its timer store. Sits below the scheduler, which reaches it only through the
//! [`DriverHandle`] in `SchedulerShared::driver`.
//!
//! Who drives: whichever worker goes idle first takes the poll lock (`try_lock`, as
//! tokio does) and parks *in* `Poll::poll`, with the nearest timer deadline as its
//! timeout (`Parker::park` in `scheduler/idle.rs`, state `PARKED_DRIVER`); the other idle
//! workers park on their condvar. An unpark of the driver-holder goes through the mio
//! waker. Busy workers fire due timers and poll I/O without blocking on their fairness
//! tick ([`DriverHandle::poll_busy`]), so neither starves under load. A `current_thread`
//! runtime's `block_on` drives the same reactor when its core goes idle.
//!
//! Readiness and timer wakers are collected under the locks and woken after them, on the
//! driving thread, inside its worker guard: the tasks they wake go to its own queue.

use std::io;
use std::task::Waker;
use std::time::Duration;

use crate::io::scheduled_io::{IoSlab, ScheduledIo};
use crate::io::Ready;
use crate::sync::{
    Arc, AtomicUsize, BlockingMutex, BlockingMutexGuard, Ordering, StaticAtomicUsize,
};
use crate::time::source::TimeShared;

/// The next [`DriverHandle::id`].
static NEXT_DRIVER_ID: StaticAtomicUsize = StaticAtomicUsize::new(1);

const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);
const EVENTS_CAPACITY: usize = 1024;

/// The reactor side: the poll, its registry and the registrations' slab.
pub(crate) struct IoShared {
    pub(crate) registry: mio::Registry,
    slab: BlockingMutex<IoSlab>,
    /// How many resources the slab holds, readable without its lock: a busy worker's
    /// fairness tick polls the reactor only if some source can have an event
    /// ([`DriverHandle::poll_busy`]).
    live: AtomicUsize,
}

impl IoShared {
    /// A fresh resource and its token (see `IoSlab::insert`); `None` once shut down.
    pub(crate) fn insert(&self) -> Option<(Arc<ScheduledIo>, usize)> {
        let inserted = self.slab.lock().insert();
        if inserted.is_some() {
            // Release: pairs with the Acquire in `has_sources`. Counted before the caller
            // registers the source with mio, so no event can exist while this reads 0.
            self.live.fetch_add(1, Ordering::Release);
        }
        inserted
    }

    /// Frees `token`'s resource (see `IoSlab::release`); the source is no longer
    /// registered with mio, or never was.
    pub(crate) fn release(&self, token: usize) {
        if self.slab.lock().release(token) {
            // Release: as in `insert`.
            self.live.fetch_sub(1, Ordering::Release);
        }
    }

    /// Whether any source is registered (so a non-blocking poll can find an event).
    fn has_sources(&self) -> bool {
        // Acquire: pairs with the Release in `insert`. A stale 0 only delays an event
        // to the next poll (a park, or a later tick), it never loses one: it stays in
        // the epoll ready list until some `Poll::poll` takes it.
        self.live.load(Ordering::Acquire) != 0
    }
}

/// What the driver-holder owns while it holds the driver.
pub(crate) struct PollState {
    poll: mio::Poll,
    events: mio::Events,
    wakers: Vec<Waker>,
}

/// One runtime's driver; see the module docs.
pub(crate) struct DriverHandle {
    /// Unique in the process, never reused (`NEXT_DRIVER_ID`): names this driver to a
    /// `Sleep` that has not armed yet (`time/driver_ref.rs`).
    pub(crate) id: usize,
    poll: BlockingMutex<PollState>,
    waker: mio::Waker,
    /// `None` unless the runtime was built with `enable_io`.
    pub(crate) io: Option<IoShared>,
    /// `None` unless the runtime was built with `enable_time`.
    pub(crate) time: Option<TimeShared>,
}

impl DriverHandle {
    /// Whether the runtime enabled `part`.
    fn has(&self, part: Part) -> bool {
        match part {
            Part::Io => self.io.is_some(),
            Part::Time => self.time.is_some(),
        }
    }

    /// A driver with the parts asked for; `Ok(None)` if neither was.
    pub(crate) fn new(
        enable_io: bool,
        enable_time: bool,
        start_paused: bool,
    ) -> io::Result<Option<Arc<DriverHandle>>> {
        if !enable_io && !enable_time {
            return Ok(None);
        }
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        let io = if enable_io {
            Some(IoShared {
                registry: poll.registry().try_clone()?,
                slab: BlockingMutex::new(IoSlab::default()),
                live: AtomicUsize::new(0),
            })
        } else {
            None
        };
        let time = enable_time.then(|| TimeShared::new(start_paused));
        Ok(Some(Arc::new(DriverHandle {
            // Relaxed: only uniqueness matters.
            id: NEXT_DRIVER_ID.fetch_add(1, Ordering::Relaxed),
            poll: BlockingMutex::new(PollState {
                poll,
                events: mio::Events::with_capacity(EVENTS_CAPACITY),
                wakers: Vec::new(),
            }),
            waker,
            io,
            time,
        })))
    }

    /// The driver, if no other thread holds it.
    pub(crate) fn try_lock(&self) -> Option<BlockingMutexGuard<'_, PollState>> {
        self.poll.try_lock()
    }

    /// Wakes the thread parked in `Poll::poll`.
    pub(crate) fn unpark(&self) {
        // A failed wake means the eventfd is gone (the driver is being dropped).
        let _ = self.waker.wake();
    }

    /// Holds off the paused clock's auto-advance while the returned guard lives (a
    /// `spawn_blocking` job in flight); `None` without a timer driver.
    /// (An associated function: loom's `Arc` cannot be a `self` type.)
    pub(crate) fn inhibit_auto_advance(driver: &Arc<Self>) -> Option<AutoAdvanceInhibit> {
        let time = driver.time.as_ref()?;
        time.inhibit_auto_advance();
        Some(AutoAdvanceInhibit {
            driver: driver.clone(),
        })
    }

    /// Parks the holder of `state` in `Poll::poll` until an I/O event, a timer or
    /// [`DriverHandle::unpark`]. Returns with the wakers of what became ready collected
    /// in `state`; the caller wakes them with [`DriverHandle::dispatch`].
    pub(crate) fn park(&self, state: &mut PollState) {
        let timeout = match &self.time {
            Some(time) => time.before_park(&mut state.wakers, true),
            None => None,
        };
        self.poll_once(state, timeout);
        if let Some(time) = &self.time {
            time.after_park(&mut state.wakers);
        }
    }

    fn poll_once(&self, state: &mut PollState, timeout: Option<Duration>) {
        let PollState { poll, events, .. } = state;
        match poll.poll(events, timeout) {
            Ok(()) => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => return,
            Err(err) => panic!("ctxrt's I/O driver failed to poll: {err}"),
        }
        let Some(io) = &self.io else {
            return;
        };
        let mut ready = Vec::new();
        {
            let slab = io.slab.lock();
            for event in events.iter() {
                if event.token() == WAKER_TOKEN {
                    continue;
                }
                // Invariant 2 in io/scheduled_io.rs: a stale token finds nothing.
                if let Some(resource) = slab.get(event.token().0) {
                    ready.push((resource.clone(), Ready::from_mio(event)));
                }
            }
        }
        // Outside the slab lock: setting readiness takes each resource's waiter lock.
        for (resource, readiness) in ready {
            resource.set_readiness(readiness);
        }
    }

    /// Wakes what the last park collected, after releasing the driver.
    pub(crate) fn dispatch(mut state: BlockingMutexGuard<'_, PollState>) {
        let wakers = std::mem::take(&mut state.wakers);
        drop(state);
        for waker in wakers {
            waker.wake();
        }
    }

    /// A busy worker's fairness tick: fire due timers, and poll I/O without blocking if
    /// nobody is parked in the driver and some source is registered. (With none, the
    /// poll could only find the mio waker's own event: a system call per tick for
    /// nothing, which a runtime with no sockets would pay on every 61st task poll.)
    pub(crate) fn poll_busy(&self) {
        let mut wakers = Vec::new();
        if let Some(time) = &self.time {
            time.fire_due(&mut wakers);
        }
        if self.io.as_ref().is_some_and(IoShared::has_sources) {
            if let Some(mut state) = self.poll.try_lock() {
                self.poll_once(&mut state, Some(Duration::ZERO));
                wakers.append(&mut state.wakers);
            }
        }
        for waker in wakers {
            waker.wake();
        }
    }

    /// Shutdown: every resource waiter is woken to see the shutdown, every stored timer
    /// waker dropped, and later registrations are refused.
    pub(crate) fn shutdown(&self) {
        if let Some(io) = &self.io {
            let resources = io.slab.lock().shutdown();
            for resource in resources {
                resource.shutdown();
            }
        }
        if let Some(time) = &self.time {
            time.shutdown();
        }
    }
}

/// Keeps a paused clock from auto-advancing while alive; see
/// [`DriverHandle::inhibit_auto_advance`].
pub(crate) struct AutoAdvanceInhibit {
    driver: Arc<DriverHandle>,
}

impl Drop for AutoAdvanceInhibit {
    fn drop(&mut self) {
        let time = self
            .driver
            .time
            .as_ref()
            .expect("made only with a timer driver");
        if time.allow_auto_advance() {
            // The driver-holder may have parked with no timeout because of this job.
            self.driver.unpark();
        }
    }
}

/// Which driver part a caller needs, for the panic that names the `enable_*` call.
#[derive(Clone, Copy)]
pub(crate) enum Part {
    Io,
    Time,
}

/// The current runtime's driver with `part` enabled.
///
/// # Panics
///
/// Outside a runtime, or if the runtime was built without that part; the message names
/// the `Builder` call that enables it.
#[track_caller]
pub(crate) fn current(part: Part, what: &str) -> Arc<DriverHandle> {
    let on_worker = crate::scheduler::with_current_worker(|worker| {
        worker.map(|(shared, _)| shared.driver.as_ref().filter(|d| d.has(part)).cloned())
    });
    match on_worker {
        Some(Some(driver)) => driver,
        Some(None) => missing_part(part, what),
        None => current_off_worker(part, what),
    }
}

/// The [`DriverHandle::id`] of the current runtime's driver with `part` enabled, with no
/// reference count taken on a worker (a task, or a `current_thread` block_on): a
/// never-armed timer needs no more (`time/driver_ref.rs`).
///
/// # Panics
///
/// As [`current`].
#[track_caller]
#[inline]
pub(crate) fn current_id(part: Part, what: &str) -> usize {
    let on_worker = crate::scheduler::with_current_worker(|worker| {
        worker.map(|(shared, _)| shared.driver.as_ref().filter(|d| d.has(part)).map(|d| d.id))
    });
    match on_worker {
        Some(Some(id)) => id,
        Some(None) => missing_part(part, what),
        None => current_off_worker(part, what).id,
    }
}

/// [`current`] on a thread that is no worker: a multi-thread runtime's block_on thread,
/// or under `Runtime::enter`.
#[track_caller]
#[inline(never)]
fn current_off_worker(part: Part, what: &str) -> Arc<DriverHandle> {
    let Ok(handle) = crate::runtime::Handle::try_current() else {
        outside_runtime(part, what)
    };
    match handle.shared.driver.as_ref() {
        Some(driver) if driver.has(part) => driver.clone(),
        _ => missing_part(part, what),
    }
}

impl Part {
    /// The `Builder` call that enables this part, and what it is called in messages.
    fn names(self) -> (&'static str, &'static str) {
        match self {
            Part::Io => ("enable_io", "I/O"),
            Part::Time => ("enable_time", "timers"),
        }
    }
}

#[cold]
#[track_caller]
fn outside_runtime(part: Part, what: &str) -> ! {
    let (enable, thing) = part.names();
    panic!(
        "{what} must be used inside a ctxrt runtime with {thing} enabled: call it from a task \
         or block_on of a runtime built with Builder::{enable}() (or enable_all(); \
         Runtime::new(), #[ctxrt::main] and #[ctxrt::test] enable both)"
    )
}

#[cold]
#[track_caller]
fn missing_part(part: Part, what: &str) -> ! {
    let (enable, thing) = part.names();
    panic!(
        "{what} needs the runtime's {thing} driver, but this runtime was built without it: \
         add .{enable}() (or .enable_all()) to its Builder"
    )
}
