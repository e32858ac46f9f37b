//! The lost wake-up fixed in "Fix a lost wake-up when parking": a `current_thread`
//! runtime's `block_on` thread is its only worker and never searches, and it used to
//! re-check the injector before sleeping only as the last searcher, that is, never. A task
//! pushed by `Handle::spawn` from another thread while the block_on thread was on its way
//! to park saw every worker awake, woke nobody, and waited forever.
//!
//! The model: the main thread blocks on a future that only the spawned task can complete
//! (the task sets a flag and wakes it); a second thread does nothing but `handle.spawn`.
//! Nobody else wakes the main thread, so a lost wake-up leaves it parked with the task in
//! the injector: every thread blocked, which loom reports as a deadlock.
//!
//! Proves, in every interleaving: the block_on returns, having run the remotely spawned
//! task exactly once, whichever of the spawn and the block_on thread's park comes first.
#![cfg(loom)]

use std::future::poll_fn;
use std::task::{Poll, Waker};

use ctxrt::runtime::Builder;
use ctxrt_loom_tests::check;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};

#[derive(Default)]
struct Done {
    runs: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

#[test]
fn current_thread_block_on_runs_a_task_spawned_from_another_thread() {
    check("scheduler_remote_spawn::current_thread", || {
        let rt = Builder::new_current_thread().build().unwrap();
        let done = Arc::new(Done::default());
        let spawner = {
            let handle = rt.handle().clone();
            let done = done.clone();
            loom::thread::spawn(move || {
                // Detached: only the task's own wake may end the block_on.
                drop(handle.spawn(async move {
                    done.runs.fetch_add(1, Ordering::SeqCst);
                    if let Some(waker) = done.waker.lock().unwrap().take() {
                        waker.wake();
                    }
                }));
            })
        };
        rt.block_on(poll_fn(|cx| {
            *done.waker.lock().unwrap() = Some(cx.waker().clone());
            if done.runs.load(Ordering::SeqCst) == 1 {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }));
        spawner.join().unwrap();
        assert_eq!(done.runs.load(Ordering::SeqCst), 1, "the task ran once");
        drop(rt);
    });
}
