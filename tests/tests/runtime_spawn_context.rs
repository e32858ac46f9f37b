//! `spawn` captures the spawner's context at the call, on both flavors: the child sees the
//! parent's bindings as they were at the spawn and never the parent's later sets; the
//! child's sets never reach the parent or its siblings; and 100 concurrent tasks that each
//! set and re-read their own values across many `yield_now()`s stay isolated (asyncio's
//! `test_context_1`..`3`). `Runtime::spawn` and `Handle::spawn` from outside the runtime
//! capture the calling thread's context the same way.

use futures_channel::oneshot;

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::on_both_flavors;

static REQUEST: ContextVar<u32> = ContextVar::new("request");
static CHILD_ONLY: ContextVar<u32> = ContextVar::new("child_only");
static LABEL: ContextVar<&'static str> = ContextVar::with_default("label", || "default");

on_both_flavors!(
    child_sees_the_parents_bindings_as_of_the_spawn,
    child_sets_never_reach_the_parent_or_siblings,
    hundred_concurrent_tasks_stay_isolated_across_yields,
    grandchild_inherits_the_childs_bindings_as_of_its_spawn,
    spawn_from_outside_the_runtime_captures_the_calling_thread,
);

fn child_sees_the_parents_bindings_as_of_the_spawn(rt: Runtime) {
    let (seen, parent_after) = rt.block_on(async {
        let _ = REQUEST.set(1);
        let _ = LABEL.set("parent");
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let child = ctxrt::spawn(async move {
            // Read only after the parent's later sets have certainly happened.
            go_rx.await.expect("parent sends go");
            (REQUEST.get(), LABEL.get(), Context::current().len())
        });
        let _ = REQUEST.set(2);
        let _ = LABEL.set("changed after the spawn");
        let _ = CHILD_ONLY.set(3);
        go_tx.send(()).expect("child is waiting");
        let seen = child.await.expect("child completes");
        (seen, (REQUEST.get(), LABEL.get(), CHILD_ONLY.get()))
    });
    assert_eq!(seen, (Some(1), Some("parent"), 2));
    assert_eq!(
        parent_after,
        (Some(2), Some("changed after the spawn"), Some(3))
    );
}

fn child_sets_never_reach_the_parent_or_siblings(rt: Runtime) {
    let (parent, sibling) = rt.block_on(async {
        let _ = REQUEST.set(1);
        let (set_tx, set_rx) = oneshot::channel::<(Option<u32>, Option<u32>)>();
        let (done_tx, done_rx) = oneshot::channel::<()>();
        let setter = ctxrt::spawn(async move {
            let _ = REQUEST.set(100);
            let _ = CHILD_ONLY.set(5);
            let _ = LABEL.set("child");
            set_tx
                .send((REQUEST.get(), CHILD_ONLY.get()))
                .expect("parent waits");
            // Stay alive (holding the sets) while the others look.
            done_rx.await.expect("parent sends done");
            (REQUEST.get(), CHILD_ONLY.get(), LABEL.get())
        });
        assert_eq!(set_rx.await.expect("setter reports"), (Some(100), Some(5)));
        // The setter's sets are done; neither the parent nor a sibling spawned now sees them.
        let parent = (REQUEST.get(), CHILD_ONLY.get(), LABEL.get());
        let sibling = ctxrt::spawn(async { (REQUEST.get(), CHILD_ONLY.get(), LABEL.get()) })
            .await
            .expect("sibling completes");
        done_tx.send(()).expect("setter waits");
        assert_eq!(
            setter.await.expect("setter completes"),
            (Some(100), Some(5), Some("child")),
            "the setter keeps its own sets"
        );
        (parent, sibling)
    });
    assert_eq!(parent, (Some(1), None, Some("default")));
    assert_eq!(sibling, (Some(1), None, Some("default")));
}

fn hundred_concurrent_tasks_stay_isolated_across_yields(rt: Runtime) {
    const TASKS: u32 = 100;
    const ROUNDS: u32 = 20;
    let (results, parent_after) = rt.block_on(async {
        let _ = REQUEST.set(7);
        let handles: Vec<_> = (0..TASKS)
            .map(|task| {
                ctxrt::spawn(async move {
                    let mut mismatches = Vec::new();
                    if REQUEST.get() != Some(7) || CHILD_ONLY.get().is_some() {
                        mismatches.push((task, u32::MAX, REQUEST.get(), CHILD_ONLY.get()));
                    }
                    let _ = CHILD_ONLY.set(task);
                    for round in 0..ROUNDS {
                        let mine = task * 1000 + round;
                        let _ = REQUEST.set(mine);
                        yield_now().await;
                        if REQUEST.get() != Some(mine) || CHILD_ONLY.get() != Some(task) {
                            mismatches.push((task, round, REQUEST.get(), CHILD_ONLY.get()));
                        }
                        yield_now().await;
                    }
                    (mismatches, Context::current().len())
                })
            })
            .collect();
        let mut results = Vec::new();
        for handle in handles {
            results.push(handle.await.expect("task completes"));
        }
        (results, (REQUEST.get(), CHILD_ONLY.get()))
    });
    assert_eq!(results.len(), TASKS as usize);
    for (task, (mismatches, len)) in results.iter().enumerate() {
        assert!(
            mismatches.is_empty(),
            "task {task} saw others' values: {mismatches:?}"
        );
        assert_eq!(*len, 2, "task {task} holds exactly its two bindings");
    }
    assert_eq!(parent_after, (Some(7), None));
}

fn grandchild_inherits_the_childs_bindings_as_of_its_spawn(rt: Runtime) {
    let (grandchild, child, parent) = rt.block_on(async {
        let _ = REQUEST.set(1);
        let child = ctxrt::spawn(async {
            let _ = REQUEST.set(2);
            let _ = CHILD_ONLY.set(20);
            let (go_tx, go_rx) = oneshot::channel::<()>();
            let grandchild = ctxrt::spawn(async move {
                go_rx.await.expect("child sends go");
                let seen = (REQUEST.get(), CHILD_ONLY.get());
                let _ = REQUEST.set(300);
                seen
            });
            let _ = REQUEST.set(3);
            go_tx.send(()).expect("grandchild waits");
            let grandchild = grandchild.await.expect("grandchild completes");
            (grandchild, (REQUEST.get(), CHILD_ONLY.get()))
        });
        let (grandchild, child) = child.await.expect("child completes");
        (grandchild, child, (REQUEST.get(), CHILD_ONLY.get()))
    });
    assert_eq!(grandchild, (Some(2), Some(20)));
    assert_eq!(child, (Some(3), Some(20)));
    assert_eq!(parent, (Some(1), None));
}

fn spawn_from_outside_the_runtime_captures_the_calling_thread(rt: Runtime) {
    Context::new().run(|| {
        let _ = REQUEST.set(9);
        let (go_tx, go_rx) = oneshot::channel::<()>();
        let from_runtime = rt.spawn(async move {
            go_rx.await.expect("test sends go");
            let seen = REQUEST.get();
            let _ = REQUEST.set(90);
            seen
        });
        let _ = REQUEST.set(10);
        let from_handle = rt.handle().spawn(async {
            let seen = REQUEST.get();
            let _ = REQUEST.set(100);
            seen
        });
        let _ = REQUEST.set(11);
        go_tx.send(()).expect("task waits");
        assert_eq!(rt.block_on(from_runtime).expect("completes"), Some(9));
        assert_eq!(rt.block_on(from_handle).expect("completes"), Some(10));
        assert_eq!(REQUEST.get(), Some(11), "the tasks' sets stay in the tasks");
    });
}
