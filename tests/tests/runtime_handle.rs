//! `Handle`: `Handle::current()` panics outside a runtime with a message that says where
//! it works, and `try_current()` is `Err` there; both work inside tasks, `block_on`,
//! blocking jobs and under `Runtime::enter()` (and only while the guard lives). A `Handle`
//! is `Clone + Send + Sync`; its `block_on` works from another OS thread (also several at
//! once on a `current_thread` runtime), and inside a blocking job. `block_on` inside a task
//! or inside another `block_on` panics with a message that says to `.await` instead.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use futures_channel::oneshot;

use ctxrt::runtime::{Handle, Runtime};
use ctxrt_tests::{current_thread, on_both_flavors, panic_message};

on_both_flavors!(
    current_and_try_current_work_wherever_a_runtime_is_current,
    enter_makes_the_runtime_current_until_the_guard_drops,
    block_on_works_from_another_thread_through_a_cloned_handle,
    block_on_works_inside_a_blocking_job,
    block_on_inside_a_task_panics_saying_to_await,
    block_on_inside_block_on_panics_saying_to_await,
);

#[test]
fn outside_a_runtime_current_panics_and_try_current_is_err() {
    let err = Handle::try_current().expect_err("no runtime here");
    assert!(err.to_string().contains("no ctxrt runtime"), "{err}");
    let message = panic_message(&*catch_unwind(Handle::current).expect_err("panics"));
    assert!(
        message.contains("Handle::current")
            && message.contains("no ctxrt runtime")
            && message.contains("block_on"),
        "{message}"
    );
    // Also after a runtime was used on this thread and dropped.
    let rt = current_thread();
    rt.block_on(async {});
    drop(rt);
    assert!(Handle::try_current().is_err());
}

#[test]
fn handle_is_clone_send_and_sync() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Handle>();
}

fn current_and_try_current_work_wherever_a_runtime_is_current(rt: Runtime) {
    let ok = rt.block_on(async {
        let in_block_on = Handle::try_current().is_ok();
        let handle = Handle::current();
        let in_task = ctxrt::spawn(async { Handle::try_current().is_ok() })
            .await
            .expect("task");
        let in_job = ctxrt::spawn_blocking(|| Handle::try_current().is_ok())
            .await
            .expect("job");
        // The handle reaches the same runtime: a task spawned through it can be joined.
        let through_handle = handle.spawn(async { 3 }).await.expect("task");
        (in_block_on, in_task, in_job, through_handle)
    });
    assert_eq!(ok, (true, true, true, 3));
    assert!(
        Handle::try_current().is_err(),
        "block_on restored the thread"
    );
}

fn enter_makes_the_runtime_current_until_the_guard_drops(rt: Runtime) {
    let guard = rt.enter();
    assert!(Handle::try_current().is_ok());
    let task = ctxrt::spawn(async { 4 });
    drop(guard);
    assert!(Handle::try_current().is_err());
    assert!(catch_unwind(|| drop(ctxrt::spawn(async {}))).is_err());
    assert_eq!(rt.block_on(task).expect("task"), 4);
}

fn block_on_works_from_another_thread_through_a_cloned_handle(rt: Runtime) {
    let handle = rt.handle().clone();
    let from_thread = thread::spawn(move || {
        handle.block_on(async {
            let on = thread::current().id();
            let task = ctxrt::spawn(async {
                let name = thread::current().name().map(String::from);
                (thread::current().id(), name)
            })
            .await
            .expect("task");
            (on, task)
        })
    })
    .join()
    .expect("thread");
    let (block_on_thread, (task_thread, task_thread_name)) = from_thread;
    assert_ne!(block_on_thread, thread::current().id());
    if format!("{rt:?}").contains("CurrentThread") {
        assert_eq!(
            task_thread, block_on_thread,
            "the block_on thread drives it"
        );
    } else {
        let name = task_thread_name.unwrap_or_default();
        assert!(name.starts_with("ctxrt-worker-"), "ran on {name}");
    }
    assert_eq!(
        rt.block_on(async { 1 }),
        1,
        "the runtime is still usable here"
    );
}

fn block_on_works_inside_a_blocking_job(rt: Runtime) {
    let got = rt.block_on(async {
        ctxrt::spawn_blocking(|| {
            Handle::current().block_on(async { ctxrt::spawn(async { 8 }).await.expect("task") })
        })
        .await
        .expect("job")
    });
    assert_eq!(got, 8);
}

fn block_on_inside_a_task_panics_saying_to_await(rt: Runtime) {
    let err = rt.block_on(async {
        ctxrt::spawn(async { Handle::current().block_on(async { 1 }) })
            .await
            .expect_err("block_on inside a task panics")
    });
    assert!(err.is_panic());
    let message = err.to_string();
    assert!(
        message.contains("cannot block_on inside a ctxrt runtime thread")
            && message.contains("`.await`")
            && message.contains("spawn_blocking"),
        "{message}"
    );
}

fn block_on_inside_block_on_panics_saying_to_await(rt: Runtime) {
    let other = current_thread();
    let payload = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { other.block_on(async { 1 }) })
    }))
    .expect_err("nested block_on panics");
    let message = panic_message(&*payload);
    assert!(message.contains("`.await`"), "{message}");
    // Both runtimes still work afterwards.
    assert_eq!(
        rt.block_on(async { ctxrt::spawn(async { 2 }).await }).ok(),
        Some(2)
    );
    assert_eq!(other.block_on(async { 3 }), 3);
}

/// Two threads `block_on` one `current_thread` runtime at once: only one can hold its
/// core, and a task the other spawns must still run, also after the first returns.
#[test]
fn concurrent_block_on_from_two_threads_on_a_current_thread_runtime() {
    let rt = current_thread();
    let (holder_release_tx, holder_release_rx) = oneshot::channel::<()>();
    let (holding_tx, holding_rx) = mpsc::channel();
    let holder_handle = rt.handle().clone();
    // Thread A holds the core until released.
    let holder = thread::spawn(move || {
        holder_handle.block_on(async move {
            holding_tx.send(()).expect("test waits");
            holder_release_rx.await.expect("test releases");
        })
    });
    holding_rx.recv().expect("thread A holds the core");
    // Thread B spawns a task that can only finish after A has returned the core.
    let (task_go_tx, task_go_rx) = oneshot::channel::<()>();
    let (spawned_tx, spawned_rx) = mpsc::channel();
    let (result_tx, result_rx) = mpsc::channel();
    let waiter_handle = rt.handle().clone();
    let waiter = thread::spawn(move || {
        let got = waiter_handle.block_on(async move {
            let task = ctxrt::spawn(async move {
                task_go_rx.await.expect("test sends go");
                "ran"
            });
            spawned_tx.send(()).expect("test waits");
            task.await.expect("task")
        });
        result_tx.send(got).expect("test waits");
    });
    spawned_rx.recv().expect("thread B spawned its task");
    holder_release_tx.send(()).expect("thread A waits");
    holder.join().expect("thread A");
    // Now nobody drives the core unless B's block_on takes it over.
    task_go_tx.send(()).expect("the task waits");
    let got = result_rx.recv_timeout(Duration::from_secs(10));
    assert_eq!(
        got,
        Ok("ran"),
        "thread B's block_on never ran its task after thread A returned the core"
    );
    waiter.join().expect("thread B");
}
