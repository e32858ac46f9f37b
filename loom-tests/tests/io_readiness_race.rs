//! A readiness event racing a task's `WouldBlock` and its waker registration is never
//! lost (invariant 1 in `runtime/src/io/scheduled_io.rs`).
//!
//! The cell starts readable (an earlier event). The task sees it, its operation "returns
//! WouldBlock", it clears what it saw and polls again, storing its waker. The reactor
//! delivers a new event any time after the task's observation (it waits for that, so
//! the event is genuinely new): during the clear, the registration or the re-check. In
//! every interleaving the task either sees the new readiness on its second poll or its
//! stored waker is woken.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc as StdArc;
use std::task::{Context, Waker};

use ctxrt::loom_internals::ModelReadiness;
use ctxrt_loom_tests::{check, CountWakes};
use loom::sync::atomic::{AtomicBool, Ordering as LoomOrdering};
use loom::sync::Arc;
use loom::thread;

#[test]
fn an_event_between_would_block_and_registration_is_not_lost() {
    check("io_readiness_race::event_vs_registration", || {
        let cell = Arc::new(ModelReadiness::new());
        cell.event_readable();
        let observed = Arc::new(AtomicBool::new(false));
        let reactor = {
            let (cell, observed) = (cell.clone(), observed.clone());
            thread::spawn(move || {
                while !observed.load(LoomOrdering::Acquire) {
                    thread::yield_now();
                }
                cell.event_readable();
            })
        };
        let wakes = StdArc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let seen = cell
            .poll_readable(&mut cx)
            .expect("readable from the first event");
        observed.store(true, LoomOrdering::Release);
        cell.clear(seen); // the operation returned WouldBlock
        let ready_again = cell.poll_readable(&mut cx).is_some();
        reactor.join().unwrap();
        assert!(
            ready_again || wakes.0.load(Ordering::SeqCst) == 1,
            "the reactor's event was lost: not seen, and the waker was not woken"
        );
    });
}
