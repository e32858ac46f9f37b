//! A panicking `on_thread_start` hook on a blocking-pool thread kills that thread but not
//! the runtime: the thread leaves the pool's count as it unwinds, the job it was started
//! for resolves (cancelled: no thread is left to run it), and dropping the runtime
//! returns. Dropping it used to wait forever for the dead thread. Bounded: a hang fails in
//! seconds. On both flavours.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ctxrt::runtime::Runtime;

fn runtime(current_thread: bool) -> Runtime {
    ctxrt_tests::builder(current_thread)
        .on_thread_start(|| {
            if thread::current().name().unwrap_or("").contains("blocking") {
                panic!("on_thread_start failed on a blocking thread");
            }
        })
        .build()
        .unwrap()
}

fn a_panicking_blocking_start_hook_neither_strands_jobs_nor_hangs_drop(current_thread: bool) {
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let rt = runtime(current_thread);
        let job = rt.spawn_blocking(|| 1);
        let result = rt.block_on(job);
        done.send(result.map_err(|err| err.is_cancelled())).unwrap();
        // Async tasks still run.
        assert_eq!(
            rt.block_on(async { ctxrt::spawn(async { 2 }).await.unwrap() }),
            2
        );
        drop(rt);
        done.send(Ok(0)).unwrap();
    });
    let result = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the job's JoinHandle never resolved");
    assert_eq!(result, Err(true), "the stranded job is cancelled");
    let dropped = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("dropping the runtime hung");
    assert_eq!(dropped, Ok(0));
}

#[test]
fn multi_thread() {
    a_panicking_blocking_start_hook_neither_strands_jobs_nor_hangs_drop(false);
}

#[test]
fn current_thread() {
    a_panicking_blocking_start_hook_neither_strands_jobs_nor_hangs_drop(true);
}
