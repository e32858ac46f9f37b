//! The parker's contract: what a thread wrote before an `unpark` is visible to the parked
//! thread once the `park` that the unpark ended returns. Workers rely on it to see the
//! work, or the shutdown, they were woken for.
//!
//! Two threads each publish a flag with a `Relaxed` store and then unpark one parker;
//! the parked thread parks until it sees both flags. Proves, in every interleaving: each
//! return from `park` has synchronized with every unpark that made it return, so the
//! parked thread sees both flags after at most two parks; a park that returned without
//! seeing an unpark's write would go back to sleep with no unpark left to end it, which
//! loom reports as a deadlock.
//!
//! This is the model of a bug loom found: when an unpark raced in between the parker's
//! check of its state and its store of `EMPTY`, `park` returned without synchronizing
//! with that unpark (a plain store instead of a swap), so a worker woken for shutdown
//! could miss the shutdown flag and park for good.
#![cfg(loom)]

use ctxrt::loom_internals::ModelParker;
use ctxrt_loom_tests::check_deep;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::sync::Arc;
use loom::thread;

#[test]
fn a_park_sees_what_its_unparkers_wrote() {
    check_deep("scheduler_parker::park_sees_unparkers_writes", 3, || {
        let parker = Arc::new(ModelParker::new());
        let flags = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let unparkers: Vec<_> = (0..2)
            .map(|i| {
                let (parker, flags) = (parker.clone(), flags.clone());
                thread::spawn(move || {
                    flags[i].store(true, Ordering::Relaxed);
                    parker.unpark();
                })
            })
            .collect();
        while !(flags[0].load(Ordering::Relaxed) && flags[1].load(Ordering::Relaxed)) {
            parker.park();
        }
        for unparker in unparkers {
            unparker.join().unwrap();
        }
    });
}
