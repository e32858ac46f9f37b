//! A `spawn_blocking` job submitted while the pool's last thread is retiring runs. The
//! retiring thread used to leave `idle` in one critical section and its thread count in
//! another, after its (slow) `on_thread_stop` hook, so a job submitted in between saw a
//! full pool, was only queued, and nobody ever ran it. Bounded: a lost job fails in
//! seconds. On both flavours.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ctxrt::runtime::Runtime;

fn runtime(current_thread: bool) -> Runtime {
    ctxrt_tests::builder(current_thread)
        .max_blocking_threads(1)
        .thread_keep_alive(Duration::from_millis(20))
        .on_thread_stop(|| {
            if thread::current().name().unwrap_or("").contains("blocking") {
                thread::sleep(Duration::from_millis(300));
            }
        })
        .build()
        .unwrap()
}

fn a_job_submitted_while_the_last_thread_retires_runs(current_thread: bool) {
    let rt = runtime(current_thread);
    let handle = rt.handle().clone();
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        for round in 0..3 {
            assert_eq!(handle.block_on(handle.spawn_blocking(|| 1)).unwrap(), 1);
            // The keep-alive runs out: the only thread is now in its slow stop hook.
            thread::sleep(Duration::from_millis(100));
            let job = handle.spawn_blocking(move || round);
            done.send(handle.block_on(job).unwrap()).unwrap();
        }
    });
    for round in 0..3 {
        let ran = finished
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or_else(|_| panic!("round {round}: the job was queued and never run"));
        assert_eq!(ran, round);
    }
    drop(rt);
}

#[test]
fn multi_thread() {
    a_job_submitted_while_the_last_thread_retires_runs(false);
}

#[test]
fn current_thread() {
    a_job_submitted_while_the_last_thread_retires_runs(true);
}
