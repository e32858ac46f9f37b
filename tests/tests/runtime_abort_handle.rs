//! `AbortHandle` (from `JoinHandle::abort_handle`): aborts the task from anywhere (another
//! thread, a clone, after the JoinHandle is gone), leaves a finished task's output alone,
//! reports `is_finished` and the task's `id`; dropping it does nothing to the task; it is
//! `Clone + Send + Sync` and stays valid after the task is freed. On both flavours.

use std::time::Duration;

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::AbortHandle;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    aborting_from_another_thread_cancels_the_task,
    a_clone_aborts_after_the_join_handle_is_gone,
    abort_after_completion_keeps_the_output,
    dropping_it_leaves_the_task_running,
    it_outlives_the_task,
);

const _: () = {
    const fn send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    send_sync_clone::<AbortHandle>();
};

fn aborting_from_another_thread_cancels_the_task(rt: Runtime) {
    let handle = rt.spawn(std::future::pending::<()>());
    let abort = handle.abort_handle();
    assert_eq!(abort.id(), handle.id());
    assert!(!abort.is_finished());
    std::thread::spawn(move || abort.abort()).join().unwrap();
    assert!(rt.block_on(handle).unwrap_err().is_cancelled());
}

fn a_clone_aborts_after_the_join_handle_is_gone(rt: Runtime) {
    let (dropped_tx, dropped_rx) = oneshot::channel::<()>();
    struct SignalOnDrop(Option<oneshot::Sender<()>>);
    impl Drop for SignalOnDrop {
        fn drop(&mut self) {
            let _ = self.0.take().unwrap().send(());
        }
    }
    let guard = SignalOnDrop(Some(dropped_tx));
    let handle = rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let abort = handle.abort_handle().clone();
    drop(handle);
    abort.abort();
    rt.block_on(async {
        dropped_rx.await.expect("the aborted future was dropped");
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !abort.is_finished() {
        assert!(std::time::Instant::now() < deadline, "never finished");
        std::thread::yield_now();
    }
}

fn abort_after_completion_keeps_the_output(rt: Runtime) {
    let handle = rt.spawn(async { 7 });
    let abort = handle.abort_handle();
    let output = rt.block_on(async {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !abort.is_finished() {
            assert!(std::time::Instant::now() < deadline, "never finished");
            ctxrt::task::yield_now().await;
        }
        abort.abort();
        handle.await
    });
    assert_eq!(output.unwrap(), 7);
}

fn dropping_it_leaves_the_task_running(rt: Runtime) {
    let (release, released) = oneshot::channel::<u8>();
    let handle = rt.spawn(async move { released.await.unwrap() });
    drop(handle.abort_handle());
    release.send(3).unwrap();
    assert_eq!(rt.block_on(handle).unwrap(), 3);
}

fn it_outlives_the_task(rt: Runtime) {
    let handle = rt.spawn(async { String::from("done") });
    let abort = handle.abort_handle();
    assert_eq!(rt.block_on(handle).unwrap(), "done");
    drop(rt);
    // The runtime and the JoinHandle are gone; the AbortHandle still holds the task.
    assert!(abort.is_finished());
    abort.abort();
    assert!(format!("{abort:?}").contains("AbortHandle"));
}
