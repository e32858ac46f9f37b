//! `timeout` returns the output when the future finishes in time, and `Err(Elapsed)` when
//! it does not, dropping the inner future right then inside the task's context.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ctxrt::runtime::Runtime;
use ctxrt::time::{sleep, timeout, timeout_at, Instant};
use ctxrt::ContextVar;
use ctxrt_tests::within;

static REQUEST: ContextVar<u32> = ContextVar::new("request");

/// Records whether it was dropped, and the context it was dropped in.
struct DropProbe {
    dropped: Arc<AtomicBool>,
    seen: Arc<std::sync::Mutex<Option<u32>>>,
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        *self.seen.lock().unwrap() = REQUEST.get();
        self.dropped.store(true, Ordering::SeqCst);
    }
}

fn finishes_in_time(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(10), "timeout", async {
        assert_eq!(timeout(Duration::from_secs(5), async { 3 }).await, Ok(3));
        let slow_but_in_time = timeout(Duration::from_secs(5), async {
            sleep(Duration::from_millis(10)).await;
            4
        });
        assert_eq!(slow_but_in_time.await, Ok(4));
        let at = Instant::now() + Duration::from_secs(5);
        assert_eq!(timeout_at(at, async { 5 }).await, Ok(5));
    }));
}

fn fires_and_drops_the_inner_future_in_the_task_context(rt: Runtime) {
    rt.block_on(within(Duration::from_secs(10), "timeout firing", async {
        let dropped = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(std::sync::Mutex::new(None));
        let (d, s) = (dropped.clone(), seen.clone());
        let task = ctxrt::spawn(async move {
            REQUEST.set(41);
            let probe = DropProbe {
                dropped: d.clone(),
                seen: s,
            };
            let guarded = timeout(Duration::from_millis(10), async move {
                let _probe = probe;
                sleep(Duration::from_secs(3600)).await;
            });
            let result = guarded.await;
            // Dropped when it fired, before the Timeout itself goes.
            (result.is_err(), d.load(Ordering::SeqCst))
        });
        let (elapsed, dropped_at_fire) = task.await.unwrap();
        assert!(elapsed, "the timeout should have fired");
        assert!(
            dropped_at_fire,
            "the inner future was not dropped when the timeout fired"
        );
        assert!(dropped.load(Ordering::SeqCst));
        assert_eq!(
            *seen.lock().unwrap(),
            Some(41),
            "dropped outside the task's context"
        );
    }));
}

ctxrt_tests::on_both_flavors!(
    finishes_in_time,
    fires_and_drops_the_inner_future_in_the_task_context
);
