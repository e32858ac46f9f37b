//! Per-worker timer wheels (`runtime/src/time/source.rs`): a timer lives in the wheel of
//! the worker that armed it, but its `Sleep` may be dropped or reset on another thread
//! while the driver-holder fires that wheel, and a timer armed in one wheel while the
//! driver-holder scans the others must not be slept past.
//!
//! - `cancel_from_another_thread_racing_the_fire`: worker 0 armed it; another thread
//!   drops the `Sleep` while the driver fires every wheel. The waker is called at most
//!   once and the entry freed exactly once (invariant 1 there).
//! - `reset_from_another_thread_racing_the_fire`: the same race with a reset to a later
//!   deadline. The timer is never lost: it has fired once or twice (before and after the
//!   reset; the task's next poll stores its waker again) once the clock passes the new
//!   deadline, and its one entry is still there.
//! - `arm_racing_the_drivers_scan_is_never_slept_past`: worker 1 arms a timer earlier
//!   than everything in worker 0's wheel while the driver scans the wheels for its park
//!   timeout. Either the scan saw it (the timeout is no later than it) or the arm was
//!   told to wake the driver (invariant 2 there).
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;
use std::task::Waker;
use std::time::Duration;

use ctxrt::loom_internals::ModelTimeStore;
use ctxrt_loom_tests::{check, CountWakes};
use loom::sync::Arc;
use loom::thread;

const MS: Duration = Duration::from_millis(1);

#[test]
fn cancel_from_another_thread_racing_the_fire() {
    check("time_per_worker_wheels::cancel_vs_fire", || {
        let store = Arc::new(ModelTimeStore::new(3, true));
        let wakes = StdArc::new(CountWakes(AtomicUsize::new(0)));
        let (timer, _) = store.arm_in(0, 5 * MS, &Waker::from(wakes.clone()));
        let driver = {
            let store = store.clone();
            thread::spawn(move || store.advance(10 * MS))
        };
        // This thread is not worker 0: the cancel crosses wheels.
        store.cancel(timer);
        driver.join().unwrap();
        assert!(wakes.0.load(Ordering::SeqCst) <= 1, "woken twice");
        assert_eq!(store.live_entries(), 0, "the entry was not freed");
        // A stale cancel must not free a later timer that reused the entry.
        let (other, _) = store.arm_in(0, 20 * MS, Waker::noop());
        store.cancel(timer);
        assert_eq!(
            store.live_entries(),
            1,
            "a stale cancel freed another timer"
        );
        store.cancel(other);
        // Every clone of the waker is gone: the fired one woken, the cancelled one dropped.
        assert_eq!(StdArc::strong_count(&wakes), 1);
    });
}

#[test]
fn reset_from_another_thread_racing_the_fire() {
    check("time_per_worker_wheels::reset_vs_fire", || {
        let store = Arc::new(ModelTimeStore::new(3, true));
        let wakes = StdArc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let (timer, _) = store.arm_in(1, 5 * MS, &waker);
        let driver = {
            let store = store.clone();
            thread::spawn(move || store.advance(10 * MS))
        };
        // From whichever time the clock reads: before the driver's advance (now 0) or
        // after it (now 10), 20 ms later is past both.
        store.reset(timer, 20 * MS);
        driver.join().unwrap();
        let before = wakes.0.load(Ordering::SeqCst);
        assert!(before <= 1, "woken twice before the new deadline");
        // The task polls again (it was woken, or is still waiting): a fire before the
        // reset took the stored waker, and this poll stores it again.
        assert!(!store.poll(timer, &waker), "fired before its new deadline");
        drop(waker);
        store.advance(30 * MS);
        let after = wakes.0.load(Ordering::SeqCst);
        assert_eq!(
            after,
            before + 1,
            "the reset timer did not fire exactly once more"
        );
        assert_eq!(store.live_entries(), 1, "the reset timer's entry is gone");
        store.cancel(timer);
        assert_eq!(store.live_entries(), 0);
        assert_eq!(StdArc::strong_count(&wakes), 1);
    });
}

#[test]
fn arm_racing_the_drivers_scan_is_never_slept_past() {
    check("time_per_worker_wheels::arm_vs_scan", || {
        // A running clock: deadlines an hour or two out, so the model's own run time
        // cannot make either due.
        let store = Arc::new(ModelTimeStore::new(3, false));
        let (late, _) = store.arm_in(0, Duration::from_secs(7200), Waker::noop());
        let driver = {
            let store = store.clone();
            thread::spawn(move || store.before_park())
        };
        let (early, wake_driver) = store.arm_in(1, Duration::from_secs(3600), Waker::noop());
        let timeout = driver.join().unwrap().expect("a timer is armed");
        assert!(
            wake_driver || timeout <= Duration::from_secs(3601),
            "the driver would sleep {timeout:?}, past the timer armed an hour out, and was \
             not told to wake"
        );
        store.cancel(early);
        store.cancel(late);
        assert_eq!(store.live_entries(), 0);
    });
}
