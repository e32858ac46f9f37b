//! `!Send` futures run on a `LocalSet`, on both flavours, however the set is driven
//! (`block_on`, `run_until`, awaiting the set, tasks spawned after `enter`), including
//! local tasks spawned by local tasks, woken from other threads, and awaiting runtime
//! resources.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::task::{spawn_local, LocalSet};
use ctxrt_tests::within;

const LIMIT: Duration = Duration::from_secs(20);

ctxrt_tests::on_both_flavors!(
    block_on_runs_rc_futures,
    run_until_inside_block_on,
    awaiting_the_set_runs_every_task,
    tasks_spawned_after_enter_run_when_driven,
    local_tasks_spawn_local_tasks_and_use_the_runtime,
    wakes_from_other_threads_reach_local_tasks,
);

fn block_on_runs_rc_futures(rt: Runtime) {
    let local = LocalSet::new();
    let counter = Rc::new(Cell::new(0));
    let counter2 = counter.clone();
    let out = local.block_on(&rt, async move {
        let mut handles = Vec::new();
        for _ in 0..10 {
            let counter = counter2.clone();
            handles.push(spawn_local(async move {
                ctxrt::task::yield_now().await;
                counter.set(counter.get() + 1);
                Rc::new(counter.get())
            }));
        }
        let mut last = 0;
        for handle in handles {
            last = last.max(*handle.await.unwrap());
        }
        last
    });
    assert_eq!(out, 10);
    assert_eq!(counter.get(), 10);
}

fn run_until_inside_block_on(rt: Runtime) {
    let out = rt.block_on(async {
        let local = LocalSet::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let log2 = log.clone();
        local
            .run_until(async move {
                let log3 = log2.clone();
                spawn_local(async move { log3.borrow_mut().push("task") })
                    .await
                    .unwrap();
                log2.borrow_mut().push("after");
            })
            .await;
        let log = log.borrow().clone();
        log
    });
    assert_eq!(out, ["task", "after"]);
}

fn awaiting_the_set_runs_every_task(rt: Runtime) {
    let done = Rc::new(Cell::new(0));
    let local = LocalSet::new();
    for i in 0..5u64 {
        let done = done.clone();
        local.spawn_local(async move {
            ctxrt::time::sleep(Duration::from_millis(i)).await;
            done.set(done.get() + 1);
        });
    }
    rt.block_on(within(LIMIT, "the set", local));
    assert_eq!(done.get(), 5);
}

fn tasks_spawned_after_enter_run_when_driven(rt: Runtime) {
    let local = LocalSet::new();
    let ran = Rc::new(Cell::new(false));
    let task = {
        let _guard = local.enter();
        let ran = ran.clone();
        spawn_local(async move { ran.set(true) })
    };
    assert!(!ran.get(), "nothing runs before the set is driven");
    local.block_on(&rt, task).unwrap();
    assert!(ran.get());
}

fn local_tasks_spawn_local_tasks_and_use_the_runtime(rt: Runtime) {
    let local = LocalSet::new();
    let out = local.block_on(&rt, async {
        within(LIMIT, "nested local tasks", async {
            spawn_local(async {
                let inner = spawn_local(async { Rc::new(2) });
                ctxrt::time::sleep(Duration::from_millis(1)).await;
                let sent = ctxrt::spawn(async { 3 }).await.unwrap();
                *inner.await.unwrap() * sent
            })
            .await
            .unwrap()
        })
        .await
    });
    assert_eq!(out, 6);
}

fn wakes_from_other_threads_reach_local_tasks(rt: Runtime) {
    let local = LocalSet::new();
    let out = local.block_on(&rt, async {
        let (tx, rx) = ctxrt::sync::oneshot::channel::<u32>();
        let waiting = spawn_local(async move {
            let not_send = Rc::new(());
            let got = rx.await.unwrap();
            drop(not_send);
            got
        });
        // Another thread completes the channel: the wake crosses threads into the set.
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(5));
            tx.send(41).unwrap();
        });
        within(LIMIT, "the woken local task", waiting)
            .await
            .unwrap()
            + 1
    });
    assert_eq!(out, 42);
}
