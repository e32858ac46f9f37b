//! `JoinSet`, on both flavors: `spawn` adds tasks that inherit the caller's context,
//! `len`/`is_empty` count the unjoined ones, `join_next` yields them in completion order
//! and `None` once empty; `abort_all` cancels them all (their futures are dropped); dropping
//! the set aborts the tasks still in it; `detach_all` lets them run on; `insert` takes a
//! blocking job's handle.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::{yield_now, JoinSet};
use ctxrt::ContextVar;
use ctxrt_tests::{on_both_flavors, wait_until, DropCounter};

static LABEL: ContextVar<&'static str> = ContextVar::new("label");

on_both_flavors!(
    join_next_yields_in_completion_order_then_none,
    spawned_tasks_inherit_the_callers_context,
    abort_all_cancels_every_task,
    dropping_the_set_aborts_its_tasks,
    detach_all_lets_the_tasks_run_on,
    insert_takes_a_blocking_jobs_handle,
);

fn join_next_yields_in_completion_order_then_none(rt: Runtime) {
    let order = rt.block_on(async {
        let mut set = JoinSet::new();
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
        let mut gates = Vec::new();
        for i in 0..5u32 {
            let (tx, rx) = oneshot::channel::<()>();
            gates.push(tx);
            set.spawn(async move {
                rx.await.expect("gate");
                i
            });
        }
        assert_eq!(set.len(), 5);
        let mut order = Vec::new();
        // Open the gates last to first; each result must come back before the next opens.
        while let Some(gate) = gates.pop() {
            gate.send(()).expect("task waits");
            let next = set.join_next().await.expect("a task left");
            order.push(next.expect("task completes"));
            assert_eq!(set.len(), gates.len());
        }
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
        order
    });
    assert_eq!(order, [4, 3, 2, 1, 0]);
}

fn spawned_tasks_inherit_the_callers_context(rt: Runtime) {
    let (seen, after) = rt.block_on(async {
        let _ = LABEL.set("parent");
        let mut set = JoinSet::new();
        for _ in 0..3 {
            set.spawn(async {
                let seen = LABEL.get();
                let _ = LABEL.set("child");
                seen
            });
        }
        let _ = LABEL.set("after the spawns");
        let mut seen = Vec::new();
        while let Some(result) = set.join_next().await {
            seen.push(result.expect("task completes"));
        }
        (seen, LABEL.get())
    });
    assert_eq!(seen, [Some("parent"); 3]);
    assert_eq!(after, Some("after the spawns"));
}

fn abort_all_cancels_every_task(rt: Runtime) {
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = dropped.clone();
    let cancelled = rt.block_on(async move {
        let started = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..10 {
            let guard = DropCounter(counter.clone());
            let started = started.clone();
            set.spawn(async move {
                let _guard = guard;
                started.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await
            });
        }
        wait_until("every task started", || {
            started.load(Ordering::SeqCst) == 10
        })
        .await;
        set.abort_all();
        assert_eq!(set.len(), 10, "aborted tasks stay until joined");
        let mut cancelled = 0;
        while let Some(result) = set.join_next().await {
            assert!(result.expect_err("aborted").is_cancelled());
            cancelled += 1;
        }
        cancelled
    });
    assert_eq!(cancelled, 10);
    assert_eq!(dropped.load(Ordering::SeqCst), 10);
}

fn dropping_the_set_aborts_its_tasks(rt: Runtime) {
    let dropped = Arc::new(AtomicUsize::new(0));
    let counter = dropped.clone();
    rt.block_on(async move {
        let mut set = JoinSet::new();
        for _ in 0..10 {
            let guard = DropCounter(counter.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            });
        }
        for _ in 0..5 {
            yield_now().await;
        }
        let handle = ctxrt::runtime::Handle::current();
        assert_eq!(handle.num_alive_tasks(), 10);
        drop(set);
        wait_until("every aborted future was dropped", || {
            counter.load(Ordering::SeqCst) == 10
        })
        .await;
        // A task leaves the runtime's list just after its future is dropped.
        wait_until("no task is alive", || handle.num_alive_tasks() == 0).await;
    });
    assert_eq!(dropped.load(Ordering::SeqCst), 10);
}

fn detach_all_lets_the_tasks_run_on(rt: Runtime) {
    let got = rt.block_on(async {
        let mut set = JoinSet::new();
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let (done_tx, done_rx) = oneshot::channel::<u32>();
        set.spawn(async move {
            go_rx.await.expect("go");
            done_tx.send(42).expect("test waits");
        });
        set.detach_all();
        assert!(set.is_empty());
        drop(set);
        go_tx.send(()).expect("the detached task still waits");
        done_rx.await.expect("the detached task ran")
    });
    assert_eq!(got, 42);
}

fn insert_takes_a_blocking_jobs_handle(rt: Runtime) {
    let results = rt.block_on(async {
        let mut set = JoinSet::new();
        set.insert(ctxrt::spawn_blocking(|| 1));
        set.insert(ctxrt::spawn(async { 2 }));
        let mut results = Vec::new();
        while let Some(result) = set.join_next().await {
            results.push(result.expect("completes"));
        }
        results.sort_unstable();
        results
    });
    assert_eq!(results, [1, 2]);
}
