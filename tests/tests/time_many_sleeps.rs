//! 100,000 concurrent sleeps of 1–100 ms all fire, promptly, on both flavours.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::time::{sleep, Instant};
use ctxrt_tests::within;

const SLEEPS: u64 = 100_000;

fn all_fire(rt: Runtime) {
    let fired = Arc::new(AtomicUsize::new(0));
    let counter = fired.clone();
    rt.block_on(within(
        Duration::from_secs(120),
        "100,000 sleeps",
        async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..SLEEPS)
                .map(|i| {
                    let counter = counter.clone();
                    ctxrt::spawn(async move {
                        sleep(Duration::from_millis(1 + (i * 7919) % 100)).await;
                        counter.fetch_add(1, Ordering::Relaxed);
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
            assert!(start.elapsed() >= Duration::from_millis(100));
        },
    ));
    assert_eq!(fired.load(Ordering::Relaxed) as u64, SLEEPS);
}

ctxrt_tests::on_both_flavors!(all_fire);
