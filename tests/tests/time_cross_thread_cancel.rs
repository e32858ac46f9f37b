//! A `Sleep` armed by a task on one thread and then dropped or reset on another (its
//! task moved, or the sleep was handed over) reaches the runtime's wheel from there: a
//! drop elsewhere releases its entry and the task's waker, and a reset elsewhere still
//! fires at the new deadline without another poll. The drop or reset happens on a plain
//! thread outside the runtime.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::time::{sleep, Instant, Sleep};

struct CountWakes(AtomicUsize);

impl Wake for CountWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Arms `count` sleeps of `duration` inside tasks (on the workers, or the block_on
/// thread on current_thread), each with its own counting waker, and hands them back.
fn armed_in_tasks(
    rt: &Runtime,
    count: usize,
    duration: Duration,
) -> Vec<(Pin<Box<Sleep>>, Arc<CountWakes>)> {
    rt.block_on(async {
        let tasks: Vec<_> = (0..count)
            .map(|_| {
                ctxrt::spawn(async move {
                    let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
                    let waker = Waker::from(wakes.clone());
                    let mut delay = Box::pin(sleep(duration));
                    let poll = delay.as_mut().poll(&mut Context::from_waker(&waker));
                    assert!(poll.is_pending(), "fired before its deadline");
                    (delay, wakes)
                })
            })
            .collect();
        let mut armed = Vec::new();
        for task in tasks {
            armed.push(task.await.unwrap());
        }
        armed
    })
}

fn drop_on_another_thread_releases_the_entry(rt: Runtime) {
    let armed = armed_in_tasks(&rt, 64, Duration::from_secs(3600));
    let counters: Vec<_> = armed.iter().map(|(_, wakes)| wakes.clone()).collect();
    for wakes in &counters {
        // The wheel holds the stored waker; the sleep's task part holds none.
        assert_eq!(
            Arc::strong_count(wakes),
            3,
            "the armed timer holds its waker"
        );
    }
    std::thread::spawn(move || drop(armed)).join().unwrap();
    for wakes in &counters {
        assert_eq!(
            Arc::strong_count(wakes),
            1,
            "a Sleep dropped on another thread left its waker in the wheel"
        );
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0, "a dropped timer fired");
    }
    // The runtime's timers still work after the foreign drops.
    rt.block_on(async {
        let start = Instant::now();
        sleep(Duration::from_millis(5)).await;
        assert!(start.elapsed() >= Duration::from_millis(5));
    });
}

fn reset_on_another_thread_fires_at_the_new_deadline(rt: Runtime) {
    let armed = armed_in_tasks(&rt, 16, Duration::from_secs(3600));
    let counters: Vec<_> = armed.iter().map(|(_, wakes)| wakes.clone()).collect();
    let new_deadline = Instant::now() + Duration::from_millis(20);
    let armed = std::thread::spawn(move || {
        let mut armed = armed;
        for (delay, _) in &mut armed {
            delay.as_mut().reset(new_deadline);
        }
        armed
    })
    .join()
    .unwrap();
    // Nothing polls the sleeps: the runtime's driver must fire them where they are.
    let fired = rt.block_on(async {
        let start = Instant::now();
        while counters.iter().any(|w| w.0.load(Ordering::SeqCst) == 0) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "a timer reset on another thread did not fire within 10 s"
            );
            sleep(Duration::from_millis(1)).await;
        }
        Instant::now()
    });
    assert!(fired >= new_deadline, "fired before the new deadline");
    for wakes in &counters {
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1, "woken more than once");
    }
    // Polled again, each is elapsed.
    let mut armed = armed;
    for (delay, wakes) in &mut armed {
        let waker = Waker::from(wakes.clone());
        assert_eq!(
            delay.as_mut().poll(&mut Context::from_waker(&waker)),
            Poll::Ready(())
        );
    }
}

ctxrt_tests::on_both_flavors!(
    drop_on_another_thread_releases_the_entry,
    reset_on_another_thread_fires_at_the_new_deadline
);
