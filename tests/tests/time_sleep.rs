//! `sleep` and `sleep_until` fire no earlier than their deadline, and promptly, on both
//! flavours, from tasks and from the `block_on` future itself.

use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::time::{sleep, sleep_until, Instant};
use ctxrt_tests::within;

fn sleeps_fire_after_their_deadline(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(10), "sleeps", async {
        let start = Instant::now();
        sleep(Duration::from_millis(20)).await;
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(20),
            "woke early: {waited:?}"
        );
        assert!(waited < Duration::from_secs(2), "woke late: {waited:?}");

        let tasks: Vec<_> = (1..=20u64)
            .map(|i| {
                ctxrt::spawn(async move {
                    let deadline = Instant::now() + Duration::from_millis(i * 3);
                    sleep_until(deadline).await;
                    Instant::now() >= deadline
                })
            })
            .collect();
        for task in tasks {
            assert!(
                task.await.unwrap(),
                "a task's sleep ended before its deadline"
            );
        }
    }));
}

fn zero_and_past_deadlines_are_ready_at_once(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(10), "ready sleeps", async {
        sleep(Duration::ZERO).await;
        sleep_until(Instant::now() - Duration::from_millis(5)).await;
    }));
}

fn a_sleeping_task_does_not_block_others(rt: Runtime) {
    rt.block_on(within(
        Duration::from_secs(10),
        "independent tasks",
        async {
            let long = ctxrt::spawn(sleep(Duration::from_secs(3600)));
            let short = ctxrt::spawn(async { 7 });
            assert_eq!(short.await.unwrap(), 7);
            long.abort();
            assert!(long.await.unwrap_err().is_cancelled());
        },
    ));
}

ctxrt_tests::on_both_flavors!(
    sleeps_fire_after_their_deadline,
    zero_and_past_deadlines_are_ready_at_once,
    a_sleeping_task_does_not_block_others,
);
