//! `block_on(fut)` runs `fut` in a snapshot of the caller's context, on both flavors: `fut`
//! sees the caller's bindings, its sets (also those made in awaited async fns and kept
//! across awaits) stay inside it, and do not leak to the caller, not even when `fut`
//! panics; tasks spawned inside inherit `fut`'s current bindings. A `block_on` future that
//! waits for a task by yielding in a loop lets that task run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ctxrt::runtime::Runtime;
use ctxrt::task::yield_now;
use ctxrt::{Context, ContextVar};
use ctxrt_tests::on_both_flavors;

static REQUEST: ContextVar<u32> = ContextVar::new("request");
static INNER: ContextVar<&'static str> = ContextVar::new("inner");

on_both_flavors!(
    the_future_sees_the_callers_bindings_and_its_sets_stay_inside,
    sets_do_not_leak_when_the_future_panics,
    tasks_spawned_inside_inherit_the_futures_bindings,
    a_future_yielding_in_a_loop_lets_spawned_tasks_run,
);

async fn set_inner() {
    let _ = INNER.set("from the callee");
    yield_now().await;
}

fn the_future_sees_the_callers_bindings_and_its_sets_stay_inside(rt: Runtime) {
    Context::new().run(|| {
        let _ = REQUEST.set(1);
        let seen = rt.block_on(async {
            let inherited = REQUEST.get();
            let _ = REQUEST.set(2);
            set_inner().await;
            yield_now().await;
            (inherited, REQUEST.get(), INNER.get())
        });
        assert_eq!(seen, (Some(1), Some(2), Some("from the callee")));
        assert_eq!(REQUEST.get(), Some(1), "block_on's sets stay inside it");
        assert_eq!(INNER.get(), None);
        assert_eq!(Context::current().len(), 1);
        // A second block_on starts from the caller's bindings again, not the first's.
        assert_eq!(
            rt.block_on(async { (REQUEST.get(), INNER.get()) }),
            (Some(1), None)
        );
    });
}

fn sets_do_not_leak_when_the_future_panics(rt: Runtime) {
    Context::new().run(|| {
        let _ = REQUEST.set(1);
        let result = catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                let _ = REQUEST.set(2);
                let _ = INNER.set("set before the panic");
                yield_now().await;
                panic!("block_on future panics");
            })
        }));
        let payload = result.expect_err("the panic propagates out of block_on");
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"block_on future panics")
        );
        assert_eq!((REQUEST.get(), INNER.get()), (Some(1), None));
        assert_eq!(Context::current().len(), 1);
        // The runtime still works after the panic (a current_thread core was given back).
        let after = rt.block_on(async { ctxrt::spawn(async { REQUEST.get() }).await });
        assert_eq!(after.expect("task completes"), Some(1));
    });
}

fn tasks_spawned_inside_inherit_the_futures_bindings(rt: Runtime) {
    Context::new().run(|| {
        let _ = REQUEST.set(1);
        let (child, fut_after) = rt.block_on(async {
            let _ = REQUEST.set(2);
            set_inner().await;
            let child = ctxrt::spawn(async {
                let seen = (REQUEST.get(), INNER.get());
                let _ = REQUEST.set(3);
                seen
            })
            .await
            .expect("child completes");
            (child, REQUEST.get())
        });
        assert_eq!(child, (Some(2), Some("from the callee")));
        assert_eq!(fut_after, Some(2));
        assert_eq!(REQUEST.get(), Some(1));
    });
}

fn a_future_yielding_in_a_loop_lets_spawned_tasks_run(rt: Runtime) {
    let ran = Arc::new(AtomicBool::new(false));
    let task_ran = ran.clone();
    let ran_outside = ran.clone();
    let yields = rt.block_on(async move {
        let _task = ctxrt::spawn(async move { task_ran.store(true, Ordering::SeqCst) });
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut yields = 0u64;
        while !ran.load(Ordering::SeqCst) {
            assert!(
                Instant::now() < deadline,
                "the spawned task never ran while block_on's future yielded {yields} times"
            );
            yield_now().await;
            yields += 1;
        }
        yields
    });
    assert!(
        ran_outside.load(Ordering::SeqCst),
        "block_on returned after {yields} yields, so the task ran"
    );
}
