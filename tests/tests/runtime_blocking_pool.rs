//! The blocking pool: its threads are named `ctxrt-blocking-N` (workers `ctxrt-worker-N`);
//! `max_blocking_threads(2)` never runs more than two jobs at once yet completes all 20,
//! reaching two at once; an idle pool thread is reused for the next job instead of a new
//! one being started; idle threads retire after `thread_keep_alive` (running their
//! `on_thread_stop` hook) and the pool starts a new one for later work; `abort` cancels a
//! job still in the queue (it never runs) but lets a started one finish with its output.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use ctxrt::runtime::{Builder, Handle};
use ctxrt_tests::wait_until_blocking;

/// Whether `name` is `{prefix}-{N}` for a decimal N.
fn is_numbered(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn thread_name() -> String {
    thread::current().name().unwrap_or("unnamed").to_string()
}

#[test]
fn pool_and_worker_threads_are_named() {
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let (task, job, job_from_task) = rt.block_on(async {
        let task = ctxrt::spawn(async { thread_name() }).await.expect("task");
        let job = ctxrt::spawn_blocking(thread_name).await.expect("job");
        let job_from_task =
            ctxrt::spawn(async { ctxrt::spawn_blocking(thread_name).await.expect("job") })
                .await
                .expect("task");
        (task, job, job_from_task)
    });
    assert!(is_numbered(&task, "ctxrt-worker"), "{task}");
    assert!(is_numbered(&job, "ctxrt-blocking"), "{job}");
    assert!(
        is_numbered(&job_from_task, "ctxrt-blocking"),
        "{job_from_task}"
    );
}

#[test]
fn max_blocking_threads_bounds_concurrency_yet_every_job_completes() {
    const JOBS: usize = 20;
    let rt = Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(2)
        .build()
        .expect("runtime");
    let running = Arc::new(AtomicUsize::new(0));
    let max_running = Arc::new(AtomicUsize::new(0));
    let arrived = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..JOBS)
        .map(|i| {
            let (running, max_running, arrived) =
                (running.clone(), max_running.clone(), arrived.clone());
            rt.spawn_blocking(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                max_running.fetch_max(now, Ordering::SeqCst);
                let met = if i < 2 {
                    // The first two jobs wait for each other: the pool must run two at
                    // once to get past here.
                    arrived.fetch_add(1, Ordering::SeqCst);
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while arrived.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                        thread::sleep(Duration::from_millis(1));
                    }
                    arrived.load(Ordering::SeqCst) >= 2
                } else {
                    thread::sleep(Duration::from_millis(2));
                    true
                };
                running.fetch_sub(1, Ordering::SeqCst);
                (i, met, thread_name())
            })
        })
        .collect();
    let mut done = Vec::new();
    for handle in handles {
        done.push(rt.block_on(handle).expect("job completes"));
        assert!(rt.handle().num_blocking_threads() <= 2);
    }
    assert_eq!(done.len(), JOBS);
    for (i, (index, met, name)) in done.iter().enumerate() {
        assert_eq!(*index, i);
        assert!(met, "job {i} never saw a second job running alongside");
        assert!(is_numbered(name, "ctxrt-blocking"), "{name}");
    }
    assert_eq!(max_running.load(Ordering::SeqCst), 2);
}

#[test]
fn an_idle_pool_thread_is_reused() {
    let starts = Arc::new(AtomicUsize::new(0));
    let counted = starts.clone();
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .on_thread_start(move || {
            if thread_name().contains("-blocking-") {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .expect("runtime");
    let first = rt
        .block_on(rt.spawn_blocking(|| thread::current().id()))
        .expect("job");
    for _ in 0..5 {
        // A thread that just finished a job is still busy for a moment (it has not gone
        // back to waiting yet) and a job submitted then starts a new one, as in tokio;
        // give it ample time to become idle. Timing only affects the setup, never the
        // assertion: an idle thread must be reused.
        thread::sleep(Duration::from_millis(100));
        let next = rt
            .block_on(rt.spawn_blocking(|| thread::current().id()))
            .expect("job");
        assert_eq!(next, first, "the idle thread ran the job");
        assert_eq!(rt.handle().num_blocking_threads(), 1);
    }
    assert_eq!(
        starts.load(Ordering::SeqCst),
        1,
        "one pool thread ever started"
    );
}

#[test]
fn idle_pool_threads_retire_after_keep_alive_and_new_ones_start_later() {
    let stops = Arc::new(AtomicUsize::new(0));
    let counted = stops.clone();
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .thread_keep_alive(Duration::from_millis(100))
        .on_thread_stop(move || {
            if thread_name().contains("-blocking-") {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        })
        .build()
        .expect("runtime");
    let handle: Handle = rt.handle().clone();
    let a = rt.spawn_blocking(|| thread::sleep(Duration::from_millis(10)));
    let b = rt.spawn_blocking(|| thread::sleep(Duration::from_millis(10)));
    rt.block_on(async {
        a.await.expect("job");
        b.await.expect("job");
    });
    assert!(handle.num_blocking_threads() >= 1);
    wait_until_blocking("every idle pool thread retired", || {
        handle.num_blocking_threads() == 0
    });
    assert!(
        stops.load(Ordering::SeqCst) >= 1,
        "the retired threads' stop hook ran"
    );
    let stopped = stops.load(Ordering::SeqCst);
    // Work after the retirement gets a fresh thread.
    let name = rt.block_on(rt.spawn_blocking(thread_name)).expect("job");
    assert!(is_numbered(&name, "ctxrt-blocking"), "{name}");
    wait_until_blocking("the new thread retired too", || {
        handle.num_blocking_threads() == 0
    });
    assert_eq!(stops.load(Ordering::SeqCst), stopped + 1);
}

#[test]
fn abort_cancels_a_queued_job_but_not_a_started_one() {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .max_blocking_threads(1)
        .build()
        .expect("runtime");
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let running = rt.spawn_blocking(move || {
        started_tx.send(()).expect("test waits");
        release_rx.recv().expect("test releases");
        "finished anyway"
    });
    started_rx.recv().expect("the first job started");
    let queued_ran = Arc::new(AtomicBool::new(false));
    let flag = queued_ran.clone();
    let queued = rt.spawn_blocking(move || flag.store(true, Ordering::SeqCst));
    queued.abort();
    running.abort();
    release_tx.send(()).expect("the first job waits");
    let queued = rt
        .block_on(queued)
        .expect_err("the queued job was cancelled");
    assert!(queued.is_cancelled());
    assert_eq!(
        rt.block_on(running).expect("a started job runs to the end"),
        "finished anyway"
    );
    // The pool still runs jobs afterwards, and the aborted one never ran.
    assert_eq!(rt.block_on(rt.spawn_blocking(|| 5)).expect("job"), 5);
    assert!(!queued_ran.load(Ordering::SeqCst));
}
