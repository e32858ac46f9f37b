//! Issue 8, defect 2: three threads in `Handle::block_on` on one `current_thread` runtime.
//! One drives the core; the others wait in `wait_for_core`. The give-back used to take
//! the whole waiter list: a woken waiter that lost the race for the core to another one
//! went back to sleep unregistered, and when the winner gave the core back nobody woke it.
//!
//! The model: each caller's future awaits a task it spawns, so it can only finish once
//! some thread drives the core (its own `block_on`, or another caller's while that one
//! holds the core). Nobody else wakes a waiting caller, so a lost wake-up leaves it
//! parked forever: every thread blocked, which loom reports as a deadlock.
//!
//! Proves, in every interleaving explored (preemption bound 3): all three `block_on` calls
//! return their task's output, and the runtime is freed (loom reports a leaked `Arc`
//! otherwise). At bound 3 it also found a JoinHandle, re-polled with a new waker, asserting
//! that `JOIN_WAKER` was still set after its task's completer had already cleared it
//! (`State::unset_join_waker` now checks for completion first).
#![cfg(loom)]

use ctxrt::runtime::Builder;
use ctxrt_loom_tests::check_deep;

#[test]
fn three_block_on_callers_all_return() {
    check_deep("scheduler_block_on_callers::three_callers", 3, || {
        let rt = Builder::new_current_thread().build().unwrap();
        let callers: Vec<_> = (1..3)
            .map(|i| {
                let handle = rt.handle().clone();
                loom::thread::spawn(move || {
                    let task = handle.spawn(async move { i });
                    handle.block_on(task).unwrap()
                })
            })
            .collect();
        let task = rt.spawn(async { 0 });
        assert_eq!(rt.block_on(task).unwrap(), 0);
        for (i, caller) in callers.into_iter().enumerate() {
            assert_eq!(caller.join().unwrap(), i + 1);
        }
        drop(rt);
    });
}
