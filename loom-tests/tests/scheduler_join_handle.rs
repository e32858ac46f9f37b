//! Model 7, the JoinHandle against a completing task: on a whole 1-worker runtime, a task
//! whose future, context binding and output are each a drop-counted value yields once
//! and completes, while the main thread drops its JoinHandle, aborts it, or awaits it.
//!
//! Proves, in every interleaving of each of the three races: the output is made at most
//! once and dropped exactly once (read by the JoinHandle, or dropped by the completer or
//! by the handle's drop); the future and the task's context are each dropped exactly once,
//! whether the task completes, is cancelled by the abort, or is cancelled by shutdown; an
//! awaited handle yields `Ok` exactly when the output was made; and the task cell is freed
//! exactly once: a leaked cell leaks the loom `Arc` of its scheduler, which loom reports at
//! the end of the interleaving, and a second free would drop every counted value twice.
#![cfg(loom)]

use ctxrt::runtime::{Builder, Runtime};
use ctxrt::task::JoinHandle;
use ctxrt::{Context, ContextVar};
use ctxrt_loom_tests::{check_deep, DropCounter, Tracked};

static RESOURCE: ContextVar<Tracked> = ContextVar::new("resource");

/// The drop counters of one task: its future, its context's binding, its output.
#[derive(Clone, Default)]
struct Counters {
    future: DropCounter,
    context: DropCounter,
    output: DropCounter,
}

/// Spawns the counted task: yields once, then returns a counted output.
fn spawn_counted(rt: &Runtime, counters: &Counters) -> JoinHandle<Tracked> {
    let held = counters.future.track();
    let output = counters.output.clone();
    let future = async move {
        let _held = held;
        assert!(RESOURCE.is_set(), "the task runs in its own context");
        ctxrt::task::yield_now().await;
        output.track()
    };
    let mut spawner = Context::new().with_value(&RESOURCE, counters.context.track());
    // The spawner's copy is dropped at the end of this function: the task's copy is the
    // last holder of the binding.
    spawner.run(|| rt.spawn(future))
}

/// A 1-worker runtime running the counted task.
fn start(counters: &Counters) -> (Runtime, JoinHandle<Tracked>) {
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let handle = spawn_counted(&rt, counters);
    (rt, handle)
}

/// Shuts the runtime down and checks every counter.
fn finish(rt: Runtime, counters: &Counters) {
    drop(rt);
    counters
        .future
        .assert_all_dropped_once("the task's future", 1);
    counters
        .context
        .assert_all_dropped_once("the task's context binding", 1);
    counters
        .output
        .assert_all_dropped_once("the task's output", 1);
}

#[test]
fn dropping_the_handle_while_the_task_completes() {
    check_deep("scheduler_join_handle::dropped", 3, || {
        let counters = Counters::default();
        let (rt, handle) = start(&counters);
        drop(handle);
        finish(rt, &counters);
    });
}

#[test]
fn aborting_the_handle_while_the_task_completes() {
    check_deep("scheduler_join_handle::aborted", 3, || {
        let counters = Counters::default();
        let (rt, handle) = start(&counters);
        handle.abort();
        let result = rt.block_on(handle);
        match &result {
            Ok(_) => assert_eq!(counters.output.made(), 1),
            Err(err) => {
                assert!(
                    err.is_cancelled(),
                    "an abort gives a cancelled JoinError: {err}"
                );
                assert_eq!(counters.output.made(), 0, "a cancelled task made an output");
            }
        }
        drop(result);
        finish(rt, &counters);
    });
}

#[test]
fn awaiting_the_handle_while_the_task_completes() {
    check_deep("scheduler_join_handle::awaited", 3, || {
        let counters = Counters::default();
        let (rt, handle) = start(&counters);
        let output = rt.block_on(handle).expect("nothing cancels the task");
        assert_eq!(counters.output.made(), 1);
        assert_eq!(
            counters.output.dropped(),
            0,
            "the output was dropped before it was read"
        );
        drop(output);
        finish(rt, &counters);
    });
}
