//! `block_in_place` on a `current_thread` runtime panics with a message saying what to
//! use instead, as tokio's does (its one thread would stop every task), from a task and
//! from the `block_on` future; the runtime keeps working afterwards.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ctxrt::task::block_in_place;

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn assert_says_what_to_do(message: &str) {
    assert!(message.contains("current_thread"), "{message}");
    assert!(message.contains("spawn_blocking"), "{message}");
}

#[test]
fn in_a_task_it_panics_with_the_message() {
    let rt = ctxrt_tests::current_thread();
    rt.block_on(async {
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ran_in = ran.clone();
        let err = ctxrt::spawn(async move {
            block_in_place(|| ran_in.store(true, std::sync::atomic::Ordering::SeqCst))
        })
        .await
        .unwrap_err();
        assert!(
            !ran.load(std::sync::atomic::Ordering::SeqCst),
            "the closure must not run"
        );
        assert_says_what_to_do(&message(&*err.into_panic()));
        assert_eq!(ctxrt::spawn(async { 3 }).await.unwrap(), 3);
    });
}

#[test]
fn in_the_block_on_future_it_panics_with_the_message() {
    let rt = ctxrt_tests::current_thread();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { block_in_place(|| 1) })
    }))
    .unwrap_err();
    assert_says_what_to_do(&message(&*payload));
    assert_eq!(
        rt.block_on(async { ctxrt::spawn(async { 4 }).await.unwrap() }),
        4
    );
}
