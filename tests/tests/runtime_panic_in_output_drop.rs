//! No user panic may kill a worker or strand a JoinHandle. A task whose future's `Drop`
//! panics after it returned `Ready` with an output whose own `Drop` panics too: the output
//! used to be dropped outside `catch_unwind`, so the second panic unwound through the
//! worker (the thread died and the JoinHandle stayed pending forever; on `current_thread`
//! it escaped `block_on`). Likewise a JoinHandle awaited with a waker whose `wake` panics.
//! Now both panics are caught: the JoinHandle gets the future's panic as a `JoinError`,
//! and the runtime keeps running tasks. Bounded: a hang fails in seconds. On both flavours.

use std::future::Future;
use std::pin::Pin;
use std::sync::{mpsc, Arc};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    a_panicking_output_drop_after_a_panicking_future_drop_is_contained,
    a_panicking_join_waker_is_contained,
);

struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// Ready at once with an output that panics on drop; panics on its own drop too.
struct BadFuture {
    _own: PanicsOnDrop,
}

impl Future for BadFuture {
    type Output = PanicsOnDrop;

    fn poll(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<PanicsOnDrop> {
        Poll::Ready(PanicsOnDrop("the output's drop"))
    }
}

/// Runs `f` on its own thread; fails if it does not finish within 10 s.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(f()).unwrap());
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what}: hung (a worker died or a JoinHandle was stranded)"))
}

fn a_panicking_output_drop_after_a_panicking_future_drop_is_contained(rt: Runtime) {
    let rt = Arc::new(rt);
    let runtime = rt.clone();
    let err = bounded("awaiting the task", move || {
        runtime.block_on(async {
            ctxrt::spawn(BadFuture {
                _own: PanicsOnDrop("the future's drop"),
            })
            .await
            .map(std::mem::forget)
        })
    })
    .expect_err("the future's drop panicked");
    assert!(err.is_panic());
    let message = err.into_panic();
    assert_eq!(
        message.downcast_ref::<String>().map(String::as_str),
        Some("the future's drop")
    );
    every_worker_still_runs_tasks(&rt);
}

/// Fails unless every worker of `rt` is alive: as many tasks as workers wait for each
/// other at a barrier, so each needs a worker of its own (one on `current_thread`, where
/// the block_on thread is the worker).
fn every_worker_still_runs_tasks(rt: &Arc<Runtime>) {
    // The Debug output names the flavour; the shared test runtimes have 2 workers.
    let workers = if format!("{rt:?}").contains("MultiThread") {
        2
    } else {
        1
    };
    let runtime = rt.clone();
    let sum = bounded("tasks needing every worker", move || {
        runtime.block_on(async move {
            let barrier = Arc::new(std::sync::Barrier::new(workers));
            let handles: Vec<_> = (0..workers as u64)
                .map(|i| {
                    let barrier = barrier.clone();
                    ctxrt::spawn(async move {
                        barrier.wait();
                        i
                    })
                })
                .collect();
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        })
    });
    assert_eq!(sum as usize, workers * (workers - 1) / 2);
}

struct PanickingWaker;

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        panic!("the join waker's wake");
    }
}

fn a_panicking_join_waker_is_contained(rt: Runtime) {
    let rt = Arc::new(rt);
    let runtime = rt.clone();
    bounded("the task woken through a panicking waker", move || {
        let (release, released) = futures_channel::oneshot::channel::<()>();
        let mut handle = runtime.spawn(async move {
            released.await.unwrap();
            5
        });
        // Register the panicking waker as the join waker.
        let waker = Waker::from(Arc::new(PanickingWaker));
        let mut cx = TaskContext::from_waker(&waker);
        assert!(Pin::new(&mut handle).poll(&mut cx).is_pending());
        release.send(()).unwrap();
        // The completing task wakes the join waker, which panics; the runtime survives and
        // the output is still delivered. Wait for completion without re-polling the
        // handle, which would replace the panicking waker.
        runtime.block_on(async {
            while !handle.is_finished() {
                ctxrt::task::yield_now().await;
            }
        });
        assert_eq!(runtime.block_on(handle).unwrap(), 5);
    });
    every_worker_still_runs_tasks(&rt);
}
