//! `Runtime::shutdown_background` stops a runtime without waiting: it may be called inside
//! async code (where dropping a runtime panics), it cancels the unfinished tasks (their
//! futures are dropped before it returns), and it does not wait for running blocking jobs.
//! On both flavours.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ctxrt::runtime::Runtime;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    it_works_inside_async_code_and_cancels_tasks,
    it_does_not_wait_for_blocking_jobs,
);

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn it_works_inside_async_code_and_cancels_tasks(rt: Runtime) {
    let outer = ctxrt_tests::multi_thread();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    let handle = rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    // Let a multi-thread runtime start polling it.
    std::thread::sleep(Duration::from_millis(20));
    outer.block_on(async move {
        rt.shutdown_background();
    });
    assert!(
        dropped.load(Ordering::SeqCst),
        "the task's future was not dropped"
    );
    let err = outer.block_on(handle).expect_err("cancelled");
    assert!(err.is_cancelled());
}

fn it_does_not_wait_for_blocking_jobs(rt: Runtime) {
    let started = Arc::new(AtomicBool::new(false));
    let flag = started.clone();
    let _job = rt.spawn_blocking(move || {
        flag.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_secs(3));
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !started.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the job never started");
        std::thread::yield_now();
    }
    let begun = Instant::now();
    rt.shutdown_background();
    assert!(
        begun.elapsed() < Duration::from_secs(2),
        "shutdown_background waited {:?}",
        begun.elapsed()
    );
}
