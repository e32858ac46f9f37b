//! Dropping a runtime where blocking is not allowed (inside any runtime's task or
//! `block_on` future) panics with a message that says what to do, as tokio does, instead of
//! blocking async code while it waits for the runtime's threads. And the runtime is still
//! shut down (without waiting): dropping it from one of its own tasks no longer leaves it
//! running. On both flavours (of the runtime whose async code does the drop).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use ctxrt::runtime::{Builder, Runtime};
use ctxrt_tests::{on_both_flavors, panic_message, wait_until_blocking};

on_both_flavors!(
    dropping_another_runtime_inside_block_on_panics_with_guidance,
    dropping_a_runtime_from_its_own_task_stops_it,
);

fn dropping_another_runtime_inside_block_on_panics_with_guidance(rt: Runtime) {
    let stopped = Arc::new(AtomicUsize::new(0));
    let counter = stopped.clone();
    let other = Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_stop(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    let pending = other.spawn(std::future::pending::<()>());
    let result = rt.block_on(async move { catch_unwind(AssertUnwindSafe(move || drop(other))) });
    let text = panic_message(&*result.expect_err("dropping a runtime in async code panics"));
    assert!(text.contains("asynchronous context"), "{text}");
    assert!(text.contains("spawn_blocking"), "{text}");
    // It was shut down all the same: its task cancelled, its workers gone.
    wait_until_blocking("the dropped runtime's task is cancelled", || {
        pending.is_finished()
    });
    assert!(rt.block_on(pending).unwrap_err().is_cancelled());
    wait_until_blocking("the dropped runtime's workers exit", || {
        stopped.load(Ordering::SeqCst) == 2
    });
}

fn dropping_a_runtime_from_its_own_task_stops_it(rt: Runtime) {
    let handle = rt.handle().clone();
    let held = Arc::new(Mutex::new(Some(rt)));
    let slot = held.clone();
    let sleeper = handle.spawn(std::future::pending::<()>());
    let dropper = handle.spawn(async move {
        let rt = slot.lock().unwrap().take();
        drop(rt);
    });
    // A current_thread runtime runs tasks only inside block_on: drive it from a plain
    // thread's block_on through the handle.
    let (done, finished) = std::sync::mpsc::channel();
    {
        let handle = handle.clone();
        thread::spawn(move || done.send(handle.block_on(dropper)).unwrap());
    }
    let err = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the task dropping its own runtime hung")
        .expect_err("the drop panicked in the task");
    assert!(err.is_panic(), "{err}");
    // The runtime stopped: its other task is cancelled and new spawns are refused.
    wait_until_blocking("the runtime's other task is cancelled", || {
        sleeper.is_finished()
    });
    let other = Builder::new_current_thread().build().unwrap();
    assert!(other.block_on(sleeper).unwrap_err().is_cancelled());
    assert!(other
        .block_on(handle.spawn(async {}))
        .unwrap_err()
        .is_cancelled());
    assert!(held.lock().unwrap().is_none());
}
