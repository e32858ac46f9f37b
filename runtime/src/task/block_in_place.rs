//! `block_in_place`: run blocking code inside a task without stalling the other tasks of
//! the worker it runs on.
//!
//! On a multi-thread worker the caller hands its core (local queue, LIFO slot, deferred
//! tasks) away (`worker::take_core`, invariant 4 in `scheduler/worker.rs`) and queues a
//! worker loop on the blocking pool that takes it over; then it runs the closure right
//! here, inside the task's poll and so inside the task's context. When the closure
//! returns, the core is taken back if no pool thread has picked it up yet; otherwise this
//! thread finishes the task's poll without a core (wakes and spawns go to the injector)
//! and then leaves the worker loop, as tokio's does.

use crate::runtime::{enter, Handle};
use crate::scheduler::worker::{self, Core};
use crate::scheduler::Flavor;
use crate::sync::{Arc, BlockingMutex};

/// Runs `f`, which may block, on this thread; if this thread is a worker of a
/// multi-thread runtime, its other tasks move to another thread first, so they keep
/// running while `f` blocks.
///
/// `f` runs inside the calling task, in its context: it sees the task's
/// [`ContextVar`](crate::ContextVar) values, and what it sets stays in the task. Inside
/// `f` this thread may block on a runtime ([`Handle::block_on`]). Outside a runtime, in a
/// blocking job or inside a multi-thread runtime's `block_on`, `f` simply runs.
///
/// Every call on a worker takes a thread of the blocking pool (counted against
/// `max_blocking_threads`) to run that worker's tasks meanwhile; prefer
/// [`spawn_blocking`](crate::spawn_blocking) for work that need not stay in the task.
///
/// # Panics
///
/// On a `current_thread` runtime (a task or a `block_on` future of one), as tokio's does:
/// its one thread would stop every other task. Use `spawn_blocking(f).await` there.
///
/// # Examples
///
/// ```
/// use ctxrt::ContextVar;
///
/// static USER: ContextVar<&'static str> = ContextVar::new("user");
///
/// #[ctxrt::main(flavor = "multi_thread", worker_threads = 2)]
/// async fn main() {
///     USER.set("alice");
///     let seen = ctxrt::task::block_in_place(|| {
///         std::thread::sleep(std::time::Duration::from_millis(1)); // blocking work
///         let seen = USER.get();
///         USER.set("bob"); // stays in this task
///         seen
///     });
///     assert_eq!(seen, Some("alice"));
///     assert_eq!(USER.get(), Some("bob"));
/// }
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    if on_current_thread_runtime() {
        panic!(
            "block_in_place was called on a current_thread runtime, whose one thread would \
             stop running every other task while it blocks: use \
             `ctxrt::task::spawn_blocking(..).await`, or a multi_thread runtime"
        );
    }
    let _reclaim = worker::take_core().map(hand_off);
    // Blocking is allowed here now: this thread drives no tasks while `f` runs.
    let _not_driving = enter::exit_driving();
    f()
}

/// Whether this thread runs a `current_thread` runtime's tasks or `block_on` future now.
fn on_current_thread_runtime() -> bool {
    if let Some(shared) = worker::worker_scheduler() {
        return shared.flavor == Flavor::CurrentThread;
    }
    // A `block_on` waiting for the core another thread holds polls its future here.
    enter::is_driving()
        && enter::current_handle()
            .is_some_and(|handle| handle.shared.flavor == Flavor::CurrentThread)
}

/// The core between the thread that handed it away and the pool thread taking it over.
type Handoff = Arc<BlockingMutex<Option<Box<Core>>>>;

/// Queues a worker loop for `core` on the blocking pool; the returned guard takes the core
/// back when `f` is done (or unwinds) if that loop has not started.
fn hand_off((shared, core): (Arc<crate::scheduler::SchedulerShared>, Box<Core>)) -> Reclaim {
    let handoff: Handoff = Arc::new(BlockingMutex::new(Some(core)));
    let taken = handoff.clone();
    let handle = Handle { shared };
    let worker_shared = handle.shared.clone();
    handle.shared.blocking.submit_worker(
        &handle,
        Box::new(move || {
            let Some(core) = taken.lock().take() else {
                return; // Taken back already.
            };
            // This pool thread now drives tasks: it must not block_on (as on any worker).
            let _driving = enter::enter_driving();
            worker::run(worker_shared, core);
        }),
    );
    // A sleeping worker may steal the queued tasks before the pool thread starts.
    handle.shared.notify_parked();
    Reclaim { handoff }
}

/// Takes the core back on drop if no pool thread took it over.
struct Reclaim {
    handoff: Handoff,
}

impl Drop for Reclaim {
    fn drop(&mut self) {
        let core = self.handoff.lock().take();
        if let Some(core) = core {
            worker::restore_core(core);
        }
    }
}
