//! `JoinHandle`, on both flavors: `abort()` cancels a pending, a never-polled or an
//! always-yielding task (its future is dropped, awaiting gives `is_cancelled()`), while
//! after completion it keeps the output; `is_finished()` tracks completion; dropping the
//! handle detaches the task, which still runs to the end (and its unread output is dropped
//! by the runtime); `JoinError::into_panic` gives the payload back; and the handle is an
//! ordinary future that can be polled by hand, from another runtime or from a plain thread.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{self, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

use futures_channel::oneshot;

use ctxrt::runtime::{Builder, Runtime};
use ctxrt::task::yield_now;
use ctxrt_tests::{on_both_flavors, wait_until, DropCounter};

on_both_flavors!(
    abort_cancels_a_pending_task_and_drops_its_future,
    abort_cancels_a_task_that_keeps_yielding,
    abort_after_completion_keeps_the_output,
    is_finished_tracks_completion,
    dropping_the_handle_detaches_the_task,
    an_unread_output_is_dropped_with_the_handle,
    into_panic_gives_the_payload_back,
    the_handle_can_be_polled_by_hand,
    the_handle_can_be_awaited_from_a_plain_thread_and_another_runtime,
);

/// Wakes a parked thread.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// A minimal executor for a plain thread: polls `fut`, parks between wakes.
fn block_on_plain_thread<F: Future>(fut: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = task::Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(output) = fut.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park_timeout(Duration::from_millis(100));
    }
}

fn poll_once<F: Future + Unpin>(fut: &mut F) -> Poll<F::Output> {
    let mut cx = task::Context::from_waker(Waker::noop());
    Pin::new(fut).poll(&mut cx)
}

fn abort_cancels_a_pending_task_and_drops_its_future(rt: Runtime) {
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard = DropCounter(dropped.clone());
    let (err, id) = rt.block_on(async move {
        let (started_tx, started_rx) = oneshot::channel::<()>();
        let handle = ctxrt::spawn(async move {
            let _guard = guard;
            started_tx.send(()).expect("test waits");
            std::future::pending::<u32>().await
        });
        started_rx.await.expect("task started");
        assert!(!handle.is_finished());
        handle.abort();
        handle.abort(); // idempotent
        let id = handle.id();
        (handle.await.expect_err("aborted"), id)
    });
    assert!(err.is_cancelled() && !err.is_panic());
    assert_eq!(err.id(), id);
    assert!(err.to_string().contains("cancelled"), "{err}");
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "the future was dropped");
}

fn abort_cancels_a_task_that_keeps_yielding(rt: Runtime) {
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = polls.clone();
    let err = rt.block_on(async move {
        let handle = ctxrt::spawn(async move {
            loop {
                counted.fetch_add(1, Ordering::SeqCst);
                yield_now().await;
            }
        });
        wait_until("the task has run a few times", || {
            polls.load(Ordering::SeqCst) >= 3
        })
        .await;
        handle.abort();
        handle.await.expect_err("aborted")
    });
    assert!(err.is_cancelled());
}

fn abort_after_completion_keeps_the_output(rt: Runtime) {
    let output = rt.block_on(async {
        let handle = ctxrt::spawn(async { 5 });
        wait_until("the task finished", || handle.is_finished()).await;
        handle.abort();
        handle.abort();
        assert!(handle.is_finished());
        handle.await
    });
    assert_eq!(output.expect("a finished task keeps its output"), 5);
}

fn is_finished_tracks_completion(rt: Runtime) {
    rt.block_on(async {
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let ok = ctxrt::spawn(async move { go_rx.await.expect("go") });
        let panics = ctxrt::spawn(async {
            yield_now().await;
            panic!("expected panic");
        });
        let pending = ctxrt::spawn(std::future::pending::<()>());
        for _ in 0..5 {
            yield_now().await;
        }
        assert!(!ok.is_finished(), "waiting for go");
        assert!(!pending.is_finished());
        go_tx.send(()).expect("task waits");
        wait_until("the gated task finished", || ok.is_finished()).await;
        wait_until("the panicking task finished", || panics.is_finished()).await;
        pending.abort();
        wait_until("the aborted task finished", || pending.is_finished()).await;
        ok.await.expect("ok");
        assert!(panics.await.expect_err("panicked").is_panic());
        assert!(pending.await.expect_err("aborted").is_cancelled());
    });
}

