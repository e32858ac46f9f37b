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

/// Spawns a task under `b.enter()` that waits for `release` and then reports the id of the
/// runtime it runs on (`Handle::current()` inside a task is the runtime that owns it).
fn spawn_under_enter(
    b: &Handle,
    release: oneshot::Receiver<()>,
) -> ctxrt::JoinHandle<ctxrt::runtime::Id> {
    let guard = b.enter();
    let task = ctxrt::spawn(async move {
        release.await.expect("released");
        Handle::current().id()
    });
    drop(guard);
    task
}

fn a_spawn_under_another_runtimes_enter_goes_there(current_thread: bool) {
    let rt_a = runtime(current_thread);
    let rt_b = runtime(current_thread);
    let (a, b) = (rt_a.handle().clone(), rt_b.handle().clone());
    assert_ne!(a.id(), b.id());

    // From a task of A.
    let (release, released) = oneshot::channel();
    let b2 = b.clone();
    // The JoinHandle is the point: it is carried out of A unawaited, to be awaited on B.
    #[allow(clippy::async_yields_async)]
    let task = rt_a
        .block_on(rt_a.spawn(async move { spawn_under_enter(&b2, released) }))
        .expect("the spawning task");
    release.send(()).expect("task waits");
    assert_eq!(
        rt_b.block_on(task).expect("ran"),
        b.id(),
        "from a task of A: spawned onto A"
    );

    // From A's block_on body (on current_thread, the thread that drives A's core).
    let (release, released) = oneshot::channel();
    #[allow(clippy::async_yields_async)]
    let task = rt_a.block_on(async { spawn_under_enter(&b, released) });
    release.send(()).expect("task waits");
    assert_eq!(
        rt_b.block_on(task).expect("ran"),
        b.id(),
        "from A's block_on: spawned onto A"
    );

    // Without the enter, a task of A still spawns onto A.
    let spawned_on = rt_a.block_on(rt_a.spawn(async {
        let (release, released) = oneshot::channel::<()>();
        let task = ctxrt::spawn(async move {
            released.await.expect("released");
            Handle::current().id()
        });
        release.send(()).expect("task waits");
        task.await.expect("ran")
    }));
    assert_eq!(spawned_on.expect("task"), a.id());
    drop(rt_b);
    rt_a.shutdown_timeout(Duration::from_secs(5));
}
