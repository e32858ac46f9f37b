//! `JoinHandle` is not `#[must_use]` (issue 12, behaviour 9): fire-and-forget
//! `ctxrt::spawn(..);` builds under `-D warnings`, as with tokio. This file denies every
//! warning, so a `#[must_use]` on `JoinHandle` (or on `spawn`) fails to build it; the tasks
//! it detaches still run, on both flavours.

#![deny(warnings)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ctxrt::runtime::Runtime;

fn detached_tasks_run(rt: Runtime) {
    let ran = Arc::new(AtomicUsize::new(0));
    let seen = rt.block_on(async {
        for _ in 0..3 {
            let ran = ran.clone();
            ctxrt::spawn(async move {
                ran.fetch_add(1, Ordering::SeqCst);
            });
        }
        let from_handle = ran.clone();
        ctxrt::runtime::Handle::current().spawn(async move {
            from_handle.fetch_add(1, Ordering::SeqCst);
        });
        let from_job = ran.clone();
        ctxrt::spawn_blocking(move || {
            from_job.fetch_add(1, Ordering::SeqCst);
        });
        // Bounded: yield (letting a current_thread runtime run the detached tasks) until
        // all five have run, or give up after a generous number of turns.
        for _ in 0..100_000 {
            if ran.load(Ordering::SeqCst) == 5 {
                break;
            }
            ctxrt::task::yield_now().await;
        }
        ran.load(Ordering::SeqCst)
    });
    assert_eq!(seen, 5, "every detached task and job ran");
}

ctxrt_tests::on_both_flavors!(detached_tasks_run);
