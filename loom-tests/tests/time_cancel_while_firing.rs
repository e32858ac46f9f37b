//! A timer cancelled (its `Sleep` dropped) while the driver fires it: the waker is called
//! at most once, and the entry is freed exactly once (nothing left, no double free).
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;
use std::task::Waker;

use ctxrt::loom_internals::ModelTimers;
use ctxrt_loom_tests::{check, CountWakes};
use loom::sync::Arc;
use loom::thread;

#[test]
fn cancel_racing_fire_wakes_at_most_once_and_frees_once() {
    check("time_cancel_while_firing::cancel_vs_fire", || {
        let timers = Arc::new(ModelTimers::new());
        let wakes = StdArc::new(CountWakes(AtomicUsize::new(0)));
        let timer = timers.arm(5, Waker::from(wakes.clone()));
        let driver = {
            let timers = timers.clone();
            thread::spawn(move || timers.fire(10))
        };
        timers.cancel(timer);
        driver.join().unwrap();
        assert!(wakes.0.load(Ordering::SeqCst) <= 1, "woken twice");
        assert_eq!(timers.live_entries(), 0, "the entry was not freed");
        // A second cancel (a stale key) must not free a reused entry.
        let other = timers.arm(20, Waker::noop().clone());
        timers.cancel(timer);
        assert_eq!(
            timers.live_entries(),
            1,
            "a stale cancel freed another timer"
        );
        timers.cancel(other);
        // Every clone of the waker is gone: the fired one woken, the cancelled one dropped.
        assert_eq!(StdArc::strong_count(&wakes), 1);
    });
}
