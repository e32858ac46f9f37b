//! A timer belongs to the runtime it was made on, wherever it is first polled: on a
//! plain thread by another executor, or in a task of another runtime, its runtime's
//! driver fires it. Polled after that runtime is gone, an armed-never timer panics
//! saying so (nothing could fire it any more), instead of waiting forever; one that never
//! needs its timer (a `timeout` around a ready future) still just returns.

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::time::{sleep, timeout, Instant};
use ctxrt_tests::{panic_message, within};

fn fires_when_first_polled_on_a_plain_thread(rt: Runtime) {
    let (delay, guarded) = {
        let _in_rt = rt.enter();
        (
            sleep(Duration::from_millis(20)),
            timeout(Duration::from_millis(20), std::future::pending::<()>()),
        )
    };
    let start = std::time::Instant::now();
    let on_plain_thread = std::thread::spawn(move || {
        futures::executor::block_on(async {
            delay.await;
            guarded.await
        })
    });
    // The runtime's driver fires them: on a current_thread runtime, only while someone
    // drives it, so block_on here (bounded) until the plain thread is done.
    rt.block_on(within(
        Duration::from_secs(10),
        "the plain thread's timers",
        async {
            while !on_plain_thread.is_finished() {
                sleep(Duration::from_millis(1)).await;
            }
        },
    ));
    assert!(
        on_plain_thread.join().unwrap().is_err(),
        "the timeout fired"
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
}

fn fires_when_first_polled_in_another_runtimes_task(rt: Runtime) {
    let other = ctxrt_tests::multi_thread();
    let (delay, deadline) = {
        let _in_other = other.enter();
        let delay = sleep(Duration::from_millis(20));
        let deadline = delay.deadline();
        (delay, deadline)
    };
    let start = std::time::Instant::now();
    // Polled first inside `rt` (a different driver); `other`'s workers fire it.
    rt.block_on(within(
        Duration::from_secs(10),
        "the other runtime's sleep",
        async {
            ctxrt::spawn(delay).await.unwrap();
        },
    ));
    assert!(Instant::now() >= deadline);
    assert!(start.elapsed() >= Duration::from_millis(20));
    drop(other);
}

fn polling_after_its_runtime_was_dropped_panics_not_hangs(rt: Runtime) {
    let (delay, ready_guarded) = {
        let _in_rt = rt.enter();
        (
            sleep(Duration::from_secs(3600)),
            timeout(Duration::from_secs(3600), std::future::ready(5)),
        )
    };
    drop(rt);
    let mut cx = TaskContext::from_waker(Waker::noop());
    // Never needs its timer: no driver is touched.
    assert_eq!(
        pin!(ready_guarded).poll(&mut cx),
        Poll::Ready(Ok(5)),
        "a timeout around a ready future needs no runtime once made"
    );
    let mut delay = pin!(delay);
    let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        delay.as_mut().poll(&mut cx)
    }));
    let payload = polled.expect_err("arming on a dropped runtime should panic, not wait forever");
    let message = panic_message(&*payload);
    assert!(
        message.contains("after the runtime it was made on had been dropped"),
        "unexpected panic: {message}"
    );
}

ctxrt_tests::on_both_flavors!(
    fires_when_first_polled_on_a_plain_thread,
    fires_when_first_polled_in_another_runtimes_task,
    polling_after_its_runtime_was_dropped_panics_not_hangs
);
