//! `Handle::metrics()`: the counters track what the runtime did. Spawned tasks are
//! counted (blocking jobs too) and alive ones until they finish; task polls add up over
//! the workers to at least one per task; a worker that ran out of work has parked and
//! been busy for some time; queue depths show queued tasks and return to 0; a bad
//! worker index panics with a message. On both flavours.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use ctxrt::runtime::Runtime;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    counters_track_spawns_polls_and_parks,
    queue_depths_show_queued_work,
    a_bad_worker_index_panics_with_a_message,
);

fn counters_track_spawns_polls_and_parks(rt: Runtime) {
    let metrics = rt.handle().metrics();
    assert_eq!(metrics.spawned_tasks_count(), 0);
    rt.block_on(async {
        let mut set = ctxrt::task::JoinSet::new();
        for _ in 0..100 {
            set.spawn(async {
                ctxrt::task::yield_now().await;
            });
        }
        set.spawn_blocking(|| std::thread::sleep(Duration::from_millis(30)));
        set.join_all().await;
    });
    assert_eq!(metrics.spawned_tasks_count(), 101);
    // A finished task leaves the task list just after its JoinHandle sees the output, so
    // on a multi_thread runtime the count may lag `join_all` by a moment.
    ctxrt_tests::wait_until_blocking("every joined task has left the task list", || {
        metrics.num_alive_tasks() == 0
    });
    let workers = metrics.num_workers();
    let polls: u64 = (0..workers).map(|i| metrics.worker_poll_count(i)).sum();
    assert!(polls >= 200, "100 tasks polled twice each, got {polls}");
    // Every worker parks once idle (the blocking job kept them waiting, too).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let parks: u64 = (0..workers).map(|i| metrics.worker_park_count(i)).sum();
        let busy: Duration = (0..workers)
            .map(|i| metrics.worker_total_busy_duration(i))
            .sum();
        if parks >= 1 && busy > Duration::ZERO {
            break;
        }
        assert!(Instant::now() < deadline, "parks {parks}, busy {busy:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(metrics.num_blocking_threads() >= 1);
    assert_eq!(metrics.blocking_queue_depth(), 0);
    let steals: u64 = (0..workers).map(|i| metrics.worker_steal_count(i)).sum();
    assert!(steals <= polls);
}

fn queue_depths_show_queued_work(rt: Runtime) {
    let metrics = rt.handle().metrics();
    // A task that blocks its worker: tasks spawned from outside then wait in the
    // global queue (one worker, or current_thread with nobody in block_on).
    let (release, released) = std::sync::mpsc::channel::<()>();
    let blocker = rt.spawn(async move {
        released.recv().unwrap();
    });
    let started = Instant::now();
    let handles: Vec<_> = (0..10).map(|_| rt.spawn(async {})).collect();
    assert!(metrics.global_queue_depth() + metrics.worker_local_queue_depth(0) <= 11);
    release.send(()).unwrap();
    rt.block_on(async move {
        blocker.await.unwrap();
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(metrics.global_queue_depth(), 0);
    for worker in 0..metrics.num_workers() {
        assert_eq!(metrics.worker_local_queue_depth(worker), 0);
    }
}

fn a_bad_worker_index_panics_with_a_message(rt: Runtime) {
    let metrics = rt.handle().metrics();
    let n = metrics.num_workers();
    let err = catch_unwind(AssertUnwindSafe(|| metrics.worker_poll_count(n))).unwrap_err();
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("out of range"), "{message}");
}

#[test]
fn a_current_thread_runtime_counts_its_queue() {
    let rt = ctxrt_tests::current_thread();
    let metrics = rt.handle().metrics();
    let handles: Vec<_> = (0..5).map(|_| rt.spawn(async {})).collect();
    assert_eq!(metrics.global_queue_depth(), 5, "nobody drives them yet");
    assert_eq!(metrics.num_alive_tasks(), 5);
    rt.block_on(async move {
        for handle in handles {
            handle.await.unwrap();
        }
    });
    assert_eq!(metrics.global_queue_depth(), 0);
    assert_eq!(metrics.worker_poll_count(0), 5);
}
