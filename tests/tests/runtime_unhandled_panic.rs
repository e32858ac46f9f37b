//! `Builder::unhandled_panic(UnhandledPanic::ShutdownRuntime)` (and the macro argument
//! `unhandled_panic = "shutdown_runtime"`): a spawned task's panic shuts the runtime down
//! at once: the `block_on` running on it panics (even one waiting on something that
//! never happens), the other tasks are cancelled (their futures dropped), and a later
//! `block_on` panics too. With the default (`Ignore`) the panic only reaches the task's
//! JoinHandle. On both flavours.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ctxrt::runtime::UnhandledPanic;
use ctxrt_tests::{builder, on_both_flavors, panic_message};

on_both_flavors!(flag: a_task_panic_shuts_the_runtime_down, the_default_ignores_it);

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn a_task_panic_shuts_the_runtime_down(current_thread: bool) {
    let rt = builder(current_thread)
        .unhandled_panic(UnhandledPanic::ShutdownRuntime)
        .build()
        .unwrap();
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = SetOnDrop(dropped.clone());
    let bystander = rt.spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await;
    });
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            drop(ctxrt::spawn(async { panic!("a background task failed") }));
            std::future::pending::<()>().await;
        })
    }));
    let payload = outcome.expect_err("block_on panics");
    assert!(
        panic_message(&*payload).contains("configured to shut down on unhandled panic"),
        "{}",
        panic_message(&*payload)
    );
    assert!(
        dropped.load(Ordering::SeqCst),
        "the other task was not cancelled"
    );
    let later = catch_unwind(AssertUnwindSafe(|| rt.block_on(async { 1 })));
    assert!(later.is_err(), "a later block_on panics too");
    assert!(futures_ready(bystander).unwrap_err().is_cancelled());
    drop(rt);
}

/// The output of a JoinHandle that is already finished, polled once from a plain thread.
fn futures_ready<T>(handle: ctxrt::JoinHandle<T>) -> Result<T, ctxrt::task::JoinError> {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut handle = std::pin::pin!(handle);
    match std::future::Future::poll(handle.as_mut(), &mut cx) {
        std::task::Poll::Ready(output) => output,
        std::task::Poll::Pending => panic!("the task is not finished"),
    }
}

fn the_default_ignores_it(current_thread: bool) {
    let rt = builder(current_thread).build().unwrap();
    let err = rt.block_on(async {
        ctxrt::spawn(async { panic!("only the JoinHandle sees this") })
            .await
            .unwrap_err()
    });
    assert!(err.is_panic());
    assert_eq!(rt.block_on(async { 2 }), 2);
}

#[ctxrt::test(unhandled_panic = "shutdown_runtime")]
#[should_panic(expected = "configured to shut down on unhandled panic")]
async fn the_macro_argument_sets_it() {
    drop(ctxrt::spawn(async {
        panic!("a background task failed in a test")
    }));
    std::future::pending::<()>().await;
}
