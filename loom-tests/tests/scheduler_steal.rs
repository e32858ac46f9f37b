//! Model 4, a task's context follows it when it is stolen: two workers (the real `Core`s,
//! one loom thread each, driven a turn at a time through `ctxrt::loom_internals`) and two
//! tasks that each set the same var to their own value, yield, and read it back. A yield
//! re-queues the task on the local queue of the worker that polled it, where the other
//! worker may steal it.
//!
//! Proves, in every interleaving: the task reads back its own value on whichever worker
//! resumes it, and after every turn the worker thread's own current context is empty
//! again (checked by `ctxrt_loom_tests::turn`), so nothing of the task stays behind on a
//! worker. The model also asserts that loom explored interleavings in which the second
//! poll ran on the other worker's thread, so the steal path is really covered.
#![cfg(loom)]

use ctxrt::loom_internals::ModelScheduler;
use ctxrt::{Context, ContextVar};
use ctxrt_loom_tests::{check_deep, current_turn, drive, Outcomes};

static SLOT: ContextVar<u32> = ContextVar::new("slot");

#[test]
fn a_stolen_task_reads_back_its_own_set() {
    let outcomes = Outcomes::new();
    let seen = outcomes.clone();
    check_deep(
        "scheduler_steal::stolen_task_keeps_its_context",
        3,
        move || {
            let (scheduler, workers) = ModelScheduler::new(2, 1);
            let tasks: Vec<_> = [7, 8]
                .into_iter()
                .map(|own| {
                    let spawn_context = Context::new().with_value(&SLOT, 0);
                    scheduler.spawn(spawn_context, async move {
                        assert_eq!(
                            SLOT.get(),
                            Some(0),
                            "a task must start in its spawn context"
                        );
                        SLOT.set(own);
                        let first = current_turn();
                        ctxrt::task::yield_now().await;
                        assert_eq!(
                            SLOT.get(),
                            Some(own),
                            "a task lost its own set across a yield"
                        );
                        (first, current_turn())
                    })
                })
                .collect();
            let workers = drive(workers, 4);
            for task in tasks {
                let (first, second) = scheduler.handle().block_on(task).expect("tasks complete");
                let (first, second) = (first.unwrap(), second.unwrap());
                seen.hit(if !(first.own_thread && second.own_thread) {
                    "resumed in the drain"
                } else if first.worker == second.worker {
                    "resumed on the same worker"
                } else {
                    "stolen by the other worker"
                });
            }
            scheduler.shutdown();
            drop(workers);
            assert_eq!(scheduler.alive_tasks(), 0);
        },
    );
    outcomes.assert_seen(
        "scheduler_steal::stolen_task_keeps_its_context",
        &["stolen by the other worker", "resumed on the same worker"],
    );
}
