//! 10,000 sleeps with random deadlines wake in deadline order (to the millisecond tick),
//! never before their deadline: on a paused clock exactly, and on both flavours in real
//! time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::time::{sleep_until, Instant};
use ctxrt_tests::within;

const SLEEPS: usize = 10_000;

fn random_offsets(seed: u64, max_ms: u64) -> Vec<u64> {
    let mut x = seed;
    (0..SLEEPS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % max_ms
        })
        .collect()
}

/// Every deadline is `lead` plus a random offset after the start, so every timer is armed
/// before any is due (spawning 10,000 tasks on a loaded machine takes a while).
async fn run_and_record(lead: Duration, max_ms: u64) -> (Vec<(u64, Duration)>, Instant) {
    let start = Instant::now() + lead;
    let woken = Arc::new(Mutex::new(Vec::with_capacity(SLEEPS)));
    let tasks: Vec<_> = random_offsets(0x2545_F491_4F6C_DD1D, max_ms)
        .into_iter()
        .map(|ms| {
            let woken = woken.clone();
            ctxrt::spawn(async move {
                let deadline = start + Duration::from_millis(ms);
                sleep_until(deadline).await;
                let late = Instant::now().duration_since(deadline);
                assert!(Instant::now() >= deadline, "woke before its deadline");
                woken.lock().unwrap().push((ms, late));
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let woken = std::mem::take(&mut *woken.lock().unwrap());
    (woken, start)
}

#[ctxrt::test(start_paused = true)]
async fn paused_clock_wakes_in_exact_deadline_order() {
    let (woken, _) = run_and_record(Duration::ZERO, 60_000).await;
    assert_eq!(woken.len(), SLEEPS);
    for pair in woken.windows(2) {
        assert!(pair[0].0 <= pair[1].0, "woke out of order: {:?}", pair);
    }
    assert!(woken.iter().all(|(_, late)| *late == Duration::ZERO));
}

fn real_time_wakes_in_tick_order(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(60), "10,000 sleeps", async {
        let (woken, _) = run_and_record(Duration::from_secs(2), 300).await;
        assert_eq!(woken.len(), SLEEPS);
        // The wheel fires in deadline order, but the tasks a driver wake-up fires run in
        // queue order: the last one woken takes the worker's LIFO slot and runs first,
        // and two workers interleave. So count descents (a task running right after one
        // whose deadline is more than 2 ms later): at most about one per driver wake-up,
        // far fewer than the wakes themselves.
        let descents = woken
            .windows(2)
            .filter(|pair| pair[1].0 + 2 < pair[0].0)
            .count();
        assert!(
            descents * 10 < SLEEPS,
            "{descents} of {SLEEPS} wakes ran out of deadline order"
        );
    }));
}

ctxrt_tests::on_both_flavors!(real_time_wakes_in_tick_order);
