//! Issue 8, defect 8: a `current_thread` runtime dropped while another thread's `block_on`
//! gives the core back. The give-back used to check the shutdown flag and store the core
//! in two steps; shutdown could take the (still empty) `parked_core` slot in between, and
//! the core stored after it, with a task still queued on it, was never drained: the
//! queued entry held the scheduler, the scheduler held the core, and the runtime leaked.
//!
//! The model: a thread blocks on a future that spawns a task and returns at once, so the
//! task is still queued on the core when `block_on` gives it back; the main thread drops
//! the runtime meanwhile.
//!
//! Proves, in every interleaving explored: the task is cancelled or run, its JoinHandle
//! resolves, and nothing of the runtime outlives the model (loom reports a leaked `Arc`,
//! such as the scheduler held by a queued task, as a failure).
#![cfg(loom)]

use ctxrt::runtime::Builder;
use ctxrt_loom_tests::check_deep;

#[test]
fn shutdown_racing_a_core_give_back_frees_the_runtime() {
    check_deep(
        "scheduler_current_thread_shutdown::give_back_vs_shutdown",
        3,
        || {
            let rt = Builder::new_current_thread().build().unwrap();
            let handle = rt.handle().clone();
            let giver = loom::thread::spawn(move || {
                // Queued on the core, not run: block_on returns before driving it.
                handle.block_on(async { ctxrt::spawn(async { 7 }) })
            });
            drop(rt);
            let task = giver.join().unwrap();
            assert!(task.is_finished(), "shutdown left the task unfinished");
            drop(task);
        },
    );
}
