//! Inside runtime A (a task on its worker, or its `block_on` body), `ctxrt::spawn` under
//! `rt_b.enter()` spawns onto B: the entered handle wins over the worker this thread is,
//! as in tokio. It used to spawn onto A, whose worker was at hand. On both flavours.

use std::time::Duration;

use futures_channel::oneshot;

use ctxrt::runtime::{Builder, Handle, Runtime};
use ctxrt_tests::on_both_flavors;

on_both_flavors!(flag: a_spawn_under_another_runtimes_enter_goes_there);

fn runtime(current_thread: bool) -> Runtime {
    if current_thread {
        Builder::new_current_thread().build().expect("runtime")
    } else {
        Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("runtime")
    }
}

/// Spawns a task that waits for `release` under `b.enter()`, and reports how many tasks
/// each runtime gained by it.
fn spawn_under_enter(
    a: &Handle,
    b: &Handle,
    release: oneshot::Receiver<()>,
) -> (ctxrt::JoinHandle<&'static str>, usize, usize) {
    let (a_before, b_before) = (a.num_alive_tasks(), b.num_alive_tasks());
    let guard = b.enter();
    let task = ctxrt::spawn(async move {
        release.await.expect("released");
        "ran on b"
    });
    drop(guard);
    let gained_a = a.num_alive_tasks() - a_before;
    let gained_b = b.num_alive_tasks() - b_before;
    (task, gained_a, gained_b)
}

fn a_spawn_under_another_runtimes_enter_goes_there(current_thread: bool) {
    let rt_a = runtime(current_thread);
    let rt_b = runtime(current_thread);
    let (a, b) = (rt_a.handle().clone(), rt_b.handle().clone());

    // From a task of A.
    let (release, released) = oneshot::channel();
    let (a2, b2) = (a.clone(), b.clone());
    let (task, gained_a, gained_b) = rt_a
        .block_on(rt_a.spawn(async move { spawn_under_enter(&a2, &b2, released) }))
        .expect("the spawning task");
    assert_eq!(
        (gained_a, gained_b),
        (0, 1),
        "from a task of A: spawned onto A"
    );
    release.send(()).expect("task waits");
    assert_eq!(rt_b.block_on(task).expect("ran"), "ran on b");

    // From A's block_on body (on current_thread, the thread that drives A's core).
    let (release, released) = oneshot::channel();
    let (task, gained_a, gained_b) = rt_a.block_on(async { spawn_under_enter(&a, &b, released) });
    assert_eq!(
        (gained_a, gained_b),
        (0, 1),
        "from A's block_on: spawned onto A"
    );
    release.send(()).expect("task waits");
    assert_eq!(rt_b.block_on(task).expect("ran"), "ran on b");

    // Without the enter, a task of A still spawns onto A.
    let spawned_on_a = rt_a.block_on(rt_a.spawn(async {
        let before = Handle::current().num_alive_tasks();
        let (release, released) = oneshot::channel::<()>();
        let task = ctxrt::spawn(async move { released.await.is_ok() });
        let gained = Handle::current().num_alive_tasks() - before;
        release.send(()).expect("task waits");
        ctxrt::task::yield_now().await;
        (gained, task.await.expect("ran"))
    }));
    assert_eq!(spawned_on_a.expect("task"), (1, true));
    drop(rt_b);
    rt_a.shutdown_timeout(Duration::from_secs(5));
}
