//! A `block_on` future (and so a `#[ctxrt::main]` / `#[ctxrt::test]` body) gets the same
//! cooperative budget as a task (issue 12, behaviour 4): after the budget's worth of ready
//! steps in one poll it yields, so on a `current_thread` runtime a loop over finished
//! tasks in `block_on` lets the runtime's other tasks run instead of starving them.
//! `task::unconstrained` lifts the budget and `task::consume_budget` spends it. On both
//! flavours.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use ctxrt::runtime::Runtime;
use ctxrt::task::{consume_budget, unconstrained, JoinSet};
use ctxrt_tests::on_both_flavors;

on_both_flavors!(
    a_block_on_future_runs_out_of_budget_within_one_poll,
    unconstrained_lifts_the_budget,
    a_join_next_loop_in_block_on_lets_other_tasks_run,
);

/// How many `consume_budget` steps are ready in a row within a single poll, up to `cap`.
async fn ready_steps_in_one_poll(cap: usize) -> usize {
    poll_fn(|cx| {
        let mut ready = 0;
        while ready < cap {
            let step = pin!(consume_budget());
            if step.poll(cx).is_pending() {
                break;
            }
            ready += 1;
        }
        Poll::Ready(ready)
    })
    .await
}

fn a_block_on_future_runs_out_of_budget_within_one_poll(rt: Runtime) {
    let steps = rt.block_on(ready_steps_in_one_poll(10_000));
    assert_eq!(steps, 128, "a block_on future's budget is a task's");
    // Each poll starts with a fresh budget.
    let again = rt.block_on(async {
        let _ = ready_steps_in_one_poll(10_000).await;
        ctxrt::task::yield_now().await;
        ready_steps_in_one_poll(10_000).await
    });
    assert_eq!(again, 128);
    // Tasks have the same budget.
    let in_task = rt.block_on(rt.spawn(ready_steps_in_one_poll(10_000)));
    assert_eq!(in_task.unwrap(), 128);
}

fn unconstrained_lifts_the_budget(rt: Runtime) {
    let steps = rt.block_on(unconstrained(ready_steps_in_one_poll(10_000)));
    assert_eq!(steps, 10_000);
    let in_task = rt.block_on(rt.spawn(unconstrained(ready_steps_in_one_poll(10_000))));
    assert_eq!(in_task.unwrap(), 10_000);
    // The budget is back once the unconstrained future returns.
    let after = rt.block_on(async {
        unconstrained(async {}).await;
        ready_steps_in_one_poll(10_000).await
    });
    assert!(after <= 128, "{after}");
}

fn a_join_next_loop_in_block_on_lets_other_tasks_run(rt: Runtime) {
    const TASKS: usize = 1_000;
    // On a current_thread runtime the block_on thread is the only one running tasks, so a
    // block_on loop that never yields would starve them; on a multi-thread runtime other
    // workers run them meanwhile, so there the check is the yield itself (below).
    let current_thread = rt.handle().metrics().num_workers() == 1;
    let (joined_before_canary, ready_in_one_poll) = rt.block_on(async {
        let mut set = JoinSet::new();
        let handles: Vec<_> = (0..TASKS).map(|_| set.spawn(async {})).collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !handles.iter().all(|h| h.is_finished()) {
            assert!(Instant::now() < deadline, "tasks never finished");
            ctxrt::task::yield_now().await;
        }
        // Every task is finished: join_next is always ready from here.
        let mut joined = 0;
        if current_thread {
            // A task spawned now runs only if this loop yields.
            let ran = Arc::new(AtomicBool::new(false));
            let flag = ran.clone();
            let canary = ctxrt::spawn(async move { flag.store(true, Ordering::SeqCst) });
            while !ran.load(Ordering::SeqCst) {
                assert!(
                    set.join_next().await.is_some(),
                    "drained all {TASKS} finished tasks and the canary never ran: the \
                     block_on future starved the runtime"
                );
                joined += 1;
            }
            canary.await.unwrap();
        }
        // From a fresh poll: how many ready join_next calls one poll gets before the
        // budget makes the next one pending (a yield).
        ctxrt::task::yield_now().await;
        let ready_in_one_poll = poll_fn(|cx| {
            let mut ready = 0;
            loop {
                let next = pin!(set.join_next());
                match next.poll(cx) {
                    Poll::Ready(Some(result)) => {
                        result.unwrap();
                        ready += 1;
                    }
                    Poll::Ready(None) | Poll::Pending => break,
                }
            }
            Poll::Ready(ready)
        })
        .await;
        assert!(!set.is_empty(), "the budget left finished tasks to join");
        (joined, ready_in_one_poll)
    });
    assert!(joined_before_canary <= 129, "{joined_before_canary}");
    assert!(
        (1..=128).contains(&ready_in_one_poll),
        "one poll of a block_on future joined {ready_in_one_poll} ready tasks; the budget \
         is 128"
    );
}