fn dropping_the_handle_detaches_the_task(rt: Runtime) {
    let output_dropped = Arc::new(AtomicUsize::new(0));
    let counter = output_dropped.clone();
    let got = rt.block_on(async move {
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let (result_tx, result_rx) = oneshot::channel::<&'static str>();
        let handle = ctxrt::spawn(async move {
            go_rx.await.expect("go");
            yield_now().await;
            result_tx.send("ran to completion").expect("test waits");
            DropCounter(counter)
        });
        drop(handle);
        go_tx.send(()).expect("the detached task still waits");
        let got = result_rx.await.expect("the detached task reports");
        wait_until("the runtime dropped the unread output", || {
            output_dropped.load(Ordering::SeqCst) == 1
        })
        .await;
        got
    });
    assert_eq!(got, "ran to completion");
}

fn an_unread_output_is_dropped_with_the_handle(rt: Runtime) {
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = dropped.clone();
    let handle = rt.spawn(async move { DropCounter(counter) });
    rt.block_on(wait_until("the task finished", || handle.is_finished()));
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        0,
        "the output waits for its reader"
    );
    drop(handle);
    assert_eq!(dropped.load(Ordering::SeqCst), 1);
}

#[derive(Debug, PartialEq)]
struct Payload(u32);

fn into_panic_gives_the_payload_back(rt: Runtime) {
    let (panicked, cancelled) = rt.block_on(async {
        let panicked = ctxrt::spawn(async { std::panic::panic_any(Payload(7)) })
            .await
            .expect_err("panicked");
        let pending = ctxrt::spawn(std::future::pending::<()>());
        pending.abort();
        (panicked, pending.await.expect_err("cancelled"))
    });
    assert!(panicked.is_panic());
    assert_eq!(
        panicked.to_string(),
        format!("task {} panicked", panicked.id())
    );
    let payload = panicked.into_panic();
    assert_eq!(payload.downcast_ref::<Payload>(), Some(&Payload(7)));
    let id = cancelled.id();
    let cancelled = cancelled
        .try_into_panic()
        .expect_err("a cancelled task has no payload");
    assert!(cancelled.is_cancelled());
    assert_eq!(cancelled.id(), id);
    let misuse = catch_unwind(AssertUnwindSafe(|| cancelled.into_panic()))
        .expect_err("into_panic on a cancellation panics");
    let message = misuse
        .downcast_ref::<String>()
        .expect("a formatted message");
    assert!(
        message.contains("did not panic") && message.contains("try_into_panic"),
        "{message}"
    );
}

fn the_handle_can_be_polled_by_hand(rt: Runtime) {
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let mut handle = rt.spawn(async move {
        go_rx.await.expect("go");
        "output"
    });
    // Let the task run up to its await (a current_thread runtime runs it in block_on).
    rt.block_on(async {
        for _ in 0..5 {
            yield_now().await;
        }
    });
    assert!(poll_once(&mut handle).is_pending());
    assert!(poll_once(&mut handle).is_pending(), "re-polling is fine");
    go_tx.send(()).expect("task waits");
    rt.block_on(wait_until("the task finished", || handle.is_finished()));
    match poll_once(&mut handle) {
        Poll::Ready(Ok(output)) => assert_eq!(output, "output"),
        other => panic!("expected the output, got {other:?}"),
    }
}

fn the_handle_can_be_awaited_from_a_plain_thread_and_another_runtime(rt: Runtime) {
    let (go_tx, go_rx) = oneshot::channel::<()>();
    let first = rt.spawn(async move {
        go_rx.await.expect("go");
        1
    });
    let second = rt.spawn(async { 2 });
    let woken = Arc::new(AtomicBool::new(false));
    let flag = woken.clone();
    let plain = thread::spawn(move || {
        let output = block_on_plain_thread(first);
        flag.store(true, Ordering::SeqCst);
        output
    });
    let other_runtime = Builder::new_current_thread().build().expect("runtime");
    // The task needs its own runtime to be driven (a current_thread one only runs tasks
    // inside block_on), so drive it while the plain thread waits.
    go_tx.send(()).expect("task waits");
    rt.block_on(wait_until("the plain thread got the output", || {
        woken.load(Ordering::SeqCst)
    }));
    assert_eq!(plain.join().expect("plain thread").expect("output"), 1);
    rt.block_on(wait_until("the second task finished", || {
        second.is_finished()
    }));
    assert_eq!(other_runtime.block_on(second).expect("output"), 2);
}
