//! `JoinSet::join_all` waits for every task and returns their outputs in the order they
//! finished; a task's panic is resumed in the caller and the tasks still in the set are
//! aborted. A set can be built from an iterator of futures (`FromIterator`) and grown with
//! `Extend`, each future spawned as by `JoinSet::spawn`. On both flavours.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::JoinSet;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    outputs_come_in_completion_order,
    a_panic_is_resumed_and_the_rest_aborted,
    collect_and_extend_spawn_the_futures,
);

fn outputs_come_in_completion_order(rt: Runtime) {
    let outputs = rt.block_on(async {
        let mut set = JoinSet::new();
        let (second_tx, second_rx) = oneshot::channel::<()>();
        let (first_tx, first_rx) = oneshot::channel::<()>();
        set.spawn(async move {
            second_rx.await.unwrap();
            "second"
        });
        set.spawn(async move {
            first_rx.await.unwrap();
            "first"
        });
        // Finish "first", and only once it has been seen finishing, "second".
        first_tx.send(()).unwrap();
        let first = set.join_next().await.unwrap().unwrap();
        assert_eq!(first, "first");
        set.spawn(async { "third" });
        let third = set.join_next().await.unwrap().unwrap();
        second_tx.send(()).unwrap();
        let mut outputs = vec![first, third];
        outputs.extend(set.join_all().await);
        outputs
    });
    assert_eq!(outputs, ["first", "third", "second"]);
}

fn a_panic_is_resumed_and_the_rest_aborted(rt: Runtime) {
    struct SetOnDrop(Arc<AtomicBool>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    let caught = rt.block_on(async {
        let mut set = JoinSet::new();
        set.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        set.spawn(async { panic!("boom in a task") });
        futures_catch(AssertUnwindSafe(set.join_all())).await
    });
    let payload = caught.expect_err("join_all resumed the panic");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom in a task"));
    // The pending task was aborted when the set was dropped; let the runtime cancel it.
    rt.block_on(async {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !dropped.load(Ordering::SeqCst) {
            assert!(std::time::Instant::now() < deadline, "never aborted");
            ctxrt::task::yield_now().await;
        }
    });
}

/// `catch_unwind` for a future, polled inside the current task.
async fn futures_catch<F: std::future::Future + std::panic::UnwindSafe>(
    future: F,
) -> std::thread::Result<F::Output> {
    let mut future = Box::pin(future);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Ok(output)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Err(payload)),
        }
    })
    .await
}

fn collect_and_extend_spawn_the_futures(rt: Runtime) {
    let mut outputs = rt.block_on(async {
        let mut set: JoinSet<u32> = (1..=3).map(|i| async move { i }).collect();
        assert_eq!(set.len(), 3);
        set.extend((4..=5).map(|i| async move { i }));
        assert_eq!(set.len(), 5);
        set.join_all().await
    });
    outputs.sort_unstable();
    assert_eq!(outputs, [1, 2, 3, 4, 5]);
}
