//! Dropping a `current_thread` runtime while another thread's `block_on` is giving the core
//! back. The give-back used to check for shutdown and store the core in two steps; a
//! shutdown in between found the slot empty, and the core stored after it, with tasks
//! still queued on it, was never drained: those tasks held the scheduler, and the whole
//! runtime leaked. Here a thread gives the core back thousands of times (each `block_on`
//! leaves a queued task behind) while the runtime is dropped, over many runtimes, and
//! every runtime must be freed: its builder's hook closure, which only the runtime holds,
//! must be dropped once the handles are gone. (`current_thread` only: a multi-thread
//! runtime has no core to give back.) The interleaving itself is model-checked in
//! `loom-tests/tests/scheduler_current_thread_shutdown.rs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use ctxrt::runtime::Builder;

const RUNTIMES: usize = 1_000;

#[test]
fn a_core_given_back_during_shutdown_is_drained_and_the_runtime_freed() {
    let mut leaked = 0;
    for i in 0..RUNTIMES {
        let marker = Arc::new(());
        let held = marker.clone();
        let rt = Builder::new_current_thread()
            .on_thread_stop(move || {
                let _ = &held;
            })
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let giver = thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                handle.block_on(async {
                    // Left queued on the core when block_on gives it back.
                    drop(ctxrt::spawn(std::future::pending::<()>()));
                });
            }
        });
        // Let the giver get going, then shut down in the middle of its give-backs.
        thread::sleep(Duration::from_micros(50 + (i as u64 % 7) * 30));
        drop(rt);
        stop.store(true, Ordering::Relaxed);
        giver.join().unwrap();
        if Arc::strong_count(&marker) != 1 {
            leaked += 1;
        }
    }
    assert_eq!(
        leaked, 0,
        "{leaked} of {RUNTIMES} runtimes were never freed"
    );
}
