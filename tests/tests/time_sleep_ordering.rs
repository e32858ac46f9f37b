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

async fn run_and_record(max_ms: u64) -> (Vec<(u64, Duration)>, Instant) {
    let start = Instant::now();
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
    let (woken, _) = run_and_record(60_000).await;
    assert_eq!(woken.len(), SLEEPS);
    for pair in woken.windows(2) {
        assert!(pair[0].0 <= pair[1].0, "woke out of order: {:?}", pair);
    }
    assert!(woken.iter().all(|(_, late)| *late == Duration::ZERO));
}

fn real_time_wakes_in_tick_order(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(60), "10,000 sleeps", async {
        let (woken, _) = run_and_record(300).await;
        assert_eq!(woken.len(), SLEEPS);
        // Two workers may finish the same tick's wakes in either order; across ticks a
        // later deadline never wakes before an earlier one has been fired.
        let mut out_of_order = 0;
        let mut max_seen = 0;
        for &(ms, _) in &woken {
            if ms + 2 < max_seen {
                out_of_order += 1;
            }
            max_seen = max_seen.max(ms);
        }
        assert!(
            out_of_order * 100 < SLEEPS,
            "{out_of_order} wakes far out of order"
        );
    }));
}

ctxrt_tests::on_both_flavors!(real_time_wakes_in_tick_order);
