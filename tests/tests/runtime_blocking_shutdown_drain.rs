//! `spawn_blocking` jobs submitted before shutdown are not lost: dropping the runtime runs
//! every job still queued and waits for it, and `shutdown_timeout` waits for them up to its
//! timeout (those still queued then run on, detached). Only jobs submitted after shutdown
//! began are refused (their JoinHandles report cancelled). As tokio: "spawn_blocking(flush),
//! then drop the runtime" flushes. On both flavours.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use ctxrt::runtime::{Builder, Runtime};

fn runtime(current_thread: bool) -> Runtime {
    ctxrt_tests::builder(current_thread)
        .max_blocking_threads(1)
        .build()
        .unwrap()
}

fn queued_jobs_run_before_drop_returns(current_thread: bool) {
    const JOBS: usize = 20;
    let rt = runtime(current_thread);
    let ran = Arc::new(AtomicUsize::new(0));
    let (started, start) = mpsc::channel();
    // Occupies the only pool thread, so the others wait in the queue.
    drop(rt.spawn_blocking(move || {
        started.send(()).unwrap();
        thread::sleep(Duration::from_millis(50));
    }));
    start.recv().unwrap();
    let handles: Vec<_> = (0..JOBS)
        .map(|i| {
            let ran = ran.clone();
            rt.spawn_blocking(move || {
                ran.fetch_add(1, Ordering::SeqCst);
                i
            })
        })
        .collect();
    let handle = rt.handle().clone();
    drop(rt);
    assert_eq!(
        ran.load(Ordering::SeqCst),
        JOBS,
        "queued jobs were dropped unrun"
    );
    let other = Builder::new_current_thread().build().unwrap();
    for (i, job) in handles.into_iter().enumerate() {
        assert_eq!(other.block_on(job).unwrap(), i);
    }
    // Submitted after shutdown: refused.
    let late = handle.spawn_blocking(|| ());
    assert!(other.block_on(late).unwrap_err().is_cancelled());
}

fn shutdown_timeout_waits_for_queued_jobs(current_thread: bool) {
    let rt = runtime(current_thread);
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..5 {
        let ran = ran.clone();
        drop(rt.spawn_blocking(move || {
            thread::sleep(Duration::from_millis(20));
            ran.fetch_add(1, Ordering::SeqCst);
        }));
    }
    let start = Instant::now();
    rt.shutdown_timeout(Duration::from_secs(10));
    assert_eq!(
        ran.load(Ordering::SeqCst),
        5,
        "shutdown_timeout returned before the jobs ran"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

ctxrt_tests::on_both_flavors!(flag: queued_jobs_run_before_drop_returns, shutdown_timeout_waits_for_queued_jobs);
