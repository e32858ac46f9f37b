//! The timer store (`runtime/src/time/source.rs`) as a task's thread, another thread and
//! the driver-holder use it at once: a `Sleep` may be dropped or reset on a thread other
//! than the one that armed it (its task moved, or it was handed over) while the driver
//! fires the wheel, and a timer may be armed while the driver scans the wheel for its
//! park timeout.
//!
//! - `cancel_from_another_thread_racing_the_fire`: the waker is called at most once and
//!   the entry freed exactly once (invariant 1 there).
//! - `reset_from_another_thread_racing_the_fire`: the timer is never lost: it has fired
//!   once or twice (before and after the reset; the task's next poll stores its waker
//!   again) once the clock passes the new deadline, and its one entry is still there.
//! - `arm_racing_the_drivers_scan_is_never_slept_past`: a timer armed earlier than the
//!   one the driver knows, while the driver scans for its park timeout: either the scan
//!   saw it (the timeout is no later than it) or the arm was told to wake the driver
//!   (invariant 2 there).
//!
//! These models were written for per-worker wheels (a timer in one worker's wheel
//! cancelled from another thread; an arm in one wheel during the scan of the others) and
//! kept when the measurement kept one wheel (`2b519f1` has the per-worker version).
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
    check("time_store_races::cancel_vs_fire", || {
        let store = Arc::new(ModelTimeStore::new(true));
        let wakes = StdArc::new(CountWakes(AtomicUsize::new(0)));
        let (timer, _) = store.arm(5 * MS, &Waker::from(wakes.clone()));
        let driver = {
            let store = store.clone();
            thread::spawn(move || store.advance(10 * MS))
        };
        // Not the driver's thread: the cancel races its fire.
        store.cancel(timer);
        driver.join().unwrap();
        assert!(wakes.0.load(Ordering::SeqCst) <= 1, "woken twice");
        assert_eq!(store.live_entries(), 0, "the entry was not freed");
        // A stale cancel must not free a later timer that reused the entry.
        let (other, _) = store.arm(20 * MS, Waker::noop());
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
    check("time_store_races::reset_vs_fire", || {
        let store = Arc::new(ModelTimeStore::new(true));
        let wakes = StdArc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let (timer, _) = store.arm(5 * MS, &waker);
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
    check("time_store_races::arm_vs_scan", || {
        // A running clock: deadlines an hour or two out, so the model's own run time
        // cannot make either due.
        let store = Arc::new(ModelTimeStore::new(false));
        let (late, _) = store.arm(Duration::from_secs(7200), Waker::noop());
        let driver = {
            let store = store.clone();
            thread::spawn(move || store.before_park())
        };
        let (early, wake_driver) = store.arm(Duration::from_secs(3600), Waker::noop());
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
