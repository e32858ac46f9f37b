//! Tasks that poll each other's JoinHandle, or their own, must not keep each other (and
//! the runtime) alive forever. A JoinHandle's stored waker used to be dropped only when
//! the task's cell was freed; the waker of a task awaiting its peer sat in the peer's
//! cell while the peer's waker sat in its cell, a reference cycle nothing could break, and
//! both cells held the scheduler. Now the stored waker is dropped when the JoinHandle is
//! dropped, and after the completer has woken it. Checked by dropping the runtime: its
//! builder's hook closure, which only the runtime holds, must be freed. On both flavours.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::JoinHandle;

/// Builds a runtime that holds `marker` (through its thread-stop hook) until it is freed.
fn runtime(current_thread: bool, marker: &Arc<()>) -> Runtime {
    let held = marker.clone();
    ctxrt_tests::builder(current_thread)
        .on_thread_stop(move || {
            let _ = &held;
        })
        .build()
        .unwrap()
}

/// Awaits `handle`, counting in `registered` once its first poll has stored this task's
/// waker in the awaited task.
async fn await_registered(mut handle: JoinHandle<()>, registered: Arc<AtomicUsize>) {
    let mut counted = false;
    let _ = std::future::poll_fn(|cx| {
        let polled = Pin::new(&mut handle).poll(cx);
        if polled.is_pending() && !counted {
            counted = true;
            registered.fetch_add(1, Ordering::SeqCst);
        }
        polled
    })
    .await;
}

/// Drives `rt` until `registered` reaches `n` (bounded: 10 s).
fn wait_registered(rt: &Runtime, registered: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    rt.block_on(async {
        while registered.load(Ordering::SeqCst) < n {
            assert!(
                Instant::now() < deadline,
                "the tasks never polled the handles"
            );
            ctxrt::task::yield_now().await;
        }
    });
}

fn assert_freed(marker: Arc<()>) {
    assert_eq!(
        Arc::strong_count(&marker),
        1,
        "the runtime was never freed: tasks' join wakers form a reference cycle"
    );
}

/// Two tasks, each awaiting the other's JoinHandle, both pending when the runtime drops.
fn peers_awaiting_each_other(current_thread: bool) {
    let marker = Arc::new(());
    let rt = runtime(current_thread, &marker);
    let registered = Arc::new(AtomicUsize::new(0));
    let (to_a, from_b) = oneshot::channel::<JoinHandle<()>>();
    let (to_b, from_a) = oneshot::channel::<JoinHandle<()>>();
    let count = registered.clone();
    let a = rt.spawn(async move { await_registered(from_b.await.unwrap(), count).await });
    let count = registered.clone();
    let b = rt.spawn(async move { await_registered(from_a.await.unwrap(), count).await });
    to_b.send(a).unwrap();
    to_a.send(b).unwrap();
    wait_registered(&rt, &registered, 2);
    drop(rt);
    assert_freed(marker);
}

/// A task that awaits its own JoinHandle (it can never finish) when the runtime drops.
fn a_task_awaiting_itself(current_thread: bool) {
    let marker = Arc::new(());
    let rt = runtime(current_thread, &marker);
    let registered = Arc::new(AtomicUsize::new(0));
    let (send_own, own) = oneshot::channel::<JoinHandle<()>>();
    let count = registered.clone();
    let task = rt.spawn(async move { await_registered(own.await.unwrap(), count).await });
    send_own.send(task).unwrap();
    wait_registered(&rt, &registered, 1);
    drop(rt);
    assert_freed(marker);
}

ctxrt_tests::on_both_flavors!(flag: peers_awaiting_each_other, a_task_awaiting_itself);
