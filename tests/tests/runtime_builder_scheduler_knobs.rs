//! `Builder::{disable_lifo_slot, global_queue_interval, event_interval}`: without the LIFO
//! slot a task woken by the running task waits behind the tasks already queued instead of
//! running next; the intervals accept any positive value (the runtime runs tasks) and
//! reject 0 with a message. On both flavours (the LIFO order on a one-worker runtime, so
//! it is deterministic).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use futures_channel::oneshot;

use ctxrt::runtime::{Builder, Runtime};
use ctxrt_tests::on_both_flavors;

on_both_flavors!(flag: the_lifo_slot_decides_who_runs_after_a_wake, intervals_are_validated);

fn builder(current_thread: bool) -> Builder {
    if current_thread {
        Builder::new_current_thread()
    } else {
        let mut builder = Builder::new_multi_thread();
        builder.worker_threads(1);
        builder
    }
}

/// The order in which a woken task ("woken") and a task queued before the wake
/// ("queued") run, all on the one worker.
fn order(rt: &Runtime) -> Vec<&'static str> {
    let log: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let driver_log = log.clone();
    let driver = rt.spawn(async move {
        let (wake, woken) = oneshot::channel::<()>();
        let log = driver_log.clone();
        let waiter = ctxrt::spawn(async move {
            woken.await.unwrap();
            log.lock().unwrap().push("woken");
        });
        // Let the waiter park on its channel.
        for _ in 0..3 {
            ctxrt::task::yield_now().await;
        }
        // Queued in this order behind the driver: the waker, then "queued". The driver
        // then finishes without awaiting them, so no wake of its own takes the LIFO slot.
        let waker = ctxrt::spawn(async move { wake.send(()).unwrap() });
        let log = driver_log.clone();
        let queued = ctxrt::spawn(async move { log.lock().unwrap().push("queued") });
        (waiter, waker, queued)
    });
    rt.block_on(async move {
        let (waiter, waker, queued) = driver.await.unwrap();
        waker.await.unwrap();
        queued.await.unwrap();
        waiter.await.unwrap();
    });
    let order = log.lock().unwrap().clone();
    order
}

fn the_lifo_slot_decides_who_runs_after_a_wake(current_thread: bool) {
    let with_lifo = builder(current_thread).build().unwrap();
    assert_eq!(order(&with_lifo), ["woken", "queued"]);
    let without_lifo = builder(current_thread).disable_lifo_slot().build().unwrap();
    assert_eq!(order(&without_lifo), ["queued", "woken"]);
}

fn intervals_are_validated(current_thread: bool) {
    for interval in [1, 2, 61, 1000] {
        let rt = builder(current_thread)
            .global_queue_interval(interval)
            .event_interval(interval)
            .build()
            .unwrap();
        let sum = rt.block_on(async {
            let mut set = ctxrt::task::JoinSet::new();
            for i in 0..200u32 {
                set.spawn(async move {
                    ctxrt::task::yield_now().await;
                    i
                });
            }
            set.join_all().await.into_iter().sum::<u32>()
        });
        assert_eq!(sum, 199 * 200 / 2);
    }
    let err = catch_unwind(AssertUnwindSafe(|| {
        builder(current_thread).global_queue_interval(0);
    }))
    .unwrap_err();
    let message = ctxrt_tests::panic_message(&*err);
    assert!(message.contains("global_queue_interval"), "{message}");
    assert!(catch_unwind(AssertUnwindSafe(|| {
        builder(current_thread).event_interval(0);
    }))
    .is_err());
}
